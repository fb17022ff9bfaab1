/* Internal: RFC 4733 events an endpoint received (its dtmf_rx log), played in-band toward
 * the line one 20 ms frame at a time. Every distinct event becomes one digit, in the order
 * received, however bunched, duplicated or partly lost the packets arrived: each sounds for
 * the duration the packets gave (at least DTMF_REGEN_MIN_ON_MS) and is followed by at least
 * DTMF_REGEN_PAUSE_MS of silence; an event whose end never comes ends when a newer one
 * exists or after DTMF_REGEN_STALE_MS of frames without a packet for it. Owning media thread
 * only; no allocation. */
#ifndef SG_TDM_DTMF_REGEN_H
#define SG_TDM_DTMF_REGEN_H

#include <stdint.h>
#include "dsp/dtmf.h"
#include "rtp/dtmf.h"

#define DTMF_REGEN_FRAME_MS 20u
#define DTMF_REGEN_MIN_ON_MS 80u
#define DTMF_REGEN_MAX_ON_MS 8000u
#define DTMF_REGEN_PAUSE_MS 60u
#define DTMF_REGEN_STALE_MS 500u

typedef struct dtmf_regen {
    uint32_t next;            /* log index of the event playing or to play next */
    uint16_t ms;              /* ms generated of the digit (or of the pause after it) */
    uint16_t stale_ms;        /* ms without a packet for the playing event */
    uint16_t updates;         /* the playing event's update count when last looked at */
    uint8_t state;            /* DTMF_REGEN_IDLE / _TONE / _PAUSE */
} dtmf_regen;

#define DTMF_REGEN_IDLE 0
#define DTMF_REGEN_TONE 1
#define DTMF_REGEN_PAUSE 2

/* Starts reading rx's log from now on (events logged before are not played). */
void dtmf_regen_attach(dtmf_regen *r, const dtmf_rx *rx, dsp_dtmf_tx *g);

/* One frame: starts or stops the digit on g as due. Returns 1 when the frame must be silent
 * (the pause after a digit), 0 otherwise (g's output, if any, replaces the frame). Sets
 * *started when a digit began in this frame. clock_rate: the events' RTP clock. */
int dtmf_regen_frame(dtmf_regen *r, const dtmf_rx *rx, uint32_t clock_rate, dsp_dtmf_tx *g, int *started);

#endif
