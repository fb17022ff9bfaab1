/* Internal: call-progress tones from cadence definitions (8 kHz, spandsp DDS oscillators).
 * The plan table is constant (any thread). A dsp_tone_gen is a plain struct embedded in the
 * channel: init/stop/run never allocate and may be called on the owning media thread's
 * per-frame path (switching tone = dsp_tone_gen_init with another definition). */
#ifndef SG_DSP_TONE_H
#define SG_DSP_TONE_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/dsp.h"

#define DSP_TONE_RATE 8000u

typedef struct dsp_tone_seg {
    uint16_t f1, f2;       /* Hz; 0 = component absent; both 0 = silence */
    int8_t l1, l2;         /* dBm0 of each component */
    uint16_t ms;           /* duration; 0 = for ever (a continuous tone has one segment) */
} dsp_tone_seg;

typedef struct dsp_tone_def {
    const char *country;   /* lower-case ISO 3166 code, or "eu" for the CEPT/ETSI plan */
    sg_tone_kind kind;
    const char *name;
    const char *source;    /* where the figures come from */
    uint8_t nseg;
    dsp_tone_seg seg[SG_TONE_MAX_SEGMENTS];
} dsp_tone_def;

uint32_t dsp_tone_count(void);
const dsp_tone_def *dsp_tone_at(uint32_t id);
const dsp_tone_def *dsp_tone_lookup(const char *country, sg_tone_kind kind);
/* Length of one cadence cycle in samples; 0 for a continuous tone. */
uint32_t dsp_tone_cycle_samples(const dsp_tone_def *def);

typedef struct dsp_tone_gen {
    const dsp_tone_def *def;  /* NULL = stopped */
    uint32_t seg;             /* current segment */
    uint32_t left;            /* samples left in it; UINT32_MAX for a continuous segment */
    uint32_t phase1, phase2;
    int32_t rate1, rate2;
    int16_t scale1, scale2;
} dsp_tone_gen;

/* Starts def from the top of its cadence. Returns SG_OK or SG_EINVAL (NULL / empty def). */
int dsp_tone_gen_init(dsp_tone_gen *g, const dsp_tone_def *def);
void dsp_tone_gen_stop(dsp_tone_gen *g);
/* Writes n samples of the tone (cadence gaps are zeros). Returns n, or 0 (and zeros) when
 * stopped. */
int dsp_tone_gen_run(dsp_tone_gen *g, int16_t *pcm, size_t n);

#endif
