/* CESoPSN control word (RFC 5086 section 5). */
#include <string.h>
#include "span/cesopsn.h"

int cesopsn_encode(uint8_t *out, size_t cap, const cesopsn_cw *cw, const uint8_t *payload, size_t plen)
{
    size_t total = CESOPSN_CW_LEN + plen;
    uint8_t len6 = total < CESOPSN_MIN_PACKET ? (uint8_t)total : 0;

    if (out == NULL || cw == NULL || total > cap || (plen > 0 && payload == NULL))
        return -1;
    out[0] = (uint8_t)((cw->l ? 0x08 : 0) | (cw->r ? 0x04 : 0) | (cw->m & 0x03));
    out[1] = (uint8_t)(len6 & 0x3f); /* FRG = 00 */
    out[2] = (uint8_t)(cw->seq >> 8);
    out[3] = (uint8_t)(cw->seq & 0xff);
    if (plen > 0)
        memcpy(out + CESOPSN_CW_LEN, payload, plen);
    return (int)total;
}

int cesopsn_decode(const uint8_t *pkt, size_t n, cesopsn_cw *cw, const uint8_t **payload, size_t *plen)
{
    size_t len6;

    if (pkt == NULL || n < CESOPSN_CW_LEN)
        return CESOPSN_ESHORT;
    if ((pkt[0] & 0xf0) != 0)
        return CESOPSN_ERESERVED;
    if ((pkt[1] & 0xc0) != 0)
        return CESOPSN_EFRAG;
    cw->l = (pkt[0] >> 3) & 1;
    cw->r = (pkt[0] >> 2) & 1;
    cw->m = pkt[0] & 0x03;
    cw->seq = (uint16_t)((pkt[2] << 8) | pkt[3]);
    /* M = 01 is reserved; with L set only M = 00 and 10 are defined. */
    if (cw->m == 1)
        return CESOPSN_EMODIFIER;
    len6 = pkt[1] & 0x3f;
    if (len6 != 0) {
        /* A short packet carries its true length; the rest is padding. */
        if (len6 < CESOPSN_CW_LEN || len6 > n || n > CESOPSN_MIN_PACKET)
            return CESOPSN_ELEN;
        n = len6;
    } else if (n < CESOPSN_MIN_PACKET && n > CESOPSN_CW_LEN) {
        /* A packet under 64 bytes must say its length. */
        return CESOPSN_ELEN;
    }
    *payload = pkt + CESOPSN_CW_LEN;
    *plen = n - CESOPSN_CW_LEN;
    return 0;
}
