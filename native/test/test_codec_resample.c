/* speexdsp resampling among 8/16/48 kHz: exact frame lengths, frequency preservation
 * (Goertzel on a sine), anti-alias rejection, quality bounds, pass-through. */
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/resample.h"

/* Runs 1 s of a sine at `freq` through in_rate -> out_rate in 20 ms frames and returns the
 * Goertzel power at `freq` in the second half of the output (after the filter settles)
 * relative to the input sine's power, in dB. *purity_db receives the share of the output
 * power that sits at `freq` (0 dB = all of it). */
static double tone_through(uint32_t in_rate, uint32_t out_rate, int quality, double freq,
                           double *purity_db, int *frames_ok)
{
    enum { SEC = 1 };
    static int16_t in[48000 * SEC], out[48000 * SEC];
    sg_resampler *r = resample_create(in_rate, out_rate, quality);
    size_t fin = in_rate / 50, fout = out_rate / 50, nin = in_rate * SEC, nout = 0;
    double p_in, p_out;

    *frames_ok = r != NULL;
    if (r == NULL)
        return -1000.0;
    sig_sine(in, nin, freq, 10000.0, (double)in_rate, NULL);
    for (size_t i = 0; i + fin <= nin; i += fin) {
        int got = resample_run(r, in + i, fin, out + nout, fout);
        if (got != (int)fout)
            *frames_ok = 0;
        nout += got > 0 ? (size_t)got : 0;
    }
    resample_destroy(r);
    p_in = sig_goertzel(in + nin / 2, nin / 2, freq, (double)in_rate);
    p_out = sig_goertzel(out + nout / 2, nout / 2, freq, (double)out_rate);
    *purity_db = 10.0 * log10((p_out + 1e-12) / (sig_power(out + nout / 2, nout / 2) + 1e-12));
    return 10.0 * log10((p_out + 1e-12) / p_in);
}

SG_TEST(resample_preserves_frequency_and_level)
{
    static const uint32_t rates[][2] = {
        { 8000, 16000 }, { 16000, 8000 }, { 8000, 48000 }, { 48000, 8000 }, { 16000, 48000 }, { 48000, 16000 },
    };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        int ok = 0;
        double purity = -1000.0;
        double g = tone_through(rates[i][0], rates[i][1], -1, 1000.0, &purity, &ok);
        printf("  resample %5u -> %5u: 1 kHz gain %+.3f dB, share of output power at 1 kHz %.4f dB\n",
               rates[i][0], rates[i][1], g, purity);
        SG_CHECK(ok);
        SG_CHECK(fabs(g) < 0.5);
        /* the tone comes out at the same frequency and nothing else appears beside it */
        SG_CHECK(purity > -0.05);
    }
}

/* 16 kHz -> 8 kHz: a 6 kHz tone is above the new Nyquist frequency and must be filtered, not
 * aliased to 2 kHz; a 3.4 kHz tone (top of the telephone band) must pass. Measured as the
 * output/input RMS ratio after the filter has settled. */
static double rms_ratio_db(int quality, double freq)
{
    enum { NIN = 16000, NOUT = 8000 };
    static int16_t in[NIN], out[NOUT];
    sg_resampler *r = resample_create(16000, 8000, quality);
    size_t nout = 0;

    if (r == NULL)
        return 1000.0;
    sig_sine(in, NIN, freq, 30000.0, 16000.0, NULL);
    for (size_t i = 0; i < NIN; i += 320) {
        int got = resample_run(r, in + i, 320, out + nout, 160);
        nout += got > 0 ? (size_t)got : 0;
    }
    resample_destroy(r);
    return 20.0 * log10((sig_rms(out + NOUT / 2, NOUT / 2) + 1e-3) / sig_rms(in, NIN));
}

SG_TEST(resample_rejects_aliases)
{
    double q3 = rms_ratio_db(3, 6000.0), q8 = rms_ratio_db(8, 6000.0), pass = rms_ratio_db(3, 3400.0);
    printf("  resample 16k -> 8k: 6 kHz tone out/in %.1f dB (quality 3), %.1f dB (quality 8); "
           "3.4 kHz %.2f dB\n", q3, q8, pass);
    SG_CHECK(q3 < -40.0);
    SG_CHECK(q8 < -40.0);
    SG_CHECK(pass > -3.0);
}

SG_TEST(resample_pass_through_and_errors)
{
    int16_t in[160], out[320];
    sg_resampler *r = resample_create(8000, 8000, -1);

    SG_CHECK(r != NULL);
    sig_sine(in, 160, 500.0, 1000.0, 8000.0, NULL);
    SG_CHECK_EQ_INT(resample_run(r, in, 160, out, 160), 160);
    SG_CHECK_MEM(in, out, sizeof(in));
    SG_CHECK_EQ_INT(resample_latency(r), 0);
    resample_destroy(r);
    SG_CHECK(resample_create(8000, 44100, 3) == NULL);
    SG_CHECK(resample_create(8000, 16000, 11) == NULL);
    r = resample_create(8000, 16000, 3);
    SG_CHECK(r != NULL);
    SG_CHECK_EQ_INT(resample_run(r, in, 160, out, 319), SG_EBUSY);
    SG_CHECK_EQ_INT(resample_run(r, NULL, 160, out, 320), SG_EINVAL);
    SG_CHECK_EQ_INT(resample_run(r, in, 160, out, 320), 320);
    SG_CHECK(resample_latency(r) > 0);
    resample_reset(r);
    SG_CHECK_EQ_INT(resample_run(r, in, 160, out, 320), 320);
    resample_destroy(r);
    resample_destroy(NULL);
}
