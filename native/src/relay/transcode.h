/* Internal: the transcoding step of a relay whose sides use different codecs.
 * Each direction decodes with the receiving side's codec, resamples when the PCM rates
 * differ, and encodes with the sending side's codec; timestamps are rescaled between the
 * two RTP clocks (G.722 8000, opus 48000, ...). Created on the control thread at
 * sg_relay_create (it allocates), used and freed by the media thread. */
#ifndef SG_RELAY_TRANSCODE_H
#define SG_RELAY_TRANSCODE_H

#include <stdint.h>
#include "codec/codec.h"
#include "codec/resample.h"
#include "rtp/cn.h"

typedef struct xcode_dir {
    sg_codec dec;                 /* decodes what the receiving endpoint gets */
    sg_codec enc;                 /* encodes what the other endpoint sends */
    sg_resampler *rs;             /* NULL when dec.rate == enc.rate */
    uint32_t from_clock, to_clock;
    uint32_t last_src_ts, last_dst_ts, src_ssrc;
    uint8_t have_ts;
    uint8_t have_seq;             /* next_seq/seq_ssrc valid */
    uint8_t last_audio;           /* the previous packet of this source was audio */
    uint16_t next_seq;            /* sequence number expected next from the source */
    uint32_t seq_ssrc;
    cn_gen cng;
} xcode_dir;

/* Audio gaps of up to this many packets are filled by concealment (PLC, or Opus FEC from the
 * next packet) before the packet that ends them; longer gaps are left to the far end. */
#define XCODE_MAX_CONCEAL 3u

typedef struct xcode {
    xcode_dir ab;                 /* endpoint a -> endpoint b */
    xcode_dir ba;
} xcode;

struct rtp_ep;

/* Control thread. Builds both directions for endpoints a and b, or returns NULL with *err
 * (SG_EINVAL: a codec the table lacks or different ptimes; SG_ENOMEM). */
xcode *xcode_create(const struct rtp_ep *a, const struct rtp_ep *b, int *err);
void xcode_free(xcode *x);

/* Media thread. RTP timestamp of the output for a source timestamp (continuous per source). */
uint32_t xcode_scale_ts(xcode_dir *d, uint32_t src_ssrc, uint32_t ts);

#endif
