/* Internal: in-kernel forwarding of pass-through relay directions (spangate/kfwd.h).
 * The control side (attach/detach/status) runs under the engine's control lock; the
 * per-direction calls run on the media thread that owns the endpoints. */
#ifndef SG_KFWD_KFWD_H
#define SG_KFWD_KFWD_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE at the top of files that include kfwd/kfwd.h"
#endif

#include <stdatomic.h>
#include "core/engine.h"
#include "rtp/endpoint.h"
#include "spangate/kfwd.h"

/* Forwarded audio packets of one SSRC before a direction is offloaded (and the back-off
 * ceiling after a refused offload). */
#define KFWD_STABLE_PACKETS 16u
#define KFWD_BACKOFF_MAX 4096u

extern atomic_int kfwd_live;    /* 1 while the program is attached */

static inline int kfwd_on(void) { return atomic_load_explicit(&kfwd_live, memory_order_acquire); }

/* Media thread, after `from` relayed audio packet h (from source src) to its peer in
 * pass-through mode; `fresh` = the packet started a new source mapping. Offloads the direction
 * once it is stable and eligible. */
void kfwd_consider(media_thread *mt, rtp_ep *from, const rtp_header *h, const sg_sockaddr *src, int fresh,
                   uint64_t now);
/* Media thread: an accepted packet of an offloaded direction reached user space. Takes the
 * direction back unless it is a straggler the kernel would still have forwarded. */
void kfwd_on_punt(media_thread *mt, rtp_ep *from, const rtp_header *h, uint64_t now);
/* Media thread: takes the direction received on `from` back (folds the kernel's counters and
 * stream state into both endpoints). No-op when it is not offloaded. */
void kfwd_take_back(media_thread *mt, rtp_ep *from);
/* Media thread, housekeeping: folds the kernel's counters in and renews the lease. */
void kfwd_sync(media_thread *mt, rtp_ep *from, uint64_t now);

/* Engine start/stop (control lock held, media threads not running yet / joined). */
int kfwd_engine_start(uint32_t max_endpoints);
void kfwd_engine_stop(void);
/* sg_counters_read: adds the kernel's exact packet counts. */
void kfwd_counters(sg_counters_t *c);

#endif
