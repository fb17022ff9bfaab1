/* Internal: line echo canceller for one 8 kHz channel: speexdsp's MDF adaptive filter, plus
 * a non-linear processor: by default a G.168-style line NLP (suppresses what is left when the
 * residual sits well below the far-end level and the near end is silent), or speexdsp's
 * preprocess residual echo suppressor (an acoustic-echo design, about as costly as the
 * canceller itself). Naming follows G.168: rin = far-end signal towards the line (the reference),
 * sin = signal from the line (near-end speech + hybrid echo), sout = sin with echo removed.
 * Threads: create/destroy at channel setup (they allocate); process/reset/bypass on the
 * owning media thread's per-frame path (no allocation, no lock). */
#ifndef SG_DSP_EC_H
#define SG_DSP_EC_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/dsp.h"

/* Samples per canceller block (20 ms, the media tick): process() takes any multiple of it.
 * 20 ms rather than 10 ms: the MDF filter then has half as many partitions for a given tail
 * and every per-block cost (FFTs, NLP, tone disabler) is paid half as often; the canceller adds
 * no delay either way (it works on the frame it is given). bench/TDM.md has the figures. */
#define DSP_EC_FRAME 160u
#define DSP_EC_TAIL_DEFAULT_MS 64u
#define DSP_EC_TAIL_MIN_MS 16u
#define DSP_EC_TAIL_MAX_MS 256u

typedef struct dsp_ec dsp_ec;

/* Setup time. opts may be NULL (defaults). NULL for bad options or no memory. */
dsp_ec *dsp_ec_create(const sg_ec_opts_t *opts);
void dsp_ec_destroy(dsp_ec *e);

/* Per-frame path. n must be a multiple of DSP_EC_FRAME; sout may alias sin. Returns SG_OK or
 * SG_EINVAL. */
int dsp_ec_process(dsp_ec *e, const int16_t *rin, const int16_t *sin, int16_t *sout, size_t n);

/* Per-frame path. Forgets the adapted echo path and any tone-disabled state (call it when a
 * new call starts on the channel). */
void dsp_ec_reset(dsp_ec *e);

/* Per-frame path. 1 while the tone disabler holds the canceller off (an answer tone with phase
 * reversals was heard; it re-enables itself after 250 ms below -36 dBm0 both ways). */
int dsp_ec_tone_disabled(const dsp_ec *e);

/* The DTMF guard's counts since create (see ec.c). */
typedef struct dsp_ec_guard_stats {
    uint32_t near_blocks;       /* blocks passed through untouched: a near-end dual tone */
    uint32_t suppressed_blocks; /* blocks of residual suppressed: a dual tone not the near end's
                                 * (a far-end tone's echo, or the filter's own) */
    uint32_t resets;            /* filters forgotten after a near-end tone (it had learnt it) */
} dsp_ec_guard_stats;

/* Per-frame path. Copies the DTMF guard's counts into *st. */
void dsp_ec_dtmf_guard(const dsp_ec *e, dsp_ec_guard_stats *st);

/* Per-frame path. 1 = pass sin through untouched (fax/modem calls: G.164/G.165 2100 Hz tone
 * with phase reversal asks for that; detecting it is the caller's job), 0 = cancel. */
void dsp_ec_bypass(dsp_ec *e, int on);

#endif
