/* In-band DTMF through a fresh echo canceller while the far end talks: the call-start case
 * behind digits doubled on PRI -> SIP calls. The canceller (speexdsp MDF) adapting from zero
 * with far-end audio on rin and a strong near-end tone on sin (double talk from its first
 * block) used to bend the tone enough that spandsp ended a digit and started it again (3-7 of
 * 20 noise seeds doubled a digit), and then kept playing the tone it had learnt out of the
 * far-end noise after the digit. Now the canceller's DTMF guard (dsp/ec.c) passes the line
 * through while it carries a near-end dual tone and forgets a filter that learnt one.
 * The other way round: the far end's digits (RFC 4733 played in-band toward the line, or
 * in-band from the network) come back as echo through a canceller that has not learnt the path
 * yet; at 6 dB echo return loss that echo used to be detected as near-end digits ("26" of
 * "2468" in every run). The guard suppresses a residual dual tone that rin explains. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include "sg_test.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"

enum { ECD_N = 8000 * 3 };

typedef struct ecd_case {
    int near;           /* near end keys "1597" 100/100 ms at -10 dBm0 from pre_ms */
    int talk;           /* far-end white noise (RMS 3000, about -15 dBm0) on rin */
    int far_dtmf;       /* far end sends "2468" 100/100 ms at -10 dBm0 on rin from t=0 */
    double echo;        /* hybrid echo gain (0.2 = 14 dB, 0.5 = 6 dB echo return loss) */
    int pre_ms;
    int bypass;         /* canceller bypassed */
    double tone_hz;     /* far end plays a tone of this frequency at -9 dBm0 on rin (0: none) */
    const char *digits; /* near-end digits instead of "1597" */
} ecd_case;

/* One run; returns the digit begins detected on the canceller's output (near-end digits as
 * the gateway would report them), their digits in got (up to 15). */
static int ecd_run(const ecd_case *c, uint32_t seed, char *got, dsp_ec_guard_stats *gs)
{
    static int16_t sin_[ECD_N], rin[ECD_N], fd[ECD_N];
    int16_t out[160];
    dsp_dtmf_tx *g = dsp_dtmf_tx_create(-10, 0), *gf = dsp_dtmf_tx_create(-10, 0);
    dsp_dtmf_rx *d = dsp_dtmf_rx_create(NULL);
    dsp_ec *e = dsp_ec_create(NULL);
    dsp_dtmf_event ev[16];
    int begins = 0;

    got[0] = '\0';
    if (g == NULL || gf == NULL || d == NULL || e == NULL) {
        dsp_dtmf_tx_destroy(g);
        dsp_dtmf_tx_destroy(gf);
        dsp_dtmf_rx_destroy(d);
        dsp_ec_destroy(e);
        return -1;
    }
    dsp_ec_bypass(e, c->bypass);
    memset(sin_, 0, sizeof(sin_));
    memset(fd, 0, sizeof(fd));
    if (c->near) {
        (void)dsp_dtmf_tx_queue(g, c->digits != NULL ? c->digits : "1597", 100, 100);
        for (size_t i = (size_t)c->pre_ms * 8; i + 160 <= ECD_N; i += 160)
            (void)dsp_dtmf_tx_run(g, sin_ + i, 160);
    }
    if (c->far_dtmf) {
        (void)dsp_dtmf_tx_queue(gf, "2468", 100, 100);
        for (size_t i = 0; i + 160 <= ECD_N; i += 160)
            (void)dsp_dtmf_tx_run(gf, fd + i, 160);
    }
    for (int i = 0; i < ECD_N; i++) {
        double v = fd[i];
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        if (c->talk)
            v += ((double)((seed >> 8) & 0xffff) / 32768.0 - 1.0) * 3000.0 * sqrt(3.0);
        if (c->tone_hz > 0.0)   /* -9 dBm0: full-scale sine is +3.14 dBm0 */
            v += 32767.0 * pow(10.0, (-9.0 - 3.14) / 20.0) * sin(2.0 * M_PI * c->tone_hz * i / 8000.0);
        rin[i] = (int16_t)(v > 32767.0 ? 32767.0 : (v < -32768.0 ? -32768.0 : v));
        if (i >= 5)
            sin_[i] = (int16_t)(sin_[i] + c->echo * rin[i - 5]);
    }
    for (int i = 0; i + 160 <= ECD_N; i += 160) {
        (void)dsp_ec_process(e, rin + i, sin_ + i, out, 160);
        int k = dsp_dtmf_rx_process(d, out, 160, ev, 16);
        for (int j = 0; j < k; j++) {
            if (ev[j].begin && begins < 15) {
                got[begins] = ev[j].digit;
                got[begins + 1] = '\0';
            }
            begins += ev[j].begin;
        }
    }
    dsp_ec_dtmf_guard(e, gs);
    dsp_dtmf_tx_destroy(g);
    dsp_dtmf_tx_destroy(gf);
    dsp_dtmf_rx_destroy(d);
    dsp_ec_destroy(e);
    return begins;
}

/* 20 noise seeds: runs with exactly `want` digits detected (and those digits `digits` when
 * given); the first wrong result in bad. Guard counts summed into *gs. */
static int ecd_right(const ecd_case *c, int want, const char *digits, char *bad, size_t badlen,
                     dsp_ec_guard_stats *gs)
{
    int right = 0;
    char got[16];

    bad[0] = '\0';
    memset(gs, 0, sizeof(*gs));
    for (uint32_t s = 1; s <= 20; s++) {
        dsp_ec_guard_stats one;
        int b = ecd_run(c, s * 2654435761u, got, &one);
        int ok = b == want && (digits == NULL || strcmp(got, digits) == 0);
        right += ok;
        if (!ok && bad[0] == '\0')
            snprintf(bad, badlen, "seed %u: \"%s\"", s, got);
        gs->near_blocks += one.near_blocks;
        gs->suppressed_blocks += one.suppressed_blocks;
        gs->resets += one.resets;
    }
    return right;
}

SG_TEST(ec_fresh_canceller_and_near_end_dtmf_at_call_start)
{
    static const struct {
        const char *name;
        ecd_case c;
    } cases[] = {
        /* controls */
        { "far end silent, 14 dB echo", { .near = 1, .echo = 0.2 } },
        { "far-end talk, canceller bypassed", { .near = 1, .talk = 1, .echo = 0.2, .bypass = 1 } },
        { "far-end talk, canceller adapted for 2 s first", { .near = 1, .talk = 1, .echo = 0.2, .pre_ms = 2000 } },
        /* the defect: a fresh canceller under far-end talk */
        { "far-end talk, fresh canceller, no echo", { .near = 1, .talk = 1 } },
        { "far-end talk, fresh canceller, 14 dB echo", { .near = 1, .talk = 1, .echo = 0.2 } },
        { "far-end talk, fresh canceller, 6 dB echo", { .near = 1, .talk = 1, .echo = 0.5 } },
        /* the demo's PSTN -> UC call: the UC phone plays 1 kHz from the answer on */
        { "far-end 1 kHz tone, fresh canceller, no echo", { .near = 1, .tone_hz = 1000.0, .digits = "159#" } },
        { "far-end 1 kHz tone, fresh canceller, 14 dB echo", { .near = 1, .echo = 0.2, .tone_hz = 1000.0, .digits = "159#" } },
        { "far-end 1 kHz tone, fresh canceller, 6 dB echo", { .near = 1, .echo = 0.5, .tone_hz = 1000.0, .digits = "159#" } },
        { "far-end 1 kHz + talk, fresh canceller, 14 dB echo",
          { .near = 1, .talk = 1, .echo = 0.2, .tone_hz = 1000.0, .digits = "159#" } },
    };
    char bad[64];
    dsp_ec_guard_stats gs;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *want = cases[i].c.digits != NULL ? cases[i].c.digits : "1597";
        int right = ecd_right(&cases[i].c, 4, want, bad, sizeof(bad), &gs);
        printf("  %-50s: \"%s\" exactly in %2d/20 runs (guard: %u blocks passed, %u suppressed, %u resets)%s%s\n",
               cases[i].name, want, right, gs.near_blocks, gs.suppressed_blocks, gs.resets, bad[0] ? "; " : "", bad);
        SG_CHECK_EQ_INT(right, 20);
    }
}

SG_TEST(ec_fresh_canceller_far_end_dtmf_echo_is_not_a_near_end_digit)
{
    static const struct {
        const char *name;
        ecd_case c;
    } cases[] = {
        { "far-end DTMF, 14 dB echo", { .far_dtmf = 1, .echo = 0.2 } },
        { "far-end DTMF, 6 dB echo", { .far_dtmf = 1, .echo = 0.5 } },
        { "far-end DTMF, 3 dB echo", { .far_dtmf = 1, .echo = 0.7 } },
        { "far-end DTMF + talk, 14 dB echo", { .talk = 1, .far_dtmf = 1, .echo = 0.2 } },
        { "far-end DTMF + talk, 6 dB echo", { .talk = 1, .far_dtmf = 1, .echo = 0.5 } },
    };
    char bad[64];
    dsp_ec_guard_stats gs;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int right = ecd_right(&cases[i].c, 0, NULL, bad, sizeof(bad), &gs);
        printf("  %-50s: no near-end digit in %2d/20 runs (guard: %u blocks suppressed)%s%s\n", cases[i].name,
               right, gs.suppressed_blocks, bad[0] ? "; " : "", bad);
        SG_CHECK_EQ_INT(right, 20);
    }
    /* both at once: near-end digits keyed while the far end's are echoed (14 dB) still come
     * through, and only they */
    {
        ecd_case both = { .near = 1, .far_dtmf = 1, .echo = 0.2 };
        int right = ecd_right(&both, 4, "1597", bad, sizeof(bad), &gs);
        printf("  %-50s: \"1597\" exactly in %2d/20 runs%s%s\n", "near-end \"1597\" over far-end \"2468\" echo",
               right, bad[0] ? "; " : "", bad);
        SG_CHECK_EQ_INT(right, 20);
    }
}
