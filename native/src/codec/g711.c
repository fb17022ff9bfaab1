/* G.711 µ-law (PCMU, PT 0) and A-law (PCMA, PT 8): tables, reference algorithms and the two
 * codec descriptors. Packet loss concealment is spandsp's G.711 Appendix I style plc_t. */
#include <errno.h>
#include <stdlib.h>
#include <spandsp.h>
#include "codec/codec.h"
#include "codec/plc.h"
#include "codec/g711.h"

uint8_t g711_ulaw_enc_table[16384];
uint8_t g711_alaw_enc_table[4096];
int16_t g711_ulaw_dec_table[256];
int16_t g711_alaw_dec_table[256];

/* G.191 ulaw_compress: one's complement magnitude of the top 14 bits, bias 33, 8 segments. */
uint8_t g711_ref_linear_to_ulaw(int16_t x)
{
    int absno = x < 0 ? (~(int)x) >> 2 : (int)x >> 2;
    int segno = 1, i, out;

    absno += 0x21;
    if (absno > 0x1FFF)
        absno = 0x1FFF;
    for (i = absno >> 6; i != 0; i >>= 1)
        segno++;
    out = ((8 - segno) << 4) | (0x0F - ((absno >> segno) & 0x0F));
    if (x >= 0)
        out |= 0x80;
    return (uint8_t)out;
}

/* G.191 ulaw_expand. */
int16_t g711_ref_ulaw_to_linear(uint8_t c)
{
    int m = (~c) & 0xFF;
    int exponent = (m >> 4) & 0x07;
    int mantissa = m & 0x0F;
    int step = 4 << (exponent + 1);
    int mag = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    return (int16_t)(c < 0x80 ? -mag : mag);
}

/* G.191 alaw_compress: one's complement magnitude of the top 12 bits + sign, even bits
 * inverted (XOR 0x55). */
uint8_t g711_ref_linear_to_alaw(int16_t x)
{
    int ix = x < 0 ? (~(int)x) >> 4 : (int)x >> 4;

    if (ix > 15) {
        int iexp = 1;
        while (ix > 16 + 15) {
            ix >>= 1;
            iexp++;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if (x >= 0)
        ix |= 0x80;
    return (uint8_t)(ix ^ 0x55);
}

/* G.191 alaw_expand. */
int16_t g711_ref_alaw_to_linear(uint8_t c)
{
    int ix = (c ^ 0x55) & 0x7F;
    int iexp = ix >> 4;
    int mant = ix & 0x0F;

    if (iexp > 0)
        mant += 16;
    mant = (mant << 4) + 8;
    if (iexp > 1)
        mant <<= iexp - 1;
    return (int16_t)(c > 127 ? mant : -mant);
}

__attribute__((constructor)) static void g711_build_tables(void)
{
    unsigned i;

    for (i = 0; i < 16384; i++)
        g711_ulaw_enc_table[i] = g711_ref_linear_to_ulaw((int16_t)(uint16_t)(i << 2));
    for (i = 0; i < 4096; i++)
        g711_alaw_enc_table[i] = g711_ref_linear_to_alaw((int16_t)(uint16_t)(i << 4));
    for (i = 0; i < 256; i++) {
        g711_ulaw_dec_table[i] = g711_ref_ulaw_to_linear((uint8_t)i);
        g711_alaw_dec_table[i] = g711_ref_alaw_to_linear((uint8_t)i);
    }
}

void g711_ulaw_encode(uint8_t *out, const int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = g711_linear_to_ulaw(pcm[i]);
}

void g711_alaw_encode(uint8_t *out, const int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = g711_linear_to_alaw(pcm[i]);
}

void g711_ulaw_decode(int16_t *pcm, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = g711_ulaw_to_linear(in[i]);
}

void g711_alaw_decode(int16_t *pcm, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = g711_alaw_to_linear(in[i]);
}

void g711_ulaw_to_alaw(uint8_t *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = g711_linear_to_alaw(g711_ulaw_to_linear(in[i]));
}

void g711_alaw_to_ulaw(uint8_t *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = g711_linear_to_ulaw(g711_alaw_to_linear(in[i]));
}

/* Codec instances: the only state is the concealment history. */

static void *g711_create(const sg_codec_opts_t *opts, uint32_t *rate, int *err)
{
    plc_state_t *plc;

    if (opts->sample_rate != 0 && opts->sample_rate != 8000) {
        *err = SG_EINVAL;
        return NULL;
    }
    plc = plc_init(NULL);
    if (plc == NULL) {
        *err = SG_ENOMEM;
        return NULL;
    }
    *rate = 8000;
    return plc;
}

static void g711_destroy(void *state)
{
    plc_free(state);
}

/* G.711 frames are any whole number of samples; 1 byte per sample. */
static int g711_check(size_t n, size_t cap)
{
    if (n == 0 || n > CODEC_MAX_FRAME_SAMPLES)
        return SG_EINVAL;
    if (cap < n)
        return SG_EBUSY;
    return SG_OK;
}

static int pcmu_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    int rc = g711_check(n, cap);
    if (rc != SG_OK)
        return rc;
    g711_ulaw_encode(out, pcm, n);
    return (int)n;
}

static int pcma_encode(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    int rc = g711_check(n, cap);
    if (rc != SG_OK)
        return rc;
    g711_alaw_encode(out, pcm, n);
    return (int)n;
}

static int pcmu_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    int rc = g711_check(len, cap);
    if (rc != SG_OK)
        return rc;
    g711_ulaw_decode(pcm, in, len);
    codec_plc_rx(state, pcm, (size_t)len);
    return (int)len;
}

static int pcma_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    int rc = g711_check(len, cap);
    if (rc != SG_OK)
        return rc;
    g711_alaw_decode(pcm, in, len);
    codec_plc_rx(state, pcm, (size_t)len);
    return (int)len;
}

static int g711_plc(void *state, int16_t *pcm, size_t n)
{
    return codec_plc_fillin(state, pcm, n);
}

const sg_codec_desc codec_pcmu = {
    .name = "PCMU", .fmtp = "", .payload_type = 0, .channels = 1,
    .clock_rate = 8000, .sample_rate = 8000, .frame_ms = 20,
    .create = g711_create, .destroy = g711_destroy,
    .encode = pcmu_encode, .decode = pcmu_decode, .plc = g711_plc, .decode_fec = NULL,
};

const sg_codec_desc codec_pcma = {
    .name = "PCMA", .fmtp = "", .payload_type = 8, .channels = 1,
    .clock_rate = 8000, .sample_rate = 8000, .frame_ms = 20,
    .create = g711_create, .destroy = g711_destroy,
    .encode = pcma_encode, .decode = pcma_decode, .plc = g711_plc, .decode_fec = NULL,
};
