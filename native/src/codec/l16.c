/* L16: 16-bit linear PCM in network byte order (RFC 3551 §4.5.11), for internal legs and
 * tests at 8 and 16 kHz (dynamic payload types; RFC 3551's static PTs 10/11 are 44.1 kHz).
 * Concealment is spandsp's plc_t. */
#include <stdlib.h>
#include <spandsp.h>
#include "codec/codec.h"
#include "codec/plc.h"

static void *l16_create(uint32_t want, const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    plc_state_t *plc;

    if (opts->sample_rate != 0 && opts->sample_rate != want) {
        *err = SG_EINVAL;
        return NULL;
    }
    plc = plc_init(NULL);
    if (plc == NULL) {
        *err = SG_ENOMEM;
        return NULL;
    }
    *rate = want;
    return plc;
}

static void *l16_create_8k(const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    return l16_create(8000, opts, rate, err);
}

static void *l16_create_16k(const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    return l16_create(16000, opts, rate, err);
}

static void l16_destroy(void *state)
{
    plc_free(state);
}

static int l16_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (n == 0 || n > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (cap < n * 2)
        return SG_EBUSY;
    for (size_t i = 0; i < n; i++) {
        uint16_t v = (uint16_t)pcm[i];
        out[2 * i] = (uint8_t)(v >> 8);
        out[2 * i + 1] = (uint8_t)v;
    }
    return (int)(n * 2);
}

static int l16_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    size_t n = len / 2;

    if (len == 0 || (len & 1) != 0 || n > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (cap < n)
        return SG_EBUSY;
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(uint16_t)((in[2 * i] << 8) | in[2 * i + 1]);
    codec_plc_rx(state, pcm, (size_t)n);
    return (int)n;
}

static int l16_plc(void *state, int16_t *pcm, size_t n)
{
    return codec_plc_fillin(state, pcm, n);
}

const sg_codec_desc codec_l16_8k = {
    .name = "L16", .fmtp = "", .payload_type = 118, .channels = 1,
    .clock_rate = 8000, .sample_rate = 8000, .frame_ms = 20,
    .create = l16_create_8k, .destroy = l16_destroy,
    .encode = l16_encode, .decode = l16_decode, .plc = l16_plc, .decode_fec = NULL,
};

const sg_codec_desc codec_l16_16k = {
    .name = "L16", .fmtp = "", .payload_type = 119, .channels = 1,
    .clock_rate = 16000, .sample_rate = 16000, .frame_ms = 20,
    .create = l16_create_16k, .destroy = l16_destroy,
    .encode = l16_encode, .decode = l16_decode, .plc = l16_plc, .decode_fec = NULL,
};
