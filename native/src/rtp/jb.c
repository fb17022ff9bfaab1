/* Adaptive jitter buffer: a timestamp-indexed ring of preallocated frame slots. */
#include <stdlib.h>
#include <string.h>
#include "rtp/jb.h"

static uint32_t slot_of(const jb *b, uint32_t ts)
{
    return (ts / b->frame_units) & (JB_SLOTS - 1);
}

int jb_init(jb *b, uint32_t clock_rate, uint32_t ptime_ms, uint32_t min_ms, uint32_t max_ms)
{
    memset(b, 0, sizeof(*b));
    if (clock_rate == 0 || ptime_ms == 0 || ptime_ms > 120)
        return -1;
    if (min_ms == 0)
        min_ms = ptime_ms;
    if (max_ms < min_ms)
        max_ms = min_ms;
    b->frame_units = clock_rate / 1000u * ptime_ms;
    b->min_units = clock_rate / 1000u * min_ms;
    b->max_units = clock_rate / 1000u * max_ms;
    if (b->max_units > b->frame_units * (JB_SLOTS / 2))
        b->max_units = b->frame_units * (JB_SLOTS / 2);
    if (b->min_units > b->max_units)
        b->min_units = b->max_units;
    b->target_units = b->min_units;
    b->slots = calloc(JB_SLOTS, sizeof(jb_slot));
    return b->slots ? 0 : -1;
}

void jb_free(jb *b)
{
    free(b->slots);
    b->slots = NULL;
}

void jb_reset(jb *b)
{
    uint32_t i;

    for (i = 0; i < JB_SLOTS; i++)
        b->slots[i].kind = 0;
    b->started = 0;
    b->late_run = 0;
    b->playing = 0;
    b->in_cn = 0;
    b->deep_ticks = 0;
}

uint32_t jb_depth(const jb *b)
{
    if (!b->started || (int32_t)(b->high_ts - b->play_ts) < 0)
        return 0;
    return b->high_ts - b->play_ts + b->frame_units;
}

int jb_put(jb *b, uint32_t ts, uint8_t pt, jb_kind kind, const uint8_t *payload, size_t len)
{
    jb_slot *s;

    if (len > JB_SLOT_BYTES) {
        b->overflow++;
        return -1;
    }
    if (!b->started) {
        b->started = 1;
        b->play_ts = ts;
        b->high_ts = ts;
        b->wait_units = b->target_units;
    } else if ((int32_t)(ts - b->play_ts) < 0) {
        /* Late: its slot already played. Let the buffer grow by one frame. */
        b->late++;
        if (b->target_units + b->frame_units <= b->max_units)
            b->target_units += b->frame_units;
        if (b->late_run++ == 0)
            b->late_since = b->pulls;
        if (b->late_run >= JB_LATE_RESYNC && b->pulls - b->late_since >= JB_LATE_RESYNC) {
            /* Every packet is late now (a sender slower than our tick, or one that paused):
             * playout has run past the stream. Start again around this packet with the
             * grown target rather than concealing forever. */
            b->resyncs++;
            jb_reset(b);
            return jb_put(b, ts, pt, kind, payload, len);
        }
        return -1;
    } else if (ts - b->play_ts >= b->frame_units * JB_SLOTS) {
        /* Far ahead (a jump the caller did not reset for): restart playout around it. */
        b->overflow++;
        jb_reset(b);
        return jb_put(b, ts, pt, kind, payload, len);
    }
    b->late_run = 0;
    s = &b->slots[slot_of(b, ts)];
    if (s->kind != 0 && s->ts == ts)
        return -1;                            /* duplicate */
    s->ts = ts;
    s->len = (uint16_t)len;
    s->kind = (uint8_t)kind;
    s->pt = pt;
    if (len)
        memcpy(s->data, payload, len);
    if ((int32_t)(ts - b->high_ts) > 0)
        b->high_ts = ts;
    return 0;
}

static void adapt_target(jb *b, uint32_t jitter_units)
{
    /* Aim for one frame plus three times the smoothed jitter, within the bounds; the target
     * only shrinks here, it grows on late packets (jb_put). */
    uint32_t want = b->frame_units + 3u * jitter_units;

    if (want < b->min_units)
        want = b->min_units;
    if (want > b->max_units)
        want = b->max_units;
    if (want < b->target_units)
        b->target_units = want;
}

jb_kind jb_pull(jb *b, uint32_t jitter_units, const jb_slot **slot)
{
    jb_slot *s;
    uint32_t depth;

    *slot = NULL;
    b->pulls++;
    if (!b->started)
        return JB_NONE;
    if (!b->playing) {
        if (b->wait_units > b->frame_units) {
            b->wait_units -= b->frame_units;
            return JB_NONE;
        }
        b->playing = 1;
    }
    adapt_target(b, jitter_units);
    depth = jb_depth(b);
    if (depth > b->target_units + b->frame_units) {
        if (++b->deep_ticks >= 50) {
            /* Too deep for a second: drop the oldest frame to shrink the delay. */
            s = &b->slots[slot_of(b, b->play_ts)];
            if (s->kind != 0 && s->ts == b->play_ts)
                s->kind = 0;
            b->play_ts += b->frame_units;
            b->dropped_for_shrink++;
            b->deep_ticks = 0;
        }
    } else {
        b->deep_ticks = 0;
    }
    s = &b->slots[slot_of(b, b->play_ts)];
    b->play_ts += b->frame_units;
    if (s->kind != 0 && (uint32_t)(s->ts - (b->play_ts - b->frame_units)) < b->frame_units) {
        jb_kind k = (jb_kind)s->kind;
        s->kind = 0;
        *slot = s;
        b->in_cn = k == JB_CN;
        if (k == JB_CN && s->len > 0)
            b->cn_level = s->data[0] & 0x7f;
        b->played++;
        return k;
    }
    if (b->in_cn)
        return JB_CN;                       /* no packets during DTX: keep the noise going */
    b->concealed++;
    return JB_MISSING;
}
