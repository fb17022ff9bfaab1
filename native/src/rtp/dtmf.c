/* RFC 4733 telephone-event payloads, receive de-duplication and paced sending. */
#include <string.h>
#include "rtp/dtmf.h"

int dtmf_parse(const uint8_t *buf, size_t len, dtmf_payload *out)
{
    if (len < DTMF_PAYLOAD_LEN)
        return -1;
    out->event = buf[0];
    out->end = buf[1] >> 7;
    out->volume = buf[1] & 0x3f;
    out->duration = (uint16_t)((buf[2] << 8) | buf[3]);
    return 0;
}

size_t dtmf_write(uint8_t *buf, const dtmf_payload *p)
{
    buf[0] = p->event;
    buf[1] = (uint8_t)((p->end ? 0x80 : 0) | (p->volume & 0x3f));
    buf[2] = (uint8_t)(p->duration >> 8);
    buf[3] = (uint8_t)p->duration;
    return DTMF_PAYLOAD_LEN;
}

int dtmf_rx_packet(dtmf_rx *rx, uint32_t ts, const dtmf_payload *p, dtmf_rx *prev)
{
    int r = 0;

    if (!rx->have || ts != rx->ts) {
        /* A timestamp older than the current event is a late retransmission: ignore it. */
        if (rx->have && (int32_t)(ts - rx->ts) < 0)
            return 0;
        if (rx->active) {
            *prev = *rx;
            r |= DTMF_RX_LOST_END;
        }
        rx->have = 1;
        rx->ts = ts;
        rx->event = p->event;
        rx->volume = p->volume;
        rx->duration = p->duration;
        rx->active = 1;
        r |= DTMF_RX_START;
        if (rx->logged > 0)
            rx->log[(rx->logged - 1) % DTMF_RX_LOG].ended = 1;
        rx->log[rx->logged % DTMF_RX_LOG] = (dtmf_rx_entry){ .ts = ts, .event = p->event };
        rx->logged++;
    }
    if (p->duration > rx->duration)
        rx->duration = p->duration;
    if (p->end && rx->active) {
        rx->active = 0;
        r |= DTMF_RX_END;
    }
    {
        dtmf_rx_entry *e = &rx->log[(rx->logged - 1) % DTMF_RX_LOG];
        if (p->duration > e->duration)
            e->duration = p->duration;
        e->updates++;
        if (p->end)
            e->ended = 1;
    }
    return r;
}

int dtmf_tx_queue(dtmf_tx *t, uint8_t event, uint16_t duration_ms, uint8_t volume)
{
    dtmf_tx_item *it;

    if (event > DTMF_MAX_EVENT || duration_ms < 40 || duration_ms > 8000 || volume > 63)
        return -1;
    if (t->count >= DTMF_TX_QUEUE)
        return -1;
    it = &t->q[(t->head + t->count) % DTMF_TX_QUEUE];
    it->event = event;
    it->duration_ms = duration_ms;
    it->volume = volume;
    t->count++;
    return 0;
}

int dtmf_tx_tick(dtmf_tx *t, uint32_t tick_units, uint32_t clock_rate, uint8_t payload[DTMF_PAYLOAD_LEN])
{
    dtmf_payload p;
    int r = DTMF_TX_PACKET;

    if (!t->active) {
        if (t->gap_ticks > 0) {
            t->gap_ticks--;
            return DTMF_TX_NONE;
        }
        if (t->count == 0)
            return DTMF_TX_NONE;
        t->cur = t->q[t->head];
        t->head = (uint8_t)((t->head + 1) % DTMF_TX_QUEUE);
        t->count--;
        t->active = 1;
        t->ends_sent = 0;
        t->total = (uint32_t)((uint64_t)t->cur.duration_ms * clock_rate / 1000u);
        if (t->total > 0xffff)
            t->total = 0xffff;   /* one event segment (RFC 4733 2.5.1.3 long events not needed for DTMF) */
        t->elapsed = 0;
        r |= DTMF_TX_FIRST;
    }
    memset(&p, 0, sizeof(p));
    p.event = t->cur.event;
    p.volume = t->cur.volume;
    if (t->elapsed < t->total) {
        t->elapsed += tick_units;
        if (t->elapsed > t->total)
            t->elapsed = t->total;
    }
    p.duration = (uint16_t)t->elapsed;
    if (t->elapsed >= t->total) {
        p.end = 1;
        t->ends_sent++;
        if (t->ends_sent >= DTMF_END_REPEATS) {
            t->active = 0;
            t->gap_ticks = 2;    /* keep consecutive digits apart by at least two ticks */
            r |= DTMF_TX_LAST;
        }
    }
    dtmf_write(payload, &p);
    return r;
}
