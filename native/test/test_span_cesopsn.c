/* CESoPSN control word (RFC 5086 section 5.1) against annotated byte fixtures. */
#include "sg_test.h"
#include "span/cesopsn.h"

SG_TEST(span_cesopsn_encode_short_e1_packet_carries_len)
{
    uint8_t payload[31], out[128];
    /* One E1 frame (31 timeslots) with R set: 4 + 31 = 35 bytes < 64, so LEN = 35.
     *   0x04 = 0000 L=0 R=1 M=00   0x23 = FRG=00 LEN=100011 (35)   0x12 0x34 = sequence */
    static const uint8_t want_cw[4] = { 0x04, 0x23, 0x12, 0x34 };
    cesopsn_cw cw = { .l = 0, .r = 1, .m = 0, .seq = 0x1234 };
    int i, n;

    for (i = 0; i < 31; i++)
        payload[i] = (uint8_t)i;
    n = cesopsn_encode(out, sizeof(out), &cw, payload, sizeof(payload));
    SG_CHECK_EQ_INT(n, 35);
    SG_CHECK_MEM(out, want_cw, 4);
    SG_CHECK_MEM(out + 4, payload, 31);
}

SG_TEST(span_cesopsn_encode_long_t1_packet_len_zero)
{
    uint8_t payload[192], out[256];
    /* 8 T1 frames (8 x 24 = 192 bytes): 196 >= 64, so LEN = 0.
     *   0x00 = L=0 R=0 M=00   0x00 = FRG=00 LEN=0   0xff 0xff = sequence 65535 */
    static const uint8_t want_cw[4] = { 0x00, 0x00, 0xff, 0xff };
    cesopsn_cw cw = { .seq = 0xffff };

    memset(payload, 0xd5, sizeof(payload));
    SG_CHECK_EQ_INT(cesopsn_encode(out, sizeof(out), &cw, payload, sizeof(payload)), 196);
    SG_CHECK_MEM(out, want_cw, 4);
    SG_CHECK_EQ_INT(cesopsn_encode(out, 100, &cw, payload, sizeof(payload)), -1);
}

SG_TEST(span_cesopsn_decode_fixtures)
{
    cesopsn_cw cw;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    /* L=1 (AIS), payload omitted: 0x08 = L=1 R=0 M=00, LEN = 4, sequence 7. */
    static const uint8_t ais[4] = { 0x08, 0x04, 0x00, 0x07 };
    /* LEN = 6 in a 64-byte (padded) packet: 2 payload bytes, then padding. */
    uint8_t padded[64] = { 0x02, 0x06, 0x00, 0x01, 0xaa, 0xbb };

    SG_CHECK_EQ_INT(cesopsn_decode(ais, sizeof(ais), &cw, &pl, &plen), 0);
    SG_CHECK_EQ_INT(cw.l, 1);
    SG_CHECK_EQ_INT(cw.r, 0);
    SG_CHECK_EQ_INT(cw.seq, 7);
    SG_CHECK_EQ_INT(plen, 0);

    SG_CHECK_EQ_INT(cesopsn_decode(padded, sizeof(padded), &cw, &pl, &plen), 0);
    SG_CHECK_EQ_INT(cw.m, 2); /* M = 10: RDI of the attachment circuit */
    SG_CHECK_EQ_INT(plen, 2);
    SG_CHECK_EQ_INT(pl[0], 0xaa);
    SG_CHECK_EQ_INT(pl[1], 0xbb);
}

SG_TEST(span_cesopsn_decode_rejects_malformed)
{
    cesopsn_cw cw;
    const uint8_t *pl;
    size_t plen;
    uint8_t big[100] = { 0 };
    static const uint8_t shortp[3] = { 0, 0, 0 };
    static const uint8_t reserved[8] = { 0x10, 0x08, 0, 1, 0, 0, 0, 0 };  /* bit 3 of the nibble set */
    static const uint8_t frag[8] = { 0x00, 0x48, 0, 1, 0, 0, 0, 0 };      /* FRG = 01 */
    static const uint8_t m01[8] = { 0x01, 0x08, 0, 1, 0, 0, 0, 0 };       /* M = 01 reserved */
    static const uint8_t longlen[8] = { 0x00, 0x20, 0, 1, 0, 0, 0, 0 };   /* LEN 32 > 8 bytes */
    static const uint8_t nolen[8] = { 0x00, 0x00, 0, 1, 0, 0, 0, 0 };     /* short without LEN */

    SG_CHECK_EQ_INT(cesopsn_decode(shortp, 3, &cw, &pl, &plen), CESOPSN_ESHORT);
    SG_CHECK_EQ_INT(cesopsn_decode(reserved, 8, &cw, &pl, &plen), CESOPSN_ERESERVED);
    SG_CHECK_EQ_INT(cesopsn_decode(frag, 8, &cw, &pl, &plen), CESOPSN_EFRAG);
    SG_CHECK_EQ_INT(cesopsn_decode(m01, 8, &cw, &pl, &plen), CESOPSN_EMODIFIER);
    SG_CHECK_EQ_INT(cesopsn_decode(longlen, 8, &cw, &pl, &plen), CESOPSN_ELEN);
    SG_CHECK_EQ_INT(cesopsn_decode(nolen, 8, &cw, &pl, &plen), CESOPSN_ELEN);
    big[1] = 10; /* LEN set on a packet over 64 bytes */
    SG_CHECK_EQ_INT(cesopsn_decode(big, sizeof(big), &cw, &pl, &plen), CESOPSN_ELEN);
}

SG_TEST(span_cesopsn_roundtrip_every_sequence_edge)
{
    uint8_t payload[248], out[300];
    const uint8_t *pl;
    size_t plen;
    cesopsn_cw cw = { 0 }, got;
    static const uint16_t seqs[] = { 0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff };
    unsigned i;

    memset(payload, 0x5a, sizeof(payload));
    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        int n;
        cw.seq = seqs[i];
        n = cesopsn_encode(out, sizeof(out), &cw, payload, sizeof(payload));
        SG_CHECK_EQ_INT(cesopsn_decode(out, (size_t)n, &got, &pl, &plen), 0);
        SG_CHECK_EQ_INT(got.seq, seqs[i]);
        SG_CHECK_EQ_INT(plen, sizeof(payload));
    }
}

SG_TEST(span_cesopsn_decode_random_bytes_never_overruns)
{
    uint8_t pkt[300];
    cesopsn_cw cw;
    const uint8_t *pl;
    size_t plen, n;
    uint32_t x = 0x12345678u;
    int i, ok = 0;
    unsigned k;

    /* 200k packets of xorshift noise and lengths 0..299: a decoded payload always lies
     * inside the packet. */
    for (i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n = x % sizeof(pkt);
        for (k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            pkt[k] = (uint8_t)(k < 2 ? x & 0x0f3f : x); /* keep the CW plausible often */
        }
        if (cesopsn_decode(pkt, n, &cw, &pl, &plen) == 0) {
            ok++;
            if (pl < pkt + CESOPSN_CW_LEN || pl + plen > pkt + n)
                SG_CHECK(0);
        }
    }
    SG_CHECK(ok > 0);
}
