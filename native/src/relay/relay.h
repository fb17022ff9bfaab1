/* Internal: relay slots and the forwarding step of the packet path. */
#ifndef SG_RELAY_RELAY_H
#define SG_RELAY_RELAY_H

#include <stdatomic.h>
#include <stdint.h>
#include "core/engine.h"
#include "rtp/endpoint.h"
#include "spangate/relay.h"
#include "relay/transcode.h"

typedef struct relay {
    atomic_uint state;            /* SLOT_* */
    uint32_t gen;
    uint32_t handle;
    uint32_t a, b;                /* endpoint slots */
    uint32_t thread;
    uint8_t mode;                 /* sg_relay_mode */
    xcode *x;                     /* SG_RELAY_TRANSCODE: codec state (media thread) */
} relay;

enum relay_kind { RELAY_AUDIO = 0, RELAY_DTMF = 1, RELAY_CN = 2 };

/* Media thread. Sends a packet received on `from` from src (parsed header h, buffer buf of
 * len bytes with MT_BUF room, already SRTP-unprotected) out of `from->peer`. */
void relay_forward(media_thread *mt, rtp_ep *from, uint8_t *buf, uint32_t len, const rtp_header *h,
                   enum relay_kind kind, const sg_sockaddr *src, uint64_t now);

/* Media thread. Command handlers. */
void relay_on_add(media_thread *mt, relay *r);
void relay_on_del(media_thread *mt, relay *r);
/* Media thread: endpoint ep is closing; drop its relay. */
void relay_detach(media_thread *mt, rtp_ep *ep);

#endif
