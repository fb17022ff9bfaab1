/* Internal: TDM channel slots shared by the control side (tdm.c) and the per-frame media path
 * (tdm_media.c).
 *
 * Slots live in one static array and are never freed, so a pointer to a slot (the RTP sink's
 * context) stays valid for ever; what a slot holds (tdm_media: DSP objects and buffers) is
 * allocated on the control thread before the slot goes LIVE and freed after its media thread
 * acknowledged the close (DEAD). Control -> media requests go through a small per-slot
 * single-producer single-consumer ring. */
#ifndef SG_TDM_INT_H
#define SG_TDM_INT_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE at the top of files that include tdm/tdm_int.h"
#endif

#include <stdatomic.h>
#include <stdint.h>
#include "core/engine.h"
#include "codec/resample.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"
#include "dsp/gain.h"
#include "dsp/tone.h"
#include "rtp/endpoint.h"
#include "span/span.h"
#include "tdm/dtmf_regen.h"
#include "spangate/tdm.h"

#define TDM_FRAME 160u                    /* samples per 20 ms frame at 8 kHz */
#define TDM_LINE_CAP (TDM_FRAME * 10u)    /* line samples held before the oldest frame slips */
#define TDM_LINE_START (TDM_FRAME + 40u)  /* first frame once 5 ms of cushion sit behind it */
#define TDM_TX_CUSHION 80u               /* idle samples written ahead once: 10 ms of slack */
#define TDM_NET_CAP (TDM_FRAME * 6u)      /* network PCM at 8 kHz waiting for the line */
#define TDM_ENC_CAP 3840u                 /* PCM at the encoder's rate waiting for a full frame */
#define TDM_MAX_FRAMES_PER_TICK 8u        /* catch-up after a late tick (160 ms) */
#define TDM_BRIDGE_Q 4u                   /* elastic buffer between two bridged lines */
#define TDM_CMDQ 16u                      /* requests in flight per channel (power of two) */
#define TDM_DIGITS_MAX 32u
#define TDM_CLIPS 4u                      /* clips a channel may hold (playing, queued, done) */
#define TDM_CLIP_MAX (8000u * 120u)       /* samples of one clip: 2 minutes */
#define TDM_MON_N 1024u                   /* monitor window: 128 ms, 7.8 Hz FFT bins */

/* Slot states. Control: FREE -> LIVE -> CLOSING; media: CLOSING -> DEAD; control: DEAD -> FREE. */
enum { TDM_FREE = 0, TDM_LIVE = 1, TDM_CLOSING = 2, TDM_DEAD = 3 };

enum tdm_cmd_type {
    TDM_CMD_RTP = 1,       /* a = endpoint index, b = endpoint handle (0 = leave) */
    TDM_CMD_BRIDGE,        /* a = peer slot index + 1 (0 = unbridge) */
    TDM_CMD_TONE,          /* a = sg_tone_kind, or -1 */
    TDM_CMD_DTMF,          /* digits, a = on ms, b = off ms */
    TDM_CMD_GAIN,          /* a = rx db10, b = tx db10 (validated on the control side) */
    TDM_CMD_EC,            /* a = mode (0 bypass, 1 cancel, 2 reset) */
    TDM_CMD_PLAY           /* clip = what to play toward the line (NULL = stop) */
};

/* PCM played toward the line (sg_tdm_play). The control side allocates and frees it; the
 * media thread sets `released` once it no longer looks at it. */
typedef struct tdm_clip {
    atomic_int released;
    uint32_t id;
    uint32_t n;
    int16_t pcm[];
} tdm_clip;

/* Line signal analyser of a channel created with SG_TDM_F_MONITOR (media thread only). */
typedef struct tdm_monitor {
    int16_t x[TDM_MON_N];
    uint32_t fill;
    float re[TDM_MON_N], im[TDM_MON_N];
} tdm_monitor;

typedef struct tdm_cmd {
    uint32_t type;
    int32_t a;
    int32_t b;
    char digits[TDM_DIGITS_MAX + 1];
    tdm_clip *clip;
} tdm_cmd;

struct tdm_slot;

/* Everything of a channel the media thread works with (owned by it while the slot is LIVE). */
typedef struct tdm_media {
    span_t *span;                         /* pinned (span_attach) */
    int ts;
    int alaw;                             /* E1: A-law, T1: mu-law */
    uint32_t flags;
    dsp_ec *ec;                           /* NULL with SG_TDM_F_NO_EC */
    int ec_bypass;
    dsp_dtmf_rx *drx;                     /* NULL with SG_TDM_F_NO_DTMF_DETECT */
    dsp_dtmf_tx *dtx;
    dsp_gain rxg, txg;
    dsp_tone_gen tone;
    const dsp_tone_def *tones[SG_TONE_KIND_COUNT];
    int tone_kind;                        /* -1 = none */
    sg_resampler *down16, *down48;        /* network PCM -> 8 kHz */
    sg_resampler *up16, *up48;            /* 8 kHz -> encoder rate */
    uint8_t dtmf_volume;

    /* line side */
    uint8_t line[TDM_LINE_CAP];
    uint32_t line_fill;
    uint8_t line_started;                 /* the first frame's cushion is in */
    uint32_t due;                         /* frames to run this tick */
    uint8_t flushed;                      /* stale ring contents dropped at start */
    uint8_t tx_primed;
    uint32_t tx_idle_seen;                /* span's idle-sample count at our last write */
    uint32_t tx_debt;                     /* samples still to drop to undo idle it sent */
    int16_t ref[TDM_FRAME];               /* last frame written to the line: the EC reference */
    int16_t out[TDM_FRAME];               /* this tick's line -> network frame */
    int16_t bq[TDM_BRIDGE_Q][TDM_FRAME];  /* line frames waiting for the bridged channel */
    uint32_t bq_head, bq_count;
    uint8_t muting;                       /* a detected digit is being relayed as RFC 4733 */
    uint32_t line_samples;                /* line samples taken (the DTMF/monitor clock) */
    tdm_monitor *mon;                     /* NULL without SG_TDM_F_MONITOR */
    tdm_clip *clip;                       /* playing toward the line, NULL = none */
    uint32_t clip_pos;

    /* network side */
    uint32_t rtp_index;                   /* endpoint slot */
    uint32_t rtp_handle;                  /* 0 = none */
    int16_t net[TDM_NET_CAP];
    uint32_t net_fill;
    uint8_t net_started;
    int16_t enc[TDM_ENC_CAP];
    uint32_t enc_fill;
    uint32_t enc_rate;                    /* rate enc[] holds (resets on a codec change) */
    struct tdm_slot *peer;                /* bridged channel */
    /* RFC 4733 -> in-band */
    dtmf_regen regen;

    sg_tdm_stats_t st;                    /* written by the media thread, read racily */
} tdm_media;

typedef struct tdm_slot {
    atomic_int state;                     /* TDM_* */
    uint32_t index;
    uint32_t gen;
    uint32_t handle;                      /* control side, stable while not FREE */
    uint32_t thread;                      /* media thread */
    tdm_media *m;
    /* control side bookkeeping (control lock) */
    int span_handle;
    uint32_t ctl_rtp;                     /* endpoint joined, 0 = none */
    uint32_t ctl_peer;                    /* bridged channel handle, 0 = none */
    tdm_clip *ctl_clips[TDM_CLIPS];       /* clips handed to the media thread, not yet freed */
    /* request ring: control pushes, media pops */
    tdm_cmd q[TDM_CMDQ];
    atomic_uint q_head;                   /* next to pop (media) */
    atomic_uint q_tail;                   /* next to push (control) */
} tdm_slot;

extern tdm_slot tdm_slots[SG_TDM_MAX];
extern atomic_uint tdm_slots_hi;          /* slots at or above this index are FREE */

/* Media thread: the engine hook of media thread `ctx` (uintptr_t thread index). */
void tdm_tick(media_thread *mt, void *ctx, uint64_t now);

/* Media thread: feeds one frame of line signal to the analyser; posts SG_DSP_EV_AUDIO per
 * window (tdm_monitor.c). */
void tdm_monitor_feed(uint32_t handle, tdm_monitor *mon, const int16_t *pcm, uint32_t sample);

/* Control thread, once before the first monitor runs: the FFT tables. */
void tdm_monitor_init(void);

/* Media thread: the RTP endpoint's PCM consumer (ctx = the slot). */
void tdm_rtp_sink(void *ctx, struct rtp_ep *ep, const int16_t *pcm, size_t n, jb_kind kind);

#endif
