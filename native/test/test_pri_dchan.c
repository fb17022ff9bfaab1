/* D-channel up means calls can be placed: a SETUP sent the moment SG_PRI_EV_DCHAN_UP arrives,
 * on either side, is accepted by the far end (never cleared with 101 or refused with 38).
 *
 * The case that used to fail: one end starts first and its first SABME is lost (the far end
 * was not listening yet). The late end's SABME is answered with UA by the early end, which
 * stays in "awaiting establishment" (ignoring I-frames) until its T200 repeats its own SABME;
 * libpri at the late end reports DCHAN_UP at once. A SETUP sent in that window was discarded
 * and the call cleared with 101 (see link_update in src/pri/pri.c). The tests below make that
 * happen on purpose, for every switchtype, with either side starting first, and also cover
 * both ends starting together and one end restarting while the other stays established. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sg_test.h"
#include "test_pri_harness.h"

#define T200_MS 400 /* shorter than libpri's 1 s so the repeated SABME comes sooner */

static int t203_ms = 2000;

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static void pri_cfg(sg_pri_config_t *c, int sw, int side)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    c->switchtype = (uint32_t)sw;
    c->side = (uint32_t)side;
    c->t200_ms = T200_MS;
    c->t203_ms = (uint32_t)t203_ms;
}

static uint64_t hdlc_tx(int span)
{
    sg_span_stats_t st;

    memset(&st, 0, sizeof(st));
    sg_span_stats(span, &st, sizeof(st));
    return st.hdlc_tx_frames;
}

/* Opens PRI on both spans of p. With `race`, the `early` span starts first and its first
 * frames (the SABME) are dropped before the late span starts; otherwise both start together. */
static int open_pris(h_pair *p, int sw, int early_is_net, int race)
{
    sg_pri_config_t c;
    int early = early_is_net ? p->net : p->user, late = early_is_net ? p->user : p->net;
    uint64_t before = hdlc_tx(early);
    int i;

    if (race) {
        h_proxy_drop(p->proxy, early_is_net ? H_DROP_TO_USER : H_DROP_TO_NET);
        pri_cfg(&c, sw, early_is_net ? SG_PRI_NETWORK : SG_PRI_USER);
        if (sg_pri_span_open(early, &c) != SG_OK)
            return -1;
        /* The SABME is out once the span counts it; a few packet times later it is gone. */
        for (i = 0; i < 500 && hdlc_tx(early) == before; i++)
            msleep(2);
        msleep(30);
        h_proxy_drop(p->proxy, 0);
        pri_cfg(&c, sw, early_is_net ? SG_PRI_USER : SG_PRI_NETWORK);
        return sg_pri_span_open(late, &c) == SG_OK ? 0 : -1;
    }
    pri_cfg(&c, sw, SG_PRI_NETWORK);
    if (sg_pri_span_open(p->net, &c) != SG_OK)
        return -1;
    pri_cfg(&c, sw, SG_PRI_USER);
    return sg_pri_span_open(p->user, &c) == SG_OK ? 0 : -1;
}

/* Each side places a call the moment its D-channel is reported up; both must ring at the
 * far end, and nothing is cleared. */
static void call_on_up(int *sg_failed_, h_pair *p, const char *label)
{
    uint32_t out[2] = { 0, 0 }, in[2] = { 0, 0 };
    int from[2] = { 0, 0 }, k;
    sg_event_t e;
    sg_pri_ev_t ev;
    sg_pri_status_t st;

    for (k = 0; k < 2; k++) {
        int ok = h_wait(SG_SUBSYS_PRI, SG_PRI_EV_DCHAN_UP, 0, 0, H_WAIT_MS, &e);
        SG_CHECK(ok);
        if (!ok)
            return;
        memcpy(&ev, e.payload, sizeof(ev));
        from[k] = ev.span;
        out[k] = hp_call(from[k], 0, 0, "5550101", "2125550100", "Branch Office");
        SG_CHECK(out[k] != 0);
    }
    SG_CHECK(from[0] != from[1]);
    for (k = 0; k < 2; k++) {
        int to = from[k] == p->net ? p->user : p->net;
        if (!h_wait_pri(SG_PRI_EV_RING, 0, to, H_WAIT_MS, &in[k], NULL)) {
            int cleared = h_wait_pri(SG_PRI_EV_HANGUP, out[k], 0, 0, NULL, &ev);
            fprintf(stderr, "  %s: call from the %s side at its DCHAN_UP: %s %d\n", label,
                    from[k] == p->net ? "network" : "user", cleared ? "cleared with cause" : "no RING, no HANGUP",
                    cleared ? ev.cause : 0);
            SG_CHECK(0);
        }
    }
    /* Nothing cleared meanwhile, and no protocol error at either end. */
    for (k = 0; k < 2; k++) {
        SG_CHECK(!h_wait_pri(SG_PRI_EV_HANGUP, out[k], 0, 0, NULL, NULL));
        memset(&st, 0, sizeof(st));
        SG_CHECK_EQ_INT(sg_pri_status(k == 0 ? p->net : p->user, &st, sizeof(st)), SG_OK);
        SG_CHECK_EQ_INT(st.dchan_up, 1);
        SG_CHECK_EQ_INT(st.protocol_errors, 0);
    }
    for (k = 0; k < 2; k++) {
        if (out[k] == 0)
            continue;
        SG_CHECK_EQ_INT(sg_pri_hangup(out[k], 16), SG_OK);
        SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out[k], 0, H_WAIT_MS, NULL, NULL));
        if (in[k] != 0)
            SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in[k], 0, H_WAIT_MS, NULL, NULL));
    }
}

static void one_round(int *sg_failed_, int kind, int sw, int early_is_net, int race, const char *name)
{
    h_pair p;
    char label[96];

    snprintf(label, sizeof(label), "%s, %s", name,
             !race ? "both ends start together" : early_is_net ? "network starts first" : "user starts first");
    h_events_reset();
    SG_CHECK_EQ_INT(h_pair_open(&p, kind, 8, 300), 0);
    /* The line is clean before layer 2 starts, so what is tested is layer 2 alone. */
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS) && h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK_EQ_INT(open_pris(&p, sw, early_is_net, race), 0);
    call_on_up(sg_failed_, &p, label);
    hp_close(&p);
}

static const struct {
    int kind, sw;
    const char *name;
} switches[] = {
    { SG_SPAN_T1, SG_PRI_SW_NI2, "national" },   { SG_SPAN_T1, SG_PRI_SW_DMS100, "dms100" },
    { SG_SPAN_T1, SG_PRI_SW_4ESS, "4ess" },      { SG_SPAN_T1, SG_PRI_SW_5ESS, "5ess" },
    { SG_SPAN_E1, SG_PRI_SW_EUROISDN, "euroisdn" }, { SG_SPAN_E1, SG_PRI_SW_QSIG, "qsig" },
};

/* The late end's SETUP at its DCHAN_UP, for every switchtype, either end first. */
SG_TEST(pri_dchan_up_after_lost_sabme_every_switchtype)
{
    unsigned i;

    for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
        one_round(sg_failed_, switches[i].kind, switches[i].sw, 1, 1, switches[i].name);
        one_round(sg_failed_, switches[i].kind, switches[i].sw, 0, 1, switches[i].name);
    }
}

/* The same, repeated, and with both ends starting together (the SABMEs cross). */
SG_TEST(pri_dchan_up_calls_repeatedly)
{
    int r;

    for (r = 0; r < 4; r++) {
        one_round(sg_failed_, SG_SPAN_T1, SG_PRI_SW_NI2, r & 1, 1, "national");
        one_round(sg_failed_, SG_SPAN_E1, SG_PRI_SW_EUROISDN, r & 1, 0, "euroisdn");
    }
}

/* Without waiting for the line: DCHAN_UP is reported only once the span has no LOS/AIS, so
 * a call placed then is not refused with 38 either. */
SG_TEST(pri_dchan_up_waits_for_the_line)
{
    sg_pri_config_t c;
    h_pair p;
    int r;

    for (r = 0; r < 3; r++) {
        h_events_reset();
        SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_T1, 8, 300), 0);
        pri_cfg(&c, SG_PRI_SW_NI2, SG_PRI_NETWORK);
        SG_CHECK_EQ_INT(sg_pri_span_open(p.net, &c), SG_OK);
        pri_cfg(&c, SG_PRI_SW_NI2, SG_PRI_USER);
        SG_CHECK_EQ_INT(sg_pri_span_open(p.user, &c), SG_OK);
        call_on_up(sg_failed_, &p, "line coming up");
        hp_close(&p);
    }
}

/* One end restarts (a new controller) while the other stays established: the far end
 * answers the new SABME from multiple-frame established and sends nothing else until T203;
 * the restarted end must still report up promptly and its first call must go through. */
SG_TEST(pri_dchan_up_after_one_end_restarts)
{
    sg_pri_config_t c;
    uint32_t out, in = 0;
    struct timespec t0, t1;
    h_pair p;
    int i, rc = SG_EBUSY;

    h_events_reset();
    t203_ms = 30000; /* the far end's keep-alive must not be what brings us up */
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_T1, 8, 300), 0);
    SG_CHECK(h_wait_alarms(p.net, 0, H_WAIT_MS) && h_wait_alarms(p.user, 0, H_WAIT_MS));
    SG_CHECK_EQ_INT(open_pris(&p, SG_PRI_SW_NI2, 1, 0), 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.net, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_span_close(p.user), SG_OK);
    pri_cfg(&c, SG_PRI_SW_NI2, SG_PRI_USER);
    for (i = 0; i < 2000 && rc == SG_EBUSY; i++) {
        rc = sg_pri_span_open(p.user, &c);
        if (rc == SG_EBUSY)
            msleep(5);
    }
    SG_CHECK_EQ_INT(rc, SG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p.user, 0, H_WAIT_MS, NULL, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (getenv("SG_TEST_VERBOSE") != NULL)
        fprintf(stderr, "  restarted end reported up after %ld ms\n",
                (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
    out = hp_call(p.user, 0, 0, "5550101", "2125550100", "");
    SG_CHECK(out != 0);
    SG_CHECK(h_wait_pri(SG_PRI_EV_RING, 0, p.net, H_WAIT_MS, &in, NULL));
    SG_CHECK(!h_wait_pri(SG_PRI_EV_HANGUP, out, 0, 0, NULL, NULL));
    SG_CHECK_EQ_INT(sg_pri_hangup(out, 16), SG_OK);
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, out, 0, H_WAIT_MS, NULL, NULL));
    SG_CHECK(h_wait_pri(SG_PRI_EV_HANGUP, in, 0, H_WAIT_MS, NULL, NULL));
    hp_close(&p);
    t203_ms = 2000;
}
