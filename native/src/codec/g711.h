/* Internal: table-driven G.711 (µ-law and A-law), bit-exact with the ITU-T G.711 / G.191
 * reference compress/expand for 16-bit linear input (µ-law uses the top 14 bits, A-law the
 * top 13). Tables are built once when the library loads; every function here is any-thread,
 * allocation-free and safe on the per-sample path. */
#ifndef SG_CODEC_G711_H
#define SG_CODEC_G711_H

#include <stddef.h>
#include <stdint.h>

extern uint8_t g711_ulaw_enc_table[16384];  /* index: (uint16_t)linear >> 2 */
extern uint8_t g711_alaw_enc_table[4096];   /* index: (uint16_t)linear >> 4 */
extern int16_t g711_ulaw_dec_table[256];
extern int16_t g711_alaw_dec_table[256];

static inline uint8_t g711_linear_to_ulaw(int16_t x)
{
    return g711_ulaw_enc_table[(uint16_t)x >> 2];
}

static inline uint8_t g711_linear_to_alaw(int16_t x)
{
    return g711_alaw_enc_table[(uint16_t)x >> 4];
}

static inline int16_t g711_ulaw_to_linear(uint8_t c)
{
    return g711_ulaw_dec_table[c];
}

static inline int16_t g711_alaw_to_linear(uint8_t c)
{
    return g711_alaw_dec_table[c];
}

/* Block forms (any thread, per-frame path). */
void g711_ulaw_encode(uint8_t *out, const int16_t *pcm, size_t n);
void g711_alaw_encode(uint8_t *out, const int16_t *pcm, size_t n);
void g711_ulaw_decode(int16_t *pcm, const uint8_t *in, size_t n);
void g711_alaw_decode(int16_t *pcm, const uint8_t *in, size_t n);

/* µ-law <-> A-law code conversion through linear (G.711 tables 3/4 are not used: going via
 * linear is what a transcoding gateway does and is exact on the decoded values). */
void g711_ulaw_to_alaw(uint8_t *out, const uint8_t *in, size_t n);
void g711_alaw_to_ulaw(uint8_t *out, const uint8_t *in, size_t n);

/* The reference algorithms the tables are built from (slow; used at load and by tests). */
uint8_t g711_ref_linear_to_ulaw(int16_t x);
uint8_t g711_ref_linear_to_alaw(int16_t x);
int16_t g711_ref_ulaw_to_linear(uint8_t c);
int16_t g711_ref_alaw_to_linear(uint8_t c);

#endif
