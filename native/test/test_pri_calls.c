/* Two real libpri stacks back to back over vspan (network <-> user): NI2 on T1 and
 * EuroISDN on E1. Calls with numbers, TON/NPI, presentation and name checked at the far
 * end, audio on the chosen B-channel, Q.850 causes both ways, channel selection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_test.h"
#include "test_pri_harness.h"

/* A full call from `from` to `to`: SETUP -> PROCEEDING -> ALERTING -> CONNECT, a tone
 * each way on the B-channel, then the caller clears with cause 16. */
static void full_call(int *sg_failed_, h_pair *p, int from, int to, int kind, int carries_name)
{
    uint32_t out, in = 0, h;
    sg_pri_ev_t ev;
    sg_pri_call_info_t ci;
    static int16_t got[4000];
    int ch, n;

    out = hp_call(from, 0, 0, "5550101", "2125550100", "Branch Office");
    SG_CHECK(out != 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, to, H_WAIT_MS, &in, &ev));
    SG_CHECK_EQ_INT(strcmp(ev.digits, "5550101"), 0);
    SG_CHECK(ev.flags & SG_PRI_F_COMPLETE || kind == SG_SPAN_T1);
    ch = ev.channel;
    SG_CHECK(ch >= 1 && ch <= (kind == SG_SPAN_E1 ? 31 : 23) && ch != 16);
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(in, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(ci.direction, 1);
    SG_CHECK_EQ_INT(strcmp(ci.called.number, "5550101"), 0);
    SG_CHECK_EQ_INT(ci.called.ton, SG_PRI_TON_NATIONAL);
    SG_CHECK_EQ_INT(ci.called.npi, SG_PRI_NPI_E164);
    SG_CHECK_EQ_INT(strcmp(ci.calling.number, "2125550100"), 0);
    SG_CHECK_EQ_INT(ci.calling.ton, SG_PRI_TON_NATIONAL);
    SG_CHECK_EQ_INT(ci.calling.npi, SG_PRI_NPI_E164);
    SG_CHECK_EQ_INT(ci.calling.pres, SG_PRI_PRES_ALLOWED | SG_PRI_SCREEN_USER_PASSED);
    if (carries_name)
        SG_CHECK_EQ_INT(strcmp(ci.calling.name, "Branch Office"), 0);
    SG_CHECK_EQ_INT(ci.layer1, kind == SG_SPAN_E1 ? 0x23 : 0x22);
    SG_CHECK_EQ_INT(ci.channel, ch);

    SG_CHECK_EQ_INT(sg_pri_proceeding(in, 0), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_PROCEEDING, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.channel, ch);
    SG_CHECK_EQ_INT(sg_pri_alerting(in, 1), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RINGING, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK(ev.flags & SG_PRI_F_INBAND);
    SG_CHECK_EQ_INT(sg_pri_answer(in), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_ANSWER, out, 0, H_WAIT_MS, NULL, NULL));
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(out, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(ci.state, SG_PRI_CS_ACTIVE);
    SG_CHECK_EQ_INT(ci.channel, ch);

    /* Audio on the agreed B-channel, both ways. */
    n = h_tone_through(from, ch, to, ch, kind, 1000.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    SG_CHECK(h_tone_ratio(got, n, 1000.0) > 0.9);
    n = h_tone_through(to, ch, from, ch, kind, 1633.0, got, 4000, 800, H_WAIT_MS);
    SG_CHECK_EQ_INT(n, 4000);
    SG_CHECK(h_tone_ratio(got, n, 1633.0) > 0.9);

    SG_CHECK_EQ_INT(sg_pri_hangup(out, 16), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 16);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, &h, &ev));
    SG_CHECK(ev.flags & SG_PRI_F_LOCAL);
    SG_CHECK_EQ_INT(sg_pri_call_info(out, &ci, sizeof(ci)), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_pri_hangup(out, 16), SG_ENOENT);
}

/* The called side refuses (at once, or after alerting) with `cause`; the caller sees it. */
static void refused_call(int *sg_failed_, int from, int to, int cause, int alert_first)
{
    uint32_t out, in = 0;
    sg_pri_ev_t ev;

    out = hp_call(from, 0, 0, "5550199", "2125550100", "");
    SG_CHECK(out != 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, to, H_WAIT_MS, &in, &ev));
    if (alert_first) {
        sg_pri_proceeding(in, 0);
        sg_pri_alerting(in, 0);
        SG_CHECK(h_wait_pri(SG_PRI_EV_RINGING, out, 0, H_WAIT_MS, NULL, NULL));
    }
    SG_CHECK_EQ_INT(sg_pri_hangup(in, cause), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, cause);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, NULL));
}

static void causes_both_ways(int *sg_failed_, h_pair *p)
{
    refused_call(sg_failed_, p->user, p->net, 17, 0); /* busy */
    refused_call(sg_failed_, p->net, p->user, 17, 0);
    refused_call(sg_failed_, p->user, p->net, 1, 0);  /* unallocated number */
    refused_call(sg_failed_, p->net, p->user, 1, 0);
    refused_call(sg_failed_, p->user, p->net, 19, 1); /* no answer, after alerting */
    refused_call(sg_failed_, p->net, p->user, 19, 1);
}

SG_TEST(pri_ni2_t1_calls_and_causes)
{
    h_pair p;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_T1, SG_PRI_SW_NI2, 0), 0);
    full_call(sg_failed_, &p, p.user, p.net, SG_SPAN_T1, 1);
    full_call(sg_failed_, &p, p.net, p.user, SG_SPAN_T1, 1);
    causes_both_ways(sg_failed_, &p);
    hp_close(&p);
}

SG_TEST(pri_euroisdn_e1_calls_and_causes)
{
    h_pair p;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    /* EuroISDN does not carry the calling name with libpri's default options. */
    full_call(sg_failed_, &p, p.user, p.net, SG_SPAN_E1, 0);
    full_call(sg_failed_, &p, p.net, p.user, SG_SPAN_E1, 0);
    causes_both_ways(sg_failed_, &p);
    hp_close(&p);
}

/* Exclusive requests for a busy or out-of-service channel fail with 44; preferred ones
 * are moved to another channel and PROCEEDING says which. */
SG_TEST(pri_channel_selection_exclusive_and_preferred)
{
    h_pair p;
    uint32_t out, in = 0;
    sg_pri_ev_t ev;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    SG_CHECK_EQ_INT(sg_pri_service(p.net, 5, 0), SG_OK);
    SG_CHECK_EQ_INT(sg_pri_service(p.net, 16, 0), SG_EINVAL); /* the D-channel */
    out = hp_call(p.user, 5, 1, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 44);
    SG_CHECK_EQ_INT(hp_call(p.user, 16, 1, "5550101", "2125550100", ""), 0); /* D-channel: refused */

    out = hp_call(p.user, 5, 0, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    SG_CHECK(ev.channel != 5 && ev.channel != 16 && ev.channel >= 1);
    sg_pri_proceeding(in, 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_PROCEEDING, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK(ev.channel != 5 && ev.channel >= 1);
    sg_pri_hangup(out, 16);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_service(p.net, 5, 1), SG_OK);
    hp_close(&p);
}

/* Overlap receiving: SETUP without Sending Complete gets SETUP ACKNOWLEDGE; digits in
 * INFORMATION are collected until the digit timeout, then the call is offered. */
SG_TEST(pri_overlap_receiving_with_digit_timeout)
{
    h_pair p;
    sg_pri_setup_t s;
    sg_pri_ev_t ev;
    uint32_t in = 0;
    int out;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 1), 0);
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    s.complete = 0;
    strcpy(s.called.number, "55");
    strcpy(s.calling.number, "2125550100");
    out = sg_pri_call(p.user, &s);
    SG_CHECK(out > 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_SETUP_ACK, (uint32_t)out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_digits((uint32_t)out, "501"), SG_OK);
    SG_CHECK_EQ_INT(sg_pri_digits((uint32_t)out, "5x"), SG_EINVAL);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    SG_CHECK_EQ_INT(strcmp(ev.digits, "55501"), 0);
    SG_CHECK_EQ_INT(sg_pri_hangup(in, 1), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, (uint32_t)out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 1);
    hp_close(&p);
}

SG_TEST(pri_commands_reject_bad_arguments)
{
    sg_pri_config_t c;
    sg_pri_setup_t s;
    sg_pri_call_info_t ci;

    memset(&c, 0, sizeof(c));
    SG_CHECK_EQ_INT(sg_pri_span_open(1, NULL), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_pri_span_open(1, &c), SG_EINVAL);
    c.struct_size = sizeof(c);
    c.side = SG_PRI_USER;
    c.switchtype = 99;
    SG_CHECK_EQ_INT(sg_pri_span_open(1, &c), SG_EINVAL);
    c.switchtype = SG_PRI_SW_QSIG;
    SG_CHECK_EQ_INT(sg_pri_span_open(40, &c), SG_ENOENT);
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    strcpy(s.called.number, "12ab");
    SG_CHECK_EQ_INT(sg_pri_call(1, &s), SG_EINVAL);
    memset(s.called.number, '1', sizeof(s.called.number)); /* not terminated */
    SG_CHECK_EQ_INT(sg_pri_call(1, &s), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_pri_hangup(12345, 16), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_pri_hangup(12345, 0), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_pri_hangup(12345, 128), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_pri_call_info(12345, &ci, sizeof(ci)), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_pri_restart(40, 0), SG_ENOENT);
}

/* The other switch types: the D-channel comes up, a call connects with its numbers and
 * name, and clears with the caller's cause at the far end. */
static void switchtype_call(int *sg_failed_, int kind, int sw, const char *label)
{
    h_pair p;
    uint32_t out, in = 0;
    sg_pri_ev_t ev;
    sg_pri_call_info_t ci;

    if (hp_open(&p, kind, sw, 0) != 0) {
        fprintf(stderr, "  %s: D-channel did not come up\n", label);
        SG_CHECK(0);
        hp_close(&p);
        return;
    }
    out = hp_call(p.user, 0, 1, "5550101", "2125550100", "Branch Office");
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(in, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(strcmp(ci.called.number, "5550101"), 0);
    SG_CHECK_EQ_INT(strcmp(ci.calling.number, "2125550100"), 0);
    SG_CHECK_EQ_INT(ci.exclusive, 1);
    SG_CHECK_EQ_INT(strcmp(ci.calling.name, "Branch Office"), 0); /* all five carry names */
    if (getenv("SG_TEST_VERBOSE") != NULL)
        fprintf(stderr, "  %s: calling name '%s' ton %u npi %u pres 0x%02x\n", label, ci.calling.name,
                ci.calling.ton, ci.calling.npi, ci.calling.pres);
    SG_CHECK_EQ_INT(sg_pri_answer(in), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_ANSWER, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_hangup(out, 31), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 31);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, NULL));
    hp_close(&p);
}

SG_TEST(pri_other_switchtypes_call)
{
    switchtype_call(sg_failed_, SG_SPAN_T1, SG_PRI_SW_DMS100, "dms100");
    switchtype_call(sg_failed_, SG_SPAN_T1, SG_PRI_SW_4ESS, "4ess");
    switchtype_call(sg_failed_, SG_SPAN_T1, SG_PRI_SW_5ESS, "5ess");
    switchtype_call(sg_failed_, SG_SPAN_E1, SG_PRI_SW_QSIG, "qsig/e1");
    switchtype_call(sg_failed_, SG_SPAN_T1, SG_PRI_SW_QSIG, "qsig/t1");
}

/* PROGRESS with in-band information, digits during an active call, and SERVICE messages
 * (NI2 with service messages on both ends). */
SG_TEST(pri_progress_digits_and_service)
{
    h_pair p;
    uint32_t out, in = 0;
    sg_pri_ev_t ev;
    sg_pri_config_t c;

    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_T1, 8, 300), 0);
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.switchtype = SG_PRI_SW_NI2;
    c.service_messages = 1;
    c.side = SG_PRI_NETWORK;
    SG_CHECK_EQ_INT(sg_pri_span_open(p.net, &c), SG_OK);
    SG_CHECK_EQ_INT(sg_pri_span_open(p.net, &c), SG_EBUSY);
    c.side = SG_PRI_USER;
    SG_CHECK_EQ_INT(sg_pri_span_open(p.user, &c), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.net, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS) && h_wait_alarms(p.user, 0, H_WAIT_MS));

    out = hp_call(p.user, 0, 0, "5550101", "2125550100", "");
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    SG_CHECK_EQ_INT(sg_pri_progress(in), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_PROGRESS, out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK(ev.flags & SG_PRI_F_INBAND);
    SG_CHECK_EQ_INT(sg_pri_answer(in), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_ANSWER, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_digits(out, "1234#"), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_DIGITS, in, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK(ev.digits[0] == '1');
    SG_CHECK_EQ_INT(sg_pri_hangup(in, 16), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, NULL));

    SG_CHECK_EQ_INT(sg_pri_service(p.net, 3, 0), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_SERVICE, (uint32_t)p.user, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.channel, 3);
    SG_CHECK(ev.aux != 0);
    SG_CHECK_EQ_INT(sg_pri_service(p.net, 3, 1), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_SERVICE, (uint32_t)p.user, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.aux, 0);
    hp_close(&p);
}

/* TON/NPI and presentation other than the defaults reach the far end unchanged. */
SG_TEST(pri_numbering_plans_and_presentation)
{
    h_pair p;
    sg_pri_setup_t s;
    sg_pri_ev_t ev;
    sg_pri_call_info_t ci;
    uint32_t in = 0;
    int out;

    SG_CHECK_EQ_INT(hp_open(&p, SG_SPAN_E1, SG_PRI_SW_EUROISDN, 0), 0);
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    s.complete = 1;
    strcpy(s.called.number, "4930123456");
    s.called.ton = SG_PRI_TON_INTERNATIONAL;
    s.called.npi = SG_PRI_NPI_E164;
    strcpy(s.calling.number, "4711");
    s.calling.ton = SG_PRI_TON_SUBSCRIBER;
    s.calling.npi = SG_PRI_NPI_PRIVATE;
    s.calling.pres = SG_PRI_PRES_RESTRICTED | SG_PRI_SCREEN_USER_PASSED;
    out = sg_pri_call(p.user, &s);
    SG_CHECK(out > 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, &ev));
    memset(&ci, 0, sizeof(ci));
    SG_CHECK_EQ_INT(sg_pri_call_info(in, &ci, sizeof(ci)), SG_OK);
    SG_CHECK_EQ_INT(strcmp(ci.called.number, "4930123456"), 0);
    SG_CHECK_EQ_INT(ci.called.ton, SG_PRI_TON_INTERNATIONAL);
    SG_CHECK_EQ_INT(ci.called.npi, SG_PRI_NPI_E164);
    SG_CHECK_EQ_INT(strcmp(ci.calling.number, "4711"), 0);
    SG_CHECK_EQ_INT(ci.calling.ton, SG_PRI_TON_SUBSCRIBER);
    SG_CHECK_EQ_INT(ci.calling.npi, SG_PRI_NPI_PRIVATE);
    SG_CHECK_EQ_INT(ci.calling.pres, SG_PRI_PRES_RESTRICTED | SG_PRI_SCREEN_USER_PASSED);
    SG_CHECK_EQ_INT(sg_pri_hangup(in, 21), SG_OK); /* call rejected */
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, (uint32_t)out, 0, H_WAIT_MS, NULL, &ev));
    SG_CHECK_EQ_INT(ev.cause, 21);
    hp_close(&p);
}
