/* Call-progress tone plans and the cadence generator. Figures per plan (nominal levels; a
 * deployment can differ, and the plan table is the one place to change them):
 *  us: North American Precise Tone Plan (ANSI T1.401 / Telcordia): dial 350+440 -13 dBm0,
 *      ringback 440+480 -19 dBm0 2 s / 4 s, busy 480+620 -24 dBm0 0.5 / 0.5 s,
 *      reorder 480+620 -24 dBm0 0.25 / 0.25 s.
 *  uk: BT SIN 350: dial 350 -20 + 440 -23 continuous, ringing 400+450 0.4 / 0.2 / 0.4 / 2.0 s,
 *      engaged 400 -20 0.375 / 0.375 s, path engaged 400 0.4 (-20) / 0.35 / 0.225 (-14) / 0.525 s.
 *  de: Deutsche Telekom 1TR110: 425 Hz; dial continuous, ringback 1 / 4 s, busy 0.48 / 0.48 s,
 *      congestion 0.24 / 0.24 s.
 *  eu: ETSI ES 201 970 / CEPT recommendation: 425 Hz; dial continuous, ringback 1 / 4 s,
 *      busy 0.5 / 0.5 s, congestion 0.25 / 0.25 s.
 * The 425 Hz and UK ringing levels (-10 / -18 dBm0 here) vary by operator. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <spandsp.h>
#include "dsp/tone.h"

_Static_assert(sizeof(sg_tone_info_t) == 80, "sg_tone_info_t layout changed: bump SG_ABI_VERSION");

#define ON1(f, l, ms) { (f), 0, (l), 0, (ms) }
#define ON2(f1, l1, f2, l2, ms) { (f1), (f2), (l1), (l2), (ms) }
#define OFF(ms) { 0, 0, 0, 0, (ms) }

static const dsp_tone_def plans[] = {
    { "us", SG_TONE_DIAL, "dial", "Precise Tone Plan", 1, { ON2(350, -13, 440, -13, 0) } },
    { "us", SG_TONE_RINGBACK, "ringback", "Precise Tone Plan", 2, { ON2(440, -19, 480, -19, 2000), OFF(4000) } },
    { "us", SG_TONE_BUSY, "busy", "Precise Tone Plan", 2, { ON2(480, -24, 620, -24, 500), OFF(500) } },
    { "us", SG_TONE_CONGESTION, "congestion", "Precise Tone Plan (reorder)", 2,
      { ON2(480, -24, 620, -24, 250), OFF(250) } },
    { "uk", SG_TONE_DIAL, "dial", "BT SIN 350", 1, { ON2(350, -20, 440, -23, 0) } },
    { "uk", SG_TONE_RINGBACK, "ringback", "BT SIN 350", 4,
      { ON2(400, -18, 450, -18, 400), OFF(200), ON2(400, -18, 450, -18, 400), OFF(2000) } },
    { "uk", SG_TONE_BUSY, "busy", "BT SIN 350", 2, { ON1(400, -20, 375), OFF(375) } },
    { "uk", SG_TONE_CONGESTION, "congestion", "BT SIN 350 (path engaged)", 4,
      { ON1(400, -20, 400), OFF(350), ON1(400, -14, 225), OFF(525) } },
    { "de", SG_TONE_DIAL, "dial", "1TR110", 1, { ON1(425, -10, 0) } },
    { "de", SG_TONE_RINGBACK, "ringback", "1TR110", 2, { ON1(425, -10, 1000), OFF(4000) } },
    { "de", SG_TONE_BUSY, "busy", "1TR110", 2, { ON1(425, -10, 480), OFF(480) } },
    { "de", SG_TONE_CONGESTION, "congestion", "1TR110", 2, { ON1(425, -10, 240), OFF(240) } },
    { "eu", SG_TONE_DIAL, "dial", "ETSI ES 201 970", 1, { ON1(425, -10, 0) } },
    { "eu", SG_TONE_RINGBACK, "ringback", "ETSI ES 201 970", 2, { ON1(425, -10, 1000), OFF(4000) } },
    { "eu", SG_TONE_BUSY, "busy", "ETSI ES 201 970", 2, { ON1(425, -10, 500), OFF(500) } },
    { "eu", SG_TONE_CONGESTION, "congestion", "ETSI ES 201 970", 2, { ON1(425, -10, 250), OFF(250) } },
};

#define NPLANS (sizeof(plans) / sizeof(plans[0]))

uint32_t dsp_tone_count(void)
{
    return (uint32_t)NPLANS;
}

const dsp_tone_def *dsp_tone_at(uint32_t id)
{
    return id < NPLANS ? &plans[id] : NULL;
}

static int find_index(const char *country, uint32_t kind)
{
    if (country == NULL || kind >= SG_TONE_KIND_COUNT)
        return SG_EINVAL;
    for (uint32_t i = 0; i < NPLANS; i++)
        if (plans[i].kind == (sg_tone_kind)kind && strcasecmp(plans[i].country, country) == 0)
            return (int)i;
    return SG_ENOENT;
}

const dsp_tone_def *dsp_tone_lookup(const char *country, sg_tone_kind kind)
{
    int i = find_index(country, (uint32_t)kind);
    return i >= 0 ? &plans[i] : NULL;
}

uint32_t dsp_tone_cycle_samples(const dsp_tone_def *def)
{
    uint32_t total = 0;

    for (uint32_t i = 0; i < def->nseg; i++) {
        if (def->seg[i].ms == 0)
            return 0;
        total += def->seg[i].ms * (DSP_TONE_RATE / 1000);
    }
    return total;
}

/* Loads segment g->seg: oscillator rates and scales (phases run on, so a tone that continues
 * into the next segment has no discontinuity). */
static void load_segment(dsp_tone_gen *g)
{
    const dsp_tone_seg *s = &g->def->seg[g->seg];

    g->left = s->ms == 0 ? UINT32_MAX : s->ms * (DSP_TONE_RATE / 1000);
    g->rate1 = s->f1 != 0 ? dds_phase_rate((float)s->f1) : 0;
    g->rate2 = s->f2 != 0 ? dds_phase_rate((float)s->f2) : 0;
    g->scale1 = s->f1 != 0 ? dds_scaling_dbm0((float)s->l1) : 0;
    g->scale2 = s->f2 != 0 ? dds_scaling_dbm0((float)s->l2) : 0;
}

int dsp_tone_gen_init(dsp_tone_gen *g, const dsp_tone_def *def)
{
    if (g == NULL)
        return SG_EINVAL;
    memset(g, 0, sizeof(*g));
    if (def == NULL || def->nseg == 0 || def->nseg > SG_TONE_MAX_SEGMENTS)
        return SG_EINVAL;
    g->def = def;
    g->seg = 0;
    load_segment(g);
    return SG_OK;
}

void dsp_tone_gen_stop(dsp_tone_gen *g)
{
    if (g != NULL)
        g->def = NULL;
}

int dsp_tone_gen_run(dsp_tone_gen *g, int16_t *pcm, size_t n)
{
    size_t i = 0;

    if (g->def == NULL) {
        memset(pcm, 0, n * sizeof(*pcm));
        return 0;
    }
    while (i < n) {
        size_t run = n - i;
        if (g->left != UINT32_MAX && run > g->left)
            run = g->left;
        if (g->scale1 == 0 && g->scale2 == 0) {
            memset(pcm + i, 0, run * sizeof(*pcm));
        } else {
            for (size_t k = 0; k < run; k++) {
                int32_t v = 0;
                if (g->scale1 != 0)
                    v += dds_mod(&g->phase1, g->rate1, g->scale1, 0);
                if (g->scale2 != 0)
                    v += dds_mod(&g->phase2, g->rate2, g->scale2, 0);
                pcm[i + k] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
            }
        }
        i += run;
        if (g->left != UINT32_MAX) {
            g->left -= (uint32_t)run;
            if (g->left == 0) {
                g->seg = (g->seg + 1) % g->def->nseg;
                load_segment(g);
            }
        }
    }
    return (int)n;
}

/* Exported view. */

SG_API uint32_t sg_tone_count(void)
{
    return dsp_tone_count();
}

SG_API int sg_tone_find(const char *country, uint32_t kind)
{
    return find_index(country, kind);
}

SG_API int sg_tone_info(uint32_t id, sg_tone_info_t *out, uint32_t size)
{
    const dsp_tone_def *d;

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    d = dsp_tone_at(id);
    if (d == NULL)
        return SG_ENOENT;
    memset(out, 0, sizeof(*out));
    snprintf(out->country, sizeof(out->country), "%s", d->country);
    snprintf(out->name, sizeof(out->name), "%s", d->name);
    out->kind = (uint32_t)d->kind;
    out->cycle_ms = dsp_tone_cycle_samples(d) / (DSP_TONE_RATE / 1000);
    out->segments = d->nseg;
    for (uint32_t i = 0; i < d->nseg; i++) {
        out->freq_hz[i][0] = d->seg[i].f1;
        out->freq_hz[i][1] = d->seg[i].f2;
        out->level_dbm0[i][0] = d->seg[i].l1;
        out->level_dbm0[i][1] = d->seg[i].l2;
        out->duration_ms[i] = d->seg[i].ms;
    }
    return SG_OK;
}
