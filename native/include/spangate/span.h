/* spangate native engine: TDM spans (E1/T1) behind one driver interface.
 * A span is addressed by an integer handle (1..SG_SPAN_MAX). Timeslot numbers are the
 * line's own: E1 1..31 (16 is the D-channel), T1 1..24 (24 is the D-channel); B-channel
 * numbers in the PRI layer are the same numbers. Samples are G.711 octets as on the line
 * (A-law on E1, mu-law on T1 by convention; the span does not transcode).
 *
 * The only driver today is `vspan`: the span's timeslots carried over UDP with CESoPSN
 * framing (RFC 5086, basic NxDS0, no RTP header), the D-channel timeslot carrying a real
 * HDLC bitstream. The network side is clock master; the user side loop-times from the
 * packets it receives. */
#ifndef SPANGATE_SPAN_H
#define SPANGATE_SPAN_H

#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_SPAN_MAX 32u

typedef enum sg_span_kind {
    SG_SPAN_E1 = 1,   /* 31 timeslots, D on 16 */
    SG_SPAN_T1 = 2    /* 24 timeslots, D on 24 */
} sg_span_kind;

typedef enum sg_span_role {
    SG_SPAN_NETWORK = 1,   /* clock master: sends on its own timer */
    SG_SPAN_USER = 2       /* clock slave: sends one packet per packet received */
} sg_span_role;

/* Configuration of sg_span_open(). Zero fields take the documented defaults. */
typedef struct sg_span_config_t {
    uint32_t struct_size;        /* sizeof(sg_span_config_t) */
    uint32_t kind;               /* sg_span_kind */
    uint32_t role;               /* sg_span_role */
    uint32_t frames_per_packet;  /* CESoPSN frames (125 us each) per packet; 1..64, default 8 */
    uint32_t jitter_packets;     /* receive jitter buffer depth in packets; 1..32; default 4,
                                  * or 4 ms worth when packets are shorter than 1 ms */
    uint32_t los_ms;             /* no packets for this long raises LOS; default 500 */
    uint32_t clear_ms;           /* packets flowing this long clears LOS; default 200 */
    uint16_t local_port;         /* UDP port to bind; 0 = ephemeral */
    uint16_t remote_port;        /* 0 = learn the peer from the first valid packet */
    char local_addr[48];         /* IPv4/IPv6 literal to bind */
    char remote_addr[48];        /* peer literal; may be empty when remote_port is 0 */
} sg_span_config_t;

/* Alarm bits (sg_span_stats_t.alarms and SG_SPAN_EV_ALARM). */
#define SG_SPAN_ALARM_LOS 0x1u   /* red: no packets from the far end */
#define SG_SPAN_ALARM_AIS 0x2u   /* blue: far end sends L bit (its TDM side failed) */
#define SG_SPAN_ALARM_RAI 0x4u   /* yellow: far end reports it receives nothing (R bit) */

/* Counters, read at any time (they are monotonic except `alarms` and `jitter_depth`). */
typedef struct sg_span_stats_t {
    uint32_t struct_size;
    uint32_t alarms;             /* SG_SPAN_ALARM_* now */
    uint64_t tx_packets;
    uint64_t rx_packets;
    uint64_t rx_lost;            /* sequence gaps played out as idle */
    uint64_t rx_reordered;       /* arrived out of order but in time */
    uint64_t rx_late;            /* arrived after their playout slot; dropped */
    uint64_t rx_duplicate;
    uint64_t rx_malformed;       /* bad control word, length or payload size */
    uint64_t rx_foreign;         /* from an address that is not the peer */
    uint64_t slips;              /* packet slots dropped or idled to re-align with the far end's
                                  * clock (a controlled slip), or a >100 ms stall re-phased */
    uint64_t b_underruns;        /* B-channel tx ring empty at the line: idle sent */
    uint64_t b_overruns;         /* B-channel rx ring full: oldest samples dropped */
    uint64_t hdlc_rx_frames;
    uint64_t hdlc_tx_frames;
    uint64_t hdlc_crc_errors;
    uint64_t hdlc_aborts;
    uint64_t hdlc_length_errors;
    uint64_t hdlc_tx_dropped;    /* D-channel frames refused (queue full or too long) */
    uint64_t alarm_count;        /* alarms raised since open */
    uint32_t jitter_depth;       /* packets held in the jitter buffer now */
    uint16_t local_port;         /* bound UDP port */
    uint16_t reserved;
} sg_span_stats_t;

/* Span events, SG_SUBSYS_SPAN; `handle` is the span. */
typedef enum sg_span_event_type {
    SG_SPAN_EV_ALARM = 1,        /* payload sg_span_ev_alarm_t; alarms raised or cleared */
    SG_SPAN_EV_CLOSED = 2        /* the span is closed; no payload */
} sg_span_event_type;

typedef struct sg_span_ev_alarm_t {
    uint32_t alarms;             /* SG_SPAN_ALARM_* now (0 = clear) */
    uint32_t previous;           /* SG_SPAN_ALARM_* before */
    uint64_t rx_lost;            /* counters at the change, for the log line */
    uint64_t slips;
} sg_span_ev_alarm_t;

/* Any thread. Opens a span and starts its I/O on the span thread (started on first use).
 * Returns the handle (> 0) or a negative sg_err: SG_EINVAL for a bad config, SG_EIO when
 * the socket cannot be bound, SG_EBUSY when SG_SPAN_MAX spans are open. */
SG_API int sg_span_open(const sg_span_config_t *cfg);

/* Any thread. Stops the span's I/O and frees it. The PRI layer must have released the
 * span first (sg_pri_span_close), else SG_EBUSY. */
SG_API int sg_span_close(int span);

/* Any thread. Copies the counters into *out (size = sizeof(sg_span_stats_t)). */
SG_API int sg_span_stats(int span, sg_span_stats_t *out, uint32_t size);

/* One thread per direction (the media thread). Queues up to n samples for timeslot ts;
 * returns how many were accepted (the ring holds 256 ms), or a negative sg_err. */
SG_API int sg_span_write(int span, int ts, const uint8_t *samples, int n);

/* One thread per direction (the media thread). Takes up to n received samples of
 * timeslot ts; returns how many were copied (0 when none are ready). */
SG_API int sg_span_read(int span, int ts, uint8_t *samples, int n);

/* Any thread. Number of timeslots on the line (31 for E1, 24 for T1) and the D-channel
 * timeslot (16 or 24); SG_ENOENT for an unknown span. */
SG_API int sg_span_timeslots(int span);
SG_API int sg_span_dchannel(int span);

/* Any thread. Maintenance: force the L bit (AIS toward the far end) on or off. */
SG_API int sg_span_set_ais(int span, int on);

/* Fault injection toward the far end, for line checks and tests (sg_span_inject kinds). */
typedef enum sg_span_inject_kind {
    SG_SPAN_INJECT_RAW = 1,      /* data: octets sent on the D-channel timeslot in place of the
                                  * HDLC bitstream (the frame in progress resumes afterwards):
                                  * garbage, broken flags, frames with a bad FCS, aborts */
    SG_SPAN_INJECT_FRAME = 2,    /* data: one whole D-channel frame (Q.921 address, control,
                                  * payload) sent with a good FCS, e.g. a UI frame carrying a
                                  * malformed Q.931 message */
    SG_SPAN_INJECT_MANGLE = 3    /* data: 3 octets {offset, value, truncate}: the next I-frame
                                  * the PRI layer sends keeps its Q.921 header but octet
                                  * `offset` becomes `value` and, when truncate > 0, the frame
                                  * is cut to `truncate` octets (malformed Q.931 on the live
                                  * link) */
} sg_span_inject_kind;

/* Any thread. Injects a fault on the span's D-channel toward the far end (see the kinds).
 * SG_EINVAL bad kind or length (1..512 octets; FRAME at most 260), SG_EBUSY when too much is
 * pending, SG_ENOSYS for a driver without injection. */
SG_API int sg_span_inject(int span, int kind, const uint8_t *data, int n);

#ifdef __cplusplus
}
#endif
#endif
