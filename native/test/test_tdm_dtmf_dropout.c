/* In-band DTMF from the line in the first moments of a call, through a real vspan T1
 * B-channel and the TDM channel's DSP (fresh echo canceller, detector, muting, RFC 4733 at
 * the digit's end) to a real RTP endpoint: every key press must come out as exactly one
 * RFC 4733 event, from the call's first sample with a hybrid echo path, and with holes cut
 * into the tones by lost TDM-over-IP packets (the virtual span plays the lost slots as
 * all-ones, as a broken line would read), which used to double digits.
 * And with the far end talking toward the line from the first sample (its echo on the line, the
 * canceller fresh): the double talk that used to double digits (the canceller's DTMF guard,
 * test_dsp_ec_dtmf_start.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <spandsp.h>
#include "sg_test.h"
#include "test_tdm_harness.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"
#include "spangate/span.h"
#include "spangate/tdm.h"

typedef struct dd_run {
    char events[64];
    sg_tdm_stats_t st;
    sg_span_stats_t sp;         /* the gateway's (network) span */
    sg_span_stats_t far;        /* the far end's (user) span: b_underruns = idle it sent */
} dd_run;

/* One call: channel on the network span, digits sent by the far end (user span) from the
 * first line sample, `on_ms`/`off_ms` each. */
static int dd_call(int faults, int talk, const char *digits, int on_ms, int off_ms, dd_run *out)
{
    h_pair p;
    th_far far;
    th_far *fars[1] = { &far };
    th_rtp r;
    sg_tdm_config_t c;
    size_t want = strlen(digits);
    int ep, h, i;

    memset(out, 0, sizeof(*out));
    if (h_pair_open(&p, SG_SPAN_T1, 8, 500) != 0 || th_rtp_init(&r) != 0)
        return -1;
    ep = th_rtp_endpoint(&r, "PCMU", 0);
    if (ep <= 0)
        return -1;
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.span = p.net;
    c.timeslot = 5;
    c.rtp = (uint32_t)ep;
    h = sg_tdm_create(&c);
    if (h <= 0 || th_far_init(&far, p.user, 5, SG_SPAN_T1) != 0)
        return -1;
    far.cushion = 400;          /* a stall of this thread must not be what cuts the tones */
    far.echo = 1;               /* a hybrid echo path, as on a line */
    if (talk)
        r.noise = 3000.0;       /* far-end speech-level noise toward the line */
    r.send = 1;
    h_proxy_drop(p.proxy, faults);
    dtmf_tx_set_timing(far.dtx, on_ms, off_ms);
    far.digits = digits;        /* from the call's first sample: the canceller is fresh */
    for (i = 0; i < 400 && strlen(r.events) < want; i++)
        th_pump(fars, 1, &r, 20, 0);
    th_pump(fars, 1, &r, 400, 0);  /* anything doubled arrives by now */
    snprintf(out->events, sizeof(out->events), "%s", r.events);
    (void)sg_tdm_stats((uint32_t)h, &out->st, sizeof(out->st));
    (void)sg_span_stats(p.net, &out->sp, sizeof(out->sp));
    (void)sg_span_stats(p.user, &out->far, sizeof(out->far));
    h_proxy_drop(p.proxy, 0);
    (void)sg_tdm_destroy((uint32_t)h);
    (void)sg_rtp_destroy((uint32_t)ep);
    th_far_free(&far);
    th_rtp_free(&r);
    h_pair_close(&p);
    return 0;
}

/* "1597" keyed from the call's first moment on a fresh canceller (talk: the far end talks
 * meanwhile): every digit detected and relayed once, unless the far end's own thread stalled
 * past its 50 ms cushion (its span then sent idle inside the digits: a real pause, not a
 * dropout to bridge). */
static void dd_call_start(int *sg_failed_, int talk, const char *what)
{
    dd_run run;

    h_events_reset();
    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    SG_CHECK_EQ_INT(dd_call(0, talk, "1597", 100, 100, &run), 0);
    printf("  t=0 digits, %s: \"%s\" (detected %llu relayed %llu, line slips %llu,"
           " underruns %llu; span slips %llu lost %llu; far span idle sent %llu)\n",
           what, run.events, (unsigned long long)run.st.dtmf_detected, (unsigned long long)run.st.dtmf_relayed,
           (unsigned long long)run.st.line_slips, (unsigned long long)run.st.line_underruns,
           (unsigned long long)run.sp.slips, (unsigned long long)run.sp.rx_lost,
           (unsigned long long)run.far.b_underruns);
    if (run.far.b_underruns > 0) {
        printf("  far end stalled (idle sent inside the digits): not judged\n");
    } else {
        SG_CHECK_EQ_INT(strcmp(run.events, "1597"), 0);
        SG_CHECK_EQ_INT(run.st.dtmf_detected, 4);
        SG_CHECK_EQ_INT(run.st.dtmf_relayed, 4);
    }
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

SG_TEST(tdm_dtmf_at_call_start_with_fresh_canceller)
{
    dd_call_start(sg_failed_, 0, "fresh EC");
}

SG_TEST(tdm_dtmf_at_call_start_under_far_end_talk)
{
    dd_call_start(sg_failed_, 1, "fresh EC, far-end talk");
}

SG_TEST(tdm_dtmf_holes_from_lost_span_packets_do_not_double_digits)
{
    dd_run run;

    h_events_reset();
    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    /* 10 ms holes every 70 ms: each 150 ms digit gets two */
    SG_CHECK_EQ_INT(dd_call(H_BURST_LOSS, 0, "1597", 150, 100, &run), 0);
    printf("  10 ms span holes every 70 ms: \"%s\" (detected %llu relayed %llu; span lost %llu slips %llu;"
           " far span idle sent %llu)\n",
           run.events, (unsigned long long)run.st.dtmf_detected, (unsigned long long)run.st.dtmf_relayed,
           (unsigned long long)run.sp.rx_lost, (unsigned long long)run.sp.slips,
           (unsigned long long)run.far.b_underruns);
    SG_CHECK(run.sp.rx_lost > 0);
    if (run.far.b_underruns > 0) {
        printf("  far end stalled (idle sent inside the digits): not judged\n");
    } else {
        SG_CHECK_EQ_INT(strcmp(run.events, "1597"), 0);
        SG_CHECK_EQ_INT(run.st.dtmf_detected, 4);
        SG_CHECK_EQ_INT(run.st.dtmf_relayed, 4);
    }
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}
