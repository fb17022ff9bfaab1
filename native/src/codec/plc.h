/* Internal: spandsp's waveform-repetition PLC (G.711 Appendix I style) with the two defects of
 * spandsp 0.0.6 worked around: plc_fillin() writes up to PLC_PITCH_OVERLAP_MAX samples whatever
 * the length asked for, and its history rotation memcpy()s between overlapping ranges.
 * Threads: the owning media thread; no allocation. */
#ifndef SG_CODEC_PLC_H
#define SG_CODEC_PLC_H

#include <stddef.h>
#include <stdint.h>
#include <spandsp.h>

/* Records n decoded samples (a good frame). */
void codec_plc_rx(plc_state_t *s, int16_t *pcm, size_t n);

/* Conceals n lost samples into pcm. Returns n, or SG_EINVAL when n is below
 * CODEC_PLC_MIN_SAMPLES or above CODEC_MAX_FRAME_SAMPLES. */
int codec_plc_fillin(plc_state_t *s, int16_t *pcm, size_t n);

#endif
