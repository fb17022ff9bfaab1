/* Internal: an endpoint's outbound stream (RFC 3550 8.2/8.3 style source translation).
 * It owns one SSRC and keeps sequence numbers and timestamps continuous while the sources
 * feeding it change (a relayed peer re-INVITEs, restarts, or a new SSRC appears): a source
 * change re-bases the offsets so the first new packet continues from the last sent one,
 * advanced by the wall-clock gap, and carries the marker bit. Owning thread only. */
#ifndef SG_RTP_REWRITE_H
#define SG_RTP_REWRITE_H

#include <stdint.h>

typedef struct rtp_out_stream {
    uint32_t ssrc;
    uint16_t next_seq;        /* sequence number of the next packet we send */
    uint32_t last_ts;         /* timestamp of the last packet sent */
    uint64_t last_ns;         /* when it was sent (CLOCK_MONOTONIC) */
    uint8_t have_last;
    uint8_t have_source;
    uint32_t src_ssrc;        /* current source */
    uint16_t src_last_seq;
    uint16_t seq_off;
    uint32_t ts_off;
    uint32_t clock_rate;
    uint64_t packets;
    uint64_t octets;          /* payload octets, for SR */
} rtp_out_stream;

void out_stream_init(rtp_out_stream *o, uint32_t ssrc, uint16_t first_seq, uint32_t first_ts, uint32_t clock_rate);

/* Maps a relayed packet (source ssrc, seq, ts) to our stream at time now_ns. Sets *seq, *ts
 * and returns 1 when the packet starts a new source (the caller sets the marker bit), else 0.
 * A jump of more than 3000 sequence numbers within one SSRC counts as a new source. */
int out_stream_map(rtp_out_stream *o, uint32_t src_ssrc, uint16_t src_seq, uint32_t src_ts,
                   uint64_t now_ns, uint16_t *seq, uint32_t *ts);

/* Next sequence number and a timestamp for a locally generated packet at now_ns (continuing
 * the stream by elapsed time). Does not change the source mapping. */
void out_stream_local(rtp_out_stream *o, uint64_t now_ns, uint16_t *seq, uint32_t *ts);

/* Records a packet as sent (for continuity and SR counts). */
void out_stream_sent(rtp_out_stream *o, uint32_t ts, uint64_t now_ns, uint32_t payload_len);

/* Timestamp our stream would carry at now_ns (for SR). */
uint32_t out_stream_ts_at(const rtp_out_stream *o, uint64_t now_ns);

#endif
