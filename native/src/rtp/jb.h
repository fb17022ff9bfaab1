/* Internal: adaptive jitter buffer for terminated media (the TDM side of a call).
 * Packets go in as they arrive (any order); one frame comes out per media tick. The playout
 * delay follows the measured jitter between jb_min and jb_max: a late packet grows the target
 * by one frame (the tick that makes room plays a concealed frame), and a buffer that stays
 * deeper than the target for a second drops one frame. A sender whose clock runs slower than
 * the media tick (or that paused) leaves playout ahead of every packet: when JB_LATE_RESYNC
 * late packets in a row have come over at least JB_LATE_RESYNC ticks, playout restarts around
 * the newest one (with the grown target) instead of dropping the stream for good. A burst that
 * catches up after a stall is late within one tick and only loses its own frames. Storage is allocated once at create
 * (control thread); insert and pull never allocate. Owning (media) thread only. */
#ifndef SG_RTP_JB_H
#define SG_RTP_JB_H

#include <stddef.h>
#include <stdint.h>

#define JB_SLOTS 64u              /* power of two; 64 x 20 ms = 1.28 s of audio */
#define JB_SLOT_BYTES 640u        /* largest payload kept: 20 ms L16 at 16 kHz */
#define JB_LATE_RESYNC 3u         /* late packets in a row that restart playout */

typedef enum jb_kind {
    JB_NONE = 0,                  /* still filling: play silence */
    JB_AUDIO = 1,                 /* a frame: decode it */
    JB_MISSING = 2,               /* lost or late: conceal it (the codec's PLC hook) */
    JB_CN = 3                     /* comfort noise period (RFC 3389): generate noise */
} jb_kind;

typedef struct jb_slot {
    uint32_t ts;
    uint16_t len;
    uint8_t kind;                 /* JB_AUDIO or JB_CN; 0 = empty */
    uint8_t pt;
    uint8_t data[JB_SLOT_BYTES];
} jb_slot;

typedef struct jb {
    jb_slot *slots;               /* JB_SLOTS entries */
    uint32_t frame_units;         /* RTP units per frame (rate * ptime) */
    uint32_t min_units, max_units;
    uint32_t target_units;
    uint32_t play_ts;             /* timestamp of the next frame to play */
    uint32_t high_ts;             /* highest timestamp inserted */
    uint32_t wait_units;          /* still to buffer before playout starts */
    uint8_t started;              /* first packet seen */
    uint8_t playing;
    uint8_t in_cn;                /* last played frame was CN: keep generating noise */
    uint8_t cn_level;
    uint32_t deep_ticks;          /* consecutive ticks with depth > target + frame */
    uint32_t late_run;            /* consecutive late packets (JB_LATE_RESYNC restarts playout) */
    uint32_t late_since;          /* `pulls` when the run began */
    uint32_t pulls;               /* jb_pull calls (ticks) */
    uint64_t played, concealed, late, overflow, dropped_for_shrink, resyncs;
} jb;

/* Control thread. Allocates storage; 0 or -1 (no memory or bad arguments). */
int jb_init(jb *b, uint32_t clock_rate, uint32_t ptime_ms, uint32_t min_ms, uint32_t max_ms);
void jb_free(jb *b);
/* Forgets all content (a new source); keeps storage and the target. */
void jb_reset(jb *b);

/* Inserts one packet payload. kind is JB_AUDIO or JB_CN. Returns 0, or -1 when the packet
 * was dropped (too late, too large, duplicate). */
int jb_put(jb *b, uint32_t ts, uint8_t pt, jb_kind kind, const uint8_t *payload, size_t len);

/* Takes the frame for this tick. For JB_AUDIO/JB_CN, *slot points at the stored payload,
 * valid until the next jb_put/jb_pull. jitter_units: current RFC 3550 jitter estimate. */
jb_kind jb_pull(jb *b, uint32_t jitter_units, const jb_slot **slot);

/* Current buffered depth in RTP units. */
uint32_t jb_depth(const jb *b);

#endif
