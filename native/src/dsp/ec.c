/* Line echo canceller on speexdsp (see ec.h). spandsp 0.0.6's echo_can is not used: it prints
 * on every sample and diverged on G.168 paths (shared/research/native.md §2.1).
 * Residual echo suppression uses speex_preprocess, whose echo suppressor only runs with its
 * noise suppressor enabled; the noise suppressor is therefore on, but limited to NS_DB so
 * that line noise and low-level near-end audio are barely touched. Its VAD is left at the
 * default (off): setting it at all prints a warning from speexdsp. */
#include <stdlib.h>
#include <string.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include "dsp/ec.h"

#define EC_RATE 8000
#define NS_DB (-3)

struct dsp_ec {
    SpeexEchoState *echo;
    SpeexPreprocessState *pp;   /* NULL when the NLP is off */
    int bypass;
    int16_t tmp[DSP_EC_FRAME];
};

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
    if (tail_ms < DSP_EC_TAIL_MIN_MS || tail_ms > DSP_EC_TAIL_MAX_MS || opts->nlp > 2 || sup > 0 ||
        sup_active > 0)
        return NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->echo = speex_echo_state_init((int)DSP_EC_FRAME, (int)(tail_ms * (EC_RATE / 1000)));
    if (e->echo == NULL)
        goto fail;
    speex_echo_ctl(e->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    if (opts->nlp != 2) {
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
    if (e->echo != NULL)
        speex_echo_state_destroy(e->echo);
    free(e);
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
        /* sout may alias sin: cancel into a scratch block first */
        speex_echo_cancellation(e->echo, sin + i, rin + i, e->tmp);
        if (e->pp != NULL)
            speex_preprocess_run(e->pp, e->tmp);
        memcpy(sout + i, e->tmp, sizeof(e->tmp));
    }
    return SG_OK;
}

void dsp_ec_reset(dsp_ec *e)
{
    if (e != NULL)
        speex_echo_state_reset(e->echo);
}

void dsp_ec_bypass(dsp_ec *e, int on)
{
    if (e != NULL)
        e->bypass = on != 0;
}
