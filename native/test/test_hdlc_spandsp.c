/* The D-channel HDLC (spandsp, CRC-16, as vspan configures it): frames survive a round
 * trip through the bitstream, bit stuffing keeps flags unique, damage is counted. */
#include <spandsp.h>
#include "sg_test.h"

typedef struct rx_log {
    int frames, bad;
    uint8_t last[512];
    int last_len;
} rx_log;

static void on_frame(void *ud, const uint8_t *pkt, int len, int ok)
{
    rx_log *l = ud;

    if (len < 0)
        return;
    if (!ok) {
        l->bad++;
        return;
    }
    l->frames++;
    memcpy(l->last, pkt, (size_t)len);
    l->last_len = len;
}

/* Bits in line order (spandsp emits each octet most significant bit first). */
static int bit_at(const uint8_t *s, int i)
{
    return (s[i / 8] >> (7 - i % 8)) & 1;
}

SG_TEST(hdlc_fcs_check_value)
{
    /* The HDLC FCS (CRC-16/X.25) of "123456789" is 0x906e, sent low octet first. */
    const uint8_t msg[] = "123456789";
    uint16_t crc = (uint16_t)~crc_itu16_calc(msg, 9, 0xffff);

    SG_CHECK_EQ_INT(crc, 0x906e);
}

SG_TEST(hdlc_roundtrip_with_bit_stuffing)
{
    hdlc_tx_state_t *tx = hdlc_tx_init(NULL, 0, 1, 0, NULL, NULL);
    rx_log log;
    hdlc_rx_state_t *rx;
    /* Q.921 SABME (address 0x00 0x01, control 0x7f) followed by octets that force stuffing:
     * 0xff has eight ones, 0x7e looks like a flag, 0x3f ends in six ones. */
    static const uint8_t frame[] = { 0x00, 0x01, 0x7f, 0xff, 0x7e, 0x3f, 0xfe, 0x7e, 0x7e };
    uint8_t line[256];
    int i, run = 0, maxrun_inside = 0, n;

    memset(&log, 0, sizeof(log));
    rx = hdlc_rx_init(NULL, 0, 1, 1, on_frame, &log);
    hdlc_tx_get(tx, line, 4); /* idle flags */
    SG_CHECK_EQ_INT(hdlc_tx_frame(tx, frame, sizeof(frame)), 0);
    SG_CHECK_EQ_INT(hdlc_tx_frame(tx, frame, sizeof(frame)), -1); /* one frame at a time */
    n = hdlc_tx_get(tx, line + 4, sizeof(line) - 4) + 4;
    /* Flags are 0111 1110: the only place six ones may occur. Count runs of ones: none may
     * exceed six, and stuffing must keep the data runs at five or fewer. */
    for (i = 0; i < n * 8; i++) {
        run = bit_at(line, i) ? run + 1 : 0;
        if (run > maxrun_inside)
            maxrun_inside = run;
    }
    SG_CHECK(maxrun_inside <= 6);
    hdlc_rx_put(rx, line, n);
    SG_CHECK_EQ_INT(log.frames, 1);
    SG_CHECK_EQ_INT(log.last_len, (int)sizeof(frame));
    SG_CHECK_MEM(log.last, frame, sizeof(frame));
    hdlc_tx_free(tx);
    hdlc_rx_free(rx);
}

SG_TEST(hdlc_crc_error_and_abort_are_counted)
{
    hdlc_tx_state_t *tx = hdlc_tx_init(NULL, 0, 1, 0, NULL, NULL);
    rx_log log;
    hdlc_rx_state_t *rx;
    hdlc_rx_stats_t st;
    static const uint8_t frame[] = { 0x02, 0x01, 0x00, 0x00, 0x08, 0x01, 0x05, 0x05, 0xa1 };
    /* Seven or more ones, then flags: the receiver sees the abort when the run ends. */
    static const uint8_t ones[6] = { 0xff, 0xff, 0xff, 0xff, 0x7e, 0x7e };
    uint8_t line[128];
    int n;

    memset(&log, 0, sizeof(log));
    rx = hdlc_rx_init(NULL, 0, 1, 1, on_frame, &log);
    hdlc_tx_get(tx, line, 2);
    hdlc_rx_put(rx, line, 2); /* the receiver syncs on the idle flags */
    hdlc_tx_frame(tx, frame, sizeof(frame));
    n = hdlc_tx_get(tx, line, sizeof(line));
    line[6] ^= 0x10; /* one bit flipped inside the frame */
    hdlc_rx_put(rx, line, n);
    hdlc_rx_get_stats(rx, &st);
    SG_CHECK_EQ_INT(log.frames, 0);
    SG_CHECK(st.crc_errors + st.length_errors >= 1);

    /* A frame cut by seven or more ones is an abort. */
    hdlc_tx_frame(tx, frame, sizeof(frame));
    n = hdlc_tx_get(tx, line, 6);
    hdlc_rx_put(rx, line, n);
    hdlc_rx_put(rx, ones, sizeof(ones));
    hdlc_rx_get_stats(rx, &st);
    SG_CHECK(st.aborts >= 1);
    SG_CHECK_EQ_INT(log.frames, 0);

    /* The receiver recovers: the next clean frame arrives. */
    hdlc_tx_restart(tx);
    hdlc_tx_get(tx, line, 2);
    hdlc_rx_put(rx, line, 2);
    hdlc_tx_frame(tx, frame, sizeof(frame));
    n = hdlc_tx_get(tx, line, sizeof(line));
    hdlc_rx_put(rx, line, n);
    SG_CHECK_EQ_INT(log.frames, 1);
    SG_CHECK_MEM(log.last, frame, sizeof(frame));
    hdlc_tx_free(tx);
    hdlc_rx_free(rx);
}
