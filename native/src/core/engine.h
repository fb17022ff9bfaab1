/* Internal: the engine object, media threads and commands shared by core/, rtp/ and relay/. */
#ifndef SG_CORE_ENGINE_H
#define SG_CORE_ENGINE_H

/* struct mmsghdr needs _GNU_SOURCE before the first system header of the file. */
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE at the top of files that include core/engine.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include "core/queue.h"
#include "io/udp.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"
#include "rtp/srtp.h"
#include "codec/codec.h"

#define MT_BATCH 32u          /* packets per recvmmsg/sendmmsg */
#define MT_CATCHUP_TICKS 7u   /* missed ticks a late tick plays out for PCM consumers (TDM: 8 frames in all) */
#define MT_BUF 2048u          /* room for a 1500-byte packet plus the SRTP trailer */
#define MT_HOUSE_TICKS 25u    /* every endpoint's timeout/RTCP check runs once per 25 ticks */

/* Slot states of endpoint and relay pools. Control thread: FREE -> LIVE -> CLOSING;
 * the media thread turns CLOSING into FREE once it has let go of the slot. */
enum { SLOT_FREE = 0, SLOT_LIVE = 1, SLOT_CLOSING = 2 };

#define HANDLE_INDEX_BITS 20u
#define HANDLE_INDEX_MASK ((1u << HANDLE_INDEX_BITS) - 1u)
#define HANDLE_GEN_MASK 0x7ffu

/* Hooks: other subsystems (span I/O for TDM legs) run on a media thread beside its RTP
 * endpoints: an fd in its epoll loop and/or a callback on every media tick. */
#define MT_MAX_HOOKS 64u
typedef struct media_thread media_thread;
typedef void (*mt_io_fn)(media_thread *mt, void *ctx, uint32_t epoll_events, uint64_t now);
typedef void (*mt_tick_fn)(media_thread *mt, void *ctx, uint64_t now);

typedef struct mt_hook {
    int fd;                       /* -1 for a tick-only hook */
    mt_io_fn io;
    mt_tick_fn tick;
    void *ctx;
    atomic_int live;              /* media thread: 1 while attached */
    int ctl_used;                 /* control thread: slot taken */
} mt_hook;

enum cmd_type {
    CMD_EP_ADD = 1,
    CMD_EP_UPDATE,
    CMD_EP_DEL,
    CMD_EP_DTMF,
    CMD_RELAY_ADD,
    CMD_RELAY_DEL,
    CMD_EP_SINK,
    CMD_HOOK_ADD,
    CMD_HOOK_DEL,
    CMD_STEER,
    CMD_STOP
};

typedef struct cmd {
    uint32_t type;
    uint32_t index;               /* endpoint or relay slot */
    union {
        struct {
            sg_rtp_config_t cfg;
            sg_sockaddr remote;
            sg_sockaddr remote_rtcp;
            sgsrtp srtp;          /* new contexts (ownership passes to the media thread) */
            sg_codec dec;         /* new playout decoder when the codec changed (have_dec) */
            sg_codec enc;         /* ... and encoder */
            uint8_t have_remote;
            uint8_t have_dec;
        } update;
        struct {
            uint8_t event;
            uint8_t volume;
            uint16_t duration_ms;
        } dtmf;
        struct {
            void (*fn)(void);     /* rtp_ep_pcm_fn, stored without its prototype here */
            void *ctx;
        } sink;
        struct {
            int fd;               /* steering socket, -1 = stop steering */
            int tfd;              /* interval timer, -1 = read on readiness */
        } steer;
    } u;
} cmd;

typedef struct engine engine;

struct media_thread {
    engine *e;
    uint32_t index;
    pthread_t thread;
    atomic_int tid;
    int epfd, evfd, tfd;
    cmdq q;
    int stopping;
    uint64_t tick_ns;
    sg_counters_t c;              /* written by this thread only; read racily at scrape time */
    /* owned endpoints: all of them (housekeeping, a slice per tick) and the fast list of those
     * with per-tick work (jitter buffer, DTMF being sent), so a tick costs what it does */
    uint32_t *owned;
    uint32_t nowned;
    uint32_t house_pos;
    uint32_t *fast;
    uint32_t nfast;
    uint32_t *pending_free;       /* endpoint slots closed during this epoll batch */
    uint32_t npending;
    /* receive batch */
    uint8_t (*rxbuf)[MT_BUF];
    struct mmsghdr rxmsg[MT_BATCH];
    struct iovec rxiov[MT_BATCH];
    sg_sockaddr rxaddr[MT_BATCH];
    uint32_t rx_dirty;            /* rxmsg entries whose msg_namelen the last recvmmsg changed */
    /* send batch: iovecs point into rxbuf (forwarded in place) or xbuf (transcoded) */
    struct mmsghdr txmsg[MT_BATCH];
    struct iovec txiov[MT_BATCH];
    int txfd[MT_BATCH];
    uint32_t ntx;
    uint8_t (*xbuf)[MT_BUF];
    uint32_t nx;
    uint8_t scratch[MT_BUF];      /* locally generated packets (DTMF, RTCP) */
    mt_hook hooks[MT_MAX_HOOKS];
    /* Receive steering (steer/steer.h): this thread's steering socket and its state. */
    int st_fd;                    /* -1 = not steering */
    int st_tfd;                   /* interval timer, -1 = read on readiness */
    uint32_t *st_port;            /* local port -> (endpoint index + 1) << 1 | rtcp; 0 = none */
    struct mmsghdr st_msg[MT_BATCH];
    uint8_t (*st_cbuf)[64];       /* IP_ORIGDSTADDR control messages */
    atomic_int st_ack;            /* set by the thread once a CMD_STEER is done */
    uint64_t st_rx, st_calls, st_unknown, st_ports, st_skipped;   /* racy reads at status time */
};

struct rtp_ep;
struct relay;

struct engine {
    sg_engine_config_t cfg;
    uint32_t nthreads;
    media_thread *threads;
    struct rtp_ep *eps;
    struct relay *relays;
    uint32_t port_cursor;         /* control thread */
    uint32_t ep_cursor;
    uint32_t relay_cursor;
};

/* Control thread: the running engine or NULL; callers hold the control lock. */
engine *engine_get(void);
void engine_ctl_lock(void);
void engine_ctl_unlock(void);

/* Control thread, under the lock: queues a command for media thread t and wakes it.
 * SG_OK or SG_EBUSY (queue full, counted). */
int engine_send(engine *e, uint32_t t, const cmd *c);

/* Media thread: queue a datagram for the end of the batch (buf must live until mt_flush). */
void mt_tx(media_thread *mt, int fd, const sg_sockaddr *to, uint8_t *buf, uint32_t len);
void mt_flush(media_thread *mt);
/* Control thread. Attaches fd (or -1) with io and/or tick callbacks to media thread `thread`;
 * they run on that thread from its next loop turn (io must tolerate a spurious call: read
 * non-blocking). The fd stays the caller's to close, after engine_hook_del. Returns the hook id (>= 0), SG_EINVAL,
 * SG_EBUSY (no free hook or queue full) or SG_ESTATE (engine stopped). */
int engine_hook_add(uint32_t thread, int fd, mt_io_fn io, mt_tick_fn tick, void *ctx);
/* Control thread. Detaches a hook and waits until its thread has let go of it: once this
 * returns SG_OK no callback of the hook runs any more and ctx may be freed. */
int engine_hook_del(uint32_t thread, int hook);

/* Media thread: puts endpoint slot `index` on the fast list (no-op when it is on it). */
void mt_fast_add(media_thread *mt, uint32_t index);
/* Media thread: RTP/RTCP sockets are edge-triggered; a reader that stops before EAGAIN calls
 * this so the rest is reported again by the next epoll_wait. */
struct rtp_ep;
void mt_rearm(media_thread *mt, const struct rtp_ep *ep, int rtcp);
/* Media thread: the steering socket (readiness mode) stopped before EAGAIN: report it again. */
void mt_steer_rearm(media_thread *mt);
/* Media thread: a buffer for a generated packet within the current batch, or NULL. */
uint8_t *mt_xbuf(media_thread *mt);

uint64_t engine_now_ns(void);
uint32_t engine_random32(void);

static inline uint32_t handle_make(uint32_t gen, uint32_t index)
{
    return ((gen & HANDLE_GEN_MASK) << HANDLE_INDEX_BITS) | ((index + 1) & HANDLE_INDEX_MASK);
}
static inline uint32_t handle_index(uint32_t h)
{
    return (h & HANDLE_INDEX_MASK) - 1u;    /* wraps to UINT32_MAX for index 0 */
}
static inline uint32_t handle_gen(uint32_t h)
{
    return (h >> HANDLE_INDEX_BITS) & HANDLE_GEN_MASK;
}

#endif
