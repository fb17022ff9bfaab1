/* Gain: unity is exact, dB steps land on the right level, saturation clips and counts
 * instead of wrapping, out-of-range settings are refused. */
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "dsp/gain.h"

SG_TEST(gain_unity_is_identity)
{
    int16_t a[4] = { 1, -1, 32767, -32768 }, b[4];
    dsp_gain g;

    memcpy(b, a, sizeof(a));
    SG_CHECK_EQ_INT(dsp_gain_set(&g, 0.0), SG_OK);
    SG_CHECK_EQ_INT(dsp_gain_apply(&g, b, 4), 0);
    SG_CHECK_MEM(a, b, sizeof(a));
}

SG_TEST(gain_levels)
{
    static const double steps[] = { -48.0, -20.0, -6.0, -0.5, 3.0, 6.0, 12.0 };
    static int16_t x[8000], y[8000];

    sig_sine(x, 8000, 1000.0, 1000.0, 8000.0, NULL);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        dsp_gain g;
        double got;
        memcpy(y, x, sizeof(x));
        SG_CHECK_EQ_INT(dsp_gain_set(&g, steps[i]), SG_OK);
        SG_CHECK_EQ_INT(dsp_gain_apply(&g, y, 8000), 0);
        got = 20.0 * log10(sig_rms(y, 8000) / sig_rms(x, 8000));
        /* -48 dB leaves a 1000-peak sine at about 4 LSB peak: rounding dominates there */
        SG_CHECK(fabs(got - steps[i]) < (steps[i] < -40.0 ? 1.0 : 0.02));
    }
}

/* Annotated: +6.0206 dB doubles (Q14 32768). 20000 * 2 clips to 32767, -20000 * 2 to -32768,
 * 3 * 2 = 6, -3 * 2 = -6; nothing wraps around. */
SG_TEST(gain_saturates)
{
    int16_t pcm[6] = { 20000, -20000, 3, -3, 16383, -16384 };
    static const int16_t want[6] = { 32767, -32768, 6, -6, 32766, -32768 };
    dsp_gain g;

    SG_CHECK_EQ_INT(dsp_gain_set(&g, 20.0 * log10(2.0)), SG_OK);
    SG_CHECK_EQ_INT(g.q14, 32768);
    SG_CHECK_EQ_INT(dsp_gain_apply(&g, pcm, 6), 2);
    SG_CHECK_MEM(pcm, want, sizeof(want));
    /* +24 dB on full scale: still clipped, not overflowed */
    pcm[0] = 32767;
    pcm[1] = -32768;
    SG_CHECK_EQ_INT(dsp_gain_set(&g, 24.0), SG_OK);
    SG_CHECK_EQ_INT(dsp_gain_apply(&g, pcm, 2), 2);
    SG_CHECK_EQ_INT(pcm[0], 32767);
    SG_CHECK_EQ_INT(pcm[1], -32768);
}

SG_TEST(gain_rejects_out_of_range)
{
    dsp_gain g = { 16384, 1 };

    SG_CHECK_EQ_INT(dsp_gain_set(&g, 24.1), SG_EINVAL);
    SG_CHECK_EQ_INT(dsp_gain_set(&g, -60.0), SG_EINVAL);
    SG_CHECK_EQ_INT(dsp_gain_set(&g, NAN), SG_EINVAL);
    SG_CHECK_EQ_INT(dsp_gain_set(NULL, 0.0), SG_EINVAL);
    SG_CHECK_EQ_INT(g.q14, 16384);  /* unchanged after refusals */
}
