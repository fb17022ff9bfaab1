/* RFC 4733 events played in-band: see dtmf_regen.h. */
#include "tdm/dtmf_regen.h"
#include "spangate/spangate.h"

static char event_digit(uint8_t ev)
{
    static const char digits[] = "0123456789*#ABCD";
    return ev < 16 ? digits[ev] : '\0';
}

void dtmf_regen_attach(dtmf_regen *r, const dtmf_rx *rx, dsp_dtmf_tx *g)
{
    if (r->state == DTMF_REGEN_TONE)
        dsp_dtmf_tx_stop(g);
    r->next = rx->logged;
    r->ms = 0;
    r->stale_ms = 0;
    r->updates = 0;
    r->state = DTMF_REGEN_IDLE;
}

int dtmf_regen_frame(dtmf_regen *r, const dtmf_rx *rx, uint32_t clock_rate, dsp_dtmf_tx *g, int *started)
{
    const dtmf_rx_entry *e;
    uint32_t want, behind;

    *started = 0;
    /* The endpoint's receiver was reset (a new stream): start over from its log. */
    if ((int32_t)(rx->logged - r->next) < 0) {
        if (r->state == DTMF_REGEN_TONE)
            dsp_dtmf_tx_stop(g);
        r->next = rx->logged;
        r->state = DTMF_REGEN_IDLE;
    }
    if (r->state == DTMF_REGEN_PAUSE) {
        r->ms += DTMF_REGEN_FRAME_MS;
        if (r->ms < DTMF_REGEN_PAUSE_MS)
            return 1;
        r->state = DTMF_REGEN_IDLE;
    }
    behind = rx->logged - r->next;
    if (r->state == DTMF_REGEN_IDLE) {
        if (behind > DTMF_RX_LOG)             /* more arrived than the log holds: oldest lost */
            r->next = rx->logged - DTMF_RX_LOG;
        while (r->next != rx->logged) {
            e = &rx->log[r->next % DTMF_RX_LOG];
            if (event_digit(e->event) != '\0' && dsp_dtmf_tx_start(g, event_digit(e->event)) == SG_OK) {
                r->state = DTMF_REGEN_TONE;
                r->ms = 0;
                r->stale_ms = 0;
                r->updates = e->updates;
                *started = 1;
                return 0;
            }
            r->next++;                        /* flash and beyond: not a tone */
        }
        return 0;
    }
    /* Sounding. The log may have wrapped past it (16 newer events in one digit): end it. */
    r->ms += DTMF_REGEN_FRAME_MS;
    if (behind > DTMF_RX_LOG) {
        want = 0;
    } else {
        int ended;
        e = &rx->log[r->next % DTMF_RX_LOG];
        if (e->updates != r->updates) {
            r->updates = e->updates;
            r->stale_ms = 0;
        } else if (r->stale_ms < DTMF_REGEN_STALE_MS) {
            r->stale_ms += DTMF_REGEN_FRAME_MS;
        }
        ended = e->ended || behind > 1 || r->stale_ms >= DTMF_REGEN_STALE_MS;
        want = clock_rate ? (uint32_t)e->duration * 1000u / clock_rate : 0;
        if (want < DTMF_REGEN_MIN_ON_MS)
            want = DTMF_REGEN_MIN_ON_MS;
        if (!ended)
            want = DTMF_REGEN_MAX_ON_MS;      /* still keyed: keep sounding */
    }
    if (r->ms < want && r->ms < DTMF_REGEN_MAX_ON_MS)
        return 0;
    dsp_dtmf_tx_stop(g);
    r->next++;
    r->state = DTMF_REGEN_PAUSE;
    r->ms = 0;
    return 1;
}
