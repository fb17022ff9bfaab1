/* RTP header parse/build and RFC 3550 receive statistics, on annotated byte fixtures. */
#include "sg_test.h"
#include "rtp/packet.h"

/* PCMU packet: V=2 P=0 X=0 CC=0 | M=1 PT=0 | seq 0x1234 | ts 0x00000a00 | SSRC 0xdeadbeef | 4 payload bytes */
static const uint8_t pkt_basic[] = {
    0x80, 0x80, 0x12, 0x34,             /* V=2, M=1 PT=0, seq 4660 */
    0x00, 0x00, 0x0a, 0x00,             /* ts 2560 */
    0xde, 0xad, 0xbe, 0xef,             /* SSRC */
    0xff, 0xfe, 0x7f, 0x00,             /* payload */
};

/* CC=1, X=1 (one-word extension), P=1 (3 bytes of padding) */
static const uint8_t pkt_full[] = {
    0xb1, 0x08, 0x00, 0x01,             /* V=2 P=1 X=1 CC=1 | M=0 PT=8 | seq 1 */
    0x00, 0x00, 0x00, 0xa0,             /* ts 160 */
    0x01, 0x02, 0x03, 0x04,             /* SSRC */
    0x11, 0x22, 0x33, 0x44,             /* CSRC[0] */
    0xbe, 0xde, 0x00, 0x01,             /* extension profile 0xbede, length 1 word */
    0x10, 0xaa, 0x00, 0x00,             /* extension data */
    0xd5, 0xd5,                         /* payload (2 bytes) */
    0x00, 0x00, 0x03,                   /* padding, last byte = 3 */
};

SG_TEST(rtp_parse_basic)
{
    rtp_header h;
    SG_CHECK_EQ_INT(rtp_parse(pkt_basic, sizeof(pkt_basic), &h), 0);
    SG_CHECK_EQ_INT(h.marker, 1);
    SG_CHECK_EQ_INT(h.pt, 0);
    SG_CHECK_EQ_INT(h.seq, 0x1234);
    SG_CHECK_EQ_INT(h.ts, 2560);
    SG_CHECK_EQ_INT(h.ssrc, 0xdeadbeefu);
    SG_CHECK_EQ_INT(h.header_len, 12);
    SG_CHECK_EQ_INT(h.payload_len, 4);
}

SG_TEST(rtp_parse_csrc_extension_padding)
{
    rtp_header h;
    SG_CHECK_EQ_INT(rtp_parse(pkt_full, sizeof(pkt_full), &h), 0);
    SG_CHECK_EQ_INT(h.pt, 8);
    SG_CHECK_EQ_INT(h.cc, 1);
    SG_CHECK_EQ_INT(h.header_len, 24);
    SG_CHECK_EQ_INT(h.padding, 3);
    SG_CHECK_EQ_INT(h.payload_len, 2);
}

SG_TEST(rtp_parse_rejects_malformed)
{
    uint8_t b[sizeof(pkt_full)];
    rtp_header h;

    SG_CHECK_EQ_INT(rtp_parse(pkt_basic, 11, &h), -1);          /* short */
    memcpy(b, pkt_basic, sizeof(pkt_basic));
    b[0] = 0x40;                                                /* version 1 */
    SG_CHECK_EQ_INT(rtp_parse(b, sizeof(pkt_basic), &h), -1);
    memcpy(b, pkt_full, sizeof(pkt_full));
    b[sizeof(pkt_full) - 1] = 0;                                /* zero padding count */
    SG_CHECK_EQ_INT(rtp_parse(b, sizeof(pkt_full), &h), -1);
    b[sizeof(pkt_full) - 1] = 200;                              /* padding past the start */
    SG_CHECK_EQ_INT(rtp_parse(b, sizeof(pkt_full), &h), -1);
    memcpy(b, pkt_full, sizeof(pkt_full));
    b[19] = 0x40;                                               /* extension runs past the end */
    SG_CHECK_EQ_INT(rtp_parse(b, sizeof(pkt_full), &h), -1);
    memcpy(b, pkt_basic, sizeof(pkt_basic));
    b[0] = 0x8f;                                                /* 15 CSRCs, no room */
    SG_CHECK_EQ_INT(rtp_parse(b, sizeof(pkt_basic), &h), -1);
}

SG_TEST(rtp_write_and_rewrite)
{
    uint8_t b[16];
    rtp_header h;

    SG_CHECK_EQ_INT(rtp_write_header(b, 0, 1, 0x1234, 2560, 0xdeadbeefu), 12);
    SG_CHECK_MEM(b, pkt_basic, 12);
    rtp_rewrite(b, 101, 0, 7, 99, 5);
    SG_CHECK_EQ_INT(rtp_parse(b, 12, &h), 0);
    SG_CHECK_EQ_INT(h.pt, 101);
    SG_CHECK_EQ_INT(h.marker, 0);
    SG_CHECK_EQ_INT(h.seq, 7);
    SG_CHECK_EQ_INT(h.ts, 99);
    SG_CHECK_EQ_INT(h.ssrc, 5);
}

SG_TEST(rtp_rtcp_mux_demux)
{
    const uint8_t rr[] = { 0x80, 201, 0x00, 0x01 };
    SG_CHECK(rtp_is_rtcp(rr, sizeof(rr)));
    SG_CHECK(!rtp_is_rtcp(pkt_basic, sizeof(pkt_basic)));
}

SG_TEST(rtp_stats_loss_and_wrap)
{
    rtp_rx_stats s;
    uint16_t seq = 65530;
    int i;

    rtp_stats_init(&s, 1, seq);
    for (i = 1; i < 20; i++) {
        if (i == 5 || i == 6)
            continue;                                   /* two lost, across the wrap */
        SG_CHECK_EQ_INT(rtp_stats_update_seq(&s, (uint16_t)(seq + i)), 1);
    }
    SG_CHECK_EQ_INT(rtp_stats_expected(&s), 20);
    SG_CHECK_EQ_INT(rtp_stats_lost(&s), 2);
    SG_CHECK_EQ_INT(rtp_stats_ext_max(&s), 65536u + 13u);
    SG_CHECK_EQ_INT(rtp_stats_fraction_lost(&s), (2 * 256) / 20);
    SG_CHECK_EQ_INT(rtp_stats_fraction_lost(&s), 0);   /* new interval, nothing lost */
    SG_CHECK_EQ_INT(rtp_stats_update_seq(&s, (uint16_t)(seq + 19)), 0);  /* duplicate */
}

SG_TEST(rtp_stats_restart_after_jump)
{
    rtp_rx_stats s;
    rtp_stats_init(&s, 1, 100);
    SG_CHECK_EQ_INT(rtp_stats_update_seq(&s, 101), 1);
    SG_CHECK_EQ_INT(rtp_stats_update_seq(&s, 40000), 0);   /* first jump: held */
    SG_CHECK_EQ_INT(rtp_stats_update_seq(&s, 40001), -1);  /* confirmed: restart */
}

SG_TEST(rtp_stats_jitter_a8)
{
    rtp_rx_stats s;
    uint32_t i, ts = 0, arrival = 1000;

    rtp_stats_init(&s, 1, 0);
    /* Perfectly paced: jitter stays 0. */
    for (i = 0; i < 50; i++, ts += 160, arrival += 160)
        rtp_stats_update_jitter(&s, ts, arrival);
    SG_CHECK_EQ_INT(rtp_stats_jitter(&s), 0);
    /* Alternating +-40 units of arrival noise: |D| = 80 each packet; J converges to 80. */
    for (i = 0; i < 400; i++, ts += 160, arrival += 160)
        rtp_stats_update_jitter(&s, ts, arrival + ((i & 1) ? 40u : 0u) - ((i & 1) ? 0u : 40u));
    SG_CHECK(rtp_stats_jitter(&s) >= 78 && rtp_stats_jitter(&s) <= 80);
}

SG_TEST(rtp_stats_jitter_extreme_transit)
{
    /* Fuzzer find: a transit difference of exactly INT32_MIN (timestamps half the clock apart). */
    rtp_rx_stats s;
    int i;

    rtp_stats_init(&s, 1, 0);
    rtp_stats_update_jitter(&s, 0, 0);
    for (i = 0; i < 100; i++)
        rtp_stats_update_jitter(&s, (i & 1) ? 0u : 0x80000000u, 0);
    SG_CHECK(rtp_stats_jitter(&s) <= 0x03ffffffu);
}
