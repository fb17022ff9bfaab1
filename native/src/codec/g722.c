/* G.722 at 64 kbit/s (spandsp), 16 kHz PCM. RTP payload type 9 with an RTP clock of 8000 Hz,
 * an error kept in RFC 3551 §4.5.2 for compatibility with RFC 1890: timestamps advance by
 * half the number of PCM samples. Concealment reuses spandsp's plc_t on the 16 kHz signal:
 * its pitch search then covers 133-400 Hz instead of 66-200 Hz, which still gives a smooth,
 * fading repeat rather than a gap (TODO(next): a 16 kHz-aware PLC if listening tests ask). */
#include <stdlib.h>
#include <spandsp.h>
#include "codec/codec.h"

typedef struct g722_codec {
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

    if (opts->sample_rate != 0 && opts->sample_rate != 16000) {
        *err = SG_EINVAL;
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        goto nomem;
    g->enc = g722_encode_init(NULL, 64000, 0);
    g->dec = g722_decode_init(NULL, 64000, 0);
    g->plc = plc_init(NULL);
    if (g->enc == NULL || g->dec == NULL || g->plc == NULL)
        goto nomem;
    *rate = 16000;
    return g;
nomem:
    g722c_destroy(g);
    *err = SG_ENOMEM;
    return NULL;
}

/* 64 kbit/s: one byte per two 16 kHz samples. */
static int g722c_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    g722_codec *g = state;

    if (n == 0 || n > CODEC_MAX_FRAME_SAMPLES || (n & 1) != 0)
        return SG_EINVAL;
    if (cap < n / 2)
        return SG_EBUSY;
    return g722_encode(g->enc, out, pcm, (int)n);
}

static int g722c_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    g722_codec *g = state;
    int got;

    if (len == 0 || len * 2 > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (cap < len * 2)
        return SG_EBUSY;
    got = g722_decode(g->dec, pcm, in, (int)len);
    if (got > 0)
        plc_rx(g->plc, pcm, got);
    return got;
}

static int g722c_plc(void *state, int16_t *pcm, size_t n)
{
    g722_codec *g = state;

    if (n < CODEC_PLC_MIN_SAMPLES || n > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    plc_fillin(g->plc, pcm, (int)n);
    return (int)n;
}

const sg_codec_desc codec_g722 = {
    .name = "G722", .fmtp = "", .payload_type = 9, .channels = 1,
    .clock_rate = 8000, .sample_rate = 16000, .frame_ms = 20,
    .create = g722c_create, .destroy = g722c_destroy,
    .encode = g722c_encode, .decode = g722c_decode, .plc = g722c_plc, .decode_fec = NULL,
};
