/* Receive steering (spangate/steer.h): the sk_lookup program (bpf/steer.bpf.c, embedded in the
 * library at build time) sends every datagram for a steered endpoint port to one socket per
 * media thread; the thread reads it in batches and demultiplexes by the original destination
 * port. Loading and attaching on the control thread; the port table and the reads on the media
 * threads. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "steer/steer.h"
#include "steer/steer_abi.h"

#ifdef SG_HAVE_STEER
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

__asm__(".section .rodata\n"
        ".balign 8\n"
        ".type sg_steer_obj_start, @object\n"
        "sg_steer_obj_start:\n"
        ".incbin \"" SG_STEER_OBJ "\"\n"
        "sg_steer_obj_end:\n"
        ".byte 0\n"
        ".previous\n");
extern const char sg_steer_obj_start[], sg_steer_obj_end[];
#endif

/* Steering socket receive buffer: an interval's worth of datagrams of every stream of a thread
 * (at 20 ms and 1000 streams, 1000 skbs of ~1 KiB truesize) with room to spare. */
#define ST_RCVBUF (8 * 1024 * 1024)
#define ST_ROUNDS 64u              /* recvmmsg calls per read before yielding to the loop */

static struct {
    uint32_t attached;
    uint32_t interval_us;
    int ports_fd;                  /* sg_st_ports, read by media threads while attached */
#ifdef SG_HAVE_STEER
    struct bpf_object *obj;
    struct bpf_link *link;
#endif
    int socks[ST_MAX_THREADS];
    int timers[ST_MAX_THREADS];
    char error[SG_STEER_ERROR_MAX];
} st = { .ports_fd = -1 };

/* ---------- media thread ---------- */

int steer_thread_init(media_thread *mt)
{
    uint32_t i;

    mt->st_fd = mt->st_tfd = -1;
    mt->st_port = NULL;
    mt->st_cbuf = calloc(MT_BATCH, sizeof(*mt->st_cbuf));
    if (mt->st_cbuf == NULL)
        return SG_ENOMEM;
    for (i = 0; i < MT_BATCH; i++) {
        mt->st_msg[i].msg_hdr.msg_iov = &mt->rxiov[i];
        mt->st_msg[i].msg_hdr.msg_iovlen = 1;
        mt->st_msg[i].msg_hdr.msg_name = &mt->rxaddr[i].u;
        mt->st_msg[i].msg_hdr.msg_namelen = sizeof(mt->rxaddr[i].u);
        mt->st_msg[i].msg_hdr.msg_control = mt->st_cbuf[i];
        mt->st_msg[i].msg_hdr.msg_controllen = sizeof(mt->st_cbuf[i]);
    }
    return SG_OK;
}

void steer_thread_free(media_thread *mt)
{
    free(mt->st_port);
    free(mt->st_cbuf);
    mt->st_port = NULL;
    mt->st_cbuf = NULL;
}

static void timer_arm(media_thread *mt, int on)
{
    struct itimerspec its;

    if (mt->st_tfd < 0)
        return;
    memset(&its, 0, sizeof(its));
    if (on) {
        its.it_interval.tv_sec = st.interval_us / 1000000u;
        its.it_interval.tv_nsec = (long)(st.interval_us % 1000000u) * 1000L;
        its.it_value = its.it_interval;
    }
    (void)timerfd_settime(mt->st_tfd, 0, &its, NULL);
}

#ifdef SG_HAVE_STEER
/* The endpoint's IPv4 bind address (network order, 0 = wildcard); -1 for IPv6. */
static int ep_addr4(const rtp_ep *ep, uint32_t *addr)
{
    struct in_addr a;
    if (inet_pton(AF_INET, ep->cfg.local_addr, &a) != 1)
        return -1;
    *addr = a.s_addr;
    return 0;
}

static void port_install(media_thread *mt, rtp_ep *ep, uint16_t port, uint32_t addr, int rtcp)
{
    struct st_key k = { .addr = addr, .port = port };
    uint32_t thread = mt->index;

    /* Another endpoint of this thread holds the port on another address: the demultiplexer
     * goes by port, so this one stays on its own socket. */
    if (mt->st_port[port] != 0 || bpf_map_update_elem(st.ports_fd, &k, &thread, BPF_NOEXIST) != 0) {
        mt->st_skipped++;
        return;
    }
    mt->st_port[port] = ((ep->index + 1) << 1) | (uint32_t)(rtcp != 0);
    if (mt->st_ports++ == 0)
        timer_arm(mt, 1);
}

static void port_remove(media_thread *mt, const rtp_ep *ep, uint16_t port, uint32_t addr, int rtcp)
{
    struct st_key k = { .addr = addr, .port = port };

    if (mt->st_port[port] != (((ep->index + 1) << 1) | (uint32_t)(rtcp != 0)))
        return;
    (void)bpf_map_delete_elem(st.ports_fd, &k);
    mt->st_port[port] = 0;
    if (--mt->st_ports == 0)
        timer_arm(mt, 0);
}

#endif

void steer_ep_add(media_thread *mt, rtp_ep *ep)
{
#ifdef SG_HAVE_STEER
    uint32_t addr;

    if (mt->st_fd < 0)
        return;
    if (ep_addr4(ep, &addr) != 0) {
        mt->st_skipped++;          /* IPv6: its own socket */
        return;
    }
    port_install(mt, ep, ep->local_port, addr, 0);
    if (ep->rtcp_fd >= 0)
        port_install(mt, ep, (uint16_t)(ep->local_port + 1), addr, 1);
#else
    (void)mt;
    (void)ep;
#endif
}

void steer_ep_del(media_thread *mt, rtp_ep *ep)
{
#ifdef SG_HAVE_STEER
    uint32_t addr;

    if (mt->st_fd < 0 || ep_addr4(ep, &addr) != 0)
        return;
    port_remove(mt, ep, ep->local_port, addr, 0);
    if (ep->rtcp_fd >= 0)
        port_remove(mt, ep, (uint16_t)(ep->local_port + 1), addr, 1);
#else
    (void)mt;
    (void)ep;
#endif
}

/* The original destination port of a steered datagram, or 0. */
static uint16_t orig_dst_port(struct msghdr *h)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_ORIGDSTADDR &&
            cm->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
            struct sockaddr_in sin;
            memcpy(&sin, CMSG_DATA(cm), sizeof(sin));
            return ntohs(sin.sin_port);
        }
    }
    return 0;
}

void steer_read(media_thread *mt, uint64_t now)
{
    uint32_t round, i;

    if (mt->st_fd < 0)
        return;
    for (round = 0; round < ST_ROUNDS; round++) {
        int n;
        for (i = 0; i < MT_BATCH; i++) {
            mt->st_msg[i].msg_hdr.msg_namelen = sizeof(mt->rxaddr[i].u);
            mt->st_msg[i].msg_hdr.msg_controllen = sizeof(mt->st_cbuf[i]);
        }
        n = recvmmsg(mt->st_fd, mt->st_msg, MT_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue;              /* a pending socket error is consumed by the call: read on */
        }
        if (n == 0)
            return;
        mt->st_calls++;
        mt->st_rx += (uint64_t)n;
        for (i = 0; i < (uint32_t)n; i++) {
            struct msghdr *h = &mt->st_msg[i].msg_hdr;
            uint16_t port = orig_dst_port(h);
            uint32_t v = mt->st_port[port];
            rtp_ep *ep;
            if (h->msg_flags & MSG_TRUNC) {
                mt->c.rx_malformed++;
                continue;
            }
            if (v == 0 || port == 0) {
                mt->st_unknown++;  /* the endpoint left while its datagrams were queued */
                continue;
            }
            ep = &mt->e->eps[(v >> 1) - 1];
            if (ep->rtp_fd < 0 || ep->thread != mt->index) {
                mt->st_unknown++;
                continue;
            }
            mt->rxaddr[i].len = h->msg_namelen;
            ep_on_datagram(mt, ep, (int)(v & 1u), mt->rxbuf[i], mt->st_msg[i].msg_len, &mt->rxaddr[i], now);
        }
        mt_flush(mt);
        if ((uint32_t)n < MT_BATCH)
            return;
    }
    /* Fairness limit with data possibly left: in readiness mode have epoll report it again. */
    if (mt->st_tfd < 0)
        mt_steer_rearm(mt);
}

void steer_on_cmd(media_thread *mt, const cmd *c)
{
    uint32_t i;

    if (c->u.steer.fd >= 0) {
        if (mt->st_port == NULL)
            mt->st_port = calloc(65536u, sizeof(uint32_t));   /* command path, once per thread */
        if (mt->st_port != NULL) {
            mt->st_fd = c->u.steer.fd;
            mt->st_tfd = c->u.steer.tfd;
            mt->st_ports = 0;
            for (i = 0; i < mt->nowned; i++)
                steer_ep_add(mt, &mt->e->eps[mt->owned[i]]);
        }
    } else if (mt->st_fd >= 0) {
        for (i = 0; i < mt->nowned; i++)
            steer_ep_del(mt, &mt->e->eps[mt->owned[i]]);
        timer_arm(mt, 0);
        steer_read(mt, engine_now_ns());   /* what was queued before the ports left the map */
        mt->st_fd = mt->st_tfd = -1;
    }
}

/* ---------- control side ---------- */

#ifdef SG_HAVE_STEER
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    return 0;   /* errors are reported through sg_steer_status().error */
}

static void st_error(const char *what, int err)
{
    snprintf(st.error, sizeof(st.error), "%s: %s", what, strerror(err));
}

/* Sends CMD_STEER to every media thread and waits until each has done it. */
static void st_command_all(engine *e, int on)
{
    uint32_t i;

    for (i = 0; i < e->nthreads; i++) {
        media_thread *mt = &e->threads[i];
        cmd c;
        memset(&c, 0, sizeof(c));
        c.type = CMD_STEER;
        c.u.steer.fd = on ? st.socks[i] : -1;
        c.u.steer.tfd = on ? st.timers[i] : -1;
        atomic_store(&mt->st_ack, 0);
        while (engine_send(e, i, &c) == SG_EBUSY)
            sched_yield();
        while (!atomic_load_explicit(&mt->st_ack, memory_order_acquire))
            sched_yield();
    }
}

static void st_free(void)
{
    uint32_t i;

    if (st.link != NULL)
        bpf_link__destroy(st.link);     /* detaches the program from the namespace */
    st.link = NULL;
    for (i = 0; i < ST_MAX_THREADS; i++) {
        if (st.socks[i] >= 0)
            close(st.socks[i]);
        if (st.timers[i] >= 0)
            close(st.timers[i]);
        st.socks[i] = st.timers[i] = -1;
    }
    if (st.obj != NULL)
        bpf_object__close(st.obj);
    st.obj = NULL;
    st.ports_fd = -1;
    st.attached = 0;
}

static int st_socket(void)
{
    struct sockaddr_in a;
    int one = 1, buf = ST_RCVBUF;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (s < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;     /* any address, an ephemeral port: it only receives what the program steers */
    if (setsockopt(s, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) != 0 ||
        bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(s);
        return -1;
    }
    if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
        (void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));   /* capped by rmem_max */
    return s;
}

static int st_load(engine *e)
{
    LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "spangate_steer");
    struct bpf_program *prog;
    int err, nsfd, socks_fd;
    uint32_t i;

    libbpf_set_print(libbpf_quiet);
    st.obj = bpf_object__open_mem(sg_steer_obj_start, (size_t)(sg_steer_obj_end - sg_steer_obj_start), &oo);
    if (st.obj == NULL) {
        st_error("opening the embedded program", errno);
        return SG_EIO;
    }
    err = bpf_object__load(st.obj);
    if (err != 0) {
        err = -err;
        st_error(err == EPERM || err == EACCES
                     ? "loading the BPF program (needs CAP_BPF and CAP_NET_ADMIN, e.g. root or "
                       "AmbientCapabilities=CAP_BPF CAP_NET_ADMIN)"
                     : "loading the BPF program (the verifier log is printed with LIBBPF_LOG_LEVEL=debug)",
                 err);
        return (err == EPERM || err == EACCES) ? SG_EPERM : SG_EIO;
    }
    st.ports_fd = bpf_object__find_map_fd_by_name(st.obj, "sg_st_ports");
    socks_fd = bpf_object__find_map_fd_by_name(st.obj, "sg_st_socks");
    prog = bpf_object__find_program_by_name(st.obj, "sg_steer");
    if (st.ports_fd < 0 || socks_fd < 0 || prog == NULL) {
        st_error("the embedded object lacks its program or maps", ENOENT);
        return SG_EIO;
    }
    for (i = 0; i < e->nthreads; i++) {
        uint64_t v;
        st.socks[i] = st_socket();
        if (st.socks[i] < 0) {
            st_error("creating a steering socket", errno);
            return SG_EIO;
        }
        v = (uint64_t)st.socks[i];
        if (bpf_map_update_elem(socks_fd, &i, &v, BPF_ANY) != 0) {
            err = errno;
            st_error("adding a steering socket to the socket map", err);
            return (err == EPERM || err == EACCES) ? SG_EPERM : SG_EIO;
        }
        if (st.interval_us > 0) {
            st.timers[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
            if (st.timers[i] < 0) {
                st_error("creating the interval timer", errno);
                return SG_EIO;
            }
        }
    }
    nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
        st_error("opening /proc/self/ns/net", errno);
        return SG_EIO;
    }
    st.link = bpf_program__attach_netns(prog, nsfd);
    err = st.link == NULL ? errno : 0;
    close(nsfd);
    if (st.link == NULL) {
        st_error("attaching to the network namespace (kernel 5.9+)", err);
        return (err == EPERM || err == EACCES) ? SG_EPERM : SG_EIO;
    }
    return SG_OK;
}
#endif

int sg_steer_attach(uint32_t interval_us)
{
    engine *e;
    int rc;

    engine_ctl_lock();
    st.error[0] = '\0';
    e = engine_get();
    if (e == NULL) {
        snprintf(st.error, sizeof(st.error), "the engine is not running");
        rc = SG_ESTATE;
        goto out;
    }
    if (st.attached) {
        snprintf(st.error, sizeof(st.error), "already attached");
        rc = SG_ESTATE;
        goto out;
    }
    if (interval_us > SG_STEER_MAX_INTERVAL_US || e->nthreads > ST_MAX_THREADS) {
        snprintf(st.error, sizeof(st.error), "interval over %u us or more than %u media threads",
                 SG_STEER_MAX_INTERVAL_US, ST_MAX_THREADS);
        rc = SG_EINVAL;
        goto out;
    }
#ifdef SG_HAVE_STEER
    {
        uint32_t i;
        for (i = 0; i < ST_MAX_THREADS; i++)
            st.socks[i] = st.timers[i] = -1;
        st.interval_us = interval_us;
        rc = st_load(e);
        if (rc != SG_OK) {
            st_free();
            goto out;
        }
        st_command_all(e, 1);
        st.attached = 1;
    }
#else
    snprintf(st.error, sizeof(st.error), "built without libbpf/clang: receive steering is not available");
    rc = SG_ENOSYS;
#endif
out:
    engine_ctl_unlock();
    return rc;
}

int sg_steer_detach(void)
{
    int rc = SG_ESTATE;

    engine_ctl_lock();
#ifdef SG_HAVE_STEER
    if (st.attached && engine_get() != NULL) {
        st_command_all(engine_get(), 0);
        st_free();
        rc = SG_OK;
    }
#endif
    engine_ctl_unlock();
    return rc;
}

void steer_engine_stop(void)
{
#ifdef SG_HAVE_STEER
    if (st.attached)
        st_free();              /* the media threads are gone: nothing reads the sockets */
#endif
}

int sg_steer_status(sg_steer_status_t *out, uint32_t size)
{
    engine *e;
    uint32_t i;

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    engine_ctl_lock();
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    out->attached = st.attached;
    out->interval_us = st.attached ? st.interval_us : 0;
    e = engine_get();
    for (i = 0; e != NULL && i < e->nthreads; i++) {
        const volatile media_thread *mt = &e->threads[i];
        out->ports += mt->st_ports;
        out->rx_packets += mt->st_rx;
        out->rx_calls += mt->st_calls;
        out->rx_unknown += mt->st_unknown;
        out->not_steered += mt->st_skipped;
    }
    memcpy(out->error, st.error, sizeof(out->error));
    engine_ctl_unlock();
    return SG_OK;
}
