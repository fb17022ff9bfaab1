/* Internal: RTP fixed header parse/build (RFC 3550 5.1), RTCP demultiplexing (RFC 5761),
 * receive statistics (RFC 3550 A.1 sequence tracking, A.3 loss, A.8 jitter).
 * Pure functions and plain structs: any thread, no allocation. */
#ifndef SG_RTP_PACKET_H
#define SG_RTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_LEN 12u
#define RTP_VERSION 2u

typedef struct rtp_header {
    uint8_t marker;
    uint8_t pt;
    uint8_t padding;        /* padding bytes removed from payload_len */
    uint8_t cc;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint16_t header_len;    /* fixed header + CSRCs + extension */
    uint16_t payload_len;
} rtp_header;

/* Parses buf[0..len). 0 on success, -1 when it is not a valid RTP packet (version, lengths,
 * padding, extension). Never reads past len. */
int rtp_parse(const uint8_t *buf, size_t len, rtp_header *h);

/* Writes a 12-byte header (no CSRC, no extension) into buf. Returns 12. */
size_t rtp_write_header(uint8_t *buf, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc);

/* Rewrites marker/PT, seq, ts and SSRC of a parsed packet in place. */
void rtp_rewrite(uint8_t *buf, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc);

/* RFC 5761 4: with RTCP mux, a packet whose second byte is 192..223 is RTCP. */
int rtp_is_rtcp(const uint8_t *buf, size_t len);

/* RFC 3550 A.1 source state plus A.8 jitter. */
typedef struct rtp_rx_stats {
    uint32_t ssrc;
    uint16_t max_seq;
    uint32_t cycles;            /* shifted count of seq wraps (<< 16) */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint64_t received;
    uint64_t expected_prior;    /* for RR fraction lost */
    uint64_t received_prior;
    uint32_t transit;           /* last relative transit, RTP units */
    uint32_t jitter_q4;         /* jitter estimate * 16, RTP units (A.8) */
    uint8_t have_transit;
    uint8_t initialised;
} rtp_rx_stats;

#define RTP_MAX_DROPOUT 3000u
#define RTP_MAX_MISORDER 100u

/* Starts statistics for a new source. */
void rtp_stats_init(rtp_rx_stats *s, uint32_t ssrc, uint16_t seq);
/* Accounts one packet's sequence number. Returns 1 when the packet counts, 0 for a duplicate
 * or very late packet, -1 for a sequence jump (a restarted source: call rtp_stats_init). */
int rtp_stats_update_seq(rtp_rx_stats *s, uint16_t seq);
/* Updates the jitter with a packet of timestamp ts arriving at `arrival` (RTP units). */
void rtp_stats_update_jitter(rtp_rx_stats *s, uint32_t ts, uint32_t arrival);
uint32_t rtp_stats_ext_max(const rtp_rx_stats *s);
uint64_t rtp_stats_expected(const rtp_rx_stats *s);
int64_t rtp_stats_lost(const rtp_rx_stats *s);
/* Fraction lost since the previous call (8-bit fixed point, RFC 3550 A.3); advances the interval. */
uint8_t rtp_stats_fraction_lost(rtp_rx_stats *s);
uint32_t rtp_stats_jitter(const rtp_rx_stats *s);  /* in RTP units */

#endif
