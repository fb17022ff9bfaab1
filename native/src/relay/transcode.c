/* Codec instances and timestamp scaling for transcoding relays. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "relay/transcode.h"
#include "rtp/endpoint.h"

/* The codec at its default PCM rate (sample_rate 0) and the legs' packetisation. */
static int make_codec(sg_codec *c, const sg_codec_desc *d, uint16_t ptime)
{
    sg_codec_opts_t o;

    memset(&o, 0, sizeof(o));
    o.frame_ms = ptime;
    return codec_create(c, d, &o);
}

static int make_dir(xcode_dir *x, const sg_codec_desc *from, const sg_codec_desc *to, uint16_t ptime)
{
    int rc = make_codec(&x->dec, from, ptime);

    if (rc != SG_OK)
        return rc;
    rc = make_codec(&x->enc, to, ptime);
    if (rc != SG_OK)
        return rc;
    if (x->dec.rate != x->enc.rate) {
        x->rs = resample_create(x->dec.rate, x->enc.rate, -1);
        if (x->rs == NULL)
            return SG_ENOMEM;
    }
    x->from_clock = from->clock_rate;
    x->to_clock = to->clock_rate;
    cn_gen_init(&x->cng, 0x9e3779b9u);
    return SG_OK;
}

xcode *xcode_create(const rtp_ep *a, const rtp_ep *b, int *err)
{
    const sg_codec_desc *da = codec_lookup(a->cfg.codec, a->cfg.clock_rate);
    const sg_codec_desc *db = codec_lookup(b->cfg.codec, b->cfg.clock_rate);
    xcode *x;
    int rc;

    if (da == NULL || db == NULL || a->cfg.ptime_ms != b->cfg.ptime_ms) {
        /* TODO(next): repacketise between different ptimes. */
        *err = SG_EINVAL;
        return NULL;
    }
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        *err = SG_ENOMEM;
        return NULL;
    }
    /* Each codec runs at its own default PCM rate and a resampler bridges them. Not at the
     * narrower rate of the two: for PCMU<->G.722 that would be spandsp's 8 kHz lower-band
     * mode, whose payloads leave the peer's QMF synthesis without its aliasing cancellation
     * (a 3.4 kHz tone comes out with a 4.6 kHz image at -10 dB, and wideband content at
     * 4.4-5 kHz folds into the PCMU band at -7..-21 dB; the 16 kHz path with speexdsp keeps
     * both below -50 dB: test_codec_g722.c, bench/RESULTS.md). Opus's default is its NB mode,
     * a real codec bandwidth, so PCMU<->Opus still needs no resampler. */
    rc = make_dir(&x->ab, da, db, a->cfg.ptime_ms);
    if (rc == SG_OK)
        rc = make_dir(&x->ba, db, da, a->cfg.ptime_ms);
    if (rc != SG_OK) {
        xcode_free(x);
        *err = rc;
        return NULL;
    }
    return x;
}

static void free_dir(xcode_dir *d)
{
    codec_destroy(&d->dec);
    codec_destroy(&d->enc);
    if (d->rs)
        resample_destroy(d->rs);
    d->rs = NULL;
}

void xcode_free(xcode *x)
{
    if (x == NULL)
        return;
    free_dir(&x->ab);
    free_dir(&x->ba);
    free(x);
}

uint32_t xcode_scale_ts(xcode_dir *d, uint32_t src_ssrc, uint32_t ts)
{
    int64_t delta;

    if (!d->have_ts || src_ssrc != d->src_ssrc) {
        d->have_ts = 1;
        d->src_ssrc = src_ssrc;
        d->last_src_ts = ts;
        d->last_dst_ts = (uint32_t)((uint64_t)ts * d->to_clock / d->from_clock);
        return d->last_dst_ts;
    }
    /* Scale the (signed) step, so wraps of either clock stay continuous. */
    delta = (int64_t)(int32_t)(ts - d->last_src_ts) * d->to_clock / d->from_clock;
    d->last_src_ts = ts;
    d->last_dst_ts += (uint32_t)delta;
    return d->last_dst_ts;
}
