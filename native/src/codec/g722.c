/* G.722 at 64 kbit/s (spandsp), 16 kHz PCM. RTP payload type 9 with an RTP clock of 8000 Hz,
 * an error kept in RFC 3551 §4.5.2 for compatibility with RFC 1890: timestamps advance by
 * half the number of PCM samples. Concealment reuses spandsp's plc_t on the 16 kHz signal:
 * its pitch search then covers 133-400 Hz instead of 66-200 Hz, which still gives a smooth,
 * fading repeat rather than a gap (TODO(next): a 16 kHz-aware PLC if listening tests ask).
 *
 * sample_rate 8000 selects spandsp's G722_SAMPLE_RATE_8000 mode: the encoder codes 8 kHz PCM
 * in the lower sub-band only (the upper band carries silence) and the decoder returns the
 * lower band at 8 kHz, skipping the QMF filters: about a third of the cost of the 16 kHz path
 * with resamplers (bench/CODEC.md). The payload parses as G.722, but it is not transparent
 * toward a peer that decodes at 16 kHz (every real G.722 peer): without the upper band the
 * peer's QMF synthesis cannot cancel the lower band's aliasing, so a 3.4 kHz tone comes out
 * with a 4.6 kHz image at -10 dB; decoding a wideband payload in this mode folds 4.4-5 kHz
 * into the narrow band at -7..-21 dB (test_codec_g722.c). The transcoding relay therefore
 * uses the 16 kHz path; keep this mode for peers that run the same mode. */
#include <stdlib.h>
#include <spandsp.h>
#include "codec/codec.h"
#include "codec/plc.h"

typedef struct g722_codec {
    unsigned per_byte;    /* PCM samples per payload byte: 2 at 16 kHz, 1 at 8 kHz */
    g722_encode_state_t *enc;
    g722_decode_state_t *dec;
    plc_state_t *plc;
} g722_codec;

static void g722c_destroy(void *state)
{
    g722_codec *g = state;

    if (g == NULL)
        return;
    if (g->enc != NULL)
        g722_encode_free(g->enc);
    if (g->dec != NULL)
        g722_decode_free(g->dec);
    if (g->plc != NULL)
        plc_free(g->plc);
    free(g);
}

static void *g722c_create(const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    g722_codec *g;
    uint32_t r = opts->sample_rate != 0 ? opts->sample_rate : 16000;
    int mode = r == 8000 ? G722_SAMPLE_RATE_8000 : 0;

    if (r != 8000 && r != 16000) {
        *err = SG_EINVAL;
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        goto nomem;
    g->per_byte = r == 8000 ? 1 : 2;
    g->enc = g722_encode_init(NULL, 64000, mode);
    g->dec = g722_decode_init(NULL, 64000, mode);
    g->plc = plc_init(NULL);
    if (g->enc == NULL || g->dec == NULL || g->plc == NULL)
        goto nomem;
    *rate = r;
    return g;
nomem:
    g722c_destroy(g);
    *err = SG_ENOMEM;
    return NULL;
}

/* 64 kbit/s: one byte per two 16 kHz samples (per 8 kHz sample in 8 kHz mode). */
static int g722c_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    g722_codec *g = state;

    if (n == 0 || n > CODEC_MAX_FRAME_SAMPLES || n % g->per_byte != 0)
        return SG_EINVAL;
    if (cap < n / g->per_byte)
        return SG_EBUSY;
    return g722_encode(g->enc, out, pcm, (int)n);
}

static int g722c_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    g722_codec *g = state;
    int got;

    if (len == 0 || len * g->per_byte > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (cap < len * g->per_byte)
        return SG_EBUSY;
    got = g722_decode(g->dec, pcm, in, (int)len);
    if (got > 0)
        codec_plc_rx(g->plc, pcm, (size_t)got);
    return got;
}

static int g722c_plc(void *state, int16_t *pcm, size_t n)
{
    g722_codec *g = state;

    return codec_plc_fillin(g->plc, pcm, n);
}

const sg_codec_desc codec_g722 = {
    .name = "G722", .fmtp = "", .payload_type = 9, .channels = 1,
    .clock_rate = 8000, .sample_rate = 16000, .frame_ms = 20,
    .create = g722c_create, .destroy = g722c_destroy,
    .encode = g722c_encode, .decode = g722c_decode, .plc = g722c_plc, .decode_fec = NULL,
};
