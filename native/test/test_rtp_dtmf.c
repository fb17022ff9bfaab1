/* RFC 4733 telephone-events: payload fixtures, receive de-duplication, paced sending. */
#include "sg_test.h"
#include "rtp/dtmf.h"

/* Digit '5', end bit set, volume 10, duration 800 (100 ms at 8 kHz). */
static const uint8_t ev_5_end[] = { 0x05, 0x8a, 0x03, 0x20 };

SG_TEST(dtmf_payload_fixture)
{
    dtmf_payload p;
    uint8_t b[4];

    SG_CHECK_EQ_INT(dtmf_parse(ev_5_end, sizeof(ev_5_end), &p), 0);
    SG_CHECK_EQ_INT(p.event, 5);
    SG_CHECK_EQ_INT(p.end, 1);
    SG_CHECK_EQ_INT(p.volume, 10);
    SG_CHECK_EQ_INT(p.duration, 800);
    SG_CHECK_EQ_INT(dtmf_write(b, &p), 4);
    SG_CHECK_MEM(b, ev_5_end, 4);
    SG_CHECK_EQ_INT(dtmf_parse(ev_5_end, 3, &p), -1);
}

SG_TEST(dtmf_rx_one_start_one_end)
{
    dtmf_rx rx, prev;
    dtmf_payload p = { .event = 1, .end = 0, .volume = 10, .duration = 160 };
    int r;

    memset(&rx, 0, sizeof(rx));
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 1000, &p, &prev), DTMF_RX_START);
    p.duration = 320;
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 1000, &p, &prev), 0);
    p.end = 1;
    p.duration = 480;
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 1000, &p, &prev), DTMF_RX_END);
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 1000, &p, &prev), 0);   /* retransmitted end */
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 1000, &p, &prev), 0);
    SG_CHECK_EQ_INT(rx.duration, 480);
    /* A stale packet of an older event is ignored. */
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 900, &p, &prev), 0);
    /* Next digit begins; its end was lost, then another digit: the lost end is reported. */
    p.end = 0;
    p.event = 2;
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 3000, &p, &prev), DTMF_RX_START);
    p.event = 3;
    r = dtmf_rx_packet(&rx, 5000, &p, &prev);
    SG_CHECK_EQ_INT(r, DTMF_RX_START | DTMF_RX_LOST_END);
    SG_CHECK_EQ_INT(prev.event, 2);
    /* A single packet with the end bit (very short event) starts and ends at once. */
    p.event = 4;
    p.end = 1;
    SG_CHECK_EQ_INT(dtmf_rx_packet(&rx, 7000, &p, &prev), DTMF_RX_START | DTMF_RX_END | DTMF_RX_LOST_END);
}

SG_TEST(dtmf_tx_paces_and_repeats_end)
{
    dtmf_tx t;
    uint8_t pl[4];
    dtmf_payload p;
    int r, packets = 0, ends = 0, firsts = 0, i;

    memset(&t, 0, sizeof(t));
    SG_CHECK_EQ_INT(dtmf_tx_queue(&t, 11, 100, 10), 0);        /* '#', 100 ms */
    SG_CHECK_EQ_INT(dtmf_tx_queue(&t, 17, 100, 10), -1);       /* no such event */
    SG_CHECK_EQ_INT(dtmf_tx_queue(&t, 1, 20, 10), -1);         /* too short */
    for (i = 0; i < 20; i++) {
        r = dtmf_tx_tick(&t, 160, 8000, pl);
        if (!(r & DTMF_TX_PACKET))
            continue;
        packets++;
        SG_CHECK_EQ_INT(dtmf_parse(pl, 4, &p), 0);
        SG_CHECK_EQ_INT(p.event, 11);
        if (r & DTMF_TX_FIRST) {
            firsts++;
            SG_CHECK_EQ_INT(p.duration, 160);
        }
        if (p.end) {
            ends++;
            SG_CHECK_EQ_INT(p.duration, 800);
        }
    }
    SG_CHECK_EQ_INT(firsts, 1);
    SG_CHECK_EQ_INT(ends, 3);                 /* 5 ticks to 800 units: the 5th is the first end */
    SG_CHECK_EQ_INT(packets, 7);
    SG_CHECK(!dtmf_tx_busy(&t));
}
