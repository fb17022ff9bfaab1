/* Opus through the codec table: NB/WB instances, option validation, RTP clock 48 kHz,
 * round trip fidelity (level and frequency, plus waveform SNR on a steady tone), PLC and
 * in-band FEC recovery, corrupt packets. Opus is perceptual, so speech waveform SNR is not
 * a fair score; the sine SNR and spectral checks are. */
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/codec.h"


SG_TEST(opus_options_and_geometry)
{
    sg_codec c;
    sg_codec_opts_t o = { 0 };

    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(c.rate, 8000);
    SG_CHECK_EQ_INT(c.frame_samples, 160);
    SG_CHECK_EQ_INT(codec_rtp_ticks(&c, 160), 960);
    codec_destroy(&c);
    o.sample_rate = 16000;
    o.complexity = 10;
    o.frame_ms = 60;
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_OK);
    SG_CHECK_EQ_INT(c.rate, 16000);
    SG_CHECK_EQ_INT(c.frame_samples, 960);
    SG_CHECK_EQ_INT(codec_rtp_ticks(&c, 320), 960);
    codec_destroy(&c);
    o = (sg_codec_opts_t){ .sample_rate = 44100 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_EINVAL);
    o = (sg_codec_opts_t){ .complexity = 11 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_EINVAL);
    o = (sg_codec_opts_t){ .bitrate = 100 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_EINVAL);
    o = (sg_codec_opts_t){ .frame_ms = 25 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_EINVAL);
    o = (sg_codec_opts_t){ .frame_ms = 30 };  /* not an Opus frame size */
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_EINVAL);
    o = (sg_codec_opts_t){ .frame_ms = 40 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_OK);
    SG_CHECK_EQ_INT(c.frame_samples, 320);
    codec_destroy(&c);
}

/* Encodes and decodes `n` samples at c's rate in 20 ms frames; returns total payload bytes. */
static long opus_run(sg_codec *c, const int16_t *in, int16_t *out, size_t n)
{
    uint8_t pay[CODEC_MAX_PAYLOAD];
    size_t f = c->frame_samples;
    long total = 0;

    for (size_t i = 0; i + f <= n; i += f) {
        int bytes = codec_encode(c, in + i, f, pay, sizeof(pay));
        if (bytes <= 0 || codec_decode(c, pay, (size_t)bytes, out + i, f) != (int)f)
            return -1;
        total += bytes;
    }
    return total;
}

SG_TEST(opus_nb_round_trip)
{
    enum { N = 8000 * 3 };
    static int16_t in[N], out[N];
    sg_codec c;
    size_t delay = 0;
    long bytes;
    double snr, lvl_in, lvl_out, g_in, g_out, g_off;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, NULL), SG_OK);
    sig_sine(in, N, 700.0, sig_dbm0_to_peak(-10.0), 8000.0, NULL);
    bytes = opus_run(&c, in, out, N);
    SG_CHECK(bytes > 0);
    /* skip the first second (encoder start-up), align by the codec delay */
    snr = sig_snr_best(in + 8000, out + 8000, N - 8000, 200, &delay);
    lvl_in = sig_rms(in + 8000, N - 16000);
    lvl_out = sig_rms(out + 8000 + delay, N - 16000);
    g_in = sig_goertzel(out + 8000, N - 8000, 700.0, 8000.0);
    g_off = sig_goertzel(out + 8000, N - 8000, 1900.0, 8000.0);
    g_out = 10.0 * log10(g_in / (g_off + 1e-9));
    printf("  opus NB cplx %d: %.1f kbit/s, 700 Hz sine SNR %.1f dB (delay %zu), level %+.2f dB, "
           "tone/off-tone %.0f dB\n", SG_OPUS_COMPLEXITY_DEFAULT, bytes * 8.0 / 3000.0, snr, delay,
           20.0 * log10(lvl_out / lvl_in), g_out);
    SG_CHECK(snr > 10.0);
    SG_CHECK(fabs(20.0 * log10(lvl_out / lvl_in)) < 1.5);
    SG_CHECK(g_out > 40.0);
    SG_CHECK(bytes * 8.0 / 3000.0 < 24.0);  /* about the 20 kbit/s target */
    codec_destroy(&c);
}

SG_TEST(opus_wb_speech_level_and_spectrum)
{
    enum { N = 16000 * 3 };
    static int16_t in[N], out[N];
    sg_codec c;
    sg_codec_opts_t o = { .sample_rate = 16000 };
    size_t delay = 0;
    double snr, lvl_in, lvl_out;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, &o), SG_OK);
    sig_speech(in, N, 16000.0, -16.0, 3);
    SG_CHECK(opus_run(&c, in, out, N) > 0);
    snr = sig_snr_best(in + 16000, out + 16000, N - 16000, 400, &delay);
    lvl_in = sig_rms(in + 16000, N - 32000);
    lvl_out = sig_rms(out + 16000 + delay, N - 32000);
    printf("  opus WB speech-like: waveform SNR %.1f dB (delay %zu), level %+.2f dB\n", snr, delay,
           20.0 * log10(lvl_out / lvl_in));
    SG_CHECK(fabs(20.0 * log10(lvl_out / lvl_in)) < 3.0);
    SG_CHECK(snr > 3.0);
    codec_destroy(&c);
}

/* Every 5th frame lost (20 %). One decoder rebuilds each lost frame from the next packet's
 * in-band FEC, the other only conceals. Both are scored against the lossless decode of the
 * same packets (waveform SNR against the source is not meaningful for SILK). */
SG_TEST(opus_fec_beats_plc)
{
    enum { F = 160, FRAMES = 150, N = F * FRAMES };
    static int16_t in[N], ref[N], fec[N], plc[N];
    static uint8_t pay[FRAMES][CODEC_MAX_PAYLOAD];
    int len[FRAMES];
    sg_codec enc, d_ref, d_fec, d_plc;
    double s_fec, s_plc;

    SG_CHECK_EQ_INT(codec_create(&enc, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&d_ref, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&d_fec, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&d_plc, &codec_opus, NULL), SG_OK);
    sig_speech(in, N, 8000.0, -16.0, 11);
    for (int i = 0; i < FRAMES; i++) {
        len[i] = codec_encode(&enc, in + i * F, F, pay[i], CODEC_MAX_PAYLOAD);
        SG_CHECK(len[i] > 0);
        if (len[i] <= 0)
            goto out;
    }
    for (int i = 0; i < FRAMES; i++) {
        int16_t *f = fec + i * F, *p = plc + i * F;
        SG_CHECK_EQ_INT(codec_decode(&d_ref, pay[i], (size_t)len[i], ref + i * F, F), F);
        if (i % 5 == 3) {
            SG_CHECK_EQ_INT(codec_decode_fec(&d_fec, pay[i + 1], (size_t)len[i + 1], f, F), F);
            SG_CHECK_EQ_INT(codec_plc(&d_plc, p, F), F);
        } else {
            SG_CHECK_EQ_INT(codec_decode(&d_fec, pay[i], (size_t)len[i], f, F), F);
            SG_CHECK_EQ_INT(codec_decode(&d_plc, pay[i], (size_t)len[i], p, F), F);
        }
    }
    s_fec = sig_snr_db(ref, fec, N, 0);
    s_plc = sig_snr_db(ref, plc, N, 0);
    printf("  opus NB default, 20 %% loss: SNR vs lossless decode: with FEC %.1f dB, PLC only %.1f dB\n",
           s_fec, s_plc);
    SG_CHECK(s_fec > s_plc + 6.0);
    SG_CHECK_EQ_INT(codec_plc(&d_plc, plc, 7), SG_EINVAL);
out:
    codec_destroy(&enc);
    codec_destroy(&d_ref);
    codec_destroy(&d_fec);
    codec_destroy(&d_plc);
}

SG_TEST(opus_rejects_bad_frames_and_packets)
{
    sg_codec c;
    int16_t pcm[960] = { 0 };
    uint8_t pay[CODEC_MAX_PAYLOAD];
    /* TOC byte config 31 (CELT FB 20 ms), code 3 (arbitrary frames) with a frame count of 0:
     * an invalid packet per RFC 6716 §3.2.5 */
    static const uint8_t bad[] = { 0xFB, 0x00 };

    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 150, pay, sizeof(pay)), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 160, pay, 0), SG_EBUSY);
    SG_CHECK_EQ_INT(codec_decode(&c, bad, sizeof(bad), pcm, 960), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_decode(&c, bad, 0, pcm, 960), SG_EINVAL);
    /* 60 ms frame encodes; decoding it into a 20 ms buffer reports "too small" */
    int n = codec_encode(&c, pcm, 480, pay, sizeof(pay));
    SG_CHECK(n > 0);
    SG_CHECK_EQ_INT(codec_decode(&c, pay, (size_t)n, pcm, 160), SG_EBUSY);
    SG_CHECK_EQ_INT(codec_decode(&c, pay, (size_t)n, pcm, 960), 480);
    codec_destroy(&c);
}

/* codec_set_loss reaches the Opus encoder (RTCP-reported loss tunes its FEC); codecs without
 * redundancy report SG_ENOSYS. */
SG_TEST(opus_set_loss)
{
    sg_codec c, pcmu;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_opus, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_set_loss(&c, 0), SG_OK);
    SG_CHECK_EQ_INT(codec_set_loss(&c, 30), SG_OK);
    SG_CHECK_EQ_INT(codec_set_loss(&c, 101), SG_EINVAL);
    codec_destroy(&c);
    SG_CHECK_EQ_INT(codec_set_loss(&c, 5), SG_ESTATE);
    SG_CHECK_EQ_INT(codec_create(&pcmu, &codec_pcmu, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_set_loss(&pcmu, 5), SG_ENOSYS);
    codec_destroy(&pcmu);
}
