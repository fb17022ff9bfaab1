/* Line echo canceller on speexdsp (see ec.h). spandsp 0.0.6's echo_can is not used: it prints
 * on every sample and diverged on G.168 paths (shared/research/native.md §2.1).
 * The default non-linear processor is a line NLP in the G.168 manner: per 20 ms block it
 * compares the canceller's residual with the far-end level over the echo tail; while the far
 * end talks, the residual is more than NLP_MARGIN below it and no near-end speech was heard in
 * the last NLP_HANG_BLOCKS, the residual is attenuated by suppress_db (ramped over a block, so
 * no click). A few operations per sample, against speex_preprocess's FFT, filter bank and
 * noise estimator per block, which cost as much as the canceller (bench/TDM.md).
 * Comfort noise: a suppressed line would otherwise go dead while the far end talks, and the
 * far-end talker hears the background switch on and off ("noise pumping"). The NLP therefore
 * measures the line's background while the far end is silent (a minimum tracker on the block
 * level of sin after cancellation: quick to fall, slow to rise, so near-end speech does not
 * lift it) and, while it suppresses, cross-fades the residual into white noise of that level
 * (capped at CNG_MAX). A line with no background measured gets none.
 * Option nlp 3 keeps speexdsp's residual echo suppression (speex_preprocess), whose echo
 * suppressor only runs with its noise suppressor enabled; the noise suppressor is therefore on, but limited to NS_DB so
 * that line noise and low-level near-end audio are barely touched. Its VAD is left at the
 * default (off): setting it at all prints a warning from speexdsp.
 * The tone disabler listens to both directions with spandsp's answer-tone detector. A detector
 * only runs while its direction carries a 2100 Hz component (a Goertzel filter per block, a few
 * hundred instructions against the detector's ~14 k per block): it wakes on a block with at
 * least ANS_SHARE of its energy at 2100 Hz and, once ANS_IDLE_BLOCKS in a row have less, is
 * reset and sleeps again. A phase reversal in mid-block cancels that block's 2100 Hz sum, which
 * the idle count rides over.
 * DTMF guard. In-band digits are detected on this canceller's output, which goes wrong three
 * ways while the canceller has not converged:
 *  - near-end digits: a fresh MDF filter adapting under far-end talk with a strong near-end tone
 *    on sin (double talk from its first block) bends the tone enough that the detector ends a
 *    digit and starts it again, or loses it. speexdsp cannot hold its adaptation, so while sin
 *    carries a DTMF-like dual tone that rin cannot explain (plus DTMF_NEAR_HANG blocks), sout is
 *    sin itself. The canceller still runs; the digit is muted toward the network once detected,
 *    so the echo left in it is not heard;
 *  - after such a digit: a young filter has learnt the tone out of the far-end signal and plays
 *    it on (filtered far-end noise shaped like the digit, detected again). For DTMF_POST_BLOCKS
 *    after a near-end tone, a block where the canceller's output is louder than its input resets
 *    the filter (it adds more than it removes; speexdsp would reset it itself after a second)
 *    and passes the line. Within that watch, a residual dual tone that sin does not have (less
 *    than half its level at either tone) is the filter's own and is suppressed;
 *  - far-end digits (RFC 4733 played in-band toward the line, or in-band from the network): their
 *    echo comes back through a canceller that has not learnt the path yet and was detected as
 *    the near end's. A residual dual tone that rin carried as a dual tone within the echo tail,
 *    with sin having neither tone clearly above rin's level, is echo and is suppressed (with
 *    comfort noise) like the NLP does, but faded in over DTMF_FADE samples, not a block.
 * The rules look at the eight DTMF frequencies with Goertzel filters over each half block
 * (10 ms, 100 Hz wide: a generator off by the 1.5 % a receiver accepts loses under 0.5 dB):
 * "DTMF-like" means the strongest row and column tones carry at least DTMF_SHARE of the half
 * block's energy (spandsp's detector wants about 80 %), are each above DTMF_MIN_DBM0, within
 * DTMF_TWIST of each other, and every other row/column frequency is DTMF_REL_PEAK below its
 * group's peak (speech formants fail this; without it double talk lost near-end speech).
 * "rin explains" compares with rin's strongest half block at that frequency over the echo tail,
 * allowing an echo up to DTMF_ECHO_MARGIN (3 dB) louder than rin (no echo return loss assumed,
 * and room for the estimates' scatter): a tone is the near end's when at least one of its two
 * frequencies is more than that above rin, otherwise it may be echo. Cost: eight Goertzel
 * filters per block on rin and on sin (5 k instructions each), on the residual only while rin
 * carried a dual tone or after a near-end one: bench_tdm raw, 128 ms, 337 k -> 349 k
 * instructions per channel and block (callgrind; bench/TDM.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include "dsp/ec.h"

#define EC_RATE 8000
#define NS_DB (-3)
/* Tone disabler release (the G.164/G.165 hold-off): both directions below -36 dBm0 for 250 ms. */
#define RELEASE_DBM0 (-36.0)
#define RELEASE_BLOCKS (250 / 20)
/* Line NLP: residual at least 12 dB (amplitude 1/4) under the far-end level over the tail;
 * 60 ms of hangover after near-end speech; far end counts as talking above -45 dBm0 (mean
 * absolute value of a sine at that level). */
/* Answer-tone detector gating (see the top of the file). */
#define ANS_SHARE 0.25f
#define ANS_IDLE_BLOCKS 5
#define NLP_MARGIN 0.25f
#define NLP_HANG_BLOCKS 3
#define NLP_FAR_MIN 82.0f
#define NLP_TAIL_BLOCKS (DSP_EC_TAIL_MAX_MS / 20u + 2u)
/* Comfort noise: background tracker per block (fall to a lower level at once by half the
 * gap, rise 0.5 % a block ~ 2 dB/s), at most the level of a -50 dBm0 sine (mean |x|). */
#define CNG_FALL 0.5f
#define CNG_RISE 1.005f
#define CNG_MAX 46.0f
/* DTMF guard (see the top of the file): half-block analysis, share of the energy in the best row
 * + column tone, minimum level per tone, twist either way (power ratio, 12 dB), other tones of a
 * group below its peak (power ratio, 6 dB), echo allowed above rin (power ratio, 3 dB),
 * hangover after a near-end tone (covers the block the tone ends in), fade into suppression
 * (samples), watch for a filter that learnt the tone (blocks, 500 ms). */
#define DTMF_HALF (DSP_EC_FRAME / 2u)
#define DTMF_SHARE 0.6f
#define DTMF_MIN_DBM0 (-42.0)
#define DTMF_TWIST 16.0f
#define DTMF_REL_PEAK 4.0f
#define DTMF_ECHO_MARGIN 2.0f
#define DTMF_NEAR_HANG 2
#define DTMF_FADE 16u
#define DTMF_POST_BLOCKS 25

struct dsp_ec {
    SpeexEchoState *echo;
    SpeexPreprocessState *pp;   /* nlp 3 only */
    int line_nlp;               /* nlp 1 */
    float nlp_sup;              /* linear gain applied to suppressed residual */
    float nlp_gain;             /* gain at the end of the last block */
    float rin_level[NLP_TAIL_BLOCKS];   /* mean |rin| of the last blocks (ring) */
    unsigned rin_blocks;        /* blocks of the tail (+1) kept in rin_level */
    unsigned rin_pos;
    int nlp_hang;               /* blocks left of near-end hangover */
    int cng;                    /* comfort noise on */
    float bg;                   /* background level (mean |x| per block), 0 = none measured */
    uint32_t cng_seed;          /* noise generator state (xorshift32) */
    modem_connect_tones_rx_state_t *ans_rin;   /* NULL when the tone disabler is off */
    modem_connect_tones_rx_state_t *ans_sin;
    int ans_idle[2];            /* per direction (rin, sin): low-share blocks in a row, or
                                 * ANS_IDLE_BLOCKS while the detector sleeps */
    int bypass;                 /* set by the caller */
    int tone_disabled;          /* set by the tone disabler */
    int quiet_blocks;           /* consecutive quiet blocks while tone-disabled */
    double release_energy;      /* block energy (sum of squares) at RELEASE_DBM0 */
    float tone_min;             /* half-block tone energy at DTMF_MIN_DBM0 */
    float rin_tone[NLP_TAIL_BLOCKS][8]; /* per block of the tail: rin's stronger half's energy
                                         * at each DTMF frequency (ring, at rin_pos) */
    uint16_t rin_pair[NLP_TAIL_BLOCKS]; /* per block of the tail: the DTMF-like dual tones rin
                                         * carried, bit lo * 4 + hi - 4 (ring, at tone_pos) */
    unsigned tail_blocks;       /* blocks of the tail (+1) kept in rin_tone */
    unsigned tone_pos;
    int near_tone;              /* blocks left of near-end tone pass-through */
    int post_tone;              /* blocks left of the watch for a filter that learnt the tone */
    dsp_ec_guard_stats guard;
    int16_t tmp[DSP_EC_FRAME];
};

_Static_assert(sizeof(sg_ec_opts_t) == 8, "sg_ec_opts_t layout changed: bump SG_ABI_VERSION");

/* Builds any tables spandsp's answer-tone detector initialises lazily, once at library load,
 * so channels created later on different threads never race on them. */
__attribute__((constructor)) static void ec_warm_tables(void)
{
    modem_connect_tones_rx_state_t *s = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_ANS_PR, NULL, NULL);
    if (s != NULL)
        modem_connect_tones_rx_free(s);
}

/* spandsp answer-tone report: only the phase-reversed variants disable a canceller (G.165);
 * plain 2100 Hz (fax CED, V.25 without reversals) leaves it running. */
static void ans_report(void *user, int code, int level, int delay)
{
    dsp_ec *e = user;

    if (code == MODEM_CONNECT_TONES_ANS_PR || code == MODEM_CONNECT_TONES_ANSAM_PR) {
        e->tone_disabled = 1;
        e->quiet_blocks = 0;
    }
}

dsp_ec *dsp_ec_create(const sg_ec_opts_t *opts)
{
    static const sg_ec_opts_t defaults;
    unsigned tail_ms;
    int rate = EC_RATE, on = 1, off = 0, ns = NS_DB, sup, sup_active;
    dsp_ec *e;

    if (opts == NULL)
        opts = &defaults;
    tail_ms = opts->tail_ms != 0 ? opts->tail_ms : DSP_EC_TAIL_DEFAULT_MS;
    sup = opts->suppress_db != 0 ? opts->suppress_db : -40;
    sup_active = opts->suppress_active_db != 0 ? opts->suppress_active_db : -15;
    if (tail_ms < DSP_EC_TAIL_MIN_MS || tail_ms > DSP_EC_TAIL_MAX_MS || opts->nlp > 3 || sup > 0 ||
        sup_active > 0 || opts->tone_disable > 2 || opts->comfort_noise > 2)
        return NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    /* mean square of a sine at RELEASE_DBM0 (full-scale sine = +3.14 dBm0), times a block */
    e->release_energy = pow(32767.0 * pow(10.0, (RELEASE_DBM0 - 3.14) / 20.0), 2.0) / 2.0 * DSP_EC_FRAME;
    e->tone_min = (float)(pow(32767.0 * pow(10.0, (DTMF_MIN_DBM0 - 3.14) / 20.0), 2.0) / 2.0 * DTMF_HALF);
    e->tail_blocks = (tail_ms + 19u) / 20u + 1u;
    e->nlp_sup = (float)pow(10.0, sup / 20.0);
    if (opts->tone_disable != 2) {
        e->ans_rin = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_ANS_PR, ans_report, e);
        e->ans_sin = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_ANS_PR, ans_report, e);
        if (e->ans_rin == NULL || e->ans_sin == NULL)
            goto fail;
        e->ans_idle[0] = e->ans_idle[1] = ANS_IDLE_BLOCKS;
    }
    e->echo = speex_echo_state_init((int)DSP_EC_FRAME, (int)(tail_ms * (EC_RATE / 1000)));
    if (e->echo == NULL)
        goto fail;
    speex_echo_ctl(e->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    if (opts->nlp == 0 || opts->nlp == 1) {
        e->line_nlp = 1;
        e->nlp_sup = (float)pow(10.0, sup / 20.0);
        e->nlp_gain = 1.0f;
        e->rin_blocks = (tail_ms + 19u) / 20u + 1u;
        e->cng = opts->comfort_noise != 2;
        e->cng_seed = 0x9e3779b9u;
    } else if (opts->nlp == 3) {
        e->pp = speex_preprocess_state_init((int)DSP_EC_FRAME, EC_RATE);
        if (e->pp == NULL)
            goto fail;
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_DENOISE, &on);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &ns);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_AGC, &off);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_DEREVERB, &off);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &sup);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &sup_active);
        speex_preprocess_ctl(e->pp, SPEEX_PREPROCESS_SET_ECHO_STATE, e->echo);
    }
    return e;
fail:
    dsp_ec_destroy(e);
    return NULL;
}

void dsp_ec_destroy(dsp_ec *e)
{
    if (e == NULL)
        return;
    if (e->pp != NULL)
        speex_preprocess_state_destroy(e->pp);
    if (e->ans_rin != NULL)
        modem_connect_tones_rx_free(e->ans_rin);
    if (e->ans_sin != NULL)
        modem_connect_tones_rx_free(e->ans_sin);
    if (e->echo != NULL)
        speex_echo_state_destroy(e->echo);
    free(e);
}

/* Share of the block's energy in the 2100 Hz bin (Goertzel; 2100 Hz is bin 42 of 160 samples
 * at 8 kHz, so a steady tone reads ~1, one 15 Hz off still ~0.86). */
static float share_2100(const int16_t *x)
{
    const float coeff = -0.15691819f;   /* 2 cos(2 pi 2100 / 8000) */
    float s1 = 0.0f, s2 = 0.0f, en = 0.0f, pw;

    for (size_t i = 0; i < DSP_EC_FRAME; i++) {
        float v = (float)x[i], s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
        en += v * v;
    }
    pw = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return en > 0.0f ? pw / (en * (float)DSP_EC_FRAME * 0.5f) : 0.0f;
}

/* Runs direction `d`'s answer-tone detector on one block when the block (or the last few)
 * carry 2100 Hz; resets it when they stop. */
static void ans_feed(dsp_ec *e, int d, modem_connect_tones_rx_state_t *det, const int16_t *x)
{
    if (share_2100(x) >= ANS_SHARE) {
        e->ans_idle[d] = 0;
    } else if (e->ans_idle[d] < ANS_IDLE_BLOCKS) {
        if (++e->ans_idle[d] == ANS_IDLE_BLOCKS) {
            /* no allocation: re-initialises the state in place */
            (void)modem_connect_tones_rx_init(det, MODEM_CONNECT_TONES_ANS_PR, ans_report, e);
            return;
        }
    } else {
        return;                             /* asleep */
    }
    modem_connect_tones_rx(det, x, (int)DSP_EC_FRAME);
}

static float mean_abs(const int16_t *x)
{
    int32_t s = 0;

    for (size_t i = 0; i < DSP_EC_FRAME; i++)
        s += x[i] < 0 ? -x[i] : x[i];
    return (float)s / (float)DSP_EC_FRAME;
}

/* Takes the residual block from the gain the last block ended at to `target` over `ramp`
 * samples (then holds it), crossfading into comfort noise where the line NLP measured a
 * background. */
static void nlp_apply(dsp_ec *e, int16_t *res, float target, size_t ramp)
{
    float g = e->nlp_gain, step = (target - g) / (float)ramp;

    for (size_t i = 0; i < DSP_EC_FRAME; i++) {
        float v;
        g = i < ramp ? g + step : target;
        v = (float)res[i] * g;
        if (e->cng && e->bg > 0.0f) {
            /* uniform in [-2 bg, 2 bg): mean |x| = bg; weight (1 - g) so it fades in with the
             * suppression */
            uint32_t x = e->cng_seed;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            e->cng_seed = x;
            v += ((float)(x >> 8) * (1.0f / 8388608.0f) - 1.0f) * 2.0f * e->bg * (1.0f - g);
        }
        res[i] = (int16_t)lrintf(v);
    }
    e->nlp_gain = target;
}

/* Line NLP on one block of residual (see the top of the file). far_tone: the DTMF guard found
 * the residual to be a far-end tone's echo: suppress whatever the levels say, fading in fast. */
static void line_nlp(dsp_ec *e, const int16_t *rin, int16_t *res, int far_tone)
{
    float far = 0.0f, resid = mean_abs(res), target;

    e->rin_level[e->rin_pos] = mean_abs(rin);
    e->rin_pos = (e->rin_pos + 1) % e->rin_blocks;
    for (unsigned k = 0; k < e->rin_blocks; k++)
        far = e->rin_level[k] > far ? e->rin_level[k] : far;
    if (resid > far * NLP_MARGIN && !far_tone)
        e->nlp_hang = NLP_HANG_BLOCKS;          /* near-end speech (or an unconverged path) */
    else if (e->nlp_hang > 0)
        e->nlp_hang--;
    if (e->cng && far <= NLP_FAR_MIN) {
        /* far end silent: what is left is the line's background (and near-end speech) */
        if (e->bg == 0.0f || resid < e->bg)
            e->bg = e->bg == 0.0f ? resid : e->bg - (e->bg - resid) * CNG_FALL;
        else
            e->bg *= CNG_RISE;
        if (e->bg > CNG_MAX)
            e->bg = CNG_MAX;
    }
    if (far_tone) {
        nlp_apply(e, res, e->nlp_sup, DTMF_FADE);
        return;
    }
    target = far > NLP_FAR_MIN && e->nlp_hang == 0 ? e->nlp_sup : 1.0f;
    if (target >= 1.0f) {
        /* release at once: the first syllable of near-end speech must not be faded */
        e->nlp_gain = 1.0f;
        return;
    }
    nlp_apply(e, res, target, DSP_EC_FRAME);
}

/* ---- DTMF guard (see the top of the file) ---- */

/* 2 cos(2 pi f / 8000) for the row (697, 770, 852, 941 Hz) and column (1209, 1336, 1477,
 * 1633 Hz) frequencies. */
static const float dtmf_coeff[8] = {
    1.70773781f, 1.64528104f, 1.56868698f, 1.47820457f,
    1.16410402f, 0.99637021f, 0.79861839f, 0.56853271f,
};

/* Energy (sum of squares of the tone's samples) at each DTMF frequency and in all, per half
 * block of x. */
static void dtmf_bins(const int16_t *x, float bins[2][8], float en[2])
{
    for (unsigned h = 0; h < 2; h++) {
        float s1[8] = { 0 }, s2[8] = { 0 }, sum = 0.0f;
        const int16_t *p = x + h * DTMF_HALF;
        for (size_t i = 0; i < DTMF_HALF; i++) {
            float v = (float)p[i];
            sum += v * v;
            for (unsigned k = 0; k < 8; k++) {
                float s0 = v + dtmf_coeff[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
        }
        for (unsigned k = 0; k < 8; k++)
            bins[h][k] = (s1[k] * s1[k] + s2[k] * s2[k] - dtmf_coeff[k] * s1[k] * s2[k]) * (2.0f / (float)DTMF_HALF);
        en[h] = sum;
    }
}

/* 1 when one half block is a DTMF-like dual tone; *lo (0-3) and *hi (4-7) are its tones. */
static int dtmf_like(const dsp_ec *e, const float *bins, float en, unsigned *lo, unsigned *hi)
{
    unsigned r = 0, c = 4;

    for (unsigned k = 1; k < 4; k++)
        r = bins[k] > bins[r] ? k : r;
    for (unsigned k = 5; k < 8; k++)
        c = bins[k] > bins[c] ? k : c;
    *lo = r;
    *hi = c;
    for (unsigned k = 0; k < 8; k++)
        if (k != r && k != c && DTMF_REL_PEAK * bins[k] > bins[k < 4 ? r : c])
            return 0;
    return bins[r] >= e->tone_min && bins[c] >= e->tone_min && bins[r] + bins[c] >= DTMF_SHARE * en &&
           bins[r] <= DTMF_TWIST * bins[c] && bins[c] <= DTMF_TWIST * bins[r];
}

static uint16_t pair_bit(unsigned lo, unsigned hi)
{
    return (uint16_t)(1u << (lo * 4u + hi - 4u));
}

/* Enters rin's block into the tail ring; rmax gets each frequency's strongest half block over
 * the tail. Returns the dual tones rin carried over the tail (pair_bit()s). */
static unsigned dtmf_rin(dsp_ec *e, const int16_t *rin, float rmax[8])
{
    float bins[2][8], en[2];
    unsigned pairs = 0, lo, hi;

    dtmf_bins(rin, bins, en);
    e->rin_pair[e->tone_pos] = 0;
    for (unsigned h = 0; h < 2; h++)
        if (dtmf_like(e, bins[h], en[h], &lo, &hi))
            e->rin_pair[e->tone_pos] |= pair_bit(lo, hi);
    for (unsigned k = 0; k < 8; k++)
        e->rin_tone[e->tone_pos][k] = bins[0][k] > bins[1][k] ? bins[0][k] : bins[1][k];
    e->tone_pos = (e->tone_pos + 1) % e->tail_blocks;
    for (unsigned k = 0; k < 8; k++) {
        rmax[k] = 0.0f;
        for (unsigned b = 0; b < e->tail_blocks; b++)
            rmax[k] = e->rin_tone[b][k] > rmax[k] ? e->rin_tone[b][k] : rmax[k];
    }
    for (unsigned b = 0; b < e->tail_blocks; b++)
        pairs |= e->rin_pair[b];
    return pairs;
}

/* 1 when sin carries a near-end dual tone: DTMF-like in either half, and at least one of its
 * tones above what rin had at that frequency over the tail (with the margin). */
static int dtmf_near(const dsp_ec *e, const float sbins[2][8], const float sen[2], const float rmax[8])
{
    unsigned lo, hi;

    for (unsigned h = 0; h < 2; h++)
        if (dtmf_like(e, sbins[h], sen[h], &lo, &hi) && (sbins[h][lo] > DTMF_ECHO_MARGIN * rmax[lo] ||
                                                           sbins[h][hi] > DTMF_ECHO_MARGIN * rmax[hi]))
            return 1;
    return 0;
}

/* 1 when the residual carries a dual tone that is not the near end's: DTMF-like in either half
 * and either a far-end tone's echo (a dual tone rin carried over the tail, pairs, with sin
 * having no more of either tone than rin had, with the margin) or the filter's own making (sin
 * has less than half the residual's energy at one of its tones). */
static int dtmf_residual_tone(const dsp_ec *e, const int16_t *res, const float sbins[2][8], const float rmax[8],
                              unsigned pairs)
{
    float bins[2][8], en[2];
    unsigned lo, hi;

    dtmf_bins(res, bins, en);
    for (unsigned h = 0; h < 2; h++) {
        if (!dtmf_like(e, bins[h], en[h], &lo, &hi))
            continue;
        if ((pairs & pair_bit(lo, hi)) != 0 && sbins[h][lo] <= DTMF_ECHO_MARGIN * rmax[lo] &&
            sbins[h][hi] <= DTMF_ECHO_MARGIN * rmax[hi])
            return 1;
        if (2.0f * sbins[h][lo] < bins[h][lo] || 2.0f * sbins[h][hi] < bins[h][hi])
            return 1;
    }
    return 0;
}

/* Attenuation by the NLP's suppression depth, for the modes without the line NLP. */
static void tone_suppress(dsp_ec *e, int16_t *res)
{
    for (size_t i = 0; i < DSP_EC_FRAME; i++) {
        float g = i < DTMF_FADE ? 1.0f + (e->nlp_sup - 1.0f) * (float)(i + 1) / (float)DTMF_FADE : e->nlp_sup;
        res[i] = (int16_t)lrintf((float)res[i] * g);
    }
}

static double block_energy(const int16_t *x)
{
    double s = 0.0;

    for (size_t i = 0; i < DSP_EC_FRAME; i++)
        s += (double)x[i] * x[i];
    return s;
}

/* One block through the canceller, the DTMF guard (see the top of the file) and the NLP. */
static void cancel_block(dsp_ec *e, const int16_t *rin, const int16_t *sin, int16_t *sout)
{
    float rmax[8], sbins[2][8], sen[2];
    unsigned far_pairs = dtmf_rin(e, rin, rmax);
    int pass = 0, suppress = 0;

    dtmf_bins(sin, sbins, sen);
    if (dtmf_near(e, sbins, sen, rmax)) {
        e->near_tone = 1 + DTMF_NEAR_HANG;
        e->post_tone = DTMF_POST_BLOCKS;
    }
    /* sout may alias sin: cancel into a scratch block first */
    speex_echo_cancellation(e->echo, sin, rin, e->tmp);
    if (e->near_tone > 0) {
        /* a near-end digit: the line as it is */
        e->near_tone--;
        e->guard.near_blocks++;
        pass = 1;
    } else if (e->post_tone > 0) {
        double res_en = block_energy(e->tmp);
        e->post_tone--;
        if (res_en > block_energy(sin) && res_en > 2.0 * e->tone_min) {
            /* the canceller adds more than it removes: the filter learnt the tone (a young
             * filter adapts fast even in double talk); forget it and pass the line */
            speex_echo_state_reset(e->echo);
            e->guard.resets++;
            pass = 1;
        }
    }
    /* a residual dual tone can only be far-end echo while rin carried one, or the filter's own
     * after it learnt a near-end one: the analysis is not run otherwise */
    if (!pass && (far_pairs != 0 || e->post_tone > 0))
        suppress = dtmf_residual_tone(e, e->tmp, sbins, rmax, far_pairs);
    e->guard.suppressed_blocks += (uint32_t)suppress;
    /* the NLP runs on every block so that its far-end level and background stay current */
    if (e->line_nlp)
        line_nlp(e, rin, e->tmp, suppress);
    else if (e->pp != NULL)
        speex_preprocess_run(e->pp, e->tmp);
    if (suppress && !e->line_nlp)
        tone_suppress(e, e->tmp);
    if (pass) {
        e->nlp_gain = 1.0f;
        e->nlp_hang = NLP_HANG_BLOCKS;
        if (sout != sin)
            memmove(sout, sin, sizeof(e->tmp));
        return;
    }
    memcpy(sout, e->tmp, sizeof(e->tmp));
}

int dsp_ec_process(dsp_ec *e, const int16_t *rin, const int16_t *sin, int16_t *sout, size_t n)
{
    if (e == NULL || rin == NULL || sin == NULL || sout == NULL || n % DSP_EC_FRAME != 0)
        return SG_EINVAL;
    if (e->bypass) {
        if (sout != sin)
            memmove(sout, sin, n * sizeof(*sout));
        return SG_OK;
    }
    for (size_t i = 0; i < n; i += DSP_EC_FRAME) {
        if (e->ans_rin != NULL) {
            ans_feed(e, 0, e->ans_rin, rin + i);
            ans_feed(e, 1, e->ans_sin, sin + i);
        }
        if (e->tone_disabled) {
            if (block_energy(rin + i) < e->release_energy && block_energy(sin + i) < e->release_energy) {
                if (++e->quiet_blocks >= RELEASE_BLOCKS) {
                    /* the data call is over: start again from an empty echo path */
                    e->tone_disabled = 0;
                    speex_echo_state_reset(e->echo);
                }
            } else {
                e->quiet_blocks = 0;
            }
            if (sout != sin)
                memmove(sout + i, sin + i, sizeof(e->tmp));
            continue;
        }
        cancel_block(e, rin + i, sin + i, sout + i);
    }
    return SG_OK;
}

int dsp_ec_tone_disabled(const dsp_ec *e)
{
    return e != NULL && e->tone_disabled;
}

void dsp_ec_reset(dsp_ec *e)
{
    if (e == NULL)
        return;
    speex_echo_state_reset(e->echo);
    e->tone_disabled = 0;
    e->quiet_blocks = 0;
    e->nlp_gain = 1.0f;
    e->nlp_hang = 0;
    e->bg = 0.0f;
    memset(e->rin_level, 0, sizeof(e->rin_level));
    memset(e->rin_tone, 0, sizeof(e->rin_tone));
    memset(e->rin_pair, 0, sizeof(e->rin_pair));
    e->near_tone = 0;
    e->post_tone = 0;
}

void dsp_ec_dtmf_guard(const dsp_ec *e, dsp_ec_guard_stats *st)
{
    if (st == NULL)
        return;
    if (e != NULL)
        *st = e->guard;
    else
        memset(st, 0, sizeof(*st));
}

void dsp_ec_bypass(dsp_ec *e, int on)
{
    if (e != NULL)
        e->bypass = on != 0;
}
