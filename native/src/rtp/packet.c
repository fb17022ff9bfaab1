/* RTP header parse/build and RFC 3550 receive statistics. */
#include <string.h>
#include "rtp/be.h"
#include "rtp/packet.h"

#define RTP_JITTER_CAP 0x03ffffffu

int rtp_parse(const uint8_t *buf, size_t len, rtp_header *h)
{
    size_t off, pad = 0;

    if (len < RTP_HEADER_LEN || (buf[0] >> 6) != RTP_VERSION)
        return -1;
    h->cc = buf[0] & 0x0f;
    h->marker = buf[1] >> 7;
    h->pt = buf[1] & 0x7f;
    h->seq = rd16(buf + 2);
    h->ts = rd32(buf + 4);
    h->ssrc = rd32(buf + 8);
    off = RTP_HEADER_LEN + 4u * h->cc;
    if (off > len)
        return -1;
    if (buf[0] & 0x10) {              /* header extension: 16-bit profile, 16-bit length in words */
        if (off + 4 > len)
            return -1;
        off += 4 + 4u * rd16(buf + off + 2);
        if (off > len)
            return -1;
    }
    if (buf[0] & 0x20) {              /* padding: last byte counts the padding bytes, itself included */
        pad = buf[len - 1];
        if (pad == 0 || off + pad > len)
            return -1;
    }
    h->padding = (uint8_t)pad;
    h->header_len = (uint16_t)off;
    h->payload_len = (uint16_t)(len - off - pad);
    return 0;
}

size_t rtp_write_header(uint8_t *buf, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    buf[0] = RTP_VERSION << 6;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    wr16(buf + 2, seq);
    wr32(buf + 4, ts);
    wr32(buf + 8, ssrc);
    return RTP_HEADER_LEN;
}

void rtp_rewrite(uint8_t *buf, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    wr16(buf + 2, seq);
    wr32(buf + 4, ts);
    wr32(buf + 8, ssrc);
}

int rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

void rtp_stats_init(rtp_rx_stats *s, uint32_t ssrc, uint16_t seq)
{
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_MAX_DROPOUT + 65536u + 1; /* so seq == bad_seq is false */
    s->received = 1;
    s->initialised = 1;
}

/* RFC 3550 A.1 without the probation period: a signalled media stream is trusted from its
 * first packet (SRTP or latching already filtered strangers). */
int rtp_stats_update_seq(rtp_rx_stats *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);

    if (udelta == 0)
        return 0;                          /* duplicate of the highest */
    if (udelta < RTP_MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += 65536u;           /* wrapped */
        s->max_seq = seq;
    } else if (udelta <= 65536u - RTP_MAX_MISORDER) {
        if ((uint32_t)seq == s->bad_seq) {
            return -1;                     /* two in a row after a jump: the source restarted */
        }
        s->bad_seq = (uint32_t)((seq + 1) & 0xffff);
        return 0;
    } else {
        /* duplicate or reordered packet within the misorder window: counts as received */
    }
    s->received++;
    return 1;
}

void rtp_stats_update_jitter(rtp_rx_stats *s, uint32_t ts, uint32_t arrival)
{
    uint32_t transit = arrival - ts;
    uint32_t diff, ad;

    if (!s->have_transit) {
        s->transit = transit;
        s->have_transit = 1;
        return;
    }
    diff = transit - s->transit;
    s->transit = transit;
    /* |D| in unsigned arithmetic (D may be INT32_MIN), capped so J*16 cannot overflow:
     * 2^26 units is hours at any audio clock, i.e. a timestamp jump, not jitter. */
    ad = (diff & 0x80000000u) ? 0u - diff : diff;
    if (ad > RTP_JITTER_CAP)
        ad = RTP_JITTER_CAP;
    /* J += (|D| - J) / 16, kept scaled by 16 (A.8). */
    s->jitter_q4 += ad - ((s->jitter_q4 + 8) >> 4);
}

uint32_t rtp_stats_ext_max(const rtp_rx_stats *s)
{
    return s->cycles + s->max_seq;
}

uint64_t rtp_stats_expected(const rtp_rx_stats *s)
{
    if (!s->initialised)
        return 0;
    return (uint64_t)rtp_stats_ext_max(s) - s->base_seq + 1;
}

int64_t rtp_stats_lost(const rtp_rx_stats *s)
{
    return (int64_t)rtp_stats_expected(s) - (int64_t)s->received;
}

uint8_t rtp_stats_fraction_lost(rtp_rx_stats *s)
{
    uint64_t expected = rtp_stats_expected(s);
    uint64_t exp_int = expected - s->expected_prior;
    uint64_t rec_int = s->received - s->received_prior;
    int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;

    s->expected_prior = expected;
    s->received_prior = s->received;
    if (exp_int == 0 || lost_int <= 0)
        return 0;
    return (uint8_t)(((uint64_t)lost_int << 8) / exp_int > 255 ? 255 : ((uint64_t)lost_int << 8) / exp_int);
}

uint32_t rtp_stats_jitter(const rtp_rx_stats *s)
{
    return s->jitter_q4 >> 4;
}
