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
 * the idle count rides over. */
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

/* Line NLP on one block of residual (see the top of the file). */
static void line_nlp(dsp_ec *e, const int16_t *rin, int16_t *res)
{
    float far = 0.0f, resid = mean_abs(res), target, g, step;

    e->rin_level[e->rin_pos] = mean_abs(rin);
    e->rin_pos = (e->rin_pos + 1) % e->rin_blocks;
    for (unsigned k = 0; k < e->rin_blocks; k++)
        far = e->rin_level[k] > far ? e->rin_level[k] : far;
    if (resid > far * NLP_MARGIN)
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
    target = far > NLP_FAR_MIN && e->nlp_hang == 0 ? e->nlp_sup : 1.0f;
    if (target >= 1.0f) {
        /* release at once: the first syllable of near-end speech must not be faded */
        e->nlp_gain = 1.0f;
        return;
    }
    g = e->nlp_gain;
    step = (target - g) / (float)DSP_EC_FRAME;
    for (size_t i = 0; i < DSP_EC_FRAME; i++) {
        float v;
        g += step;
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

static double block_energy(const int16_t *x)
{
    double s = 0.0;

    for (size_t i = 0; i < DSP_EC_FRAME; i++)
        s += (double)x[i] * x[i];
    return s;
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
        /* sout may alias sin: cancel into a scratch block first */
        speex_echo_cancellation(e->echo, sin + i, rin + i, e->tmp);
        if (e->line_nlp)
            line_nlp(e, rin + i, e->tmp);
        else if (e->pp != NULL)
            speex_preprocess_run(e->pp, e->tmp);
        memcpy(sout + i, e->tmp, sizeof(e->tmp));
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
}

void dsp_ec_bypass(dsp_ec *e, int on)
{
    if (e != NULL)
        e->bypass = on != 0;
}
