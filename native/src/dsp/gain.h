/* Internal: fixed gain in dB on 16-bit PCM, saturating. A dsp_gain is a plain struct in the
 * channel; set it at setup or between frames, apply it on the per-frame path (owning media
 * thread; no allocation). */
#ifndef SG_DSP_GAIN_H
#define SG_DSP_GAIN_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/spangate.h"

#define DSP_GAIN_MIN_DB (-48.0)
#define DSP_GAIN_MAX_DB 24.0

typedef struct dsp_gain {
    int32_t q14;     /* linear factor in Q14 (16384 = 0 dB) */
    int unity;       /* 1 when q14 == 16384: apply is a no-op */
} dsp_gain;

/* Sets the gain; SG_OK, or SG_EINVAL outside DSP_GAIN_MIN_DB..DSP_GAIN_MAX_DB (or NaN), in
 * which case *g is left unchanged. A zeroed dsp_gain must be set before use. */
int dsp_gain_set(dsp_gain *g, double db);

/* Applies the gain in place, rounding to nearest and saturating at the int16 limits.
 * Returns the number of samples that clipped. */
size_t dsp_gain_apply(const dsp_gain *g, int16_t *pcm, size_t n);

#endif
