/* Internal: RTCP compound packets (RFC 3550 6.4 SR/RR, 6.5 SDES CNAME, 6.6 BYE) and the
 * round-trip time of 6.4.1. Pure functions: any thread, no allocation. */
#ifndef SG_RTP_RTCP_H
#define SG_RTP_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define RTCP_SR 200u
#define RTCP_RR 201u
#define RTCP_SDES 202u
#define RTCP_BYE 203u

typedef struct rtcp_block {
    uint32_t ssrc;            /* source this block reports on */
    uint8_t fraction_lost;
    int32_t cumulative_lost;  /* 24-bit signed */
    uint32_t ext_max_seq;
    uint32_t jitter;          /* RTP units */
    uint32_t lsr;             /* middle 32 bits of the NTP time of the last SR received */
    uint32_t dlsr;            /* delay since that SR, 1/65536 s */
} rtcp_block;

/* What one compound packet told us. */
typedef struct rtcp_info {
    uint32_t sender_ssrc;
    uint8_t has_sr;
    uint8_t has_block;        /* a report block about `our_ssrc` was found */
    uint8_t bye;
    uint32_t sr_ntp_mid;      /* middle 32 bits of the SR's NTP timestamp (the LSR we echo) */
    uint32_t sr_rtp_ts;
    uint32_t sr_packets;
    uint32_t sr_octets;
    rtcp_block block;
} rtcp_info;

/* Parses a compound packet. Returns the number of RTCP packets in it, or -1 when it is
 * malformed (bad version, a length running past the end, first packet not SR/RR). */
int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, rtcp_info *out);

/* Our report. has_sr: we sent RTP since the last report. has_block: we receive a source. */
typedef struct rtcp_report {
    uint32_t ssrc;
    uint8_t has_sr;
    uint8_t has_block;
    uint64_t ntp;             /* NTP timestamp now (seconds << 32 | fraction) */
    uint32_t rtp_ts;          /* RTP timestamp corresponding to ntp */
    uint32_t packets;
    uint32_t octets;
    rtcp_block block;
    const char *cname;        /* required SDES CNAME, at most 255 bytes */
} rtcp_report;

/* Writes SR or RR followed by SDES CNAME. Returns the length, or 0 when cap is too small. */
size_t rtcp_build(uint8_t *buf, size_t cap, const rtcp_report *r);

/* NTP timestamp from CLOCK_REALTIME seconds and nanoseconds. */
uint64_t rtcp_ntp_from_timespec(int64_t sec, long nsec);
static inline uint32_t rtcp_ntp_mid(uint64_t ntp) { return (uint32_t)(ntp >> 16); }
/* RTT in microseconds from a report block received at NTP middle time `arrival_mid`;
 * 0 when lsr is 0 (no SR seen by the peer) or the result is negative. */
uint32_t rtcp_rtt_us(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr);

#endif
