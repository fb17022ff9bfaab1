/* Two vspans back to back over loopback (127.0.5.0/24) through a fault-injecting proxy:
 * the line comes up, B-channel audio crosses both ways, D-channel frames cross as HDLC,
 * and lost packets, garbage and malformed packets raise alarms or counters, never crashes. */
#include <string.h>
#include "sg_test.h"
#include "span/span.h"
#include "span/vspan.h"
#include "test_span_harness.h"

static sg_span_stats_t stats_of(int span)
{
    sg_span_stats_t st;

    memset(&st, 0, sizeof(st));
    sg_span_stats(span, &st, sizeof(st));
    return st;
}

SG_TEST(span_vspan_rejects_bad_config)
{
    sg_span_config_t c;

    memset(&c, 0, sizeof(c));
    SG_CHECK_EQ_INT(sg_span_open(NULL), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_span_open(&c), SG_EINVAL); /* struct_size */
    c.struct_size = sizeof(c);
    c.kind = 3;
    c.role = SG_SPAN_NETWORK;
    strcpy(c.local_addr, "127.0.5.1");
    SG_CHECK_EQ_INT(sg_span_open(&c), SG_EINVAL);
    c.kind = SG_SPAN_E1;
    strcpy(c.local_addr, "not-an-address");
    SG_CHECK_EQ_INT(sg_span_open(&c), SG_EINVAL);
    strcpy(c.local_addr, "127.0.5.1");
    c.frames_per_packet = 65;
    SG_CHECK_EQ_INT(sg_span_open(&c), SG_EINVAL);
    c.frames_per_packet = 8;
    c.remote_port = 5;
    SG_CHECK_EQ_INT(sg_span_open(&c), SG_EINVAL); /* remote port without address */
    SG_CHECK_EQ_INT(sg_span_close(0), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_span_close(99), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_span_read(5, 1, (uint8_t *)"", 0) < 0, 1);
}

/* A tone written on one end's timeslot arrives at the other end at the same frequency. */
static void tone_both_ways(int *sg_failed_, h_pair *p, int kind, int ts)
{
    static int16_t got[4000];
    int n;

    n = h_tone_through(p->net, ts, p->user, ts, kind, 1000.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    SG_CHECK(h_tone_ratio(got, n, 1000.0) > 0.9);
    SG_CHECK(h_tone_ratio(got, n, 1300.0) < 0.05);
    n = h_tone_through(p->user, ts, p->net, ts, kind, 697.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    SG_CHECK(h_tone_ratio(got, n, 697.0) > 0.9);
    SG_CHECK(h_tone_ratio(got, n, 1000.0) < 0.05);
}

SG_TEST(span_vspan_e1_line_up_and_tone_both_ways)
{
    h_pair p;
    sg_span_stats_t a, b;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK_EQ_INT(sg_span_timeslots(p.net), 31);
    SG_CHECK_EQ_INT(sg_span_dchannel(p.net), 16);
    /* Timeslot 16 is the D-channel, not a B-channel. */
    SG_CHECK_EQ_INT(sg_span_write(p.net, 16, (const uint8_t *)"x", 1), SG_EINVAL);
    tone_both_ways(sg_failed_, &p, SG_SPAN_E1, 5);
    tone_both_ways(sg_failed_, &p, SG_SPAN_E1, 31);
    a = stats_of(p.net);
    b = stats_of(p.user);
    SG_CHECK(a.tx_packets > 100 && a.rx_packets > 100);
    SG_CHECK(b.tx_packets > 100 && b.rx_packets > 100);
    SG_CHECK_EQ_INT(a.rx_malformed + b.rx_malformed, 0);
    SG_CHECK_EQ_INT(a.alarms | b.alarms, 0);
    h_pair_close(&p);
}

SG_TEST(span_vspan_t1_tone_with_half_ms_packets)
{
    h_pair p;

    h_events_reset();
    /* Four T1 frames per packet (500 us, 100-byte packets); the LEN field of packets under
     * 64 bytes is covered by test_span_cesopsn.c. Two frames per packet (52 bytes, LEN set,
     * 4000 packets/s each way) passed 14 of 15 runs under ASan on the loaded 2-core VM: too
     * timing-sensitive for the suite. */
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_T1, 4, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK_EQ_INT(sg_span_timeslots(p.user), 24);
    SG_CHECK_EQ_INT(sg_span_dchannel(p.user), 24);
    tone_both_ways(sg_failed_, &p, SG_SPAN_T1, 7);
    h_pair_close(&p);
}

/* D-channel frames go out as HDLC and come back whole; garbage on the timeslot is counted
 * (CRC errors, aborts) and the next frame still arrives. */
SG_TEST(span_vspan_dchannel_frames_and_garbage)
{
    h_pair p;
    span_t *a, *b;
    uint8_t buf[300];
    static const uint8_t f1[] = { 0x00, 0x01, 0x7f };                   /* SABME */
    static const uint8_t f2[] = { 0x02, 0x01, 0x00, 0x00, 0x08, 0x01, 0x81, 0x05, 0x7e, 0xff, 0x7d };
    static const uint8_t garbage[] = { 0x12, 0xfe, 0x7e, 0x31, 0x99, 0xff, 0xff, 0x00, 0x7e, 0x55, 0xaa,
                                       0x7e, 0x01, 0x02, 0x03, 0xfc, 0x3f, 0xff, 0x01, 0x7e };
    sg_span_stats_t before, after;
    int i, n, got;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    a = span_attach(p.user);
    b = span_attach(p.net);
    SG_CHECK(a != NULL && b != NULL);
    SG_CHECK_EQ_INT(sg_span_close(p.user), SG_EBUSY); /* attached: cannot go */
    SG_CHECK_EQ_INT(a->ops->dchan_send(a, f1, sizeof(f1)), (int)sizeof(f1));
    SG_CHECK_EQ_INT(a->ops->dchan_send(a, f2, sizeof(f2)), (int)sizeof(f2));
    for (i = 0, got = 0; i < 2; i++) {
        n = 0;
        while (n == 0 && h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 5, NULL) == 0 && got < 1000) {
            n = b->ops->dchan_recv(b, buf, sizeof(buf));
            got++;
        }
        if (i == 0) {
            SG_CHECK_EQ_INT(n, (int)sizeof(f1));
            SG_CHECK_MEM(buf, f1, sizeof(f1));
        } else {
            SG_CHECK_EQ_INT(n, (int)sizeof(f2));
            SG_CHECK_MEM(buf, f2, sizeof(f2));
        }
    }
    before = stats_of(p.net);
    /* A frame cut by garbage, then garbage alone. */
    SG_CHECK_EQ_INT(a->ops->dchan_send(a, f2, sizeof(f2)), (int)sizeof(f2));
    SG_CHECK_EQ_INT(vspan_inject_dchan_octets(a, garbage, sizeof(garbage)), SG_OK);
    SG_CHECK_EQ_INT(vspan_inject_dchan_octets(a, garbage, sizeof(garbage)), SG_OK);
    for (i = 0; i < 400; i++) {
        after = stats_of(p.net);
        if (after.hdlc_crc_errors + after.hdlc_aborts + after.hdlc_length_errors >
            before.hdlc_crc_errors + before.hdlc_aborts + before.hdlc_length_errors)
            break;
        h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 10, NULL);
    }
    SG_CHECK(after.hdlc_crc_errors + after.hdlc_aborts + after.hdlc_length_errors >
             before.hdlc_crc_errors + before.hdlc_aborts + before.hdlc_length_errors);
    while (b->ops->dchan_recv(b, buf, sizeof(buf)) > 0)
        ; /* whatever survived */
    SG_CHECK_EQ_INT(a->ops->dchan_send(a, f1, sizeof(f1)), (int)sizeof(f1));
    for (i = 0, n = 0; i < 1000 && n == 0; i++) {
        h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 5, NULL);
        n = b->ops->dchan_recv(b, buf, sizeof(buf));
    }
    SG_CHECK_EQ_INT(n, (int)sizeof(f1));
    SG_CHECK_MEM(buf, f1, sizeof(f1));
    span_detach(a);
    span_detach(b);
    h_pair_close(&p);
}

/* Packets stop: the receiving end raises LOS and tells the far end (R bit, seen as RAI);
 * when they resume both clear. Both ways stopped: both in LOS. */
SG_TEST(span_vspan_alarms_on_packet_loss_and_recovery)
{
    h_pair p;
    sg_event_t ev;
    sg_span_ev_alarm_t al;
    sg_span_stats_t st;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));

    h_events_reset(); /* forget the line-up alarms */
    h_proxy_drop(p.proxy, H_DROP_TO_NET);
    SG_CHECK(h_wait(SG_SUBSYS_SPAN, SG_SPAN_EV_ALARM, (uint32_t)p.net, 0, H_WAIT_MS, &ev));
    memcpy(&al, ev.payload, sizeof(al));
    SG_CHECK_EQ_INT(al.alarms, SG_SPAN_ALARM_LOS);
    SG_CHECK_EQ_INT(al.previous, 0);
    SG_CHECK(h_wait_alarms(p.net, SG_SPAN_ALARM_LOS, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, SG_SPAN_ALARM_RAI, H_WAIT_MS));
    h_proxy_drop(p.proxy, 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));

    h_proxy_drop(p.proxy, H_DROP_TO_NET | H_DROP_TO_USER);
    SG_CHECK(h_wait_alarms(p.net, SG_SPAN_ALARM_LOS, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, SG_SPAN_ALARM_LOS, H_WAIT_MS));
    h_proxy_drop(p.proxy, 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    st = stats_of(p.net);
    SG_CHECK(st.alarm_count >= 2);

    /* Maintenance AIS from the user end shows as AIS at the network end. */
    SG_CHECK_EQ_INT(sg_span_set_ais(p.user, 1), SG_OK);
    SG_CHECK(h_wait_alarms(p.net, SG_SPAN_ALARM_AIS, H_WAIT_MS));
    SG_CHECK_EQ_INT(sg_span_set_ais(p.user, 0), SG_OK);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    h_pair_close(&p);
}

/* Malformed, foreign, duplicated and late packets are counted and dropped. */
SG_TEST(span_vspan_malformed_packets_are_counted)
{
    h_pair p;
    sg_span_stats_t before, after;
    uint8_t pkt[300];
    int i;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    before = stats_of(p.net);
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 0x30; /* reserved bits */
    h_proxy_inject_to_net(p.proxy, pkt, 252);
    pkt[0] = 0x00;
    h_proxy_inject_to_net(p.proxy, pkt, 100);     /* wrong payload size for 8 E1 frames */
    h_proxy_inject_to_net(p.proxy, pkt, 2);       /* shorter than a control word */
    pkt[1] = 0x80;                                /* FRG set */
    h_proxy_inject_to_net(p.proxy, pkt, 252);
    for (i = 0; i < 50; i++) {                    /* random junk */
        int k;
        for (k = 0; k < 252; k++)
            pkt[k] = (uint8_t)(k * 37 + i * 11);
        h_proxy_inject_to_net(p.proxy, pkt, 40 + i * 5);
    }
    for (i = 0; i < 300; i++) {
        after = stats_of(p.net);
        if (after.rx_malformed >= before.rx_malformed + 4)
            break;
        h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 10, NULL);
    }
    SG_CHECK(after.rx_malformed >= before.rx_malformed + 4);
    /* Stale sequence numbers (valid packets from the past) are late, not played. */
    memset(pkt, 0, sizeof(pkt));
    pkt[2] = (uint8_t)((after.rx_packets + 30000) >> 8);
    h_proxy_inject_to_net(p.proxy, pkt, 252);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    h_pair_close(&p);
}

/* Occasional loss and constant reordering: counted, absorbed by the jitter buffer, the
 * line stays up and audio still arrives at its frequency. */
SG_TEST(span_vspan_loss_and_reordering_are_absorbed)
{
    h_pair p;
    sg_span_stats_t st;
    static int16_t got[4000];
    int n;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    h_proxy_drop(p.proxy, H_REORDER);
    n = h_tone_through(p.user, 9, p.net, 9, SG_SPAN_E1, 1000.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    SG_CHECK(h_tone_ratio(got, n, 1000.0) > 0.9);
    st = stats_of(p.net);
    SG_CHECK(st.rx_reordered > 100);
    h_proxy_drop(p.proxy, H_LOSSY);
    n = h_tone_through(p.user, 9, p.net, 9, SG_SPAN_E1, 1000.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    st = stats_of(p.net);
    SG_CHECK(st.rx_lost > 5);
    SG_CHECK_EQ_INT(st.alarms, 0);
    h_proxy_drop(p.proxy, 0);
    h_pair_close(&p);
}
