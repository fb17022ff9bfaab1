/* Test support for span and PRI tests (see test_span_harness.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <spandsp.h>
#include "test_span_harness.h"

#define BACKLOG 8192

static sg_event_t backlog[BACKLOG];
static int nbacklog;

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_events_reset(void)
{
    int fd = sg_events_fd();
    sg_event_t ev;

    while (recv(fd, &ev, sizeof(ev), MSG_DONTWAIT) > 0)
        ;
    nbacklog = 0;
}

static int matches(const sg_event_t *ev, uint16_t subsys, uint16_t type, uint32_t handle, int span)
{
    if (ev->subsys != subsys || ev->type != type)
        return 0;
    if (handle != 0 && ev->handle != handle)
        return 0;
    if (span > 0) {
        if (subsys == SG_SUBSYS_PRI) {
            sg_pri_ev_t p;
            memcpy(&p, ev->payload, sizeof(p));
            return p.span == span;
        }
        return ev->handle == (uint32_t)span;
    }
    return 1;
}

int h_wait(uint16_t subsys, uint16_t type, uint32_t handle, int span, int timeout_ms, sg_event_t *out)
{
    int fd = sg_events_fd(), i;
    int64_t deadline = mono_ms() + timeout_ms;
    sg_event_t ev;

    for (i = 0; i < nbacklog; i++) {
        if (matches(&backlog[i], subsys, type, handle, span)) {
            if (out != NULL)
                *out = backlog[i];
            memmove(&backlog[i], &backlog[i + 1], (size_t)(nbacklog - i - 1) * sizeof(ev));
            nbacklog--;
            return 1;
        }
    }
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int64_t left = deadline - mono_ms();
        if (left < 0)
            return 0;
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        while (recv(fd, &ev, sizeof(ev), MSG_DONTWAIT) == (ssize_t)sizeof(ev)) {
            if (matches(&ev, subsys, type, handle, span)) {
                if (out != NULL)
                    *out = ev;
                return 1;
            }
            if (nbacklog == BACKLOG) {
                memmove(&backlog[0], &backlog[1], (BACKLOG - 1) * sizeof(ev));
                nbacklog--;
            }
            backlog[nbacklog++] = ev;
        }
    }
}

int h_wait_pri(uint16_t type, uint32_t handle, int span, int timeout_ms, uint32_t *handle_out, sg_pri_ev_t *pev)
{
    sg_event_t ev;

    if (!h_wait(SG_SUBSYS_PRI, type, handle, span, timeout_ms, &ev))
        return 0;
    if (handle_out != NULL)
        *handle_out = ev.handle;
    if (pev != NULL)
        memcpy(pev, ev.payload, sizeof(*pev));
    return 1;
}

/* ---- proxy ---- */

struct h_proxy {
    int sa;                      /* faces the network span */
    int sb;                      /* faces the user span */
    struct sockaddr_in net;      /* network span address */
    struct sockaddr_in user;     /* user span address, learnt */
    int user_known;
    atomic_int drop, stop;
    atomic_uint_fast64_t forwarded;
    pthread_t thr;
    uint64_t seen;               /* packets toward the network span */
    uint8_t held[4096];          /* a packet held back to be sent out of order */
    ssize_t held_len;
};

/* Sends one packet toward the network span, applying the loss/reorder faults. */
static void to_net(h_proxy *x, const uint8_t *buf, ssize_t n)
{
    int mode = atomic_load(&x->drop);

    x->seen++;
    if ((mode & H_LOSSY) && x->seen % 37 == 0)
        return;
    if ((mode & H_BURST_LOSS) && x->seen % H_BURST_EVERY < H_BURST_LEN)
        return;
    if ((mode & H_REORDER) && x->held_len == 0) {
        memcpy(x->held, buf, (size_t)n);
        x->held_len = n;
        return;
    }
    if (sendto(x->sa, buf, (size_t)n, 0, (struct sockaddr *)&x->net, sizeof(x->net)) == n)
        atomic_fetch_add(&x->forwarded, 1);
    if (x->held_len > 0) {
        (void)sendto(x->sa, x->held, (size_t)x->held_len, 0, (struct sockaddr *)&x->net, sizeof(x->net));
        x->held_len = 0;
    }
}

static int udp_bind(const char *addr, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static void *proxy_main(void *arg)
{
    h_proxy *x = arg;
    uint8_t buf[4096];
    struct sockaddr_in from;
    socklen_t fl;
    ssize_t n;

    while (!atomic_load(&x->stop)) {
        struct pollfd p[2] = { { .fd = x->sa, .events = POLLIN }, { .fd = x->sb, .events = POLLIN } };
        if (poll(p, 2, 50) <= 0)
            continue;
        for (;;) {
            fl = sizeof(from);
            n = recvfrom(x->sb, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
            if (n < 0)
                break;
            x->user = from;
            x->user_known = 1;
            if (atomic_load(&x->drop) & H_DROP_TO_NET)
                continue;
            to_net(x, buf, n);
        }
        for (;;) {
            n = recv(x->sa, buf, sizeof(buf), MSG_DONTWAIT);
            if (n < 0)
                break;
            if ((atomic_load(&x->drop) & H_DROP_TO_USER) || !x->user_known)
                continue;
            if (sendto(x->sb, buf, (size_t)n, 0, (struct sockaddr *)&x->user, sizeof(x->user)) == n)
                atomic_fetch_add(&x->forwarded, 1);
        }
    }
    return NULL;
}

void h_proxy_drop(h_proxy *x, int dirs)
{
    atomic_store(&x->drop, dirs);
}

int h_proxy_inject_to_net(h_proxy *x, const void *buf, int len)
{
    return (int)sendto(x->sa, buf, (size_t)len, 0, (struct sockaddr *)&x->net, sizeof(x->net));
}

uint64_t h_proxy_forwarded(h_proxy *x)
{
    return atomic_load(&x->forwarded);
}

/* ---- span pair ---- */

static void fill_cfg(sg_span_config_t *c, int kind, int role, int frames, int los_ms, const char *local,
                     const char *remote, uint16_t rport)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    c->kind = (uint32_t)kind;
    c->role = (uint32_t)role;
    c->frames_per_packet = (uint32_t)frames;
    c->los_ms = (uint32_t)los_ms;
    strcpy(c->local_addr, local);
    if (remote != NULL)
        strcpy(c->remote_addr, remote);
    c->remote_port = rport;
}

int h_pair_open(h_pair *p, int kind, int frames, int los_ms)
{
    sg_span_config_t c;
    sg_span_stats_t st;
    h_proxy *x = calloc(1, sizeof(*x));
    uint16_t pa, pb;

    memset(p, 0, sizeof(*p));
    if (x == NULL)
        return -1;
    p->proxy = x;
    fill_cfg(&c, kind, SG_SPAN_NETWORK, frames, los_ms, "127.0.5.1", NULL, 0);
    p->net = sg_span_open(&c);
    if (p->net <= 0)
        return -1;
    memset(&st, 0, sizeof(st));
    sg_span_stats(p->net, &st, sizeof(st));
    x->sa = udp_bind("127.0.5.3", &pa);
    x->sb = udp_bind("127.0.5.3", &pb);
    if (x->sa < 0 || x->sb < 0)
        return -1;
    x->net.sin_family = AF_INET;
    x->net.sin_port = htons(st.local_port);
    inet_pton(AF_INET, "127.0.5.1", &x->net.sin_addr);
    if (pthread_create(&x->thr, NULL, proxy_main, x) != 0)
        return -1;
    fill_cfg(&c, kind, SG_SPAN_USER, frames, los_ms, "127.0.5.2", "127.0.5.3", pb);
    p->user = sg_span_open(&c);
    return p->user > 0 ? 0 : -1;
}

void h_pair_close(h_pair *p)
{
    if (p->user > 0)
        sg_span_close(p->user);
    if (p->net > 0)
        sg_span_close(p->net);
    if (p->proxy != NULL) {
        atomic_store(&p->proxy->stop, 1);
        pthread_join(p->proxy->thr, NULL);
        close(p->proxy->sa);
        close(p->proxy->sb);
        free(p->proxy);
    }
    memset(p, 0, sizeof(*p));
}

int h_wait_alarms(int span, uint32_t want, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    sg_span_stats_t st;

    for (;;) {
        memset(&st, 0, sizeof(st));
        if (sg_span_stats(span, &st, sizeof(st)) == SG_OK && st.alarms == want)
            return 1;
        if (mono_ms() > deadline)
            return 0;
        /* Alarm changes are also events; wait on them rather than spin. */
        h_wait(SG_SUBSYS_SPAN, SG_SPAN_EV_ALARM, (uint32_t)span, 0, 50, NULL);
    }
}

/* ---- tones ---- */

static double goertzel_ratio(const int16_t *x, int n, double freq)
{
    double w = 2.0 * M_PI * freq / 8000.0, c = 2.0 * cos(w), s0, s1 = 0, s2 = 0, total = 0, p;
    int i;

    for (i = 0; i < n; i++) {
        s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
        total += (double)x[i] * x[i];
    }
    p = s1 * s1 + s2 * s2 - c * s1 * s2;
    /* A pure tone of n samples gives p = total * n / 2. */
    return total > 0 ? p / (total * n / 2.0) : 0.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double h_tone_ratio(const int16_t *x, int n, double freq)
{
    double r[64];
    int w, nw = n / 400;

    /* Median over 50 ms windows: a counted slip (a few samples of idle) spoils one window,
     * not the measurement. */
    if (nw < 1)
        return goertzel_ratio(x, n, freq);
    if (nw > 64)
        nw = 64;
    for (w = 0; w < nw; w++)
        r[w] = goertzel_ratio(x + w * 400, 400, freq);
    qsort(r, (size_t)nw, sizeof(r[0]), cmp_double);
    return r[nw / 2];
}

int h_tone_through(int a, int ta, int b, int tb, int kind, double freq, int16_t *out, int n, int skip,
                   int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    uint8_t tx[160], rx[512];
    int16_t lin;
    long phase = 0;
    int got = 0, skipped = 0, i, r;

    while (got < n && mono_ms() < deadline) {
        struct timespec ts = { 0, 2000000 };
        for (i = 0; i < 160; i++) {
            lin = (int16_t)(8000.0 * sin(2.0 * M_PI * freq * (double)(phase + i) / 8000.0));
            tx[i] = kind == SG_SPAN_E1 ? linear_to_alaw(lin) : linear_to_ulaw(lin);
        }
        r = sg_span_write(a, ta, tx, 160);
        if (r > 0)
            phase += r;
        r = sg_span_read(b, tb, rx, sizeof(rx));
        for (i = 0; i < r && got < n; i++) {
            if (skipped < skip) {
                skipped++;
                continue;
            }
            out[got++] = kind == SG_SPAN_E1 ? alaw_to_linear(rx[i]) : ulaw_to_linear(rx[i]);
        }
        /* Paces the feed at the line rate; the deadline bounds the loop. */
        nanosleep(&ts, NULL);
    }
    return got;
}
