/* spangate native engine: RTP endpoints (one UDP port pair, one media stream).
 *
 * An endpoint sends and receives RTP/RTCP (optionally SRTP/SRTCP with SDES keys), keeps
 * RFC 3550 receive statistics, terminates RTCP (SR/RR, RTT), handles RFC 4733 telephone
 * events and RFC 3389 comfort noise, latches to the real source (symmetric RTP) and reports a
 * media timeout. Its outbound stream keeps one SSRC and continuous sequence numbers and
 * timestamps whatever happens to the sources behind it (re-INVITEs, relay source changes).
 * Endpoints either feed a relay (relay.h) or, with SG_RTP_F_JITTER_BUFFER, play out through an
 * adaptive jitter buffer on the media tick (the TDM side). */
#ifndef SPANGATE_RTP_H
#define SPANGATE_RTP_H

#include <stdint.h>
#include "spangate/spangate.h"
#include "spangate/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_SRTP_KEY_MAX 64u       /* base64 SDES inline key (30 bytes -> 40 chars), NUL-terminated */
#define SG_RTP_CODEC_MAX 16u

typedef enum sg_srtp_suite {
    SG_SRTP_NONE = 0,
    SG_SRTP_AES_CM_128_HMAC_SHA1_80 = 1,
    SG_SRTP_AES_CM_128_HMAC_SHA1_32 = 2
} sg_srtp_suite;

/* sg_rtp_config_t.flags */
#define SG_RTP_F_SYMMETRIC      0x01u  /* latch the remote address to the real source */
#define SG_RTP_F_RTCP_MUX       0x02u  /* RTCP on the RTP port (RFC 5761) */
#define SG_RTP_F_JITTER_BUFFER  0x04u  /* terminate media: adaptive jitter buffer + PLC on ticks */
#define SG_RTP_F_NO_RTCP        0x08u  /* send no RTCP reports (received RTCP is still read) */

typedef struct sg_rtp_config_t {
    uint32_t struct_size;              /* sizeof(sg_rtp_config_t) */
    uint32_t flags;                    /* SG_RTP_F_* */
    char local_addr[SG_ADDR_MAX];      /* bind address, IPv4 or IPv6 literal */
    char remote_addr[SG_ADDR_MAX];     /* SDP address; "" = unknown until latched (needs SYMMETRIC) */
    uint16_t local_port;               /* create only: 0 = next free even port of the engine range */
    uint16_t remote_port;
    uint16_t remote_rtcp_port;         /* 0 = remote_port + 1 (remote_port with RTCP_MUX) */
    uint8_t payload_type;              /* negotiated audio PT */
    uint8_t dtmf_pt;                   /* telephone-event PT, 0 = not negotiated */
    uint8_t cn_pt;                     /* comfort noise PT (13), 0 = not negotiated */
    uint8_t srtp_suite;                /* sg_srtp_suite */
    uint16_t ptime_ms;                 /* packetisation (default 20) */
    uint32_t clock_rate;               /* RTP clock of payload_type (default 8000) */
    char codec[SG_RTP_CODEC_MAX];      /* SDP encoding name ("PCMU"); "" = pass-through only */
    uint32_t media_timeout_ms;         /* 0 = no timeout events */
    uint32_t ssrc;                     /* create only: outbound SSRC, 0 = random */
    uint32_t shard;                    /* create only: media thread = shard % media_threads */
    uint16_t jb_min_ms;                /* jitter buffer bounds (default 20 / 200) */
    uint16_t jb_max_ms;
    char srtp_tx_key[SG_SRTP_KEY_MAX]; /* our inline key (we offer it in SDP) */
    char srtp_rx_key[SG_SRTP_KEY_MAX]; /* the peer's inline key */
} sg_rtp_config_t;

/* Snapshot of one endpoint, read at any time from the control thread. */
typedef struct sg_rtp_stats_t {
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t tx_packets;
    uint64_t tx_bytes;
    uint64_t rx_expected;              /* RFC 3550 A.3 extended_max - base_seq + 1 */
    int64_t rx_lost;                   /* expected - received (negative with duplicates) */
    uint64_t rx_dtmf_events;
    uint64_t rx_cn;
    uint32_t rx_ssrc;                  /* current inbound SSRC (0 before the first packet) */
    uint32_t tx_ssrc;
    uint32_t jitter_us;                /* RFC 3550 A.8 interarrival jitter of what we receive */
    uint32_t rtt_us;                   /* RFC 3550 6.4.1 from the last RR/SR block about us, 0 = unknown */
    uint32_t remote_jitter_us;         /* jitter the peer reports about our stream */
    int32_t remote_lost;               /* cumulative loss the peer reports about our stream */
    uint8_t remote_fraction_lost;      /* 8-bit fraction, as in the report block */
    uint8_t latched;                   /* 1 once symmetric RTP latched */
    uint16_t jb_delay_ms;              /* current jitter buffer target */
    uint32_t idle_ms;                  /* time since the last accepted packet */
} sg_rtp_stats_t;

/* Events (sg_event_t.subsys == SG_SUBSYS_RTP, handle = endpoint). */
typedef enum sg_rtp_event_type {
    SG_RTP_EV_LATCHED = 1,        /* sg_rtp_ev_addr_t: symmetric RTP now sends to this source */
    SG_RTP_EV_TIMEOUT = 2,        /* sg_rtp_ev_timeout_t: nothing received for media_timeout_ms */
    SG_RTP_EV_RESUMED = 3,        /* sg_rtp_ev_timeout_t: packets again after a timeout */
    SG_RTP_EV_DTMF = 4,           /* sg_rtp_ev_dtmf_t: RFC 4733 event began (end = 0) or ended */
    SG_RTP_EV_SSRC_CHANGED = 5,   /* sg_rtp_ev_ssrc_t */
    SG_RTP_EV_RTCP = 6,           /* sg_rtp_ev_rtcp_t: a report block about our stream arrived */
    SG_RTP_EV_SRTP_FAIL = 7,      /* sg_rtp_ev_timeout_t (idle_ms = failures so far): first failure, then every 1000th */
    SG_RTP_EV_DTMF_SENT = 8,      /* sg_rtp_ev_dtmf_t: a digit queued with sg_rtp_send_dtmf finished */
    SG_RTP_EV_CLOSED = 9          /* sg_rtp_ev_closed_t: final figures, after sg_rtp_destroy */
} sg_rtp_event_type;

typedef struct sg_rtp_ev_addr_t {
    char addr[SG_ADDR_MAX - 2];   /* textual address, NUL-terminated */
    uint16_t port;
} sg_rtp_ev_addr_t;

typedef struct sg_rtp_ev_timeout_t {
    uint32_t idle_ms;
} sg_rtp_ev_timeout_t;

typedef struct sg_rtp_ev_dtmf_t {
    uint8_t event;                /* 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash (RFC 4733 3.2) */
    uint8_t end;                  /* 1 on the end of the event */
    uint8_t volume;               /* 0..63 (-dBm0) */
    uint8_t reserved;
    uint32_t duration_ms;         /* so far (start) or total (end) */
    uint32_t rtp_ts;              /* event timestamp, identifies the event */
} sg_rtp_ev_dtmf_t;

typedef struct sg_rtp_ev_ssrc_t {
    uint32_t old_ssrc;
    uint32_t new_ssrc;
} sg_rtp_ev_ssrc_t;

typedef struct sg_rtp_ev_rtcp_t {
    uint32_t remote_ssrc;
    uint32_t rtt_us;              /* 0 when the block carried no LSR */
    uint32_t remote_jitter_us;
    int32_t remote_lost;
    uint32_t jitter_us;           /* our receive jitter at the same moment */
    uint8_t remote_fraction_lost;
    uint8_t reserved[3];
} sg_rtp_ev_rtcp_t;

typedef struct sg_rtp_ev_closed_t {
    uint64_t rx_packets;
    uint64_t tx_packets;
    int64_t rx_lost;
    uint32_t jitter_us;
    uint32_t rtt_us;
    uint64_t rx_expected;
} sg_rtp_ev_closed_t;

/* Main thread. Binds the sockets (RTP port even, RTCP port + 1 unless RTCP_MUX) on the
 * caller's thread, sets up SRTP, and hands the endpoint to its media thread. Returns the
 * handle (> 0) or SG_EINVAL (bad config, bad key), SG_EIO (bind failed), SG_EBUSY (pool or
 * port range exhausted, queue full), SG_ESTATE (engine stopped). */
SG_API int sg_rtp_create(const sg_rtp_config_t *cfg);

/* Main thread. Applies a new remote address, payload types, codec, ptime, timeout and SRTP
 * keys (a re-INVITE). local_addr, local_port, ssrc and shard are ignored. The outbound stream
 * stays continuous. SG_OK, SG_ENOENT, SG_EINVAL, SG_EBUSY. */
SG_API int sg_rtp_update(uint32_t handle, const sg_rtp_config_t *cfg);

/* Main thread. Closes the endpoint (and unlinks it from its relay); an SG_RTP_EV_CLOSED event
 * follows. SG_OK or SG_ENOENT. */
SG_API int sg_rtp_destroy(uint32_t handle);

/* Any thread. The bound RTP port, or SG_ENOENT. */
SG_API int sg_rtp_local_port(uint32_t handle);

/* Main thread. Queues one RFC 4733 event (0..16) of duration_ms (40..8000) at volume 0..63
 * (-dBm0, 10 is usual). Needs dtmf_pt. Events are sent one after another; up to 16 queued. */
SG_API int sg_rtp_send_dtmf(uint32_t handle, uint8_t event, uint16_t duration_ms, uint8_t volume);

/* Any thread. Copies the endpoint's statistics. SG_EINVAL, SG_ENOENT. */
SG_API int sg_rtp_stats(uint32_t handle, sg_rtp_stats_t *out, uint32_t size);

#ifdef __cplusplus
}
#endif
#endif
