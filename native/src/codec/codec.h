/* Internal: the codec table and codec instances.
 * Each codec is one file (codec_<name>.c) that defines one `const sg_codec_desc` and is listed
 * once in codec.c's table. All codecs work on 16-bit linear PCM frames at the instance's
 * sample rate (codec_rate()); resampling between rates is resample.h's job.
 *
 * Threads: the table is constant (any thread). An sg_codec instance belongs to one thread at a
 * time, normally the media thread that owns the leg: create/destroy may allocate and must run
 * at leg setup/teardown; encode/decode/plc never allocate, never lock, never print. */
#ifndef SG_CODEC_CODEC_H
#define SG_CODEC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/codec.h"

/* Largest frame any codec accepts or produces per call: 60 ms at 16 kHz. */
#define CODEC_MAX_FRAME_SAMPLES 960u
/* Shortest concealment request the spandsp-based PLCs accept: spandsp 0.0.6 plc_fillin()
 * writes up to a quarter pitch period (30 samples) whatever the length asked for. */
#define CODEC_PLC_MIN_SAMPLES 40u
/* Largest encoded frame any codec produces per call (opus maximum packet is 1275 bytes). */
#define CODEC_MAX_PAYLOAD 1275u

typedef struct sg_codec_desc sg_codec_desc;

struct sg_codec_desc {
    const char *name;          /* SDP encoding name ("PCMU", "PCMA", "G722", "opus", "L16") */
    const char *fmtp;          /* default a=fmtp, "" when none */
    uint8_t payload_type;      /* static PT (RFC 3551) or suggested dynamic PT */
    uint8_t channels;          /* channels in a=rtpmap (opus: 2), else 1 */
    uint32_t clock_rate;       /* RTP timestamp rate */
    uint32_t sample_rate;      /* default PCM rate of an instance */
    uint16_t frame_ms;         /* default packetisation */
    /* Allocates and initialises one instance. opts is never NULL (zero fields = defaults).
     * Sets *rate to the instance's PCM sample rate. Returns the state, or NULL with *err set
     * (SG_EINVAL for bad options, SG_ENOMEM). Stateless codecs return a static non-NULL token. */
    void *(*create)(const sg_codec_opts_t *opts, uint32_t *rate, int *err);
    void (*destroy)(void *state);
    /* Encodes n samples (up to CODEC_MAX_FRAME_SAMPLES; G.711/L16 any n, G.722 at 16 kHz an
     * even n, opus exactly 2.5, 5, 10, 20, 40 or 60 ms) into out. Returns payload bytes, or a
     * negative sg_err (SG_EINVAL for a bad n, SG_EBUSY when cap is too small). */
    int (*encode)(void *state, const int16_t *pcm, size_t n, uint8_t *out, size_t cap);
    /* Decodes one RTP payload into pcm. Returns samples written, or a negative sg_err
     * (SG_EINVAL for a corrupt payload, SG_EBUSY when cap is too small). */
    int (*decode)(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);
    /* Conceals one lost frame of n samples into pcm, continuing from the last decoded audio.
     * Returns n, or a negative sg_err (SG_EINVAL when n < CODEC_PLC_MIN_SAMPLES). */
    int (*plc)(void *state, int16_t *pcm, size_t n);
    /* Optional (NULL when the codec carries no redundancy): rebuilds the lost frame of n
     * samples that precedes `in` from the redundancy carried inside `in` (opus in-band FEC).
     * Returns n, or a negative sg_err; fall back to plc() on error. */
    int (*decode_fec)(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t n);
    /* Optional (NULL when the codec has nothing to tune): tells the encoder the loss rate the
     * far end reports (RTCP), 0..100 %, so it can spend more or fewer bits on redundancy. */
    int (*set_loss)(void *state, unsigned pct);
};

/* One codec instance; embed it in the leg (no allocation beyond desc->create's). */
typedef struct sg_codec {
    const sg_codec_desc *desc;  /* NULL when not created */
    void *state;
    uint32_t rate;              /* PCM sample rate of this instance */
    uint16_t frame_ms;          /* packetisation of this instance */
    uint16_t frame_samples;     /* rate * frame_ms / 1000 */
} sg_codec;

/* The table (any thread). */
extern const sg_codec_desc codec_pcmu;
extern const sg_codec_desc codec_pcma;
extern const sg_codec_desc codec_g722;
extern const sg_codec_desc codec_opus;
extern const sg_codec_desc codec_l16_8k;
extern const sg_codec_desc codec_l16_16k;

uint32_t codec_table_count(void);
const sg_codec_desc *codec_table_at(uint32_t index);            /* NULL past the end */
const sg_codec_desc *codec_lookup(const char *name, uint32_t clock_rate); /* NULL if none */

/* Setup time, owning thread. Fills *c; opts may be NULL (all defaults). Returns SG_OK,
 * SG_EINVAL or SG_ENOMEM; *c is zeroed on failure. */
int codec_create(sg_codec *c, const sg_codec_desc *desc, const sg_codec_opts_t *opts);
/* Setup time, owning thread. Safe on a zeroed or already destroyed instance. */
void codec_destroy(sg_codec *c);

/* Per-frame path, owning thread: thin wrappers over the descriptor (see sg_codec_desc). */
int codec_encode(sg_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap);
int codec_decode(sg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap);
int codec_plc(sg_codec *c, int16_t *pcm, size_t n);
/* Falls back to codec_plc() when the codec has no FEC or the FEC decode fails. */
int codec_decode_fec(sg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t n);

/* Per-frame path, owning thread: passes the receiver-reported loss (RTCP fraction lost, in %)
 * to the encoder. SG_OK, SG_EINVAL above 100, SG_ENOSYS when the codec has no use for it. */
int codec_set_loss(sg_codec *c, unsigned pct);

/* RTP timestamp ticks for n PCM samples of instance c (G.722 at 16 kHz: n/2, at 8 kHz: n;
 * opus NB: n*6). */
uint32_t codec_rtp_ticks(const sg_codec *c, uint32_t n);

#endif
