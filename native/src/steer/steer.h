/* Internal: receive steering (spangate/steer.h). The control side (attach/detach/status) runs
 * under the engine's control lock; the rest on the media thread that owns the endpoints. */
#ifndef SG_STEER_STEER_H
#define SG_STEER_STEER_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE at the top of files that include steer/steer.h"
#endif

#include "core/engine.h"
#include "rtp/endpoint.h"
#include "spangate/steer.h"

/* Media thread: the endpoint joined / is leaving this thread (before its sockets close).
 * No-ops while the thread is not steering. */
void steer_ep_add(media_thread *mt, rtp_ep *ep);
void steer_ep_del(media_thread *mt, rtp_ep *ep);
/* Media thread: CMD_STEER (start with the given socket and timer, or stop). */
void steer_on_cmd(media_thread *mt, const cmd *c);
/* Media thread: reads the steering socket until it is empty (or a fairness limit) and hands
 * each datagram to its endpoint. */
void steer_read(media_thread *mt, uint64_t now);
/* Media thread setup/teardown (engine.c thread_setup/thread_cleanup). */
int steer_thread_init(media_thread *mt);
void steer_thread_free(media_thread *mt);
/* sg_engine_stop, control lock held, media threads joined. */
void steer_engine_stop(void);

#endif
