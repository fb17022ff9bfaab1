/* spangate native engine: the RTP relay (SIP-to-SIP media anchoring).
 *
 * A relay joins two endpoints of the same media thread (create them with the same `shard`).
 * Every packet received on one side is sent out of the other, as soon as it is processed (no
 * re-pacing): payload untouched when both sides use the same codec (pass-through), decoded
 * and re-encoded when they differ (transcoding via the codec table). The sending side's
 * outbound stream rewrites SSRC, sequence number and timestamp, so sources may change behind
 * it. RFC 4733 events are carried across with the payload type mapped; comfort noise is
 * carried when both sides negotiated it. Each side terminates its own RTCP. */
#ifndef SPANGATE_RELAY_H
#define SPANGATE_RELAY_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sg_relay_mode {
    SG_RELAY_PASSTHROUGH = 1,
    SG_RELAY_TRANSCODE = 2
} sg_relay_mode;

/* Events (sg_event_t.subsys == SG_SUBSYS_RELAY, handle = relay). */
typedef enum sg_relay_event_type {
    SG_RELAY_EV_STARTED = 1,      /* sg_relay_ev_t: the media thread joined the two sides */
    SG_RELAY_EV_CLOSED = 2,       /* sg_relay_ev_t */
    SG_RELAY_EV_ERROR = 3         /* sg_relay_ev_t (err set); reserved: today every refusal is
                                   * returned synchronously by sg_relay_create */
} sg_relay_event_type;

typedef struct sg_relay_ev_t {
    uint32_t endpoint_a;
    uint32_t endpoint_b;
    uint8_t mode;                 /* sg_relay_mode */
    uint8_t reserved[3];
    int32_t err;                  /* sg_err for SG_RELAY_EV_ERROR, else 0 */
} sg_relay_ev_t;

/* Main thread. Joins endpoints a and b. Returns the relay handle (> 0), or SG_ENOENT (no such
 * endpoint), SG_EINVAL (a == b, different media threads, a codec the table lacks, or
 * different ptimes when transcoding), SG_EBUSY (an endpoint is already relayed, pool or queue
 * full), SG_ESTATE. The mode is decided here from the endpoints' codec names (equal, or either
 * empty: pass-through; else transcoding, whose codec instances are created here);
 * SG_RELAY_EV_STARTED follows. */
SG_API int sg_relay_create(uint32_t endpoint_a, uint32_t endpoint_b);

/* Main thread. Separates the two endpoints (they stay open). SG_OK or SG_ENOENT. */
SG_API int sg_relay_destroy(uint32_t handle);

/* Any thread. sg_relay_mode of the relay, or SG_ENOENT. */
SG_API int sg_relay_mode_of(uint32_t handle);

#ifdef __cplusplus
}
#endif
#endif
