/* Line echo canceller: G.168-style regression on synthetic hybrid echo paths.
 *
 * Echo paths: the eight dispersive hybrid models of ITU-T G.168 Annex D (d2-d9, coefficient
 * tables as shipped in spandsp's g168models.h), each with a bulk delay and an echo return
 * loss (ERL) of 6-20 dB, one long-tail case at 128 ms. Far end: speech-like composite source
 * (voiced pulse train through formants, unvoiced noise, pauses) at -12 dBm0, G.711 µ-law on
 * both directions as on a TDM span, line noise at -70 dBm0.
 * ERLE = 10 log10(P(sin) / P(sout)) over 10 ms blocks where the far end talks and the near end
 * is silent, summed over the window. The tests print ERLE per path for three windows and
 * assert minimum ERLE after convergence: quality, never timing.
 * Double talk: near-end speech at -16 dBm0 for 3 s in the middle; the near end must come
 * through (compared with the same near-end signal through a canceller that hears no echo)
 * and the canceller must not diverge afterwards. */
#include <stdint.h>
#include <spandsp/g168models.h>
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/g711.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"

#define EC_MIN_ERLE_LINEAR 18
#define EC_MIN_ERLE_NLP 22
#define EC_MIN_DT_FIDELITY 10
enum { EC_SEC = 8000, EC_LEN = 10 * EC_SEC, EC_BLOCK = 80 };

typedef struct echo_path {
    const char *name;
    const int32_t *h;
    size_t taps;
    unsigned delay;   /* bulk delay, samples */
    double erl_db;
    unsigned tail_ms;
} echo_path;

#define MODEL(n) line_model_##n##_coeffs, sizeof(line_model_##n##_coeffs) / sizeof(int32_t)

static const echo_path paths[] = {
    { "d2", MODEL(d2), 0, 6.0, 64 },
    { "d3", MODEL(d3), 40, 10.0, 64 },
    { "d4", MODEL(d4), 80, 15.0, 64 },
    { "d5", MODEL(d5), 160, 20.0, 64 },
    { "d6", MODEL(d6), 240, 6.0, 64 },
    { "d7", MODEL(d7), 300, 10.0, 64 },
    { "d8", MODEL(d8), 120, 15.0, 64 },
    { "d9", MODEL(d9), 200, 20.0, 64 },
    { "d4 long", MODEL(d4), 700, 10.0, 128 },
};

#define NPATHS (sizeof(paths) / sizeof(paths[0]))

typedef struct ec_signals {
    int16_t rin[EC_LEN];    /* far end, µ-law quantised, towards the line */
    int16_t near[EC_LEN];   /* near-end talker alone (linear) */
    int16_t sin[EC_LEN];    /* µ-law(echo + near + noise) from the line */
    double echo_pow[EC_LEN / EC_BLOCK];
    double near_pow[EC_LEN / EC_BLOCK];
} ec_signals;

/* Builds rin/sin for one path. near_from..near_to (seconds) carries near-end speech. The far
 * end is the composite source, or `far` (EC_LEN samples) when given. */
static void build_from(ec_signals *s, const echo_path *p, double near_from, double near_to, const int16_t *far)
{
    static double echo[EC_LEN];
    double p_rin = 0.0, p_echo = 0.0, scale;
    sig_rng rng = { 1234 };
    uint8_t c;

    if (far != NULL)
        memcpy(s->rin, far, sizeof(s->rin));
    else
        sig_speech(s->rin, EC_LEN, 8000.0, -12.0, 5);
    for (size_t i = 0; i < EC_LEN; i++) {
        c = g711_linear_to_ulaw(s->rin[i]);
        s->rin[i] = g711_ulaw_to_linear(c);
    }
    for (size_t i = 0; i < EC_LEN; i++) {
        double acc = 0.0;
        for (size_t k = 0; k < p->taps; k++) {
            size_t back = p->delay + k;
            if (i >= back)
                acc += (double)p->h[k] * s->rin[i - back];
        }
        echo[i] = acc;
        p_echo += acc * acc;
        p_rin += (double)s->rin[i] * s->rin[i];
    }
    scale = sqrt(p_rin / p_echo * pow(10.0, -p->erl_db / 10.0));
    memset(s->near, 0, sizeof(s->near));
    if (near_to > near_from) {
        size_t a = (size_t)(near_from * EC_SEC), b = (size_t)(near_to * EC_SEC);
        sig_speech(s->near + a, b - a, 8000.0, -16.0, 99);
    }
    for (size_t i = 0; i < EC_LEN; i++) {
        double e = echo[i] * scale, v = e + s->near[i] + sig_dbm0_to_peak(-70.0) / sqrt(2.0) * sig_gauss(&rng);
        s->sin[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(sig_sat16(v)));
        if (i % EC_BLOCK == 0) {
            s->echo_pow[i / EC_BLOCK] = 0.0;
            s->near_pow[i / EC_BLOCK] = 0.0;
        }
        s->echo_pow[i / EC_BLOCK] += e * e;
        s->near_pow[i / EC_BLOCK] += (double)s->near[i] * s->near[i];
    }
}

static void build(ec_signals *s, const echo_path *p, double near_from, double near_to)
{
    build_from(s, p, near_from, near_to, NULL);
}

/* ERLE over [from, to) seconds, on blocks with echo above -50 dBm0 and no near-end speech. */
static double erle(const ec_signals *s, const int16_t *sout, double from, double to)
{
    double ps = 0.0, po = 0.0, floor_pow = pow(sig_dbm0_to_peak(-50.0), 2) / 2.0 * EC_BLOCK;
    size_t a = (size_t)(from * EC_SEC) / EC_BLOCK, b = (size_t)(to * EC_SEC) / EC_BLOCK;

    for (size_t blk = a; blk < b; blk++) {
        if (s->echo_pow[blk] < floor_pow || s->near_pow[blk] > 0.0)
            continue;
        for (size_t i = blk * EC_BLOCK; i < (blk + 1) * EC_BLOCK; i++) {
            ps += (double)s->sin[i] * s->sin[i];
            po += (double)sout[i] * sout[i];
        }
    }
    return po > 0.0 ? 10.0 * log10(ps / po) : 99.0;
}

/* Runs the whole signal in 20 ms frames, as a span delivers them. Returns SG_OK, or SG_EBUSY
 * when the tone disabler switched the canceller off at any point (speech must never do that). */
static int run_ec(const sg_ec_opts_t *o, const int16_t *rin, const int16_t *sin, int16_t *sout)
{
    dsp_ec *e = dsp_ec_create(o);
    int disabled = 0;

    if (e == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < EC_LEN; i += 160) {
        dsp_ec_process(e, rin + i, sin + i, sout + i, 160);
        disabled |= dsp_ec_tone_disabled(e);
    }
    dsp_ec_destroy(e);
    return disabled ? SG_EBUSY : SG_OK;
}

/* Linear canceller alone (NLP off): what the adaptive filter removes. */
SG_TEST(ec_g168_erle_linear)
{
    static ec_signals s;
    static int16_t out[EC_LEN];
    double worst_late = 99.0, sum_late = 0.0;

    printf("  G.168 paths, ERLE (dB) linear canceller, NLP off:  path delay ERL tail | 1-2 s  2-5 s  5-10 s\n");
    for (size_t p = 0; p < NPATHS; p++) {
        sg_ec_opts_t o = { .tail_ms = (uint16_t)paths[p].tail_ms, .nlp = 2 };
        double e1, e2, e3;
        build(&s, &paths[p], 0.0, 0.0);
        SG_CHECK_EQ_INT(run_ec(&o, s.rin, s.sin, out), SG_OK);
        e1 = erle(&s, out, 1.0, 2.0);
        e2 = erle(&s, out, 2.0, 5.0);
        e3 = erle(&s, out, 5.0, 10.0);
        printf("  %-8s %4u %4.0f %4u | %5.1f  %5.1f  %5.1f\n", paths[p].name, paths[p].delay,
               paths[p].erl_db, paths[p].tail_ms, e1, e2, e3);
        /* G.711 on both sides limits the attainable ERLE to the mid 30s */
        SG_CHECK(e3 >= EC_MIN_ERLE_LINEAR);
        worst_late = e3 < worst_late ? e3 : worst_late;
        sum_late += e3;
    }
    printf("  linear ERLE 5-10 s: mean %.1f dB, worst %.1f dB (asserted >= %.0f dB)\n",
           sum_late / NPATHS, worst_late, (double)EC_MIN_ERLE_LINEAR);
}

/* Default configuration (residual echo suppression on). */
SG_TEST(ec_g168_erle_with_nlp)
{
    static ec_signals s;
    static int16_t out[EC_LEN];
    double worst = 99.0, sum = 0.0;

    printf("  G.168 paths, ERLE (dB) with residual echo suppression:  path | 1-2 s  2-5 s  5-10 s\n");
    for (size_t p = 0; p < NPATHS; p++) {
        sg_ec_opts_t o = { .tail_ms = (uint16_t)paths[p].tail_ms };
        double e1, e2, e3;
        build(&s, &paths[p], 0.0, 0.0);
        SG_CHECK_EQ_INT(run_ec(&o, s.rin, s.sin, out), SG_OK);
        e1 = erle(&s, out, 1.0, 2.0);
        e2 = erle(&s, out, 2.0, 5.0);
        e3 = erle(&s, out, 5.0, 10.0);
        printf("  %-8s | %5.1f  %5.1f  %5.1f\n", paths[p].name, e1, e2, e3);
        SG_CHECK(e3 >= EC_MIN_ERLE_NLP);
        worst = e3 < worst ? e3 : worst;
        sum += e3;
    }
    printf("  ERLE with NLP 5-10 s: mean %.1f dB, worst %.1f dB (asserted >= %.0f dB)\n", sum / NPATHS,
           worst, (double)EC_MIN_ERLE_NLP);
}

/* SNR (dB) of x against ref over [from, to) seconds. */
static double window_snr(const int16_t *ref, const int16_t *x, double from, double to)
{
    size_t a = (size_t)(from * EC_SEC), b = (size_t)(to * EC_SEC);
    return sig_snr_db(ref + a, x + a, b - a, 0);
}

/* Double talk on path d4 (80-sample delay, ERL 10 dB): near-end speech 4-7 s. The reference
 * is the near-end signal through the same canceller settings with the far end silent, which
 * takes the canceller's own fixed filtering (speexdsp's DC notch) out of the comparison. */
SG_TEST(ec_double_talk_keeps_near_end)
{
    static ec_signals s;
    static int16_t out[EC_LEN], ref[EC_LEN], near_q[EC_LEN], zeros[EC_LEN];
    const echo_path p = { "d4", MODEL(d4), 80, 10.0, 64 };

    static const int modes[] = { 2, 1, 3 };   /* off, line NLP (default), speexdsp suppressor */
    static const char *names[] = { "off", "line", "speex" };
    for (int m = 0; m < 3; m++) {
        int nlp = modes[m];
        sg_ec_opts_t o = { .nlp = (uint8_t)nlp };
        double fid, lvl, after, raw;
        build(&s, &p, 4.0, 7.0);
        SG_CHECK_EQ_INT(run_ec(&o, s.rin, s.sin, out), SG_OK);
        /* reference: the near end (µ-law quantised, as on the line) with no far end at all */
        for (size_t i = 0; i < EC_LEN; i++)
            near_q[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(s.near[i]));
        SG_CHECK_EQ_INT(run_ec(&o, zeros, near_q, ref), SG_OK);
        fid = window_snr(ref, out, 4.2, 7.0);
        raw = window_snr(near_q, s.sin, 4.2, 7.0);
        lvl = 10.0 * log10(sig_power(out + 4 * EC_SEC, 3 * EC_SEC) / sig_power(ref + 4 * EC_SEC, 3 * EC_SEC));
        after = erle(&s, out, 8.0, 10.0);
        printf("  double talk, NLP %s: near-end fidelity %.1f dB (line signal before the canceller %.1f dB), "
               "level %+.1f dB, ERLE 8-10 s after %.1f dB\n", names[m], fid, raw, lvl, after);
        SG_CHECK(fid >= EC_MIN_DT_FIDELITY);
        SG_CHECK(lvl > -3.0 && lvl < 3.0);
        SG_CHECK(after >= EC_MIN_ERLE_LINEAR);
    }
}

SG_TEST(ec_options_bypass_and_errors)
{
    sg_ec_opts_t bad_tail = { .tail_ms = 300 }, bad_nlp = { .nlp = 4 }, bad_sup = { .suppress_db = 5 };
    int16_t rin[160] = { 0 }, sin[160], out[160];
    dsp_ec *e;

    SG_CHECK(dsp_ec_create(&bad_tail) == NULL);
    SG_CHECK(dsp_ec_create(&bad_nlp) == NULL);
    SG_CHECK(dsp_ec_create(&bad_sup) == NULL);
    e = dsp_ec_create(NULL);
    SG_CHECK(e != NULL);
    if (e == NULL)
        return;
    sig_sine(sin, 160, 700.0, 5000.0, 8000.0, NULL);
    SG_CHECK_EQ_INT(dsp_ec_process(e, rin, sin, out, 100), SG_EINVAL);
    dsp_ec_bypass(e, 1);
    SG_CHECK_EQ_INT(dsp_ec_process(e, rin, sin, out, 160), SG_OK);
    SG_CHECK_MEM(sin, out, sizeof(sin));
    dsp_ec_bypass(e, 0);
    SG_CHECK_EQ_INT(dsp_ec_process(e, rin, sin, sin, 160), SG_OK);  /* in place */
    dsp_ec_reset(e);
    dsp_ec_destroy(e);
    dsp_ec_destroy(NULL);
}

/* 2100 Hz answer tone at -12 dBm0, 3.3 s, with a 180° phase reversal every 450 ms when
 * `reversals` (V.25 ANS/PR), written from sample `at`. */
static void answer_tone(int16_t *x, size_t at, int reversals)
{
    double peak = sig_dbm0_to_peak(-12.0);
    for (size_t i = 0; i < 33 * EC_SEC / 10; i++) {
        double t = (double)i / EC_SEC, flip = reversals && ((i / (450 * 8)) & 1) ? M_PI : 0.0;
        x[at + i] = sig_sat16(peak * sin(2.0 * M_PI * 2100.0 * t + flip));
    }
}

/* G.165 tone disabler: ANS with phase reversals from the line side switches the canceller to a
 * bit-exact pass-through; 250 ms of silence both ways switches it back. Plain 2100 Hz (fax CED)
 * does not disable it. Detection latency is counted in samples, never in wall time. */
SG_TEST(ec_tone_disabler)
{
    static int16_t rin[EC_LEN], sin_[EC_LEN], out[EC_LEN];
    dsp_ec *e;
    size_t first_off = 0, back_on = 0, exact = 1;

    for (int rev = 1; rev >= 0; rev--) {
        memset(rin, 0, sizeof(rin));
        memset(sin_, 0, sizeof(sin_));
        answer_tone(sin_, EC_SEC, rev);   /* 1.0 - 4.3 s, then silence */
        e = dsp_ec_create(NULL);
        SG_CHECK(e != NULL);
        if (e == NULL)
            return;
        first_off = back_on = 0;
        exact = 1;
        for (size_t i = 0; i < EC_LEN; i += 160) {
            int was = dsp_ec_tone_disabled(e);
            dsp_ec_process(e, rin + i, sin_ + i, out + i, 160);
            if (dsp_ec_tone_disabled(e) && first_off == 0)
                first_off = i + 160;
            if (was && !dsp_ec_tone_disabled(e) && back_on == 0)
                back_on = i + 160;
            /* blocks fully inside the disabled period pass untouched */
            if (was && dsp_ec_tone_disabled(e) && memcmp(out + i, sin_ + i, 160 * sizeof(int16_t)) != 0)
                exact = 0;
        }
        if (rev) {
            printf("  tone disabler: ANS/PR from 1.000 s, canceller off at %.3f s, back on at %.3f s "
                   "(tone ends 4.300 s)\n", (double)first_off / EC_SEC, (double)back_on / EC_SEC);
            SG_CHECK(first_off > EC_SEC && first_off < EC_SEC + 2 * EC_SEC);  /* within 2 s of onset */
            SG_CHECK(exact);
            /* released 250 ms after the tone stops (block granularity: +-20 ms) */
            SG_CHECK(back_on >= 43 * EC_SEC / 10 + 2000 - 160 && back_on <= 43 * EC_SEC / 10 + 2000 + 320);
        } else {
            printf("  tone disabler: plain 2100 Hz (no reversals): canceller %s\n",
                   first_off ? "switched off (wrong)" : "left on");
            SG_CHECK_EQ_INT(first_off, 0);
        }
        dsp_ec_destroy(e);
    }
    /* off switch */
    {
        sg_ec_opts_t o = { .tone_disable = 2 };
        memset(rin, 0, sizeof(rin));
        answer_tone(sin_, EC_SEC, 1);
        e = dsp_ec_create(&o);
        SG_CHECK(e != NULL);
        if (e != NULL) {
            for (size_t i = 0; i < EC_LEN; i += 160)
                dsp_ec_process(e, rin + i, sin_ + i, out + i, 160);
            SG_CHECK_EQ_INT(dsp_ec_tone_disabled(e), 0);
            dsp_ec_destroy(e);
        }
        o.tone_disable = 3;
        SG_CHECK(dsp_ec_create(&o) == NULL);
    }
}

/* The answer-tone detectors only run while their direction carries 2100 Hz (dsp/ec.c): ANS/PR
 * from the network side (rin) while the near end talks, and from the line (sin) mixed with
 * near-end speech 24 dB under it while the far end talks, still switch the canceller off within
 * 2 s, as fast as with the detectors always running (spandsp's detector itself misses the tone
 * with speech only 12 dB under it, gated or not). */
SG_TEST(ec_tone_disabler_under_speech)
{
    static int16_t rin[EC_LEN], sin_[EC_LEN], out[EC_LEN], talk[EC_LEN];

    for (int side = 0; side < 2; side++) {
        dsp_ec *e = dsp_ec_create(NULL);
        size_t first_off = 0;
        SG_CHECK(e != NULL);
        if (e == NULL)
            return;
        memset(rin, 0, sizeof(rin));
        memset(sin_, 0, sizeof(sin_));
        sig_speech(talk, EC_LEN, 8000.0, -16.0, 7);
        if (side == 0) {
            answer_tone(rin, EC_SEC, 1);
            memcpy(sin_, talk, sizeof(talk));
        } else {
            sig_speech(rin, EC_LEN, 8000.0, -12.0, 11);
            answer_tone(sin_, EC_SEC, 1);
            for (size_t i = 0; i < EC_LEN; i++)
                sin_[i] = sig_sat16((double)sin_[i] + talk[i] / 16);  /* near-end speech 24 dB under the tone */
        }
        for (size_t i = 0; i < EC_LEN && first_off == 0; i += 160) {
            dsp_ec_process(e, rin + i, sin_ + i, out + i, 160);
            if (dsp_ec_tone_disabled(e))
                first_off = i + 160;
        }
        printf("  tone disabler, ANS/PR from 1.000 s on %s: canceller off at %.3f s\n",
               side == 0 ? "rin during near-end speech" : "sin with speech both ways", (double)first_off / EC_SEC);
        SG_CHECK(first_off > EC_SEC && first_off < 3 * EC_SEC);
        dsp_ec_destroy(e);
    }
}

/* In-band signalling survives the canceller: the near end dials all 16 DTMF digits while the
 * far end talks (echo on path d3, ERL 10 dB); a DTMF receiver after the canceller (default
 * settings, residual echo suppression on) still gets every digit, in order. */
SG_TEST(ec_passes_near_end_dtmf)
{
    static ec_signals s;
    static int16_t out[EC_LEN], digits[EC_LEN];
    const echo_path p = { "d3", MODEL(d3), 40, 10.0, 64 };
    dsp_dtmf_tx *g = dsp_dtmf_tx_create(-12, 0);
    dsp_dtmf_rx *d = dsp_dtmf_rx_create(NULL);
    dsp_dtmf_event ev[8];
    char got[32] = "";
    int ng = 0;

    SG_CHECK(g != NULL && d != NULL);
    if (g == NULL || d == NULL)
        goto out;
    build(&s, &p, 0.0, 0.0);
    /* digits from 4 s on, 70 ms on / 70 ms off, mixed into the line signal */
    memset(digits, 0, sizeof(digits));
    SG_CHECK_EQ_INT(dsp_dtmf_tx_queue(g, "123A456B789C*0#D", 70, 70), SG_OK);
    for (size_t i = 4 * EC_SEC; i < EC_LEN; i += 160)
        dsp_dtmf_tx_run(g, digits + i, 160);
    for (size_t i = 0; i < EC_LEN; i++)
        s.sin[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(sig_sat16((double)s.sin[i] + digits[i])));
    SG_CHECK_EQ_INT(run_ec(NULL, s.rin, s.sin, out), SG_OK);
    for (size_t i = 0; i < EC_LEN; i += 160) {
        int k = dsp_dtmf_rx_process(d, out + i, 160, ev, 8);
        for (int j = 0; j < k; j++)
            if (ev[j].begin && ng < 31)
                got[ng++] = ev[j].digit;
    }
    printf("  DTMF through the canceller during far-end speech: \"%s\"\n", got);
    SG_CHECK(strcmp(got, "123A456B789C*0#D") == 0);
out:
    dsp_dtmf_tx_destroy(g);
    dsp_dtmf_rx_destroy(d);
}

/* The same regression with espeak-ng speech as the far end (fixtures/speech_8k.ulaw, first
 * 10 s, about -17 dBm0 with pauses): every G.168 path, default settings and linear only. */
SG_TEST(ec_g168_espeak_far_end)
{
    static ec_signals s;
    static int16_t far[EC_LEN], out[EC_LEN];
    double worst_lin = 99.0, worst_nlp = 99.0;

    if (sig_load_ulaw("speech_8k.ulaw", far, EC_LEN) != EC_LEN) {
        SG_CHECK(!"fixture speech_8k.ulaw missing or short");
        return;
    }
    printf("  G.168 paths, espeak-ng far end, ERLE 5-10 s (dB):  path | linear  with NLP\n");
    for (size_t p = 0; p < NPATHS; p++) {
        sg_ec_opts_t lin = { .tail_ms = (uint16_t)paths[p].tail_ms, .nlp = 2 };
        sg_ec_opts_t def = { .tail_ms = (uint16_t)paths[p].tail_ms };
        double e_lin, e_nlp;
        build_from(&s, &paths[p], 0.0, 0.0, far);
        SG_CHECK_EQ_INT(run_ec(&lin, s.rin, s.sin, out), SG_OK);
        e_lin = erle(&s, out, 5.0, 10.0);
        SG_CHECK_EQ_INT(run_ec(&def, s.rin, s.sin, out), SG_OK);
        e_nlp = erle(&s, out, 5.0, 10.0);
        printf("  %-8s | %5.1f  %5.1f\n", paths[p].name, e_lin, e_nlp);
        worst_lin = e_lin < worst_lin ? e_lin : worst_lin;
        worst_nlp = e_nlp < worst_nlp ? e_nlp : worst_nlp;
        SG_CHECK(e_lin >= EC_MIN_ERLE_LINEAR);
        SG_CHECK(e_nlp >= EC_MIN_ERLE_NLP);
    }
    printf("  espeak-ng far end: worst linear %.1f dB, worst with NLP %.1f dB\n", worst_lin, worst_nlp);
}

/* Echo path change (the call is transferred to another line mid-call): path d2 for 5 s, then
 * d8 with a different delay and ERL. The canceller must re-converge: ERLE over 8-10 s. */
SG_TEST(ec_echo_path_change)
{
    static ec_signals a, b;
    static int16_t out[EC_LEN];
    const echo_path pa = { "d2", MODEL(d2), 40, 8.0, 64 };
    const echo_path pb = { "d8", MODEL(d8), 250, 14.0, 64 };
    double before, just_after, after;

    build(&a, &pa, 0.0, 0.0);
    build(&b, &pb, 0.0, 0.0);   /* same far-end signal (same seed), other path */
    memcpy(a.sin + 5 * EC_SEC, b.sin + 5 * EC_SEC, 5 * EC_SEC * sizeof(int16_t));
    memcpy(a.echo_pow + 5 * EC_SEC / EC_BLOCK, b.echo_pow + 5 * EC_SEC / EC_BLOCK,
           5 * EC_SEC / EC_BLOCK * sizeof(double));
    SG_CHECK_EQ_INT(run_ec(NULL, a.rin, a.sin, out), SG_OK);
    before = erle(&a, out, 3.0, 5.0);
    just_after = erle(&a, out, 5.0, 6.0);
    after = erle(&a, out, 8.0, 10.0);
    printf("  echo path change d2 -> d8 at 5 s: ERLE 3-5 s %.1f dB, 5-6 s %.1f dB, 8-10 s %.1f dB\n",
           before, just_after, after);
    SG_CHECK(after >= EC_MIN_ERLE_NLP);
}

/* Comfort noise: while the line NLP suppresses the residual, the line carries noise at the
 * background level measured while the far end was silent, not near-silence. Near end: white
 * background at -55 dBm0 alone; far end silent for 2 s, then speech; a flat echo path
 * (ERL 10 dB, 5 ms). Blocks where the NLP suppresses are found from a run with comfort noise
 * off (output well under the background); with it on, those blocks sit at the background. */
SG_TEST(ec_comfort_noise_at_background_level)
{
    static int16_t rin[EC_LEN], sin_[EC_LEN], out_cng[EC_LEN], out_off[EC_LEN], quiet[EC_LEN], out_quiet[EC_LEN];
    sig_rng rng = { 77 };
    double bg_rms = sig_dbm0_to_peak(-55.0) / sqrt(2.0), bg_pow = 0.0, cng_pow = 0.0, off_pow = 0.0;
    size_t blocks = 0, from = 2 * EC_SEC;
    sg_ec_opts_t on = { .tail_ms = 64 }, off = { .tail_ms = 64, .comfort_noise = 2 };

    memset(rin, 0, sizeof(rin));
    sig_speech(rin + from, EC_LEN - from, 8000.0, -12.0, 5);
    for (size_t i = 0; i < EC_LEN; i++)
        rin[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(rin[i]));
    for (size_t i = 0; i < EC_LEN; i++) {
        double echo = i >= 40 ? 0.316 * rin[i - 40] : 0.0;
        sin_[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(sig_sat16(echo + bg_rms * sig_gauss(&rng))));
    }
    SG_CHECK_EQ_INT(run_ec(&on, rin, sin_, out_cng), SG_OK);
    SG_CHECK_EQ_INT(run_ec(&off, rin, sin_, out_off), SG_OK);
    for (size_t i = 0; i < from; i++)
        bg_pow += (double)sin_[i] * sin_[i];
    bg_pow /= (double)from;
    for (size_t blk = (size_t)(5 * EC_SEC) / EC_BLOCK; blk < EC_LEN / EC_BLOCK; blk++) {
        double po = 0.0, pc = 0.0;
        for (size_t i = blk * EC_BLOCK; i < (blk + 1) * EC_BLOCK; i++) {
            po += (double)out_off[i] * out_off[i];
            pc += (double)out_cng[i] * out_cng[i];
        }
        if (po / EC_BLOCK > bg_pow / 100.0)
            continue;                       /* not suppressed (or ramping): not comparable */
        off_pow += po;
        cng_pow += pc;
        blocks++;
    }
    printf("  comfort noise: %zu suppressed blocks, background %.1f dBm0, NLP output %.1f dBm0 without "
           "comfort noise, %.1f dBm0 with\n", blocks, sig_rms_to_dbm0(sqrt(bg_pow)),
           blocks ? sig_rms_to_dbm0(sqrt(off_pow / (double)(blocks * EC_BLOCK))) : -99.0,
           blocks ? sig_rms_to_dbm0(sqrt(cng_pow / (double)(blocks * EC_BLOCK))) : -99.0);
    SG_CHECK(blocks >= 50);
    if (blocks > 0) {
        double rel = 10.0 * log10(cng_pow / (double)(blocks * EC_BLOCK) / bg_pow);
        SG_CHECK(rel > -4.0 && rel < 3.0);
    }

    /* A line with no background gets no noise: digital silence stays silent. */
    memset(quiet, 0, sizeof(quiet));
    for (size_t i = 0; i < EC_LEN; i++)
        quiet[i] = g711_ulaw_to_linear(g711_linear_to_ulaw(sig_sat16(i >= 40 ? 0.316 * rin[i - 40] : 0.0)));
    SG_CHECK_EQ_INT(run_ec(&on, rin, quiet, out_quiet), SG_OK);
    {
        double pq = 0.0;
        for (size_t i = 0; i < from; i++)
            pq += (double)out_quiet[i] * out_quiet[i];
        SG_CHECK(pq == 0.0);
    }
    {
        sg_ec_opts_t bad = { .comfort_noise = 3 };
        SG_CHECK(dsp_ec_create(&bad) == NULL);
    }
}
