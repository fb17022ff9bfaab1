/* Fixed gain: Q14 multiply in 64 bits (+24 dB on a full-scale sample needs 34 bits), round
 * half away from zero, saturate. */
#include <math.h>
#include "dsp/gain.h"

int dsp_gain_set(dsp_gain *g, double db)
{
    double lin;

    if (g == NULL || !(db >= DSP_GAIN_MIN_DB && db <= DSP_GAIN_MAX_DB))
        return SG_EINVAL;
    lin = pow(10.0, db / 20.0);
    g->q14 = (int32_t)lrint(lin * 16384.0);
    g->unity = g->q14 == 16384;
    return SG_OK;
}

size_t dsp_gain_apply(const dsp_gain *g, int16_t *pcm, size_t n)
{
    size_t clipped = 0;

    if (g->unity)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int64_t p = (int64_t)pcm[i] * g->q14;
        int64_t v = p >= 0 ? (p + 8192) >> 14 : -((-p + 8192) >> 14);
        if (v > 32767) {
            v = 32767;
            clipped++;
        } else if (v < -32768) {
            v = -32768;
            clipped++;
        }
        pcm[i] = (int16_t)v;
    }
    return clipped;
}
