/* spangate native engine: B-channel media (the TDM side of a call).
 *
 * A TDM channel joins one B-channel timeslot of a span (span.h) to either
 *   - an RTP endpoint (rtp.h) created with SG_RTP_F_JITTER_BUFFER and a codec (PCMU, PCMA,
 *     G722, opus): PRI <-> SIP, or
 *   - another TDM channel (sg_tdm_bridge): PRI <-> PRI timeslot bridging, no RTP at all.
 * It runs on a media thread beside its RTP endpoint. Every media tick (20 ms) it
 *   line -> network: reads the timeslot's 160 samples (A-law on E1, mu-law on T1), cancels the
 *     line echo (far-end reference = what it wrote to the timeslot; on by default), applies
 *     rx gain, detects in-band DTMF (SG_DSP_EV_DTMF_BEGIN/END events with the channel handle;
 *     with a telephone-event PT on the endpoint the digit goes out as RFC 4733 and its audio is
 *     muted), and sends the frame through the endpoint's encoder (or to the bridged channel);
 *   network -> line: takes the endpoint's decoded/concealed PCM (or the bridged channel's
 *     frame), replaces it with a call-progress tone while one is asked for (sg_tdm_tone),
 *     overlays in-band DTMF regenerated from received RFC 4733 events or queued with
 *     sg_tdm_send_dtmf, applies tx gain and writes it to the timeslot.
 * The per-frame path never allocates or locks. Handles are integers (> 0).
 *
 * Threads: every sg_tdm_* function is for the control (JS main) thread unless it says
 * otherwise; they are serialised internally. Lifetimes: a channel pins its span (sg_span_close
 * says SG_EBUSY until the channel is destroyed) and must be detached from its endpoint
 * (sg_tdm_set_rtp(h, 0) or sg_tdm_destroy) before sg_rtp_destroy of that endpoint. A channel
 * and the endpoint or channel it is joined to must run on the same media thread: give the
 * channel the endpoint's `shard`. */
#ifndef SPANGATE_TDM_H
#define SPANGATE_TDM_H

#include <stdint.h>
#include "spangate/spangate.h"
#include "spangate/dsp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_TDM_MAX 1024u          /* channels open at once */

/* sg_tdm_config_t.flags */
#define SG_TDM_F_NO_EC           0x01u  /* no echo canceller (it is on by default) */
#define SG_TDM_F_NO_DTMF_DETECT  0x02u  /* no in-band DTMF detection (on by default) */
#define SG_TDM_F_DTMF_INBAND     0x04u  /* keep detected digits' audio in the RTP stream even
                                         * when they are also sent as RFC 4733 */
#define SG_TDM_F_NO_DTMF_REGEN   0x08u  /* do not regenerate received RFC 4733 digits in-band */
#define SG_TDM_F_MONITOR         0x10u  /* analyse the line signal (after the canceller and rx
                                         * gain): SG_DSP_EV_AUDIO every 128 ms (dsp.h). For
                                         * test equipment (the PSTN simulator) and diagnostics:
                                         * an FFT per window, about 1 us per 20 ms frame */

/* Configuration of sg_tdm_create(). Zero fields take the documented defaults. */
typedef struct sg_tdm_config_t {
    uint32_t struct_size;         /* sizeof(sg_tdm_config_t) */
    int32_t span;                 /* span handle (span.h) */
    int32_t timeslot;             /* B-channel timeslot: E1 1..31 except 16, T1 1..23 */
    uint32_t rtp;                 /* RTP endpoint to join now, 0 = none yet (sg_tdm_set_rtp) */
    uint32_t shard;               /* media thread = shard % media_threads; must equal the
                                   * endpoint's shard (taken from the endpoint when rtp != 0) */
    uint32_t flags;               /* SG_TDM_F_* */
    int16_t rx_gain_db10;         /* line -> network gain, tenths of dB (-480..240) */
    int16_t tx_gain_db10;         /* network -> line gain, tenths of dB (-480..240) */
    char country[4];              /* tone plan for sg_tdm_tone ("us", "uk", "de", "eu");
                                   * "" = "us" on T1, "eu" on E1 */
    sg_ec_opts_t ec;              /* echo canceller (tail_ms 0 = 64 ms) */
    sg_dtmf_opts_t dtmf;          /* in-band DTMF receiver */
    int8_t dtmf_tx_level_dbm0;    /* regenerated DTMF, low tone: 0 = -10 dBm0 */
    uint8_t dtmf_volume;          /* RFC 4733 volume sent for detected digits: 0 = 10 */
    uint8_t reserved[2];          /* keep zero */
} sg_tdm_config_t;

/* Counters of one channel (monotonic unless noted). */
typedef struct sg_tdm_stats_t {
    uint32_t struct_size;         /* sizeof(sg_tdm_stats_t) */
    uint32_t flags;               /* SG_TDM_F_* in force */
    uint64_t frames;              /* media ticks processed */
    uint64_t line_underruns;      /* ticks the timeslot had fewer than 160 samples for us */
    uint64_t line_overruns;       /* samples the span could not take (tx ring full) */
    uint64_t line_slips;          /* 20 ms frames dropped to catch up with the line */
    uint64_t rtp_sent;            /* frames handed to the endpoint's encoder */
    uint64_t rtp_send_errors;     /* frames the endpoint refused (no remote yet, no encoder) */
    uint64_t net_frames;          /* frames of PCM from the endpoint (or bridged channel) */
    uint64_t net_underruns;       /* ticks without PCM from the network side (silence sent) */
    uint64_t dtmf_detected;       /* in-band digits detected on the line */
    uint64_t dtmf_relayed;        /* ... of them sent as RFC 4733 */
    uint64_t dtmf_regenerated;    /* RFC 4733 digits played in-band toward the line */
    uint64_t tone_frames;         /* frames of call-progress tone sent to the line */
    uint64_t ec_sin_energy;       /* sum over samples of (sin^2 >> 8) since open: line signal
                                   * before the canceller */
    uint64_t ec_sout_energy;      /* same, after it: ERLE = 10 log10(sin / sout) over a span of
                                   * far-end-only speech (deltas of both) */
    uint32_t ec_tone_disabled;    /* gauge: 1 while the G.168 tone disabler holds the EC off */
    uint32_t bridged;             /* gauge: handle of the bridged channel, 0 = none */
    uint32_t rtp;                 /* gauge: joined endpoint, 0 = none */
    int32_t tone;                 /* gauge: sg_tone_kind playing, -1 = none */
} sg_tdm_stats_t;

/* Events. Digits detected in-band on the line are posted as SG_SUBSYS_DSP,
 * SG_DSP_EV_DTMF_BEGIN / SG_DSP_EV_DTMF_END with `handle` = the TDM channel and payload
 * sg_dsp_dtmf_payload_t (dsp.h); `sample` counts the channel's line samples. Digits sent as
 * RFC 4733 also show as the endpoint's SG_RTP_EV_DTMF_SENT when finished; digits received as
 * RFC 4733 are the endpoint's SG_RTP_EV_DTMF events. */

/* Creates a channel and starts its media on the media thread. Returns the handle (> 0) or
 * SG_EINVAL (bad config: unknown country, gain out of range, not a B-channel timeslot),
 * SG_ENOENT (no such span or endpoint), SG_EBUSY (timeslot already has a channel, pool
 * full), SG_ESTATE (engine not running; endpoint without jitter buffer or codec),
 * SG_ENOMEM. */
SG_API int sg_tdm_create(const sg_tdm_config_t *cfg);

/* Stops the channel (bridge and endpoint are released first) and frees it; when this returns
 * the media thread no longer touches it. SG_OK or SG_ENOENT. */
SG_API int sg_tdm_destroy(uint32_t handle);

/* Joins the channel to RTP endpoint `rtp` (0 = leave the current one; the line then gets
 * silence or tones). The endpoint needs SG_RTP_F_JITTER_BUFFER, a codec and the channel's
 * media thread. Breaks a bridge. SG_OK, SG_ENOENT, SG_EINVAL (other thread), SG_ESTATE,
 * SG_EBUSY (endpoint already joined to a channel). */
SG_API int sg_tdm_set_rtp(uint32_t handle, uint32_t rtp);

/* Bridges two channels (PSTN <-> PBX pass-through): each one's line signal, after its own
 * echo canceller and rx gain, is the other's network signal. Both on one media thread,
 * neither joined to an endpoint nor bridged. SG_OK, SG_ENOENT, SG_EINVAL, SG_EBUSY. */
SG_API int sg_tdm_bridge(uint32_t a, uint32_t b);

/* Breaks the bridge of channel `handle` (both sides). SG_OK, SG_ENOENT, SG_ESTATE (none). */
SG_API int sg_tdm_unbridge(uint32_t handle);

/* Plays call-progress tone `kind` (sg_tone_kind: ringback, busy, ...) of the channel's country
 * toward the line, in place of network audio, until sg_tdm_tone(h, -1) or another tone.
 * SG_OK, SG_ENOENT, SG_EINVAL (unknown kind). */
SG_API int sg_tdm_tone(uint32_t handle, int kind);

/* Queues in-band DTMF toward the line (digits 0-9*#A-D, up to 32; on/off ms 20..1000, 0 =
 * 80/80). SG_OK, SG_ENOENT, SG_EINVAL, SG_EBUSY (previous request not yet taken). */
SG_API int sg_tdm_send_dtmf(uint32_t handle, const char *digits, int on_ms, int off_ms);

/* Changes the gains (tenths of dB, -480..240). SG_OK, SG_ENOENT, SG_EINVAL, SG_EBUSY. */
SG_API int sg_tdm_set_gain(uint32_t handle, int rx_gain_db10, int tx_gain_db10);

/* Echo canceller control: mode 0 = bypass (fax/modem data calls), 1 = cancel, 2 = cancel
 * and forget the adapted echo path (new call on the channel). Channels created with
 * SG_TDM_F_NO_EC have no canceller: SG_ESTATE. SG_OK, SG_ENOENT, SG_EINVAL, SG_EBUSY. */
SG_API int sg_tdm_set_ec(uint32_t handle, int mode);

/* Plays `samples` of 8 kHz linear PCM toward the line in place of network audio (a
 * simulator's tone or speech, an announcement), then the network audio again; tones
 * (sg_tdm_tone) and DTMF (sg_tdm_send_dtmf) still go over it. The PCM is copied. A clip
 * replaces the one playing. SG_DSP_EV_PLAY_END (dsp.h, payload sg_dsp_play_payload_t with
 * `id`) reports when it finished or was replaced/stopped. pcm NULL and samples 0 stops.
 * SG_OK, SG_ENOENT, SG_EINVAL (samples 0 or over 2 minutes), SG_EBUSY (clips still queued or
 * not yet let go by the media thread: retry after their events), SG_ENOMEM. */
SG_API int sg_tdm_play(uint32_t handle, const int16_t *pcm, uint32_t samples, uint32_t id);

/* Any thread. Copies the channel's counters. SG_OK, SG_ENOENT, SG_EINVAL (size). */
SG_API int sg_tdm_stats(uint32_t handle, sg_tdm_stats_t *out, uint32_t size);

#ifdef __cplusplus
}
#endif
#endif
