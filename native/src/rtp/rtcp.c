/* RTCP SR/RR/SDES/BYE parse and build (RFC 3550 6.4-6.6, A.2 validity checks). */
#include <string.h>
#include "rtp/be.h"
#include "rtp/rtcp.h"

static void parse_blocks(const uint8_t *p, unsigned count, size_t avail, uint32_t our_ssrc, rtcp_info *out)
{
    unsigned i;

    for (i = 0; i < count && avail >= 24; i++, p += 24, avail -= 24) {
        uint32_t lost24 = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
        if (rd32(p) != our_ssrc || out->has_block)
            continue;
        out->has_block = 1;
        out->block.ssrc = rd32(p);
        out->block.fraction_lost = p[4];
        out->block.cumulative_lost = (lost24 & 0x800000u) ? (int32_t)(lost24 | 0xff000000u) : (int32_t)lost24;
        out->block.ext_max_seq = rd32(p + 8);
        out->block.jitter = rd32(p + 12);
        out->block.lsr = rd32(p + 16);
        out->block.dlsr = rd32(p + 20);
    }
}

int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, rtcp_info *out)
{
    size_t off = 0;
    int n = 0;

    memset(out, 0, sizeof(*out));
    while (off < len) {
        const uint8_t *p = buf + off;
        size_t plen;
        unsigned count, pt;

        if (len - off < 4 || (p[0] >> 6) != 2)
            return -1;
        count = p[0] & 0x1f;
        pt = p[1];
        plen = 4u * ((size_t)rd16(p + 2) + 1);
        if (plen > len - off)
            return -1;
        if (n == 0 && pt != RTCP_SR && pt != RTCP_RR)
            return -1;
        /* Padding is only allowed on the last packet of a compound (A.2). */
        if ((p[0] & 0x20) && off + plen != len)
            return -1;
        if (pt == RTCP_SR) {
            if (plen < 28)
                return -1;
            out->has_sr = 1;
            out->sender_ssrc = rd32(p + 4);
            out->sr_ntp_mid = (rd32(p + 8) << 16) | (rd32(p + 12) >> 16);
            out->sr_rtp_ts = rd32(p + 16);
            out->sr_packets = rd32(p + 20);
            out->sr_octets = rd32(p + 24);
            parse_blocks(p + 28, count, plen - 28, our_ssrc, out);
        } else if (pt == RTCP_RR) {
            if (plen < 8)
                return -1;
            out->sender_ssrc = rd32(p + 4);
            parse_blocks(p + 8, count, plen - 8, our_ssrc, out);
        } else if (pt == RTCP_BYE) {
            out->bye = 1;
        }
        off += plen;
        n++;
    }
    return n == 0 ? -1 : n;
}

size_t rtcp_build(uint8_t *buf, size_t cap, const rtcp_report *r)
{
    size_t off, clen = r->cname ? strlen(r->cname) : 0;
    size_t report_len = (r->has_sr ? 28u : 8u) + (r->has_block ? 24u : 0u);
    size_t sdes_items, sdes_len;
    uint8_t *p;

    if (clen > 255)
        clen = 255;
    sdes_items = 2 + clen + 1;                         /* CNAME item + END */
    sdes_len = 8 + ((sdes_items + 3) & ~(size_t)3);    /* header + SSRC + items padded to 32 bits */
    if (cap < report_len + sdes_len)
        return 0;
    p = buf;
    p[0] = (uint8_t)(0x80 | (r->has_block ? 1 : 0));
    p[1] = (uint8_t)(r->has_sr ? RTCP_SR : RTCP_RR);
    wr16(p + 2, (uint16_t)(report_len / 4 - 1));
    wr32(p + 4, r->ssrc);
    off = 8;
    if (r->has_sr) {
        wr32(p + 8, (uint32_t)(r->ntp >> 32));
        wr32(p + 12, (uint32_t)r->ntp);
        wr32(p + 16, r->rtp_ts);
        wr32(p + 20, r->packets);
        wr32(p + 24, r->octets);
        off = 28;
    }
    if (r->has_block) {
        int32_t cl = r->block.cumulative_lost;
        uint32_t lost24;
        if (cl > 0x7fffff)
            cl = 0x7fffff;
        if (cl < -0x800000)
            cl = -0x800000;
        lost24 = (uint32_t)cl & 0xffffffu;
        wr32(p + off, r->block.ssrc);
        p[off + 4] = r->block.fraction_lost;
        p[off + 5] = (uint8_t)(lost24 >> 16);
        p[off + 6] = (uint8_t)(lost24 >> 8);
        p[off + 7] = (uint8_t)lost24;
        wr32(p + off + 8, r->block.ext_max_seq);
        wr32(p + off + 12, r->block.jitter);
        wr32(p + off + 16, r->block.lsr);
        wr32(p + off + 20, r->block.dlsr);
        off += 24;
    }
    p = buf + off;
    memset(p, 0, sdes_len);
    p[0] = 0x81;                                       /* one chunk */
    p[1] = RTCP_SDES;
    wr16(p + 2, (uint16_t)(sdes_len / 4 - 1));
    wr32(p + 4, r->ssrc);
    p[8] = 1;                                          /* CNAME */
    p[9] = (uint8_t)clen;
    if (clen)
        memcpy(p + 10, r->cname, clen);
    /* the END item and padding are the zeros already there */
    return off + sdes_len;
}

uint64_t rtcp_ntp_from_timespec(int64_t sec, long nsec)
{
    uint64_t frac = ((uint64_t)nsec << 32) / 1000000000ull;
    return ((uint64_t)(sec + 2208988800ll) << 32) | frac;
}

uint32_t rtcp_rtt_us(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr)
{
    uint32_t rtt;

    if (lsr == 0)
        return 0;
    rtt = arrival_mid - lsr - dlsr;
    if ((int32_t)rtt < 0)
        return 0;
    return (uint32_t)(((uint64_t)rtt * 1000000ull) >> 16);
}
