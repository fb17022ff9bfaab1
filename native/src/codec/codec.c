/* The codec table, instance lifecycle, and the exported read-only view for TypeScript.
 * Adding a codec: write codec/<name>.c defining one `const sg_codec_desc`, declare it in
 * codec.h and list it in `table` below. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "codec/codec.h"

/* The exported structs are mirrored in TypeScript: pin their sizes (see sg_struct_size). */
_Static_assert(sizeof(sg_codec_info_t) == 92, "sg_codec_info_t layout changed: bump SG_ABI_VERSION");
_Static_assert(sizeof(sg_codec_opts_t) == 20, "sg_codec_opts_t layout changed: bump SG_ABI_VERSION");

static const sg_codec_desc *const table[] = {
    &codec_pcmu,
    &codec_pcma,
    &codec_g722,
    &codec_opus,
    &codec_l16_8k,
    &codec_l16_16k,
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

uint32_t codec_table_count(void)
{
    return (uint32_t)TABLE_LEN;
}

const sg_codec_desc *codec_table_at(uint32_t index)
{
    return index < TABLE_LEN ? table[index] : NULL;
}

static int lookup_index(const char *name, uint32_t clock_rate)
{
    if (name == NULL)
        return SG_EINVAL;
    for (uint32_t i = 0; i < TABLE_LEN; i++)
        if (strcasecmp(table[i]->name, name) == 0 &&
            (clock_rate == 0 || table[i]->clock_rate == clock_rate))
            return (int)i;
    return SG_ENOENT;
}

const sg_codec_desc *codec_lookup(const char *name, uint32_t clock_rate)
{
    int i = lookup_index(name, clock_rate);
    return i >= 0 ? table[i] : NULL;
}

int codec_create(sg_codec *c, const sg_codec_desc *desc, const sg_codec_opts_t *opts)
{
    static const sg_codec_opts_t defaults;
    uint32_t rate = 0;
    uint16_t ms;
    int err = SG_EINVAL;

    if (c == NULL)
        return SG_EINVAL;
    memset(c, 0, sizeof(*c));
    if (desc == NULL)
        return SG_EINVAL;
    if (opts == NULL)
        opts = &defaults;
    ms = opts->frame_ms != 0 ? opts->frame_ms : desc->frame_ms;
    if (ms == 0 || ms > 60 || ms % 10 != 0)
        return SG_EINVAL;
    c->state = desc->create(opts, &rate, &err);
    if (c->state == NULL)
        return err < 0 ? err : SG_EINVAL;
    if (rate * ms / 1000 > CODEC_MAX_FRAME_SAMPLES) {
        desc->destroy(c->state);
        memset(c, 0, sizeof(*c));
        return SG_EINVAL;
    }
    c->desc = desc;
    c->rate = rate;
    c->frame_ms = ms;
    c->frame_samples = (uint16_t)(rate * ms / 1000);
    return SG_OK;
}

void codec_destroy(sg_codec *c)
{
    if (c == NULL || c->desc == NULL)
        return;
    c->desc->destroy(c->state);
    memset(c, 0, sizeof(*c));
}

int codec_encode(sg_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (c->desc == NULL)
        return SG_ESTATE;
    return c->desc->encode(c->state, pcm, n, out, cap);
}

int codec_decode(sg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap)
{
    if (c->desc == NULL)
        return SG_ESTATE;
    return c->desc->decode(c->state, in, len, pcm, cap);
}

int codec_plc(sg_codec *c, int16_t *pcm, size_t n)
{
    if (c->desc == NULL)
        return SG_ESTATE;
    return c->desc->plc(c->state, pcm, n);
}

int codec_decode_fec(sg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t n)
{
    int rc;

    if (c->desc == NULL)
        return SG_ESTATE;
    if (c->desc->decode_fec != NULL) {
        rc = c->desc->decode_fec(c->state, in, len, pcm, n);
        if (rc >= 0)
            return rc;
    }
    return c->desc->plc(c->state, pcm, n);
}

int codec_set_loss(sg_codec *c, unsigned pct)
{
    if (c->desc == NULL)
        return SG_ESTATE;
    if (pct > 100)
        return SG_EINVAL;
    if (c->desc->set_loss == NULL)
        return SG_ENOSYS;
    return c->desc->set_loss(c->state, pct);
}

uint32_t codec_rtp_ticks(const sg_codec *c, uint32_t n)
{
    if (c->desc == NULL || c->rate == 0)
        return 0;
    return (uint32_t)((uint64_t)n * c->desc->clock_rate / c->rate);
}

/* Exported view. */

SG_API uint32_t sg_codec_count(void)
{
    return codec_table_count();
}

SG_API int sg_codec_info(uint32_t index, sg_codec_info_t *out, uint32_t size)
{
    const sg_codec_desc *d;

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    d = codec_table_at(index);
    if (d == NULL)
        return SG_ENOENT;
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", d->name);
    snprintf(out->fmtp, sizeof(out->fmtp), "%s", d->fmtp);
    out->clock_rate = d->clock_rate;
    out->sample_rate = d->sample_rate;
    out->frame_ms = d->frame_ms;
    out->payload_type = d->payload_type;
    out->channels = d->channels;
    return SG_OK;
}

SG_API int sg_codec_find(const char *name, uint32_t clock_rate)
{
    return lookup_index(name, clock_rate);
}

SG_API void sg_codec_opts_default(sg_codec_opts_t *opts)
{
    if (opts != NULL)
        memset(opts, 0, sizeof(*opts));
}
