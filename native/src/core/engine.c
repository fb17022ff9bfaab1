/* Engine lifecycle, media threads (epoll + timerfd + eventfd) and the command queue. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "core/engine.h"
#include "core/events.h"
#include "kfwd/kfwd.h"
#include "relay/relay.h"
#include "rtp/endpoint.h"
#include "steer/steer.h"

enum { TAG_EVFD = 1, TAG_TIMER = 2, TAG_RTP = 3, TAG_RTCP = 4, TAG_HOOK = 5, TAG_STEER = 6, TAG_STEER_TIMER = 7 };

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static engine *g_engine;

engine *engine_get(void) { return g_engine; }
void engine_ctl_lock(void) { pthread_mutex_lock(&ctl_lock); }
void engine_ctl_unlock(void) { pthread_mutex_unlock(&ctl_lock); }

uint64_t engine_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t engine_random32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (uint32_t)engine_now_ns() * 2654435761u;
    return v;
}

int engine_send(engine *e, uint32_t t, const cmd *c)
{
    media_thread *mt = &e->threads[t];
    uint64_t one = 1;

    if (cmdq_push(&mt->q, c) < 0) {
        mt->c.queue_full++;       /* benign race with the media thread's own counters: control path only */
        return SG_EBUSY;
    }
    if (write(mt->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return SG_EIO;
    return SG_OK;
}

void mt_flush(media_thread *mt)
{
    uint32_t start = 0;

    while (start < mt->ntx) {
        uint32_t end = start + 1, sent = 0;
        while (end < mt->ntx && mt->txfd[end] == mt->txfd[start])
            end++;
        while (sent < end - start) {
            int n = sendmmsg(mt->txfd[start], &mt->txmsg[start + sent], end - start - sent, MSG_DONTWAIT);
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                mt->c.tx_errors += end - start - sent;
                break;
            }
            sent += (uint32_t)n;
        }
        start = end;
    }
    mt->ntx = 0;
    mt->nx = 0;
}

void mt_tx(media_thread *mt, int fd, const sg_sockaddr *to, uint8_t *buf, uint32_t len)
{
    struct msghdr *h;

    if (mt->ntx == MT_BATCH)
        mt_flush(mt);
    h = &mt->txmsg[mt->ntx].msg_hdr;
    mt->txiov[mt->ntx].iov_base = buf;
    mt->txiov[mt->ntx].iov_len = len;
    h->msg_name = (void *)&to->u.sa;
    h->msg_namelen = to->len;
    h->msg_iov = &mt->txiov[mt->ntx];
    h->msg_iovlen = 1;
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    mt->txfd[mt->ntx] = fd;
    mt->ntx++;
}

void mt_fast_add(media_thread *mt, uint32_t index)
{
    rtp_ep *ep = &mt->e->eps[index];

    if (ep->fast_pos != UINT32_MAX)
        return;
    ep->fast_pos = mt->nfast;
    mt->fast[mt->nfast++] = index;
}

static void fast_remove(media_thread *mt, rtp_ep *ep)
{
    uint32_t last;

    if (ep->fast_pos == UINT32_MAX)
        return;
    last = mt->fast[--mt->nfast];
    mt->fast[ep->fast_pos] = last;
    mt->e->eps[last].fast_pos = ep->fast_pos;
    ep->fast_pos = UINT32_MAX;
}

void mt_rearm(media_thread *mt, const rtp_ep *ep, int rtcp)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
    int fd = rtcp ? ep->rtcp_fd : ep->rtp_fd;

    /* EPOLL_CTL_MOD re-polls the socket and queues an event now if data is still waiting. */
    ev.data.u64 = ((uint64_t)(rtcp ? TAG_RTCP : TAG_RTP) << 32) | ep->index;
    (void)epoll_ctl(mt->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void mt_steer_rearm(media_thread *mt)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

    ev.data.u64 = (uint64_t)TAG_STEER << 32;
    (void)epoll_ctl(mt->epfd, EPOLL_CTL_MOD, mt->st_fd, &ev);
}

/* CMD_STEER: start reading the thread's steering socket (on readiness, or on its interval
 * timer) and steer its endpoints' ports to it, or stop. */
static void steer_command(media_thread *mt, const cmd *c)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

    if (c->u.steer.fd < 0 && mt->st_fd >= 0)
        (void)epoll_ctl(mt->epfd, EPOLL_CTL_DEL, mt->st_tfd >= 0 ? mt->st_tfd : mt->st_fd, NULL);
    steer_on_cmd(mt, c);
    if (c->u.steer.fd >= 0 && mt->st_fd >= 0) {
        if (mt->st_tfd >= 0) {
            ev.events = EPOLLIN;
            ev.data.u64 = (uint64_t)TAG_STEER_TIMER << 32;
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_ADD, mt->st_tfd, &ev);
        } else {
            ev.data.u64 = (uint64_t)TAG_STEER << 32;
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_ADD, mt->st_fd, &ev);
        }
    }
    atomic_store_explicit(&mt->st_ack, 1, memory_order_release);
}

uint8_t *mt_xbuf(media_thread *mt)
{
    if (mt->nx >= MT_BATCH)
        return NULL;
    return mt->xbuf[mt->nx++];
}

static void run_command(media_thread *mt, cmd *c, uint64_t now)
{
    engine *e = mt->e;

    mt->c.commands++;
    switch (c->type) {
    case CMD_EP_ADD: {
        rtp_ep *ep = &e->eps[c->index];
        /* Edge-triggered: ep_on_readable drains the socket to EAGAIN, so a level-triggered
         * entry would only be polled once more by the next epoll_wait to find it empty. */
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
        ep->owned_pos = mt->nowned;
        mt->owned[mt->nowned++] = c->index;
        ep->fast_pos = UINT32_MAX;
        if (ep->jbuf != NULL)
            mt_fast_add(mt, c->index);
        ev.data.u64 = ((uint64_t)TAG_RTP << 32) | c->index;
        (void)epoll_ctl(mt->epfd, EPOLL_CTL_ADD, ep->rtp_fd, &ev);
        if (ep->rtcp_fd >= 0) {
            ev.data.u64 = ((uint64_t)TAG_RTCP << 32) | c->index;
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_ADD, ep->rtcp_fd, &ev);
        }
        ep_on_add(mt, ep, now);
        steer_ep_add(mt, ep);
        mt->c.endpoints_active++;
        break;
    }
    case CMD_EP_UPDATE:
        ep_on_update(mt, &e->eps[c->index], c);
        if (e->eps[c->index].jbuf != NULL)
            mt_fast_add(mt, c->index);
        break;
    case CMD_EP_DEL: {
        rtp_ep *ep = &e->eps[c->index];
        uint32_t last = mt->owned[mt->nowned - 1];
        (void)epoll_ctl(mt->epfd, EPOLL_CTL_DEL, ep->rtp_fd, NULL);
        if (ep->rtcp_fd >= 0)
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_DEL, ep->rtcp_fd, NULL);
        mt->owned[ep->owned_pos] = last;
        e->eps[last].owned_pos = ep->owned_pos;
        mt->nowned--;
        fast_remove(mt, ep);
        steer_ep_del(mt, ep);     /* before ep_on_del closes the sockets (and frees the ports) */
        ep_on_del(mt, ep);
        mt->c.endpoints_active--;
        /* Freed after this epoll batch: a stale event for the slot may still be pending. */
        mt->pending_free[mt->npending++] = c->index;
        break;
    }
    case CMD_EP_DTMF:
        ep_on_dtmf(mt, &e->eps[c->index], c);
        mt_fast_add(mt, c->index);
        break;
    case CMD_EP_SINK:
        ep_on_sink(mt, &e->eps[c->index], c);
        break;
    case CMD_RELAY_ADD:
        relay_on_add(mt, &e->relays[c->index]);
        break;
    case CMD_RELAY_DEL:
        relay_on_del(mt, &e->relays[c->index]);
        break;
    case CMD_HOOK_ADD: {
        mt_hook *h = &mt->hooks[c->index];
        if (h->fd >= 0) {
            struct epoll_event ev = { .events = EPOLLIN };
            ev.data.u64 = ((uint64_t)TAG_HOOK << 32) | c->index;
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_ADD, h->fd, &ev);
        }
        atomic_store_explicit(&h->live, 1, memory_order_release);
        break;
    }
    case CMD_HOOK_DEL: {
        mt_hook *h = &mt->hooks[c->index];
        if (h->fd >= 0)
            (void)epoll_ctl(mt->epfd, EPOLL_CTL_DEL, h->fd, NULL);
        atomic_store_explicit(&h->live, 0, memory_order_release);
        break;
    }
    case CMD_STEER:
        steer_command(mt, c);
        break;
    case CMD_STOP:
        mt->stopping = 1;
        break;
    default:
        break;
    }
}

static void on_tick(media_thread *mt, uint64_t now)
{
    uint64_t expirations = 0, extra;
    uint32_t i;

    if (read(mt->tfd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations))
        return;
    mt->c.ticks++;
    if (expirations > 1)
        mt->c.tick_overruns += expirations - 1;
    /* A late tick owes the ticks it missed. Endpoints that feed a PCM consumer (a TDM channel:
     * its line takes a frame every 20 ms whatever this thread does) play out one more frame per
     * missed tick, up to MT_CATCHUP_TICKS, while their jitter buffer holds more than its target
     * (the frames that arrived meanwhile: a catch-up pull never conceals a frame that is merely
     * late); with one playout per tick the channel wrote silence for the missed frames and the
     * jitter buffer overflowed later. Not while an RFC 4733 event is being sent (ep_tick_fast
     * also paces those packets). */
    extra = expirations > 1 ? expirations - 1 : 0;
    if (extra > MT_CATCHUP_TICKS)
        extra = MT_CATCHUP_TICKS;
    /* Backwards, so an endpoint leaving the list swaps in one already visited. */
    for (i = mt->nfast; i-- > 0;) {
        rtp_ep *ep = &mt->e->eps[mt->fast[i]];
        if (!ep_tick_fast(mt, ep, now)) {
            fast_remove(mt, ep);
            continue;
        }
        for (uint64_t k = 0; k < extra && ep->sink != NULL && ep->jbuf != NULL && !dtmf_tx_busy(&ep->dtx) &&
                             ep->jbuf->playing && jb_depth(ep->jbuf) > ep->jbuf->target_units; k++)
            (void)ep_tick_fast(mt, ep, now);
    }
    /* Housekeeping: a slice of all endpoints per tick, every endpoint once per MT_HOUSE_TICKS. */
    if (mt->nowned > 0) {
        uint32_t slice = (mt->nowned + MT_HOUSE_TICKS - 1) / MT_HOUSE_TICKS;
        for (i = 0; i < slice; i++) {
            if (mt->house_pos >= mt->nowned)
                mt->house_pos = 0;
            ep_housekeep(mt, &mt->e->eps[mt->owned[mt->house_pos++]], now);
        }
    }
    for (i = 0; i < MT_MAX_HOOKS; i++) {
        mt_hook *h = &mt->hooks[i];
        if (h->tick != NULL && atomic_load_explicit(&h->live, memory_order_acquire))
            h->tick(mt, h->ctx, now);
    }
    mt_flush(mt);
}

int engine_hook_add(uint32_t thread, int fd, mt_io_fn io, mt_tick_fn tick, void *ctx)
{
    media_thread *mt;
    uint32_t i;
    cmd c;
    int rc;

    if ((fd >= 0) != (io != NULL) || (io == NULL && tick == NULL))
        return SG_EINVAL;
    engine_ctl_lock();
    if (g_engine == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    if (thread >= g_engine->nthreads) {
        rc = SG_EINVAL;
        goto out;
    }
    mt = &g_engine->threads[thread];
    for (i = 0; i < MT_MAX_HOOKS && mt->hooks[i].ctl_used; i++)
        ;
    if (i == MT_MAX_HOOKS) {
        rc = SG_EBUSY;
        goto out;
    }
    mt->hooks[i].fd = fd;
    mt->hooks[i].io = io;
    mt->hooks[i].tick = tick;
    mt->hooks[i].ctx = ctx;
    memset(&c, 0, sizeof(c));
    c.type = CMD_HOOK_ADD;
    c.index = i;
    rc = engine_send(g_engine, thread, &c);
    if (rc == SG_OK) {
        mt->hooks[i].ctl_used = 1;
        rc = (int)i;
    }
out:
    engine_ctl_unlock();
    return rc;
}

int engine_hook_del(uint32_t thread, int hook)
{
    media_thread *mt;
    cmd c;
    int rc;

    engine_ctl_lock();
    if (g_engine == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    if (thread >= g_engine->nthreads || hook < 0 || hook >= (int)MT_MAX_HOOKS ||
        !g_engine->threads[thread].hooks[hook].ctl_used) {
        rc = SG_ENOENT;
        goto out;
    }
    mt = &g_engine->threads[thread];
    memset(&c, 0, sizeof(c));
    c.type = CMD_HOOK_DEL;
    c.index = (uint32_t)hook;
    rc = engine_send(g_engine, thread, &c);
    if (rc != SG_OK)
        goto out;
    /* The media thread answers within one loop turn; the add may still be pending, so wait
     * for the slot to go live and then dead (commands run in order). */
    while (atomic_load_explicit(&mt->hooks[hook].live, memory_order_acquire) ||
           cmdq_pending(&mt->q))
        sched_yield();
    mt->hooks[hook].ctl_used = 0;
out:
    engine_ctl_unlock();
    return rc;
}

static void *media_main(void *arg)
{
    media_thread *mt = arg;
    struct epoll_event evs[64];
    cmd c;

    atomic_store(&mt->tid, (int)syscall(SYS_gettid));
    if (mt->e->cfg.rt_priority > 0) {
        struct sched_param sp = { .sched_priority = mt->e->cfg.rt_priority };
        (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);  /* best effort */
    }
    /* Per packet this loop costs one recvmmsg and one sendmmsg (strace -c) and 1/1.5-1/2 of an
     * epoll wake-up; ~800 instructions of our own (callgrind), the rest (~95 %, perf) is the
     * kernel: the UDP send with loopback delivery (~50 %), epoll_wait and the sleep/wake-up
     * (~25 %), the receive (~12 %). bench/RESULTS.md measures the alternatives: io_uring
     * batches of 32 sends across sockets cost more than sendto (3.06 vs 2.80 us, kcost.c) and
     * save 0.14 us per receive; fewer wake-ups save CPU only by adding latency (sleeping 1 ms
     * between polls: 31 packets per wake-up, -30 % CPU, +1 ms p99).
     * Pass-through directions can be forwarded in the kernel instead (kfwd/, a tc program:
     * no system call, no wake-up, no copy per packet; bench/RESULTS.md "Kernel forwarding").
     * Receive steering (steer/, an sk_lookup program) puts every port of this thread on one
     * socket, read in batches on readiness or on an interval timer: the receive side drops to
     * ~0.5 us per packet and wake-ups to one per batch; the per-packet send stays (a UDP socket
     * cannot choose its source port per datagram, and connecting the endpoint's socket would
     * take its packets away from the steering socket: the kernel's UDP lookup prefers a
     * connected socket to the sk_lookup program). bench/RESULTS.md "Receive steering". */
    while (!mt->stopping) {
        int n = epoll_wait(mt->epfd, evs, 64, -1), i;
        uint64_t now;
        int tick;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        mt->c.wakeups++;
        now = engine_now_ns();
        tick = 0;
        for (i = 0; i < n; i++) {
            uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
            uint32_t idx = (uint32_t)evs[i].data.u64;
            if (tag == TAG_RTP || tag == TAG_RTCP) {
                rtp_ep *ep = &mt->e->eps[idx];
                /* The slot may have been closed by a command earlier in this batch. */
                if (ep->rtp_fd >= 0 && ep->thread == mt->index)
                    ep_on_readable(mt, ep, tag == TAG_RTCP, now);
            } else if (tag == TAG_HOOK) {
                mt_hook *h = &mt->hooks[idx];
                if (atomic_load_explicit(&h->live, memory_order_acquire))
                    h->io(mt, h->ctx, evs[i].events, now);
            } else if (tag == TAG_STEER) {
                steer_read(mt, now);
            } else if (tag == TAG_STEER_TIMER) {
                uint64_t x;
                if (read(mt->st_tfd, &x, sizeof(x)) > 0)
                    steer_read(mt, now);
            } else if (tag == TAG_TIMER) {
                tick = 1;
            } else if (tag == TAG_EVFD) {
                uint64_t v;
                if (read(mt->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    continue;
                while (!mt->stopping && cmdq_pop(&mt->q, &c))
                    run_command(mt, &c, now);
            }
        }
        /* The tick after the packets that woke us with it: a late tick's jitter buffers then
         * hold what already arrived instead of concealing frames that sit in a socket. */
        if (tick && !mt->stopping)
            on_tick(mt, now);
        for (i = 0; i < (int)mt->npending; i++)
            atomic_store_explicit(&mt->e->eps[mt->pending_free[i]].state, SLOT_FREE, memory_order_release);
        mt->npending = 0;
    }
    return NULL;
}

static void thread_cleanup(media_thread *mt)
{
    if (mt->epfd >= 0) close(mt->epfd);
    if (mt->evfd >= 0) close(mt->evfd);
    if (mt->tfd >= 0) close(mt->tfd);
    mt->epfd = mt->evfd = mt->tfd = -1;
    cmdq_free(&mt->q);
    free(mt->owned);
    free(mt->fast);
    free(mt->pending_free);
    free(mt->rxbuf);
    free(mt->xbuf);
    steer_thread_free(mt);
    mt->owned = NULL;
    mt->fast = NULL;
    mt->rxbuf = NULL;
    mt->xbuf = NULL;
}

static int thread_setup(engine *e, media_thread *mt, uint32_t index)
{
    struct epoll_event ev = { .events = EPOLLIN };
    struct itimerspec its;
    uint32_t i;

    memset(mt, 0, sizeof(*mt));
    mt->e = e;
    mt->index = index;
    mt->epfd = mt->evfd = mt->tfd = -1;
    if (steer_thread_init(mt) != SG_OK)
        return SG_ENOMEM;
    mt->tick_ns = (uint64_t)e->cfg.tick_ms * 1000000ull;
    if (cmdq_init(&mt->q, e->cfg.queue_depth, sizeof(cmd)) < 0)
        return SG_ENOMEM;
    mt->owned = calloc(e->cfg.max_endpoints, sizeof(uint32_t));
    mt->fast = calloc(e->cfg.max_endpoints, sizeof(uint32_t));
    mt->pending_free = calloc(e->cfg.max_endpoints, sizeof(uint32_t));
    mt->rxbuf = calloc(MT_BATCH, MT_BUF);
    mt->xbuf = calloc(MT_BATCH, MT_BUF);
    if (mt->owned == NULL || mt->fast == NULL || mt->pending_free == NULL || mt->rxbuf == NULL || mt->xbuf == NULL)
        return SG_ENOMEM;
    for (i = 0; i < MT_BATCH; i++) {
        mt->rxiov[i].iov_base = mt->rxbuf[i];
        mt->rxiov[i].iov_len = MT_BUF - SGSRTP_MAX_TRAILER;
        mt->rxmsg[i].msg_hdr.msg_iov = &mt->rxiov[i];
        mt->rxmsg[i].msg_hdr.msg_iovlen = 1;
        mt->rxmsg[i].msg_hdr.msg_name = &mt->rxaddr[i].u;
        mt->rxmsg[i].msg_hdr.msg_namelen = sizeof(mt->rxaddr[i].u);
    }
    mt->epfd = epoll_create1(EPOLL_CLOEXEC);
    mt->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    mt->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (mt->epfd < 0 || mt->evfd < 0 || mt->tfd < 0)
        return SG_EIO;
    ev.data.u64 = (uint64_t)TAG_EVFD << 32;
    if (epoll_ctl(mt->epfd, EPOLL_CTL_ADD, mt->evfd, &ev) < 0)
        return SG_EIO;
    ev.data.u64 = (uint64_t)TAG_TIMER << 32;
    if (epoll_ctl(mt->epfd, EPOLL_CTL_ADD, mt->tfd, &ev) < 0)
        return SG_EIO;
    its.it_interval.tv_sec = 0;
    its.it_interval.tv_nsec = (long)mt->tick_ns;
    its.it_value = its.it_interval;
    if (timerfd_settime(mt->tfd, 0, &its, NULL) < 0)
        return SG_EIO;
    return SG_OK;
}

static void engine_free(engine *e)
{
    uint32_t i;

    if (e->eps) {
        for (i = 0; i < e->cfg.max_endpoints; i++)
            if (atomic_load(&e->eps[i].state) != SLOT_FREE)
                ep_release(&e->eps[i]);
    }
    if (e->relays) {
        for (i = 0; i < e->cfg.max_relays; i++) {
            xcode_free(e->relays[i].x);
            e->relays[i].x = NULL;
        }
    }
    for (i = 0; e->threads && i < e->nthreads; i++)
        thread_cleanup(&e->threads[i]);
    free(e->threads);
    free(e->eps);
    free(e->relays);
    free(e);
}

static int normalise(const sg_engine_config_t *in, sg_engine_config_t *out)
{
    if (in == NULL || in->struct_size != sizeof(sg_engine_config_t))
        return SG_EINVAL;
    *out = *in;
    if (out->media_threads == 0) out->media_threads = 1;
    if (out->max_endpoints == 0) out->max_endpoints = 2048;
    if (out->max_relays == 0) out->max_relays = out->max_endpoints / 2 + 1;
    if (out->tick_ms == 0) out->tick_ms = 20;
    if (out->port_min == 0 && out->port_max == 0) { out->port_min = 30000; out->port_max = 39999; }
    if (out->queue_depth == 0) out->queue_depth = 1024;
    if (out->media_threads > SG_ENGINE_MAX_THREADS || out->max_endpoints > HANDLE_INDEX_MASK - 1 ||
        out->max_relays > HANDLE_INDEX_MASK - 1 || (out->tick_ms != 10 && out->tick_ms != 20) ||
        out->port_min < 1024 || out->port_max <= out->port_min ||
        (out->queue_depth & (out->queue_depth - 1)) != 0 || out->queue_depth < 16 || out->rt_priority > 99)
        return SG_EINVAL;
    return SG_OK;
}

int sg_engine_start(const sg_engine_config_t *cfg)
{
    engine *e = NULL;
    uint32_t i, started = 0;
    int rc;

    engine_ctl_lock();
    if (g_engine != NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        rc = SG_ENOMEM;
        goto out;
    }
    rc = normalise(cfg, &e->cfg);
    if (rc != SG_OK)
        goto out;
    e->nthreads = e->cfg.media_threads;
    e->threads = calloc(e->nthreads, sizeof(media_thread));
    e->eps = calloc(e->cfg.max_endpoints, sizeof(rtp_ep));
    e->relays = calloc(e->cfg.max_relays, sizeof(relay));
    if (e->threads == NULL || e->eps == NULL || e->relays == NULL) {
        rc = SG_ENOMEM;
        goto out;
    }
    for (i = 0; i < e->cfg.max_endpoints; i++) {
        e->eps[i].rtp_fd = e->eps[i].rtcp_fd = -1;
        e->eps[i].index = i;
    }
    e->port_cursor = engine_random32() % 1024u;
    for (i = 0; i < e->nthreads; i++) {
        rc = thread_setup(e, &e->threads[i], i);
        if (rc != SG_OK) {
            e->nthreads = i + 1;
            goto out;
        }
    }
    for (i = 0; i < e->nthreads; i++) {
        if (pthread_create(&e->threads[i].thread, NULL, media_main, &e->threads[i]) != 0) {
            rc = SG_EIO;
            goto out;
        }
        started++;
        {
            char name[16];
            snprintf(name, sizeof(name), "sg-media-%u", i & 7u);
            (void)pthread_setname_np(e->threads[i].thread, name);
        }
    }
    /* Wait until every thread has published its kernel tid (for CPU accounting). */
    for (i = 0; i < e->nthreads; i++)
        while (atomic_load(&e->threads[i].tid) == 0)
            sched_yield();
    g_engine = e;
    (void)kfwd_engine_start(e->cfg.max_endpoints);
    rc = SG_OK;
out:
    if (rc != SG_OK && e != NULL) {
        for (i = 0; i < started; i++) {
            cmd c = { .type = CMD_STOP };
            while (engine_send(e, i, &c) == SG_EBUSY)
                sched_yield();
            pthread_join(e->threads[i].thread, NULL);
        }
        engine_free(e);
    }
    engine_ctl_unlock();
    return rc;
}

int sg_engine_stop(void)
{
    engine *e;
    uint32_t i;

    engine_ctl_lock();
    e = g_engine;
    if (e == NULL) {
        engine_ctl_unlock();
        return SG_ESTATE;
    }
    for (i = 0; i < e->nthreads; i++) {
        cmd c = { .type = CMD_STOP };
        while (engine_send(e, i, &c) == SG_EBUSY)
            sched_yield();
    }
    for (i = 0; i < e->nthreads; i++)
        pthread_join(e->threads[i].thread, NULL);
    kfwd_engine_stop();           /* detaches the program: the kernel stops forwarding */
    steer_engine_stop();
    g_engine = NULL;
    engine_free(e);
    engine_ctl_unlock();
    return SG_OK;
}

int sg_engine_running(void)
{
    int r;
    engine_ctl_lock();
    r = g_engine != NULL;
    engine_ctl_unlock();
    return r;
}

int sg_counters_read(sg_counters_t *out, uint32_t size)
{
    engine *e;
    uint32_t i, k;
    const size_t n = sizeof(sg_counters_t) / sizeof(uint64_t);

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    engine_ctl_lock();
    e = g_engine;
    if (e == NULL) {
        engine_ctl_unlock();
        return SG_ESTATE;
    }
    memset(out, 0, sizeof(*out));
    for (i = 0; i < e->nthreads; i++) {
        const volatile uint64_t *src = (const volatile uint64_t *)&e->threads[i].c;
        uint64_t *dst = (uint64_t *)out;
        for (k = 0; k < n; k++)
            dst[k] += src[k];     /* aligned 64-bit loads: each field is read whole */
    }
    kfwd_counters(out);
    engine_ctl_unlock();
    return SG_OK;
}

int sg_engine_thread_tid(uint32_t index)
{
    int rc;
    engine_ctl_lock();
    if (g_engine == NULL)
        rc = SG_ESTATE;
    else if (index >= g_engine->nthreads)
        rc = SG_ENOENT;
    else
        rc = atomic_load(&g_engine->threads[index].tid);
    engine_ctl_unlock();
    return rc;
}
