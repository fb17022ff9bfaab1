/* Outbound stream continuity across source changes. */
#include "rtp/rewrite.h"
#include "rtp/packet.h"

void out_stream_init(rtp_out_stream *o, uint32_t ssrc, uint16_t first_seq, uint32_t first_ts, uint32_t clock_rate)
{
    o->ssrc = ssrc;
    o->next_seq = first_seq;
    o->last_ts = first_ts;
    o->last_ns = 0;
    o->have_last = 0;
    o->have_source = 0;
    o->src_ssrc = 0;
    o->src_last_seq = 0;
    o->seq_off = 0;
    o->ts_off = 0;
    o->clock_rate = clock_rate ? clock_rate : 8000;
    o->packets = 0;
    o->octets = 0;
}

uint32_t out_stream_ts_at(const rtp_out_stream *o, uint64_t now_ns)
{
    uint64_t elapsed;

    if (!o->have_last)
        return o->last_ts;
    elapsed = now_ns > o->last_ns ? now_ns - o->last_ns : 0;
    return o->last_ts + (uint32_t)(elapsed * o->clock_rate / 1000000000ull);
}

int out_stream_map(rtp_out_stream *o, uint32_t src_ssrc, uint16_t src_seq, uint32_t src_ts,
                   uint64_t now_ns, uint16_t *seq, uint32_t *ts)
{
    int fresh = 0;

    if (!o->have_source || src_ssrc != o->src_ssrc) {
        fresh = 1;
    } else {
        uint16_t d = (uint16_t)(src_seq - o->src_last_seq);
        if (d >= RTP_MAX_DROPOUT && d <= 65536u - RTP_MAX_MISORDER)
            fresh = 1;
    }
    if (fresh) {
        uint32_t want_ts = o->last_ts;
        if (o->have_last) {
            /* Continue from the last packet sent, advanced by the real time gap (at least one tick). */
            want_ts = out_stream_ts_at(o, now_ns);
            if (want_ts == o->last_ts)
                want_ts++;
        }
        o->seq_off = (uint16_t)(o->next_seq - src_seq);
        o->ts_off = want_ts - src_ts;
        o->src_ssrc = src_ssrc;
        o->have_source = 1;
        o->src_last_seq = src_seq;
    } else if ((int16_t)(src_seq - o->src_last_seq) > 0) {
        o->src_last_seq = src_seq;
    }
    *seq = (uint16_t)(src_seq + o->seq_off);
    *ts = src_ts + o->ts_off;
    if ((int16_t)(*seq - o->next_seq) >= 0)
        o->next_seq = (uint16_t)(*seq + 1);
    return fresh;
}

void out_stream_local(rtp_out_stream *o, uint64_t now_ns, uint16_t *seq, uint32_t *ts)
{
    *seq = o->next_seq++;
    /* Keep relayed packets that follow in sequence: shift the source mapping by one. */
    o->seq_off++;
    *ts = out_stream_ts_at(o, now_ns);
}

void out_stream_sent(rtp_out_stream *o, uint32_t ts, uint64_t now_ns, uint32_t payload_len)
{
    if (!o->have_last || (int32_t)(ts - o->last_ts) >= 0) {
        o->last_ts = ts;
        o->last_ns = now_ns;
    }
    o->have_last = 1;
    o->packets++;
    o->octets += payload_len;
}
