/* Fixed-ratio resampling with speexdsp. Integer ratios only (8k/16k/48k), so every 10 ms of
 * input yields exactly 10 ms of output: the filter delay stays inside the resampler as
 * leading output, never as a short frame. */
#include <stdlib.h>
#include <string.h>
#include <speex/speex_resampler.h>
#include "codec/resample.h"
#include "spangate/spangate.h"

struct sg_resampler {
    SpeexResamplerState *st;  /* NULL for the equal-rate pass-through */
    uint32_t in_rate;
    uint32_t out_rate;
};

static int rate_ok(uint32_t r)
{
    return r == 8000 || r == 16000 || r == 48000;
}

sg_resampler *resample_create(uint32_t in_rate, uint32_t out_rate, int quality)
{
    sg_resampler *r;
    int err = 0;

    if (!rate_ok(in_rate) || !rate_ok(out_rate) || quality < -1 || quality > 10)
        return NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    if (in_rate != out_rate) {
        r->st = speex_resampler_init(1, in_rate, out_rate,
                                     quality < 0 ? RESAMPLE_QUALITY_DEFAULT : quality, &err);
        if (r->st == NULL || err != RESAMPLER_ERR_SUCCESS) {
            free(r);
            return NULL;
        }
    }
    return r;
}

void resample_destroy(sg_resampler *r)
{
    if (r == NULL)
        return;
    if (r->st != NULL)
        speex_resampler_destroy(r->st);
    free(r);
}

int resample_run(sg_resampler *r, const int16_t *in, size_t n, int16_t *out, size_t cap)
{
    spx_uint32_t in_len, out_len;
    uint64_t want;

    if (r == NULL || in == NULL || out == NULL || n > 48000)
        return SG_EINVAL;
    want = (uint64_t)n * r->out_rate / r->in_rate;
    if (cap < want)
        return SG_EBUSY;
    if (r->st == NULL) {
        memcpy(out, in, n * sizeof(*in));
        return (int)n;
    }
    in_len = (spx_uint32_t)n;
    out_len = (spx_uint32_t)cap;
    if (speex_resampler_process_int(r->st, 0, in, &in_len, out, &out_len) != RESAMPLER_ERR_SUCCESS)
        return SG_EINVAL;
    return (int)out_len;
}

void resample_reset(sg_resampler *r)
{
    if (r != NULL && r->st != NULL)
        speex_resampler_reset_mem(r->st);
}

int resample_latency(const sg_resampler *r)
{
    if (r == NULL || r->st == NULL)
        return 0;
    return speex_resampler_get_output_latency(r->st);
}
