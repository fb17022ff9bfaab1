/* SRTP/SRTCP through libsrtp2 with SDES inline keys. */
#include "sg_test.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/srtp.h"
#include "spangate/rtp.h"

/* 30 bytes 0x00..0x1d in base64 (RFC 4568 inline key material). */
static const char key_a[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
static const char key_b[] = "HRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgEA";

SG_TEST(srtp_key_decode)
{
    uint8_t k[SGSRTP_KEY_LEN];
    SG_CHECK_EQ_INT(sgsrtp_key_decode(key_a, k), 0);
    SG_CHECK_EQ_INT(k[0], 0);
    SG_CHECK_EQ_INT(k[29], 0x1d);
    SG_CHECK_EQ_INT(sgsrtp_key_decode("AAEC", k), -1);                   /* too short */
    SG_CHECK_EQ_INT(sgsrtp_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw*", k), -1);
    SG_CHECK_EQ_INT(sgsrtp_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^20|1:4", k), -1);
}

static void roundtrip(int *sg_failed_, int suite, int tag)
{
    sgsrtp a, b;
    uint8_t pkt[200 + SGSRTP_MAX_TRAILER], orig[172];
    int len = 172, i;
    rtp_header h;

    SG_CHECK_EQ_INT(sgsrtp_create(&a, suite, key_a, key_b), 0);
    SG_CHECK_EQ_INT(sgsrtp_create(&b, suite, key_b, key_a), 0);
    for (i = 0; i < 3; i++) {
        len = 172;
        rtp_write_header(pkt, 0, 0, (uint16_t)(100 + i), 160u * (uint32_t)i, 0x1234);
        memset(pkt + 12, 0x55 + i, 160);
        memcpy(orig, pkt, 172);
        SG_CHECK_EQ_INT(sgsrtp_protect(&a, pkt, &len), 0);
        SG_CHECK_EQ_INT(len, 172 + tag);
        SG_CHECK(memcmp(pkt + 12, orig + 12, 160) != 0);          /* payload encrypted */
        SG_CHECK_EQ_INT(sgsrtp_unprotect(&b, pkt, &len), 0);
        SG_CHECK_EQ_INT(len, 172);
        SG_CHECK_MEM(pkt, orig, 172);
    }
    /* Replay of the last packet fails. */
    len = 172;
    memcpy(pkt, orig, 172);
    pkt[3] = (uint8_t)(pkt[3] + 1);
    SG_CHECK_EQ_INT(sgsrtp_protect(&a, pkt, &len), 0);
    {
        uint8_t copy[sizeof(pkt)];
        int l2 = len;
        memcpy(copy, pkt, (size_t)len);
        SG_CHECK_EQ_INT(sgsrtp_unprotect(&b, pkt, &len), 0);
        SG_CHECK_EQ_INT(sgsrtp_unprotect(&b, copy, &l2), -1);
    }
    /* Tampering fails authentication. */
    len = 172;
    rtp_write_header(pkt, 0, 0, 200, 9999, 0x1234);
    SG_CHECK_EQ_INT(sgsrtp_protect(&a, pkt, &len), 0);
    pkt[20] ^= 1;
    SG_CHECK_EQ_INT(sgsrtp_unprotect(&b, pkt, &len), -1);
    (void)rtp_parse(orig, 172, &h);
    sgsrtp_destroy(&a);
    sgsrtp_destroy(&b);
}

SG_TEST(srtp_roundtrip_80)
{
    roundtrip(sg_failed_, SG_SRTP_AES_CM_128_HMAC_SHA1_80, 10);
}

SG_TEST(srtp_roundtrip_32)
{
    roundtrip(sg_failed_, SG_SRTP_AES_CM_128_HMAC_SHA1_32, 4);
}

SG_TEST(srtcp_roundtrip)
{
    sgsrtp a, b;
    rtcp_report r;
    rtcp_info info;
    uint8_t buf[256 + SGSRTP_MAX_TRAILER];
    int len;

    SG_CHECK_EQ_INT(sgsrtp_create(&a, SG_SRTP_AES_CM_128_HMAC_SHA1_32, key_a, key_b), 0);
    SG_CHECK_EQ_INT(sgsrtp_create(&b, SG_SRTP_AES_CM_128_HMAC_SHA1_32, key_b, key_a), 0);
    memset(&r, 0, sizeof(r));
    r.ssrc = 42;
    r.cname = "x";
    len = (int)rtcp_build(buf, 256, &r);
    SG_CHECK_EQ_INT(sgsrtp_protect_rtcp(&a, buf, &len), 0);
    SG_CHECK_EQ_INT(len, 20 + 4 + 10);                  /* RR 8 + SDES 12, E|index 4, 80-bit tag */
    SG_CHECK_EQ_INT(sgsrtp_unprotect_rtcp(&b, buf, &len), 0);
    SG_CHECK_EQ_INT(rtcp_parse(buf, (size_t)len, 0, &info), 2);
    SG_CHECK_EQ_INT(info.sender_ssrc, 42);
    sgsrtp_destroy(&a);
    sgsrtp_destroy(&b);
}

SG_TEST(srtp_create_rejects_bad_input)
{
    sgsrtp s;
    SG_CHECK_EQ_INT(sgsrtp_create(&s, 9, key_a, key_b), SG_EINVAL);
    SG_CHECK_EQ_INT(sgsrtp_create(&s, SG_SRTP_AES_CM_128_HMAC_SHA1_80, "nope", key_b), SG_EINVAL);
    SG_CHECK(s.tx == NULL && s.rx == NULL);
}
