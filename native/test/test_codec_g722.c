/* G.722 64k (spandsp) through the codec table: frame sizes, RTP clock, round-trip SNR on a
 * sine and on speech-like audio (after the codec's 22-sample QMF delay), PLC. */
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/codec.h"
#include "codec/resample.h"

enum { G722_SEC = 16000 };

static double g722_round_trip(const int16_t *in, int16_t *out, size_t n, size_t *delay)
{
    sg_codec c;
    uint8_t pay[160];

    if (codec_create(&c, &codec_g722, NULL) != SG_OK)
        return -1000.0;
    for (size_t i = 0; i + 320 <= n; i += 320) {
        int bytes = codec_encode(&c, in + i, 320, pay, sizeof(pay));
        int got = bytes == 160 ? codec_decode(&c, pay, 160, out + i, 320) : -1;
        if (got != 320) {
            codec_destroy(&c);
            return -1000.0;
        }
    }
    codec_destroy(&c);
    return sig_snr_best(in, out, n, 40, delay);
}

SG_TEST(g722_frame_geometry)
{
    sg_codec c;
    int16_t pcm[320] = { 0 };
    uint8_t pay[160];

    SG_CHECK_EQ_INT(codec_create(&c, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(c.rate, 16000);
    SG_CHECK_EQ_INT(c.frame_samples, 320);
    /* RFC 3551: G722 is clocked at 8000 Hz although it samples at 16 kHz. */
    SG_CHECK_EQ_INT(c.desc->clock_rate, 8000);
    SG_CHECK_EQ_INT(codec_rtp_ticks(&c, 320), 160);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 320, pay, sizeof(pay)), 160);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 319, pay, sizeof(pay)), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 320, pay, 159), SG_EBUSY);
    SG_CHECK_EQ_INT(codec_decode(&c, pay, 160, pcm, 319), SG_EBUSY);
    codec_destroy(&c);
}

SG_TEST(g722_sine_and_speech_snr)
{
    static int16_t in[2 * G722_SEC], out[2 * G722_SEC];
    size_t d_sine = 0, d_speech = 0;
    double s_sine, s_speech;

    sig_sine(in, 2 * G722_SEC, 1000.0, sig_dbm0_to_peak(-10.0), 16000.0, NULL);
    s_sine = g722_round_trip(in, out, 2 * G722_SEC, &d_sine);
    sig_speech(in, 2 * G722_SEC, 16000.0, -16.0, 7);
    s_speech = g722_round_trip(in, out, 2 * G722_SEC, &d_speech);
    printf("  g722 round trip: sine 1 kHz -10 dBm0 SNR %.1f dB (delay %zu), speech-like -16 dBm0 "
           "SNR %.1f dB (delay %zu)\n", s_sine, d_sine, s_speech, d_speech);
    /* native.md §2.4 measured 36.8 dB; ADPCM on a steady tone does better than on speech. */
    SG_CHECK(s_sine > 30.0);
    SG_CHECK(s_speech > 20.0);
    SG_CHECK_EQ_INT(d_speech, 22);  /* the sine's delay is ambiguous by its period */
}

SG_TEST(g722_plc_continues)
{
    sg_codec c;
    int16_t pcm[320], out[320];
    uint8_t pay[160];
    double ph = 0.0, lvl;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_g722, NULL), SG_OK);
    for (int i = 0; i < 10; i++) {
        sig_sine(pcm, 320, 300.0, 8000.0, 16000.0, &ph);
        codec_encode(&c, pcm, 320, pay, sizeof(pay));
        codec_decode(&c, pay, 160, out, 320);
    }
    lvl = sig_rms(out, 320);
    SG_CHECK_EQ_INT(codec_plc(&c, out, 320), 320);
    SG_CHECK(sig_rms(out, 320) > 0.3 * lvl);
    codec_destroy(&c);
}

/* 8 kHz mode (lower band only): 160 samples <-> 160 bytes per 20 ms, RTP ticks equal
 * samples, and the payload decodes with a normal 16 kHz decoder. */
SG_TEST(g722_8k_mode)
{
    enum { N = 8000 * 2 };
    static int16_t in[N], out[N], wide[2 * N];
    static uint8_t pay[N];
    sg_codec c, wb;
    sg_codec_opts_t o = { .sample_rate = 8000 };
    size_t d = 0;
    double snr, lvl8, lvl16;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_g722, &o), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&wb, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(c.rate, 8000);
    SG_CHECK_EQ_INT(c.frame_samples, 160);
    SG_CHECK_EQ_INT(codec_rtp_ticks(&c, 160), 160);
    sig_speech(in, N, 8000.0, -16.0, 21);
    for (size_t i = 0; i < N; i += 160) {
        SG_CHECK_EQ_INT(codec_encode(&c, in + i, 160, pay + i, 160), 160);
        SG_CHECK_EQ_INT(codec_decode(&c, pay + i, 160, out + i, 160), 160);
        SG_CHECK_EQ_INT(codec_decode(&wb, pay + i, 160, wide + 2 * i, 320), 320);
    }
    snr = sig_snr_best(in, out, N, 40, &d);
    lvl8 = sig_rms(out + N / 2, N / 2);
    lvl16 = sig_rms(wide + N, N);
    printf("  g722 8 kHz mode: speech-like SNR %.1f dB (delay %zu); 16 kHz decoder level vs 8 kHz "
           "%+.1f dB\n", snr, d, 20.0 * log10(lvl16 / lvl8));
    SG_CHECK(snr > 20.0);
    SG_CHECK(fabs(20.0 * log10(lvl16 / lvl8)) < 1.5);
    codec_destroy(&c);
    codec_destroy(&wb);
}

/* Toward a real (16 kHz) G.722 peer, the 8 kHz lower-band mode is not transparent: the
 * peer's QMF synthesis expects the upper band to cancel the lower band's aliasing, and with
 * an empty upper band a narrowband tone at f comes out with an image at 8 kHz - f; the other
 * way, wideband content at 8 kHz - f folds into f when only the lower band is decoded. The
 * resampled 16 kHz path (what the transcoding relay uses) keeps both far down. Prints the
 * 8 kHz mode's figures; asserts the 16 kHz path's. */
SG_TEST(g722_8k_mode_images_vs_the_resampled_16k_path)
{
    enum { N8 = 8000, N16 = 16000 };
    static int16_t in8[N8], in16[N16], up16[N16], w8[N16], w16[N16], n8[N8], n16[N8];
    static uint8_t pay[160];
    sg_codec enc8, enc16, enc16b, dec16a, dec16b, dec16c, dec8;
    sg_codec_opts_t o = { .sample_rate = 8000 };
    sg_resampler *up = resample_create(8000, 16000, -1), *down = resample_create(16000, 8000, -1);
    double ph8 = 0, ph16 = 0, img8, img16, al8, al16, t8, t16, tw;

    SG_CHECK(up != NULL && down != NULL);
    SG_CHECK_EQ_INT(codec_create(&enc8, &codec_g722, &o), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&dec8, &codec_g722, &o), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&enc16, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&enc16b, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&dec16a, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&dec16b, &codec_g722, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&dec16c, &codec_g722, NULL), SG_OK);
    sig_sine(in8, N8, 3400.0, sig_dbm0_to_peak(-10.0), 8000.0, &ph8);     /* narrowband side */
    sig_sine(in16, N16, 4600.0, sig_dbm0_to_peak(-10.0), 16000.0, &ph16); /* wideband side */
    for (size_t i = 0; i < N8; i += 160) {
        /* narrowband -> peer: 8 kHz mode, and upsample + 16 kHz encode; the peer decodes at 16 kHz */
        SG_CHECK_EQ_INT(codec_encode(&enc8, in8 + i, 160, pay, 160), 160);
        SG_CHECK_EQ_INT(codec_decode(&dec16a, pay, 160, w8 + 2 * i, 320), 320);
        SG_CHECK_EQ_INT(resample_run(up, in8 + i, 160, up16 + 2 * i, 320), 320);
        SG_CHECK_EQ_INT(codec_encode(&enc16, up16 + 2 * i, 320, pay, 160), 160);
        SG_CHECK_EQ_INT(codec_decode(&dec16b, pay, 160, w16 + 2 * i, 320), 320);
        /* peer -> narrowband: the wideband payload decoded by the 8 kHz mode, or at 16 kHz + downsample */
        SG_CHECK_EQ_INT(codec_encode(&enc16b, in16 + 2 * i, 320, pay, 160), 160);
        SG_CHECK_EQ_INT(codec_decode(&dec8, pay, 160, n8 + i, 160), 160);
        {
            int16_t tmp[320];
            SG_CHECK_EQ_INT(codec_decode(&dec16c, pay, 160, tmp, 320), 320);
            SG_CHECK_EQ_INT(resample_run(down, tmp, 320, n16 + i, 160), 160);
        }
    }
    /* second half only (settled); power per sample on each side's own rate */
    t8 = sig_goertzel(w8 + N16 / 2, N16 / 2, 3400.0, 16000.0);
    img8 = sig_goertzel(w8 + N16 / 2, N16 / 2, 4600.0, 16000.0);
    t16 = sig_goertzel(w16 + N16 / 2, N16 / 2, 3400.0, 16000.0);
    img16 = sig_goertzel(w16 + N16 / 2, N16 / 2, 4600.0, 16000.0);
    tw = sig_goertzel(in16 + N16 / 2, N16 / 2, 4600.0, 16000.0);
    al8 = sig_goertzel(n8 + N8 / 2, N8 / 2, 3400.0, 8000.0);
    al16 = sig_goertzel(n16 + N8 / 2, N8 / 2, 3400.0, 8000.0);
    printf("  g722 toward a 16 kHz peer, 3.4 kHz tone -> image at 4.6 kHz: 8 kHz mode %.1f dB, resampled "
           "16 kHz path %.1f dB\n", 10.0 * log10(img8 / t8), 10.0 * log10(img16 / t16));
    printf("  g722 from a 16 kHz peer, 4.6 kHz tone -> alias at 3.4 kHz: 8 kHz mode %.1f dB, 16 kHz decode "
           "+ resample %.1f dB\n", 10.0 * log10(al8 / tw), 10.0 * log10(al16 / tw));
    SG_CHECK(t16 > 0.5 * t8);                     /* the tone itself gets through */
    SG_CHECK(10.0 * log10(img16 / t16) < -50.0);
    SG_CHECK(10.0 * log10(al16 / tw) < -45.0);
    codec_destroy(&enc8);
    codec_destroy(&dec8);
    codec_destroy(&enc16);
    codec_destroy(&enc16b);
    codec_destroy(&dec16a);
    codec_destroy(&dec16b);
    codec_destroy(&dec16c);
    resample_destroy(up);
    resample_destroy(down);
}
