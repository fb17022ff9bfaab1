/* libsrtp2 sessions for SDES-keyed SRTP (AES_CM_128_HMAC_SHA1_80 / _32). */
#include <pthread.h>
#include <string.h>
#include <srtp2/srtp.h>
#include "rtp/srtp.h"
#include "spangate/rtp.h"

_Static_assert(SGSRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN, "trailer room");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1;

static void do_init(void)
{
    init_status = srtp_init() == srtp_err_status_ok ? 0 : -1;
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int sgsrtp_key_decode(const char *b64, uint8_t key[SGSRTP_KEY_LEN])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0, i;

    if (b64 == NULL)
        return -1;
    for (i = 0; b64[i] != '\0' && b64[i] != '|'; i++) {
        int v;
        if (b64[i] == '=')
            break;
        v = b64_val((unsigned char)b64[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= SGSRTP_KEY_LEN)
                return -1;
            key[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* Lifetime/MKI parameters are not supported: one key for the session. */
    if (strchr(b64, '|') != NULL)
        return -1;
    return n == SGSRTP_KEY_LEN ? 0 : -1;
}

static int make_session(void **out, int suite, const uint8_t key[SGSRTP_KEY_LEN], int outbound)
{
    srtp_policy_t p;
    srtp_t session = NULL;
    uint8_t k[SGSRTP_KEY_LEN];

    memcpy(k, key, sizeof(k));
    memset(&p, 0, sizeof(p));
    if (suite == SG_SRTP_AES_CM_128_HMAC_SHA1_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    else
        srtp_crypto_policy_set_rtp_default(&p.rtp);
    /* SRTCP always uses the 80-bit tag (RFC 4568 6.2.1). */
    srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    p.key = k;
    p.window_size = 128;
    p.allow_repeat_tx = 0;
    p.next = NULL;
    if (srtp_create(&session, &p) != srtp_err_status_ok)
        return -1;
    *out = session;
    return 0;
}

int sgsrtp_create(sgsrtp *s, int suite, const char *tx_key_b64, const char *rx_key_b64)
{
    uint8_t txk[SGSRTP_KEY_LEN], rxk[SGSRTP_KEY_LEN];
    int rc = SG_OK;

    memset(s, 0, sizeof(*s));
    if (suite != SG_SRTP_AES_CM_128_HMAC_SHA1_80 && suite != SG_SRTP_AES_CM_128_HMAC_SHA1_32)
        return SG_EINVAL;
    if (sgsrtp_key_decode(tx_key_b64, txk) < 0 || sgsrtp_key_decode(rx_key_b64, rxk) < 0)
        return SG_EINVAL;
    pthread_once(&init_once, do_init);
    if (init_status < 0)
        return SG_EIO;
    if (make_session(&s->tx, suite, txk, 1) < 0 || make_session(&s->rx, suite, rxk, 0) < 0) {
        rc = SG_EIO;
        goto out;
    }
    s->suite = (uint8_t)suite;
out:
    if (rc != SG_OK)
        sgsrtp_destroy(s);
    memset(txk, 0, sizeof(txk));
    memset(rxk, 0, sizeof(rxk));
    return rc;
}

void sgsrtp_destroy(sgsrtp *s)
{
    if (s->tx)
        srtp_dealloc((srtp_t)s->tx);
    if (s->rx)
        srtp_dealloc((srtp_t)s->rx);
    s->tx = s->rx = NULL;
    s->suite = 0;
}

int sgsrtp_protect(sgsrtp *s, uint8_t *buf, int *len)
{
    return srtp_protect((srtp_t)s->tx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int sgsrtp_unprotect(sgsrtp *s, uint8_t *buf, int *len)
{
    return srtp_unprotect((srtp_t)s->rx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int sgsrtp_protect_rtcp(sgsrtp *s, uint8_t *buf, int *len)
{
    return srtp_protect_rtcp((srtp_t)s->tx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int sgsrtp_unprotect_rtcp(sgsrtp *s, uint8_t *buf, int *len)
{
    return srtp_unprotect_rtcp((srtp_t)s->rx, buf, len) == srtp_err_status_ok ? 0 : -1;
}
