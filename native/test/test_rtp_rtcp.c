/* RTCP SR/RR/SDES build and parse, RTT (RFC 3550 6.4.1). */
#include "sg_test.h"
#include "rtp/rtcp.h"

/* RR from SSRC 0x11111111 with one report block about 0x22222222. */
static const uint8_t rr_fixture[] = {
    0x81, 201, 0x00, 0x07,              /* V=2 RC=1 PT=RR length 7 words */
    0x11, 0x11, 0x11, 0x11,             /* sender SSRC */
    0x22, 0x22, 0x22, 0x22,             /* block: source SSRC */
    0x40, 0xff, 0xff, 0xfe,             /* fraction 64/256, cumulative lost -2 (24-bit) */
    0x00, 0x01, 0x00, 0x10,             /* extended highest seq 65552 */
    0x00, 0x00, 0x00, 0x50,             /* jitter 80 */
    0x12, 0x34, 0x56, 0x78,             /* LSR */
    0x00, 0x01, 0x00, 0x00,             /* DLSR 1.0 s */
};

SG_TEST(rtcp_parse_rr_fixture)
{
    rtcp_info info;
    SG_CHECK_EQ_INT(rtcp_parse(rr_fixture, 32, 0x22222222u, &info), 1);
    SG_CHECK_EQ_INT(info.sender_ssrc, 0x11111111u);
    SG_CHECK_EQ_INT(info.has_sr, 0);
    SG_CHECK_EQ_INT(info.has_block, 1);
    SG_CHECK_EQ_INT(info.block.fraction_lost, 64);
    SG_CHECK_EQ_INT(info.block.cumulative_lost, -2);
    SG_CHECK_EQ_INT(info.block.ext_max_seq, 65552);
    SG_CHECK_EQ_INT(info.block.jitter, 80);
    SG_CHECK_EQ_INT(info.block.lsr, 0x12345678u);
    SG_CHECK_EQ_INT(info.block.dlsr, 65536);
    /* A block about someone else is ignored. */
    SG_CHECK_EQ_INT(rtcp_parse(rr_fixture, 32, 0x33333333u, &info), 1);
    SG_CHECK_EQ_INT(info.has_block, 0);
}

SG_TEST(rtcp_parse_rejects_malformed)
{
    rtcp_info info;
    uint8_t b[64];

    memcpy(b, rr_fixture, 32);
    SG_CHECK_EQ_INT(rtcp_parse(b, 31, 0, &info), -1);      /* length past the end */
    b[1] = 202;                                             /* first packet not SR/RR */
    SG_CHECK_EQ_INT(rtcp_parse(b, 32, 0, &info), -1);
    memcpy(b, rr_fixture, 32);
    b[0] = 0x41;                                            /* version 1 */
    SG_CHECK_EQ_INT(rtcp_parse(b, 32, 0, &info), -1);
    SG_CHECK_EQ_INT(rtcp_parse(b, 0, 0, &info), -1);
}

SG_TEST(rtcp_sr_roundtrip)
{
    rtcp_report r;
    rtcp_info info;
    uint8_t b[256];
    size_t n;

    memset(&r, 0, sizeof(r));
    r.ssrc = 0xaabbccddu;
    r.has_sr = 1;
    r.has_block = 1;
    r.ntp = rtcp_ntp_from_timespec(1700000000, 500000000);
    r.rtp_ts = 12345;
    r.packets = 50;
    r.octets = 8000;
    r.block.ssrc = 0x01020304u;
    r.block.fraction_lost = 3;
    r.block.cumulative_lost = 9;
    r.block.ext_max_seq = 777;
    r.block.jitter = 12;
    r.block.lsr = 0x1000;
    r.block.dlsr = 0x20;
    r.cname = "sg-1@spangate";
    n = rtcp_build(b, sizeof(b), &r);
    SG_CHECK(n > 0 && n % 4 == 0);
    SG_CHECK_EQ_INT(b[0], 0x81);
    SG_CHECK_EQ_INT(b[1], 200);
    SG_CHECK_EQ_INT(rtcp_parse(b, n, 0x01020304u, &info), 2);
    SG_CHECK_EQ_INT(info.has_sr, 1);
    SG_CHECK_EQ_INT(info.sender_ssrc, 0xaabbccddu);
    SG_CHECK_EQ_INT(info.sr_ntp_mid, rtcp_ntp_mid(r.ntp));
    SG_CHECK_EQ_INT(info.sr_rtp_ts, 12345);
    SG_CHECK_EQ_INT(info.sr_packets, 50);
    SG_CHECK_EQ_INT(info.block.cumulative_lost, 9);
    SG_CHECK_EQ_INT(info.block.ext_max_seq, 777);
    SG_CHECK_EQ_INT(rtcp_build(b, 20, &r), 0);             /* too small */
}

SG_TEST(rtcp_ntp_and_rtt)
{
    /* 0.5 s is 0x80000000 in the NTP fraction; 1970 is 2208988800 s after 1900. */
    uint64_t ntp = rtcp_ntp_from_timespec(0, 500000000);
    SG_CHECK_EQ_INT(ntp >> 32, 2208988800ull);
    SG_CHECK_EQ_INT((uint32_t)ntp, 0x80000000u);
    /* RFC 3550 6.4.1 example: A=0xb710:8000 (46864.500 s), LSR=0xb705:2000 (46853.125 s),
     * DLSR=0x0005:4000 (5.250 s) -> RTT 6.125 s. */
    SG_CHECK_EQ_INT(rtcp_rtt_us(0xb7108000u, 0xb7052000u, 0x00054000u), 6125000);
    SG_CHECK_EQ_INT(rtcp_rtt_us(0xb7108000u, 0, 5), 0);
}
