/* RFC 3389 comfort noise payloads and white-noise generation at a level in dBov. */
#include <math.h>
#include "rtp/cn.h"

int cn_parse(const uint8_t *buf, size_t len, cn_payload *out)
{
    size_t i;

    if (len == 0 || (buf[0] & 0x80))
        return -1;
    out->level = buf[0];
    out->ncoeffs = (uint8_t)(len - 1 > CN_MAX_COEFFS ? CN_MAX_COEFFS : len - 1);
    for (i = 0; i < out->ncoeffs; i++)
        out->coeffs[i] = buf[1 + i];
    return 0;
}

size_t cn_write(uint8_t *buf, uint8_t level)
{
    buf[0] = level & 0x7f;
    return 1;
}

void cn_gen_init(cn_gen *g, uint32_t seed)
{
    g->seed = seed ? seed : 0x12345678u;
    cn_gen_set_level(g, 127);
}

void cn_gen_set_level(cn_gen *g, uint8_t level_dbov)
{
    /* 0 dBov is a full-scale square wave (RMS 32767); uniform noise of peak A has RMS A/sqrt(3). */
    double rms = 32767.0 * pow(10.0, -(double)(level_dbov & 0x7f) / 20.0);
    double peak = rms * 1.7320508075688772;

    g->level = level_dbov & 0x7f;
    g->amplitude = peak > 32767.0 ? 32767 : (int32_t)peak;
}

void cn_gen_fill(cn_gen *g, int16_t *pcm, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int32_t r;
        g->seed = g->seed * 1664525u + 1013904223u;
        r = (int32_t)(g->seed >> 16) - 32768;             /* uniform in [-32768, 32767] */
        pcm[i] = (int16_t)(((int64_t)r * g->amplitude) / 32768);
    }
}

uint8_t cn_level_of(const int16_t *pcm, size_t n)
{
    double sum = 0.0, rms, db;
    size_t i;

    for (i = 0; i < n; i++)
        sum += (double)pcm[i] * pcm[i];
    if (n == 0 || sum == 0.0)
        return 127;
    rms = sqrt(sum / (double)n);
    db = -20.0 * log10(rms / 32767.0);
    if (db < 0)
        db = 0;
    if (db > 127)
        db = 127;
    return (uint8_t)(db + 0.5);
}
