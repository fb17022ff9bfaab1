/* Internal: fixed-ratio mono resampling among 8, 16 and 48 kHz (speexdsp).
 * Threads: create/destroy at setup on the owning thread (they allocate); resample_run on the
 * owning thread's per-frame path (no allocation). */
#ifndef SG_CODEC_RESAMPLE_H
#define SG_CODEC_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/spangate.h"

/* speexdsp quality 0..10; 3 is the VoIP default (2.3-2.4 us per 20 ms frame, native.md §3). */
#define RESAMPLE_QUALITY_DEFAULT 3

typedef struct sg_resampler sg_resampler;

/* Setup time. in_rate/out_rate each 8000, 16000 or 48000 (equal rates give a copying
 * pass-through); quality -1 = RESAMPLE_QUALITY_DEFAULT. NULL on bad arguments or no memory. */
sg_resampler *resample_create(uint32_t in_rate, uint32_t out_rate, int quality);
void resample_destroy(sg_resampler *r);

/* Per-frame path. Converts n input samples into out (cap samples) and returns the samples
 * written: exactly n * out_rate / in_rate when n is a multiple of in_rate/1000 (the filter
 * delay is carried inside, never dropped), or a negative sg_err (SG_EBUSY: cap too small). */
int resample_run(sg_resampler *r, const int16_t *in, size_t n, int16_t *out, size_t cap);

/* Per-frame path. Forgets history (after a gap) without reallocating. */
void resample_reset(sg_resampler *r);

/* Filter delay in output samples (for alignment in tests and echo paths). */
int resample_latency(const sg_resampler *r);

#endif
