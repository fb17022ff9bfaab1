/* Opus (libopus), mono, RTP "opus/48000/2" per RFC 7587 (RTP clock 48 kHz whatever the PCM
 * rate). An instance runs at 8 kHz (narrowband, the default for PSTN-fed legs) or 16 kHz
 * (wideband). Defaults, chosen from the measured cost table in bench/CODEC.md:
 *  - complexity SG_OPUS_COMPLEXITY_DEFAULT (5): about half the encoder cost of libopus's own
 *    default (9-10) for narrowband speech, which carries no content above 4 kHz anyway;
 *  - 20 kbit/s NB / 28 kbit/s WB, VOIP application, voice signal hint;
 *  - in-band FEC on with 5 % expected loss (a lost frame can be rebuilt from the next one).
 *    libopus only spends bits on FEC above a rate threshold (NB: about 14-17 kbit/s with
 *    5 % loss); at 12 or 16 kbit/s NB the "FEC" frame was identical to plain PLC in
 *    test_codec_opus.c, at 20 kbit/s it rebuilt lost frames 10 dB closer to the lossless decode;
 *  - DTX off (a gateway towards the PSTN wants continuous audio; the jitter buffer need not
 *    treat silence gaps as loss).
 * Concealment is the decoder's own (opus_decode with no data). */
#include <stdlib.h>
#include <opus/opus.h>
#include "codec/codec.h"

typedef struct opus_codec {
    OpusEncoder *enc;
    OpusDecoder *dec;
    uint32_t rate;
} opus_codec;

static int opus_err(int e)
{
    switch (e) {
    case OPUS_BUFFER_TOO_SMALL:
        return SG_EBUSY;
    case OPUS_ALLOC_FAIL:
        return SG_ENOMEM;
    default:
        return SG_EINVAL;
    }
}

static void opusc_destroy(void *state)
{
    opus_codec *o = state;

    if (o == NULL)
        return;
    if (o->enc != NULL)
        opus_encoder_destroy(o->enc);
    if (o->dec != NULL)
        opus_decoder_destroy(o->dec);
    free(o);
}

static void *opusc_create(const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    opus_codec *o = NULL;
    uint32_t r = opts->sample_rate != 0 ? opts->sample_rate : 8000;
    int complexity = opts->complexity != 0 ? opts->complexity : SG_OPUS_COMPLEXITY_DEFAULT;
    int32_t bitrate = opts->bitrate != 0 ? (int32_t)opts->bitrate : (r == 8000 ? 20000 : 28000);
    int loss = opts->packet_loss_pct != 0 ? opts->packet_loss_pct : 5;
    int e = OPUS_OK;

    *err = SG_EINVAL;
    /* packetisation must be an Opus frame size: 10, 20, 40 or 60 ms (30 and 50 are not) */
    if ((r != 8000 && r != 16000) || complexity < 0 || complexity > 10 || bitrate < 6000 ||
        bitrate > 510000 || opts->fec > 2 || opts->dtx > 2 || loss > 100 ||
        (opts->frame_ms != 0 && opts->frame_ms != 10 && opts->frame_ms != 20 && opts->frame_ms != 40 &&
         opts->frame_ms != 60))
        return NULL;
    o = calloc(1, sizeof(*o));
    if (o == NULL)
        goto nomem;
    o->rate = r;
    o->enc = opus_encoder_create((opus_int32)r, 1, OPUS_APPLICATION_VOIP, &e);
    if (o->enc == NULL)
        goto fail;
    o->dec = opus_decoder_create((opus_int32)r, 1, &e);
    if (o->dec == NULL)
        goto fail;
    if (opus_encoder_ctl(o->enc, OPUS_SET_COMPLEXITY(complexity)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_MAX_BANDWIDTH(r == 8000 ? OPUS_BANDWIDTH_NARROWBAND
                                                                  : OPUS_BANDWIDTH_WIDEBAND)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_INBAND_FEC(opts->fec == 2 ? 0 : 1)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_PACKET_LOSS_PERC(loss)) != OPUS_OK ||
        opus_encoder_ctl(o->enc, OPUS_SET_DTX(opts->dtx == 1 ? 1 : 0)) != OPUS_OK)
        goto fail;
    *rate = r;
    *err = SG_OK;
    return o;
fail:
    opusc_destroy(o);
    *err = e == OPUS_ALLOC_FAIL ? SG_ENOMEM : SG_EINVAL;
    return NULL;
nomem:
    *err = SG_ENOMEM;
    return NULL;
}

/* Valid frame sizes: 2.5, 5, 10, 20, 40 or 60 ms. */
static int opus_frame_ok(const opus_codec *o, size_t n)
{
    size_t unit = o->rate / 400;
    size_t k = n / unit;

    return n != 0 && n % unit == 0 && (k == 1 || k == 2 || k == 4 || k == 8 || k == 16 || k == 24);
}

static int opusc_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    opus_codec *o = state;
    opus_int32 got;

    if (!opus_frame_ok(o, n))
        return SG_EINVAL;
    if (cap == 0)
        return SG_EBUSY;
    got = opus_encode(o->enc, pcm, (int)n, out, (opus_int32)(cap > CODEC_MAX_PAYLOAD ? CODEC_MAX_PAYLOAD : cap));
    return got < 0 ? opus_err(got) : (int)got;
}

static int opusc_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    opus_codec *o = state;
    int got;

    if (len == 0 || len > CODEC_MAX_PAYLOAD)
        return SG_EINVAL;
    got = opus_decode(o->dec, in, (opus_int32)len, pcm, (int)cap, 0);
    return got < 0 ? opus_err(got) : got;
}

static int opusc_plc(void *state, int16_t *pcm, size_t n)
{
    opus_codec *o = state;
    int got;

    if (n == 0 || n > CODEC_MAX_FRAME_SAMPLES || n % (o->rate / 400) != 0)
        return SG_EINVAL;
    got = opus_decode(o->dec, NULL, 0, pcm, (int)n, 0);
    return got < 0 ? opus_err(got) : got;
}

static int opusc_decode_fec(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t n)
{
    opus_codec *o = state;
    int got;

    if (len == 0 || len > CODEC_MAX_PAYLOAD || n == 0 || n > CODEC_MAX_FRAME_SAMPLES ||
        n % (o->rate / 400) != 0)
        return SG_EINVAL;
    got = opus_decode(o->dec, in, (opus_int32)len, pcm, (int)n, 1);
    return got < 0 ? opus_err(got) : got;
}

static int opusc_set_loss(void *state, unsigned pct)
{
    opus_codec *o = state;

    return opus_encoder_ctl(o->enc, OPUS_SET_PACKET_LOSS_PERC((int)pct)) == OPUS_OK ? SG_OK : SG_EINVAL;
}

const sg_codec_desc codec_opus = {
    .name = "opus", .fmtp = "maxplaybackrate=8000;sprop-maxcapturerate=8000;useinbandfec=1",
    .payload_type = 111, .channels = 2,
    .clock_rate = 48000, .sample_rate = 8000, .frame_ms = 20,
    .create = opusc_create, .destroy = opusc_destroy,
    .encode = opusc_encode, .decode = opusc_decode, .plc = opusc_plc,
    .decode_fec = opusc_decode_fec, .set_loss = opusc_set_loss,
};
