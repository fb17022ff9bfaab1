/* PRI under faults, two real libpri stacks over vspan: RESTART clears a span's calls, a
 * span whose packets stop raises an alarm, clears its calls (38) and loses the D-channel,
 * then recovers; HDLC garbage and malformed Q.921/Q.931 are counted and never crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_test.h"
#include "span/span.h"
#include "span/vspan.h"
#include "test_pri_harness.h"

/* Places and answers a call from `from` to `to`; fills both handles. */
static int connect_call(h_pair *p, int from, int to, uint32_t *out, uint32_t *in, int *ch)
{
    sg_pri_ev_t ev;

    (void)p;
    *out = hp_call(from, 0, 0, "5550101", "2125550100", "");
    if (*out == 0 || !h_wait_pri(SG_PRI_EV_RING, 0, to, H_WAIT_MS, in, &ev))
        return 0;
    *ch = ev.channel;
    if (sg_pri_answer(*in) != SG_OK)
        return 0;
    return h_wait_pri(SG_PRI_EV_ANSWER, *out, 0, H_WAIT_MS, NULL, NULL);
}

/* Waits for a span event of `type` whose payload satisfies the check, skipping older ones. */
static int wait_span_ev(int type, int span, int channel, uint32_t aux_bits, sg_pri_ev_t *ev)
{
    while (h_wait_pri((uint16_t)type, (uint32_t)span, 0, H_WAIT_MS, NULL, ev)) {
        if (channel >= 0 && ev->channel != channel)
            continue;
        if (aux_bits != 0 && !(ev->aux & aux_bits))
            continue;
        return 1;
    }
    return 0;
}

static int clear_call(uint32_t out, uint32_t in)
{
    return sg_pri_hangup(out, 16) == SG_OK && h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, NULL) &&
           h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, NULL);
}

SG_TEST(pri_restart_clears_the_span_calls)
{
    h_pair p;
    uint32_t out1, in1, out2, in2;
    int ch1, ch2;
    sg_pri_ev_t ev;
    sg_pri_status_t st;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    SG_CHECK(connect_call(&p, p.user, p.net, &out1, &in1, &ch1));
    SG_CHECK(connect_call(&p, p.user, p.net, &out2, &in2, &ch2));
    SG_CHECK(ch1 != ch2);
    memset(&st, 0, sizeof(st));
    SG_CHECK_EQ_INT(sg_pri_status(p.user, &st, sizeof(st)), SG_OK);
    SG_CHECK_EQ_INT(st.calls, 2);
    SG_CHECK_EQ_INT(st.channels, 30);

    /* The network restarts the whole interface: both ends lose both calls. */
    SG_CHECK_EQ_INT(sg_pri_restart(p.net, 0), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in1, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 41);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in2, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out1, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 41);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out2, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_RESTART, (uint32_t)p.user, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK(h_wait_pri(SG_PRI_EV_RESTART_ACK, (uint32_t)p.net, 0, H_WAIT_MS, NULL, NULL));
    memset(&st, 0, sizeof(st));
    SG_CHECK_EQ_INT(sg_pri_status(p.user, &st, sizeof(st)), SG_OK);
    SG_CHECK_EQ_INT(st.calls, 0);

    /* One channel, from the user side this time. */
    SG_CHECK(connect_call(&p, p.net, p.user, &out1, &in1, &ch1));
    SG_CHECK_EQ_INT(sg_pri_restart(p.user, ch1), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out1, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 41);
    SG_CHECK(wait_span_ev(SG_PRI_EV_RESTART, p.net, ch1, 0, &ev));
    SG_CHECK(!(ev.flags & SG_PRI_F_LOCAL));

    /* The span still carries calls. */
    SG_CHECK(connect_call(&p, p.user, p.net, &out1, &in1, &ch1));
    SG_CHECK(clear_call(out1, in1));
    hp_close(&p);
}

/* Two spans: RESTART or an alarm on one clears only that span's calls. */
SG_TEST(pri_faults_stay_on_their_span)
{
    h_pair a, b;
    uint32_t aout, ain, bout, bin;
    int ach, bch;
    sg_pri_ev_t ev;
    sg_pri_call_info_t ci;

    SG_CHECK_EQ_INT(hp_open(&a, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    SG_CHECK_EQ_INT(hp_open(&b, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    SG_CHECK(connect_call(&a, a.user, a.net, &aout, &ain, &ach));
    SG_CHECK(connect_call(&b, b.user, b.net, &bout, &bin, &bch));
    SG_CHECK_EQ_INT(sg_pri_restart(a.net, 0), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, aout, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 41);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RESTART_ACK, (uint32_t)a.net, 0, H_WAIT_MS, NULL, NULL));

    SG_CHECK(connect_call(&a, a.user, a.net, &aout, &ain, &ach));
    h_proxy_drop(a.proxy, H_DROP_TO_NET | H_DROP_TO_USER);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, aout, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 38);

    /* Span b's call lived through both and clears normally. */
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(bout, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(ci.state, SG_PRI_CS_ACTIVE);
    SG_CHECK(clear_call(bout, bin));
    h_proxy_drop(a.proxy, 0);
    hp_close(&a);
    hp_close(&b);
}

/* One packet in 37 lost toward the network side: HDLC frames are damaged now and then,
 * Q.921 retransmits, and calls still complete. */
SG_TEST(pri_calls_complete_through_packet_loss)
{
    h_pair p;
    uint32_t out, in;
    int ch, i;
    sg_span_stats_t st;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    h_proxy_drop(p.proxy, H_LOSSY);
    for (i = 0; i < 3; i++) {
        SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
        SG_CHECK(clear_call(out, in));
    }
    memset(&st, 0, sizeof(st));
    sg_span_stats(p.net, &st, sizeof(st));
    SG_CHECK(st.rx_lost > 0);
    h_proxy_drop(p.proxy, 0);
    hp_close(&p);
}

/* Malformed Q.931 inside valid I-frames (so Q.921 delivers it): a SETUP cut after its
 * message type is refused by the far end with 96 (mandatory IE missing); a SETUP with a
 * foreign protocol discriminator is ignored and the caller's T303 retransmission connects. */
SG_TEST(pri_malformed_q931_in_iframes)
{
    h_pair p;
    span_t *u;
    uint32_t out, in = 0;
    sg_pri_ev_t ev;
    sg_pri_status_t before, after;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_T1, SG_PRI_SW_NI2, 0), 0);
    memset(&before, 0, sizeof(before));
    sg_pri_status(p.net, &before, sizeof(before));
    u = span_attach(p.user);
    SG_CHECK(u != NULL);
    /* Q.921 header 4 octets, then PD, CR length, CR (2), message type: cut after it. */
    vspan_mangle_next_iframe(u, 1000, 0, 9);
    out = hp_call(p.user, 0, 0, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 96);

    /* Protocol discriminator 0x41 instead of 0x08 (octet 4). */
    vspan_mangle_next_iframe(u, 4, 0x41, 0);
    out = hp_call(p.user, 0, 0, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    SG_CHECK_EQ_INT(sg_pri_answer(in), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_ANSWER, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(clear_call(out, in));
    span_detach(u);
    memset(&after, 0, sizeof(after));
    sg_pri_status(p.net, &after, sizeof(after));
    SG_CHECK(after.protocol_errors > before.protocol_errors);
    if (getenv("SG_TEST_VERBOSE") != NULL)
        fprintf(stderr, "  last libpri error: %s\n", after.last_error);
    hp_close(&p);
}

SG_TEST(pri_alarm_clears_calls_and_recovers)
{
    h_pair p;
    uint32_t out, in;
    int ch;
    sg_pri_ev_t ev;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_T1, SG_PRI_SW_NI2, 0), 0);
    SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
    h_proxy_drop(p.proxy, H_DROP_TO_NET | H_DROP_TO_USER);
    SG_CHECK(wait_span_ev(SG_PRI_EV_ALARM, p.net, -1, SG_SPAN_ALARM_LOS, &ev));
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 38);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 38);
    /* A call placed into a dead span fails at once with 38. */
    out = hp_call(p.user, 0, 0, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 38);
    /* Q.921 notices too (T203 2 s, then T200 x N200). */
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_DOWN, (uint32_t)p.net, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_DOWN, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));

    h_proxy_drop(p.proxy, 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.net, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
    SG_CHECK(clear_call(out, in));
    hp_close(&p);
}

/* A line outage shorter than the red-alarm integration time (alarm_clear_ms, 2.5 s by
 * default) raises and clears LOS but costs no call: the call is still active and clears
 * normally afterwards. */
SG_TEST(pri_short_outage_keeps_calls)
{
    h_pair p;
    uint32_t out, in;
    int ch;
    sg_pri_ev_t ev;
    sg_pri_call_info_t ci;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
    h_proxy_drop(p.proxy, H_DROP_TO_NET | H_DROP_TO_USER);
    SG_CHECK(wait_span_ev(SG_PRI_EV_ALARM, p.net, -1, SG_SPAN_ALARM_LOS, &ev));
    h_proxy_drop(p.proxy, 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS));
    SG_CHECK(h_wait_alarms(p.user, 0, H_WAIT_MS));
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(out, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(ci.state, SG_PRI_CS_ACTIVE);
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(in, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(ci.state, SG_PRI_CS_ACTIVE);
    SG_CHECK(clear_call(out, in));
    hp_close(&p);
}

SG_TEST(pri_garbage_and_malformed_frames_are_counted)
{
    h_pair p;
    span_t *u;
    uint32_t out, in;
    int ch, i;
    sg_pri_status_t before, after;
    sg_span_stats_t sb, sa;
    /* UI frames (SAPI 0, TEI 0, control 0x03) carrying broken Q.931: */
    static const uint8_t bad_cref[] = { 0x00, 0x01, 0x03, 0x08, 0x0f, 0x01, 0x02, 0x05 };  /* CR length 15 */
    static const uint8_t bad_pd[] = { 0x00, 0x01, 0x03, 0x41, 0x02, 0x00, 0x01, 0x05 };    /* protocol discriminator 0x41 */
    static const uint8_t no_ies[] = { 0x00, 0x01, 0x03, 0x08, 0x02, 0x00, 0x63, 0x05 };    /* SETUP, no bearer/channel */
    static const uint8_t bad_ie[] = { 0x00, 0x01, 0x03, 0x08, 0x02, 0x00, 0x64, 0x05, 0x04, 0x7f, 0x18, 0x01 };
    /* Q.921 trouble: unknown SAPI/TEI, a frame too short for an address, an I-frame out of
     * sequence (N(S) = 40) and an undefined control field. */
    static const uint8_t sapi63[] = { 0xfc, 0xff, 0x03, 0x01, 0x02 };
    static const uint8_t tiny[] = { 0x00 };
    static const uint8_t iframe[] = { 0x00, 0x01, 0x50, 0x00, 0x08, 0x02, 0x00, 0x65, 0x05 };
    static const uint8_t badctl[] = { 0x00, 0x01, 0xef };
    static const uint8_t garbage[] = { 0x12, 0xfe, 0x7e, 0x31, 0x99, 0xff, 0xff, 0x00, 0x7e, 0x55, 0xaa, 0x7e,
                                       0x01, 0x02, 0x03, 0xfc, 0x3f, 0xff, 0x01, 0x7e, 0x7e, 0x11, 0x7e };

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    memset(&before, 0, sizeof(before));
    sg_pri_status(p.net, &before, sizeof(before));
    memset(&sb, 0, sizeof(sb));
    sg_span_stats(p.net, &sb, sizeof(sb));
    u = span_attach(p.user);
    SG_CHECK(u != NULL);
    for (i = 0; i < 5; i++)
        SG_CHECK_EQ_INT(vspan_inject_dchan_octets(u, garbage, sizeof(garbage)), SG_OK);
    u->ops->dchan_send(u, bad_cref, sizeof(bad_cref));
    u->ops->dchan_send(u, bad_pd, sizeof(bad_pd));
    u->ops->dchan_send(u, no_ies, sizeof(no_ies));
    u->ops->dchan_send(u, bad_ie, sizeof(bad_ie));
    u->ops->dchan_send(u, sapi63, sizeof(sapi63));
    u->ops->dchan_send(u, tiny, sizeof(tiny));
    u->ops->dchan_send(u, iframe, sizeof(iframe));
    u->ops->dchan_send(u, badctl, sizeof(badctl));
    for (i = 0; i < 5; i++)
        SG_CHECK_EQ_INT(vspan_inject_dchan_octets(u, garbage, sizeof(garbage)), SG_OK);
    span_detach(u);

    /* Whatever the link did meanwhile, it is up again (or never went down) and carries a
     * call; the damage shows in the counters. */
    for (i = 0; i < 200; i++) {
        memset(&after, 0, sizeof(after));
        sg_pri_status(p.net, &after, sizeof(after));
        memset(&sa, 0, sizeof(sa));
        sg_span_stats(p.net, &sa, sizeof(sa));
        if (after.protocol_errors > before.protocol_errors &&
            sa.hdlc_crc_errors + sa.hdlc_aborts + sa.hdlc_length_errors >
                sb.hdlc_crc_errors + sb.hdlc_aborts + sb.hdlc_length_errors)
            break;
        h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 25, NULL);
    }
    SG_CHECK(after.protocol_errors > before.protocol_errors);
    SG_CHECK(after.last_error[0] != '\0');
    SG_CHECK(sa.hdlc_crc_errors + sa.hdlc_aborts + sa.hdlc_length_errors >
             sb.hdlc_crc_errors + sb.hdlc_aborts + sb.hdlc_length_errors);
    for (i = 0; i < 400; i++) {
        sg_pri_status_t a, b;
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        sg_pri_status(p.net, &a, sizeof(a));
        sg_pri_status(p.user, &b, sizeof(b));
        if (a.dchan_up && b.dchan_up)
            break;
        h_wait(SG_SUBSYS_CORE, 0xffff, 0, 0, 25, NULL);
    }
    SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
    SG_CHECK(clear_call(out, in));
    hp_close(&p);
}

/* Closing PRI on a span with a call up drops the call locally (38) and lets the span go;
 * the far end loses the D-channel. */
SG_TEST(pri_span_close_with_a_call_up)
{
    h_pair p;
    uint32_t out, in;
    int ch;
    sg_pri_ev_t ev;
    sg_pri_status_t st;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_T1, SG_PRI_SW_NI2, 0), 0);
    SG_CHECK(connect_call(&p, p.user, p.net, &out, &in, &ch));
    SG_CHECK_EQ_INT(sg_pri_span_close(p.net), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 38);
    SG_CHECK(ev.flags & SG_PRI_F_LOCAL);
    SG_CHECK_EQ_INT(sg_pri_status(p.net, &st, sizeof(st)), SG_ENOENT);
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_DOWN, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));
    hp_close(&p); /* closes the user side's PRI and both spans */
}
