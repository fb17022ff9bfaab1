/* Internal: DTMF receiver and generator (spandsp dtmf_rx / dtmf_tx) on 8 kHz linear PCM.
 * Threads: create/destroy at channel setup (they allocate); every other function on the
 * owning media thread's per-frame path: no allocation, no lock, no output. */
#ifndef SG_DSP_DTMF_H
#define SG_DSP_DTMF_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/dsp.h"

typedef struct dsp_dtmf_event {
    char digit;           /* '0'-'9', '*', '#', 'A'-'D' */
    uint8_t begin;        /* 1 = digit started, 0 = digit ended */
    int8_t level_dbm0;    /* begin: total level of the tone pair (two -10 dBm0 tones: -7) */
    uint32_t sample;      /* sample counter (since create) at the start of the 102-sample
                           * detector block that reported it */
    uint32_t duration;    /* end: samples since the matching begin */
} dsp_dtmf_event;

typedef struct dsp_dtmf_rx dsp_dtmf_rx;

/* Hold-over: spandsp ends a digit after two detector blocks (2 x 12.75 ms) without it, so a
 * dropout of a few ms inside a tone (a lost packet or slip upstream, a span underrun) straddling
 * a block boundary ends it and the rest of the tone starts it again: one digit reported twice.
 * An end is therefore held for this many further blocks; when the same digit comes back within
 * them the two parts are one digit (counted in dsp_dtmf_rx_bridged()). */
#define DSP_DTMF_HOLD_BLOCKS 1u
/* Known limit: a 50 ms digit (the shortest Q.24 lets a sender key) holds only three of spandsp's
 * 12.75 ms blocks and spandsp wants two consecutive clean ones to begin: a 2 ms hole inside it
 * (a stalled thread upstream, a lost packet) loses the digit in 59 of 1666 positions, a 4 ms
 * hole in 311 of 1598 (60 ms digits with 2 ms holes: none).
 * TODO(next): a second spandsp detector fed half a block (51 samples) out of phase, its state
 * OR-ed with the first's (begin on either, end when both ended), cut the 2 ms losses to 4 of
 * 1666 in a trial; merging the two must keep digits separated by 30 ms pauses apart (the
 * hold-over and the later end of the two narrow such a gap by up to a block). */

/* Setup time. opts may be NULL (all defaults). NULL on bad options or no memory. */
dsp_dtmf_rx *dsp_dtmf_rx_create(const sg_dtmf_opts_t *opts);
void dsp_dtmf_rx_destroy(dsp_dtmf_rx *d);

/* Per-frame path. Runs n samples through the detector and stores up to cap begin/end
 * events in ev; returns the number stored (events past cap are counted in
 * dsp_dtmf_rx_dropped()). */
int dsp_dtmf_rx_process(dsp_dtmf_rx *d, const int16_t *pcm, size_t n, dsp_dtmf_event *ev, size_t cap);
/* Per-frame path. Tells the detector n samples were lost (keeps its timing). */
void dsp_dtmf_rx_lost(dsp_dtmf_rx *d, size_t n);
uint32_t dsp_dtmf_rx_dropped(const dsp_dtmf_rx *d);
/* Setup time (tests). Hold-over in detector blocks; 0 reports ends at once (plain spandsp). */
void dsp_dtmf_rx_set_holdover(dsp_dtmf_rx *d, unsigned blocks);
/* Dropouts inside a digit the hold-over bridged. */
uint32_t dsp_dtmf_rx_bridged(const dsp_dtmf_rx *d);

typedef struct dsp_dtmf_tx dsp_dtmf_tx;

/* Setup time. level_dbm0 per tone pair's low tone (0 = -10 dBm0), twist_db high over low. */
dsp_dtmf_tx *dsp_dtmf_tx_create(int level_dbm0, int twist_db);
void dsp_dtmf_tx_destroy(dsp_dtmf_tx *g);

/* Per-frame path. Queues digits (string of 0-9*#A-D) with on/off times in ms (each 20..1000;
 * 0 = 50/55 ms). Returns SG_OK, SG_EINVAL for a bad digit or time, SG_EBUSY when full. */
int dsp_dtmf_tx_queue(dsp_dtmf_tx *g, const char *digits, int on_ms, int off_ms);
/* Per-frame path. Starts one digit that sounds until dsp_dtmf_tx_stop() (RFC 4733 relay:
 * begin on the first event packet, stop on the end packet). Replaces anything queued. */
int dsp_dtmf_tx_start(dsp_dtmf_tx *g, char digit);
/* Per-frame path. Silences the generator at once and clears the queue. */
void dsp_dtmf_tx_stop(dsp_dtmf_tx *g);
/* Per-frame path. Writes n samples: tone where a digit sounds, zeros elsewhere. Returns the
 * number of samples that carry generated signal or gaps between queued digits (0 = idle,
 * the caller keeps its own audio). */
int dsp_dtmf_tx_run(dsp_dtmf_tx *g, int16_t *pcm, size_t n);
int dsp_dtmf_tx_busy(const dsp_dtmf_tx *g);

/* 1 when c is a DTMF digit character. */
int dsp_dtmf_digit_valid(char c);

/* The event record TypeScript reads (SG_DSP_EV_DTMF_BEGIN / _END under SG_SUBSYS_DSP). */
static inline uint16_t dsp_dtmf_event_type(const dsp_dtmf_event *e)
{
    return e->begin ? SG_DSP_EV_DTMF_BEGIN : SG_DSP_EV_DTMF_END;
}

static inline void dsp_dtmf_event_payload(const dsp_dtmf_event *e, sg_dsp_dtmf_payload_t *p)
{
    uint32_t ms = e->duration / 8u;

    p->digit = e->digit;
    p->level_dbm0 = e->begin ? e->level_dbm0 : 0;
    p->duration_ms = (uint16_t)(ms > 65535u ? 65535u : ms);
    p->sample = e->sample;
}

#endif
