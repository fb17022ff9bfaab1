/* G.711: known code points, bit-exactness against the ITU-T G.191 reference algorithm and
 * spandsp's independent implementation, round trips, SNR, and the PCMU/PCMA codecs + PLC. */
#include <spandsp.h>
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/codec.h"
#include "codec/g711.h"

/* Encoder code points, 16-bit linear in. µ-law uses the top 14 bits (x >> 2) plus bias 33;
 * A-law the top 12 magnitude bits (x >> 4) with even bits inverted (XOR 0x55). Negative
 * inputs use the one's complement magnitude, as the G.191 reference does. */
static const struct {
    int16_t lin;
    uint8_t ulaw;
    uint8_t alaw;
} enc_points[] = {
    { 0, 0xFF, 0xD5 },       /* µ: positive zero; A: 0x80 ^ 0x55 */
    { -1, 0x7F, 0x55 },      /* one's complement: -1 is negative zero in both laws */
    { 32767, 0x80, 0xAA },   /* positive full scale: segment 7, step 15 */
    { -32768, 0x00, 0x2A },  /* negative full scale */
    { 120, 0xF0, 0xD2 },     /* µ: 30 + 33 = 63, top of segment 0 */
    { 124, 0xEF, 0xD2 },     /* µ: 31 + 33 = 64, first value of segment 1 */
    { -124, 0x70, 0x52 },    /* µ: one's complement magnitude 30 -> mirror of +120 (0xF0) */
    { 252, 0xE7, 0xDA },     /* A: 12-bit 15, last value of segment 0 */
    { 256, 0xE7, 0xC5 },     /* A: 12-bit 16, first value of segment 1 */
    { 496, 0xDC, 0xCA },     /* A: 12-bit 31, last value of segment 1 */
    { 512, 0xDB, 0xF5 },     /* A: 12-bit 32, first value of segment 2 */
    { 1000, 0xCE, 0xFA },
    { -1000, 0x4E, 0x7A },   /* negative mirrors with the sign bit cleared */
};

/* Decoder code points: the reconstruction value is the middle of the decision interval. */
static const struct {
    uint8_t code;
    int16_t ulaw_lin;
    int16_t alaw_lin;
} dec_points[] = {
    { 0x00, -32124, -5504 },  /* µ: segment 7 step 15: 16384 + 15*1024 + 512 - 132 */
    { 0x80, 32124, 5504 },    /* A: 0x80^0x55 = seg 5 step 5: ((21 << 4) + 8) << 4 */
    { 0xFF, 0, 848 },         /* A: seg 2 step 10: ((26 << 4) + 8) << 1 */
    { 0x7F, 0, -848 },
    { 0xF0, 120, 688 },       /* µ: 128 + 8*15 + 4 - 132 */
    { 0xEF, 132, 1696 },      /* µ: 256 + 0 + 8 - 132 */
    { 0xD5, 716, 8 },         /* A: smallest positive value */
    { 0x55, -716, -8 },
    { 0xAA, 5372, 32256 },    /* A: full scale: ((31 << 4) + 8) << 6 */
    { 0x2A, -5372, -32256 },
};

SG_TEST(g711_known_encode_points)
{
    for (size_t i = 0; i < sizeof(enc_points) / sizeof(enc_points[0]); i++) {
        SG_CHECK_EQ_INT(g711_linear_to_ulaw(enc_points[i].lin), enc_points[i].ulaw);
        SG_CHECK_EQ_INT(g711_linear_to_alaw(enc_points[i].lin), enc_points[i].alaw);
    }
}

SG_TEST(g711_known_decode_points)
{
    for (size_t i = 0; i < sizeof(dec_points) / sizeof(dec_points[0]); i++) {
        SG_CHECK_EQ_INT(g711_ulaw_to_linear(dec_points[i].code), dec_points[i].ulaw_lin);
        SG_CHECK_EQ_INT(g711_alaw_to_linear(dec_points[i].code), dec_points[i].alaw_lin);
    }
}

SG_TEST(g711_tables_match_reference_for_every_input)
{
    int bad_u = 0, bad_a = 0;
    for (int x = -32768; x <= 32767; x++) {
        bad_u += g711_linear_to_ulaw((int16_t)x) != g711_ref_linear_to_ulaw((int16_t)x);
        bad_a += g711_linear_to_alaw((int16_t)x) != g711_ref_linear_to_alaw((int16_t)x);
    }
    for (int c = 0; c < 256; c++) {
        bad_u += g711_ulaw_to_linear((uint8_t)c) != g711_ref_ulaw_to_linear((uint8_t)c);
        bad_a += g711_alaw_to_linear((uint8_t)c) != g711_ref_alaw_to_linear((uint8_t)c);
    }
    SG_CHECK_EQ_INT(bad_u, 0);
    SG_CHECK_EQ_INT(bad_a, 0);
}

/* spandsp is an independent implementation. A-law agrees everywhere. spandsp's µ-law takes
 * the two's complement magnitude of negative inputs where G.191 takes the one's complement,
 * so the two may differ only for negative inputs, and then by exactly one quantisation step. */
SG_TEST(g711_agrees_with_spandsp)
{
    int bad_a = 0, bad_u_pos = 0, bad_u_neg_far = 0, diff_u_neg = 0;
    for (int x = -32768; x <= 32767; x++) {
        uint8_t ours = g711_linear_to_ulaw((int16_t)x), theirs = linear_to_ulaw(x);
        bad_a += g711_linear_to_alaw((int16_t)x) != linear_to_alaw(x);
        if (ours == theirs)
            continue;
        if (x >= 0) {
            bad_u_pos++;
        } else {
            diff_u_neg++;
            bad_u_neg_far += abs((int)ours - (int)theirs) != 1;
        }
    }
    for (int c = 0; c < 256; c++) {
        bad_a += g711_alaw_to_linear((uint8_t)c) != alaw_to_linear((uint8_t)c);
        bad_u_pos += g711_ulaw_to_linear((uint8_t)c) != ulaw_to_linear((uint8_t)c);
    }
    SG_CHECK_EQ_INT(bad_a, 0);
    SG_CHECK_EQ_INT(bad_u_pos, 0);
    SG_CHECK_EQ_INT(bad_u_neg_far, 0);
    SG_CHECK(diff_u_neg < 256);  /* only at segment/step boundaries */
}

/* decode -> encode is the identity on every code, except µ-law negative zero 0x7F, which
 * decodes to 0 and re-encodes as positive zero 0xFF. */
SG_TEST(g711_code_round_trip)
{
    for (int c = 0; c < 256; c++) {
        uint8_t u = g711_linear_to_ulaw(g711_ulaw_to_linear((uint8_t)c));
        uint8_t a = g711_linear_to_alaw(g711_alaw_to_linear((uint8_t)c));
        SG_CHECK_EQ_INT(u, c == 0x7F ? 0xFF : c);
        SG_CHECK_EQ_INT(a, c);
    }
}

SG_TEST(g711_ulaw_alaw_conversion)
{
    uint8_t u[256], a[256], back[256];
    for (int c = 0; c < 256; c++)
        u[c] = (uint8_t)c;
    g711_ulaw_to_alaw(a, u, 256);
    g711_alaw_to_ulaw(back, a, 256);
    for (int c = 0; c < 256; c++) {
        /* each conversion stays within one step of the exact decoded value */
        int lu = g711_ulaw_to_linear((uint8_t)c), lb = g711_ulaw_to_linear(back[c]);
        SG_CHECK(abs(lu - lb) <= (abs(lu) >> 3) + 16);
    }
    SG_CHECK_EQ_INT(a[0xFF], 0xD5);  /* 0 -> 0 */
}

/* A -10 dBm0 1 kHz sine: the G.711 quantisation SNR is about 38 dB for both laws. */
SG_TEST(g711_sine_snr)
{
    enum { N = 8000 };
    static int16_t x[N], y[N];
    static uint8_t code[N];
    sig_sine(x, N, 1004.0, sig_dbm0_to_peak(-10.0), 8000.0, NULL);
    g711_ulaw_encode(code, x, N);
    g711_ulaw_decode(y, code, N);
    double su = sig_snr_db(x, y, N, 0);
    g711_alaw_encode(code, x, N);
    g711_alaw_decode(y, code, N);
    double sa = sig_snr_db(x, y, N, 0);
    printf("  g711 SNR at -10 dBm0: u-law %.1f dB, A-law %.1f dB\n", su, sa);
    SG_CHECK(su > 35.0 && su < 40.0);
    SG_CHECK(sa > 35.0 && sa < 40.0);
}

SG_TEST(g711_codec_descriptors)
{
    sg_codec pcmu, pcma;
    int16_t pcm[160], out[160];
    uint8_t pay[160];
    sg_codec_opts_t bad = { .sample_rate = 16000 };

    SG_CHECK_EQ_INT(codec_create(&pcmu, &codec_pcmu, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&pcma, &codec_pcma, NULL), SG_OK);
    SG_CHECK_EQ_INT(pcmu.rate, 8000);
    SG_CHECK_EQ_INT(pcmu.frame_samples, 160);
    sig_sine(pcm, 160, 440.0, 8000.0, 8000.0, NULL);
    SG_CHECK_EQ_INT(codec_encode(&pcmu, pcm, 160, pay, sizeof(pay)), 160);
    SG_CHECK_EQ_INT(pay[0], 0xFF);
    SG_CHECK_EQ_INT(codec_decode(&pcmu, pay, 160, out, 160), 160);
    SG_CHECK(sig_snr_db(pcm, out, 160, 0) > 30.0);
    SG_CHECK_EQ_INT(codec_encode(&pcma, pcm, 160, pay, sizeof(pay)), 160);
    SG_CHECK_EQ_INT(pay[0], 0xD5);
    SG_CHECK_EQ_INT(codec_decode(&pcma, pay, 160, out, 160), 160);
    SG_CHECK(sig_snr_db(pcm, out, 160, 0) > 30.0);
    /* errors: small output, empty payload, oversize frame, 16 kHz */
    SG_CHECK_EQ_INT(codec_encode(&pcmu, pcm, 160, pay, 100), SG_EBUSY);
    SG_CHECK_EQ_INT(codec_decode(&pcmu, pay, 0, out, 160), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_decode(&pcmu, pay, 160, out, 80), SG_EBUSY);
    codec_destroy(&pcmu);
    SG_CHECK_EQ_INT(codec_create(&pcmu, &codec_pcmu, &bad), SG_EINVAL);
    SG_CHECK(pcmu.desc == NULL);
    codec_destroy(&pcmu);
    codec_destroy(&pcma);
}

/* PLC: after voiced audio, a lost frame is filled with a continuation (non-silent, similar
 * level), and a long loss fades to silence instead of buzzing. */
SG_TEST(g711_plc_conceals_and_fades)
{
    enum { F = 160 };
    sg_codec c;
    int16_t pcm[F], out[F];
    uint8_t pay[F];
    double ph = 0.0, lvl_in, lvl_plc1, lvl_plc_late = 0.0;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_pcmu, NULL), SG_OK);
    for (int i = 0; i < 10; i++) {
        sig_sine(pcm, F, 200.0, 8000.0, 8000.0, &ph);
        codec_encode(&c, pcm, F, pay, F);
        codec_decode(&c, pay, F, out, F);
    }
    lvl_in = sig_rms(out, F);
    SG_CHECK_EQ_INT(codec_plc(&c, out, F), F);
    lvl_plc1 = sig_rms(out, F);
    for (int i = 0; i < 10; i++) {
        codec_plc(&c, out, F);
        lvl_plc_late = sig_rms(out, F);
    }
    printf("  g711 plc: input rms %.0f, first concealed frame %.0f, after 220 ms %.0f\n", lvl_in,
           lvl_plc1, lvl_plc_late);
    SG_CHECK(lvl_plc1 > 0.5 * lvl_in && lvl_plc1 < 1.5 * lvl_in);
    SG_CHECK(lvl_plc_late < 0.01 * lvl_in);
    SG_CHECK_EQ_INT(codec_plc(&c, out, 0), SG_EINVAL);
    codec_destroy(&c);
}

/* Regression: after 2 x 160 samples spandsp's 280-sample history ring sits at offset 40, where
 * spandsp 0.0.6's own rotation memcpy()s overlapping ranges (ASan: memcpy-param-overlap). The
 * wrapper rotates with memmove first; the ASan+UBSan run of this case guards it. The concealed
 * frame must equal the one from a concealer that got the same last 280 samples in one call
 * (its history needs no rotation). */
SG_TEST(g711_plc_history_rotation)
{
    sg_codec a, b;
    int16_t pcm[320], out_a[160], out_b[160];
    uint8_t pay[320];
    double ph = 0.0;

    SG_CHECK_EQ_INT(codec_create(&a, &codec_pcmu, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&b, &codec_pcmu, NULL), SG_OK);
    sig_sine(pcm, 320, 180.0, 6000.0, 8000.0, &ph);
    g711_ulaw_encode(pay, pcm, 320);
    codec_decode(&a, pay, 160, pcm, 160);
    codec_decode(&a, pay + 160, 160, pcm, 160);
    codec_decode(&b, pay + 40, 280, pcm, 280);   /* the same last 280 samples, ring at 0 */
    SG_CHECK_EQ_INT(codec_plc(&a, out_a, 160), 160);
    SG_CHECK_EQ_INT(codec_plc(&b, out_b, 160), 160);
    SG_CHECK_MEM(out_a, out_b, sizeof(out_a));
    codec_destroy(&a);
    codec_destroy(&b);
}
