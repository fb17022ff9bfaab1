/* spangate native engine: codec table (public part).
 * The table itself is constant and may be read from any thread. Codec instances live inside
 * the engine (native/src/codec/codec.h) and belong to the media thread that created them;
 * TypeScript only reads the table (to build SDP) and fills sg_codec_opts_t for a leg. */
#ifndef SPANGATE_CODEC_H
#define SPANGATE_CODEC_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_CODEC_NAME_MAX 16u
#define SG_CODEC_FMTP_MAX 64u

/* One row of the codec table, as TypeScript sees it. Filled by sg_codec_info(). */
typedef struct sg_codec_info_t {
    char name[SG_CODEC_NAME_MAX];  /* SDP encoding name as in a=rtpmap: "PCMU", "G722", "opus" */
    char fmtp[SG_CODEC_FMTP_MAX];  /* default a=fmtp parameters, "" when none */
    uint32_t clock_rate;           /* RTP timestamp rate (G722: 8000 per RFC 3551; opus: 48000) */
    uint32_t sample_rate;          /* default PCM rate at the codec interface */
    uint16_t frame_ms;             /* default packetisation time (ptime) */
    uint8_t payload_type;          /* static PT (RFC 3551), or the suggested dynamic PT (96-127) */
    uint8_t channels;              /* channel count in a=rtpmap (opus: 2 per RFC 7587), else 1 */
} sg_codec_info_t;

/* Per-instance options. Zero means "the codec's default" for every field, so a zeroed struct
 * (or sg_codec_opts_default()) is always valid. Fields a codec does not use are ignored. */
typedef struct sg_codec_opts_t {
    uint32_t sample_rate;      /* PCM rate at encode/decode; opus: 8000 (NB, default) or 16000 (WB);
                                * G722: 16000 (default) or 8000 (lower band only: aliases toward a
                                * peer decoding at 16 kHz, see codec/g722.c; not for real G.722 peers) */
    uint32_t bitrate;          /* bit/s; opus default 20000 at 8 kHz, 28000 at 16 kHz */
    int32_t complexity;        /* opus 0..10; 0 = default (SG_OPUS_COMPLEXITY_DEFAULT) */
    uint8_t fec;               /* opus in-band FEC: 0 = default (on), 1 = on, 2 = off */
    uint8_t dtx;               /* opus DTX: 0 = default (off), 1 = on, 2 = off */
    uint8_t packet_loss_pct;   /* opus expected loss for FEC tuning; 0 = default (5) */
    uint8_t reserved;          /* keep zero */
    uint16_t frame_ms;         /* packetisation: 10..60 ms in 10 ms steps (opus: 10/20/40/60);
                                * 0 = the table's frame_ms */
    uint16_t reserved2;        /* keep zero */
} sg_codec_opts_t;

/* Default Opus encoder complexity for PSTN-fed legs (see bench/CODEC.md for the cost table). */
#define SG_OPUS_COMPLEXITY_DEFAULT 5

/* Any thread. Number of rows in the codec table. */
SG_API uint32_t sg_codec_count(void);

/* Any thread. Fills *out with row `index`; SG_OK, SG_ENOENT past the end, or SG_EINVAL when
 * out is NULL or size is smaller than sizeof(sg_codec_info_t). */
SG_API int sg_codec_info(uint32_t index, sg_codec_info_t *out, uint32_t size);

/* Any thread. Index of the row whose SDP name matches (case-insensitively) with this RTP clock
 * rate, or SG_ENOENT. clock_rate 0 matches the first row with that name. */
SG_API int sg_codec_find(const char *name, uint32_t clock_rate);

/* Any thread. Zero-fills *opts (which means: every default). */
SG_API void sg_codec_opts_default(sg_codec_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif
