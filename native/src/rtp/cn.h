/* Internal: RFC 3389 comfort noise: payload parse and a noise generator at the signalled
 * level. The spectral coefficients are parsed but the generated noise is white (RFC 3389 4.1
 * allows a receiver to ignore them). Owning thread only; no allocation. */
#ifndef SG_RTP_CN_H
#define SG_RTP_CN_H

#include <stddef.h>
#include <stdint.h>

#define CN_MAX_COEFFS 16u

typedef struct cn_payload {
    uint8_t level;            /* noise level, -dBov (0..127) */
    uint8_t ncoeffs;
    uint8_t coeffs[CN_MAX_COEFFS];
} cn_payload;

/* 0, or -1 when len is 0 or the level byte has its reserved top bit set. */
int cn_parse(const uint8_t *buf, size_t len, cn_payload *out);
size_t cn_write(uint8_t *buf, uint8_t level);

typedef struct cn_gen {
    uint32_t seed;
    int32_t amplitude;        /* peak of the uniform noise, linear 16-bit */
    uint8_t level;
} cn_gen;

void cn_gen_init(cn_gen *g, uint32_t seed);
void cn_gen_set_level(cn_gen *g, uint8_t level_dbov);
/* Fills n samples of noise at the current level. */
void cn_gen_fill(cn_gen *g, int16_t *pcm, size_t n);
/* Level in -dBov of a PCM frame (for sending CN); 127 for digital silence. */
uint8_t cn_level_of(const int16_t *pcm, size_t n);

#endif
