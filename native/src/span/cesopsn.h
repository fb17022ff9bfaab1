/* CESoPSN (RFC 5086) packet control word: encode and decode. Pure functions, any thread.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  |0 0 0 0|L|R| M |FRG|    LEN    |       Sequence number         |
 *
 * L: the sender's TDM side failed (payload may be omitted, play AIS); R: the sender is in
 * packet loss (RAI toward us); M: 00 normal, 10 RDI of the attachment circuit; FRG must be
 * 00 in basic mode; LEN: CW + payload length when the packet is shorter than 64 bytes
 * (padding follows), else 0. The payload is N frames of the structure's timeslots. */
#ifndef SG_SPAN_CESOPSN_H
#define SG_SPAN_CESOPSN_H

#include <stddef.h>
#include <stdint.h>

#define CESOPSN_CW_LEN 4u
#define CESOPSN_MIN_PACKET 64u

typedef struct cesopsn_cw {
    uint8_t l;        /* 0/1 */
    uint8_t r;        /* 0/1 */
    uint8_t m;        /* 0..3 */
    uint16_t seq;
} cesopsn_cw;

typedef enum cesopsn_err {
    CESOPSN_ESHORT = -1,     /* shorter than the control word */
    CESOPSN_ERESERVED = -2,  /* bits 0..3 not zero */
    CESOPSN_EFRAG = -3,      /* FRG set: not allowed in basic mode */
    CESOPSN_ELEN = -4,       /* LEN inconsistent with the packet size */
    CESOPSN_EMODIFIER = -5   /* reserved L/M combination */
} cesopsn_err;

/* Writes CW + payload into out (no padding: LEN marks a packet under 64 bytes);
 * returns the packet length or -1 when out is too small. */
int cesopsn_encode(uint8_t *out, size_t cap, const cesopsn_cw *cw, const uint8_t *payload, size_t plen);

/* Parses a packet; on success fills *cw, points *payload into pkt and sets *plen
 * (padding removed) and returns 0; else a negative cesopsn_err. */
int cesopsn_decode(const uint8_t *pkt, size_t n, cesopsn_cw *cw, const uint8_t **payload, size_t *plen);

#endif
