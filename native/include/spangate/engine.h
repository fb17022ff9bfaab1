/* spangate native engine: lifecycle, media threads and the counters block.
 *
 * The engine owns N media threads. Each runs one epoll loop over its RTP/RTCP sockets, a
 * timerfd (the media tick, 20 ms by default) and an eventfd that wakes it for commands.
 * Control calls (sg_engine_*, sg_rtp_*, sg_relay_*) are short and synchronous: they validate,
 * do any setup that may allocate or make system calls (sockets, SRTP contexts), push a fixed
 * size command into the owning thread's lock-free queue, write its eventfd and return. Results
 * that only the media thread knows come back as events (spangate.h) or through the counters.
 * Every object is addressed by an integer handle; no pointer crosses the ABI. */
#ifndef SPANGATE_ENGINE_H
#define SPANGATE_ENGINE_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_ENGINE_MAX_THREADS 8u
#define SG_ADDR_MAX 48u          /* textual IPv4/IPv6 address, NUL-terminated */

/* Engine configuration; zero fields take the default named in each comment. */
typedef struct sg_engine_config_t {
    uint32_t struct_size;        /* sizeof(sg_engine_config_t) */
    uint32_t media_threads;      /* 1..SG_ENGINE_MAX_THREADS (default 1) */
    uint32_t max_endpoints;      /* RTP endpoint pool, preallocated (default 2048) */
    uint32_t max_relays;         /* relay pool (default max_endpoints / 2) */
    uint32_t tick_ms;            /* media tick period, 10 or 20 (default 20) */
    uint16_t port_min;           /* RTP port range for automatic ports (default 30000) */
    uint16_t port_max;           /* inclusive (default 39999) */
    uint32_t queue_depth;        /* command queue slots per thread, power of two (default 1024) */
    int32_t rt_priority;         /* >0: SCHED_FIFO priority for media threads (best effort) */
    uint32_t reserved;           /* keep zero */
} sg_engine_config_t;

/* Engine-wide counters: the sum over media threads at the time of the call. Every field is
 * a monotonically increasing uint64 except the *_active gauges. Packets forwarded in the
 * kernel (spangate/kfwd.h) are in rx/tx_packets, rx/tx_bytes and relay_forwarded once the
 * media thread has folded them in (within ~0.5 s); kfwd_packets/kfwd_bytes are exact. */
typedef struct sg_counters_t {
    uint64_t rx_packets;         /* RTP packets accepted */
    uint64_t rx_bytes;           /* their UDP payload bytes */
    uint64_t tx_packets;         /* RTP packets sent */
    uint64_t tx_bytes;
    uint64_t tx_errors;          /* sendmmsg failures or short sends */
    uint64_t rx_malformed;       /* not RTP/RTCP, bad version, truncated */
    uint64_t rx_foreign;         /* from a source other than the latched one */
    uint64_t rx_unknown_pt;      /* payload type not negotiated on the endpoint */
    uint64_t srtp_rx_fail;       /* SRTP/SRTCP authentication or replay failures */
    uint64_t srtp_tx_fail;
    uint64_t rtcp_rx;            /* RTCP compound packets accepted */
    uint64_t rtcp_tx;
    uint64_t dtmf_rx_events;     /* RFC 4733 events received (distinct digits) */
    uint64_t dtmf_tx_events;     /* RFC 4733 events sent (generated or relayed) */
    uint64_t cn_rx;              /* RFC 3389 comfort-noise packets received */
    uint64_t relay_forwarded;    /* packets relayed unchanged in payload */
    uint64_t relay_transcoded;   /* packets relayed through decode + encode */
    uint64_t relay_dropped;      /* packets the peer cannot take (no PT mapping, no codec) */
    uint64_t ssrc_changes;       /* inbound source changes (new SSRC or sequence jump) */
    uint64_t latches;            /* symmetric RTP (re)latches */
    uint64_t media_timeouts;
    uint64_t jb_frames;          /* jitter buffer frames played */
    uint64_t jb_concealed;       /* frames filled by PLC */
    uint64_t jb_late;            /* packets too late for their playout slot */
    uint64_t jb_overflow;        /* packets dropped by a full buffer or playout resync */
    uint64_t ticks;              /* media ticks run */
    uint64_t tick_overruns;      /* ticks that found more than one expiry (thread was late) */
    uint64_t commands;           /* commands executed */
    uint64_t queue_full;         /* commands refused because a queue was full */
    uint64_t wakeups;            /* epoll_wait returns */
    uint64_t endpoints_active;   /* gauge */
    uint64_t relays_active;      /* gauge */
    uint64_t kfwd_packets;       /* packets forwarded by the kernel (spangate/kfwd.h), exact */
    uint64_t kfwd_bytes;         /* their UDP payload bytes */
    uint64_t kfwd_punted;        /* packets of offloaded directions the kernel left to the relay */
    uint64_t kfwd_installs;      /* directions offloaded */
    uint64_t kfwd_removals;      /* directions taken back */
    uint64_t kfwd_active;        /* gauge: directions offloaded now */
} sg_counters_t;

/* Main thread. Starts the media threads. SG_ESTATE when already running, SG_EINVAL for a bad
 * config, SG_ENOMEM/SG_EIO when pools or threads cannot be set up. */
SG_API int sg_engine_start(const sg_engine_config_t *cfg);

/* Main thread. Stops and joins the media threads and closes every endpoint and relay (no
 * events are posted for them). SG_ESTATE when not running. */
SG_API int sg_engine_stop(void);

/* Any thread. 1 when the engine runs, else 0. */
SG_API int sg_engine_running(void);

/* Any thread. Copies the counters summed over media threads into *out (scrape time).
 * SG_EINVAL when out is NULL or size < sizeof(sg_counters_t); SG_ESTATE when not running. */
SG_API int sg_counters_read(sg_counters_t *out, uint32_t size);

/* Any thread. Kernel thread id of media thread `index`, for CPU accounting
 * (/proc/self/task/<tid>/stat). SG_ENOENT past the last thread, SG_ESTATE when stopped. */
SG_API int sg_engine_thread_tid(uint32_t index);

#ifdef __cplusplus
}
#endif
#endif
