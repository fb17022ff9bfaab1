/* Internal: SRTP/SRTCP for one endpoint through libsrtp2, keyed by SDES inline keys
 * (RFC 4568: base64 of a 16-byte master key + 14-byte master salt).
 * Threads: sgsrtp_create/destroy allocate (control or media thread at setup/teardown); the
 * protect/unprotect calls run on the owning media thread. libsrtp2 itself allocates a stream
 * the first time it sees a new inbound SSRC (ssrc_any_inbound), i.e. once per source. */
#ifndef SG_RTP_SRTP_H
#define SG_RTP_SRTP_H

#include <stddef.h>
#include <stdint.h>

#define SGSRTP_KEY_LEN 30u        /* 16 key + 14 salt */
#define SGSRTP_MAX_TRAILER 148u   /* >= libsrtp's SRTP_MAX_TRAILER_LEN */

typedef struct sgsrtp {
    void *tx;                     /* srtp_t, outbound */
    void *rx;                     /* srtp_t, inbound */
    uint8_t suite;                /* sg_srtp_suite */
} sgsrtp;

/* Decodes an SDES inline key (base64, optionally followed by "|lifetime|MKI" which is
 * refused unless absent). 0, or -1 when it is not 30 bytes of valid base64. */
int sgsrtp_key_decode(const char *b64, uint8_t key[SGSRTP_KEY_LEN]);

/* 0 (SG_OK) or SG_EINVAL (bad suite/key) / SG_EIO (libsrtp refused). *s is zeroed first. */
int sgsrtp_create(sgsrtp *s, int suite, const char *tx_key_b64, const char *rx_key_b64);
void sgsrtp_destroy(sgsrtp *s);

/* In place. buf must have len + SGSRTP_MAX_TRAILER bytes of room. Return 0 and update *len,
 * or -1. */
int sgsrtp_protect(sgsrtp *s, uint8_t *buf, int *len);
int sgsrtp_unprotect(sgsrtp *s, uint8_t *buf, int *len);
int sgsrtp_protect_rtcp(sgsrtp *s, uint8_t *buf, int *len);
int sgsrtp_unprotect_rtcp(sgsrtp *s, uint8_t *buf, int *len);

#endif
