/* Near-end DTMF through a fresh echo canceller while the far end talks: the call-start case
 * behind digits doubled on PRI -> SIP calls. The canceller (speexdsp MDF) adapting from zero
 * with far-end audio on rin and a strong near-end tone on sin (double talk from its first
 * block) disturbs the tone enough that spandsp ends a digit and starts it again; speexdsp
 * sometimes reports its filter diverged and resets it. Bypassed, or once adapted (digits
 * after 2 s of far-end talk), every digit comes through once.
 * TODO(next): fix in the canceller (hold adaptation while sin carries a DTMF-like tone, or
 * detect on sin ahead of the canceller with echo-aware gating); then assert the fresh case. */
#include <math.h>
#include <stdio.h>
#include "sg_test.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"

enum { ECD_N = 8000 * 3 };

/* "1597" 100/100 ms at -10 dBm0 starting pre_ms into the call; far-end white noise (RMS
 * 3000) on rin when talk, a 13 dB hybrid echo of it on sin when echo. Returns begins. */
static int ecd_run(int talk, int echo, int pre_ms, int bypass, uint32_t seed)
{
    static int16_t sin_[ECD_N], rin[ECD_N];
    int16_t out[160];
    dsp_dtmf_tx *g = dsp_dtmf_tx_create(-10, 0);
    dsp_dtmf_rx *d = dsp_dtmf_rx_create(NULL);
    dsp_ec *e = dsp_ec_create(NULL);
    dsp_dtmf_event ev[16];
    int begins = 0;

    if (g == NULL || d == NULL || e == NULL) {
        dsp_dtmf_tx_destroy(g);
        dsp_dtmf_rx_destroy(d);
        dsp_ec_destroy(e);
        return -1;
    }
    dsp_ec_bypass(e, bypass);
    memset(sin_, 0, sizeof(sin_));
    (void)dsp_dtmf_tx_queue(g, "1597", 100, 100);
    for (size_t i = (size_t)pre_ms * 8; i + 160 <= ECD_N; i += 160)
        (void)dsp_dtmf_tx_run(g, sin_ + i, 160);
    for (int i = 0; i < ECD_N; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        rin[i] = talk ? (int16_t)(((double)((seed >> 8) & 0xffff) / 32768.0 - 1.0) * 3000.0 * sqrt(3.0)) : 0;
        if (echo && i >= 5)
            sin_[i] = (int16_t)(sin_[i] + 0.2 * rin[i - 5]);
    }
    for (int i = 0; i + 160 <= ECD_N; i += 160) {
        (void)dsp_ec_process(e, rin + i, sin_ + i, out, 160);
        int k = dsp_dtmf_rx_process(d, out, 160, ev, 16);
        for (int j = 0; j < k; j++)
            begins += ev[j].begin;
    }
    dsp_dtmf_tx_destroy(g);
    dsp_dtmf_rx_destroy(d);
    dsp_ec_destroy(e);
    return begins;
}

/* Of 20 noise seeds: runs with more than 4 digits; *lost gets runs with fewer. */
static int ecd_doubled(int talk, int echo, int pre_ms, int bypass, int *lost)
{
    int dbl = 0;

    *lost = 0;
    for (uint32_t s = 1; s <= 20; s++) {
        int b = ecd_run(talk, echo, pre_ms, bypass, s * 2654435761u);
        dbl += b > 4;
        *lost += b < 4;
    }
    return dbl;
}

SG_TEST(ec_fresh_canceller_and_near_end_dtmf_at_call_start)
{
    int lost, fresh, fresh_echo;

    /* controls: every digit once */
    SG_CHECK_EQ_INT(ecd_doubled(0, 1, 0, 0, &lost), 0);     /* far end silent */
    SG_CHECK_EQ_INT(lost, 0);
    SG_CHECK_EQ_INT(ecd_doubled(1, 1, 0, 1, &lost), 0);     /* canceller bypassed */
    SG_CHECK_EQ_INT(lost, 0);
    SG_CHECK_EQ_INT(ecd_doubled(1, 1, 2000, 0, &lost), 0);  /* canceller adapted first */
    SG_CHECK_EQ_INT(lost, 0);
    /* the open defect (see the top): reported, not asserted */
    fresh = ecd_doubled(1, 0, 0, 0, &lost);
    fresh_echo = ecd_doubled(1, 1, 0, 0, &lost);
    printf("  fresh canceller, far-end talk, digits at t=0: doubled in %d/20 runs (no echo), %d/20 (13 dB echo)\n",
           fresh, fresh_echo);
}
