/* Span registry, public span API and the span thread.
 * One thread drives every span's line I/O: an epoll loop over the span sockets, a timerfd
 * set to the earliest span deadline (absolute CLOCK_MONOTONIC) and a wake eventfd.
 * The registry is guarded by a writer-preferring rwlock: the span thread and the sample
 * calls hold it shared while they touch a span; open/close hold it exclusively. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "core/events.h"
#include "span/span.h"
#include "span/vspan.h"

_Static_assert(sizeof(sg_span_ev_alarm_t) <= SG_EVENT_PAYLOAD, "span alarm payload too big");

#define WAKE_TAG 0xffffffffu
#define TIMER_TAG 0xfffffffeu

static pthread_rwlock_t reg_lock;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static span_t *spans[SG_SPAN_MAX + 1];
static _Atomic span_alarm_fn alarm_listener;

static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static int thread_started;
static int epfd = -1, wakefd = -1, timerfd = -1;
static pthread_t span_thread;

static void reg_init(void)
{
    pthread_rwlockattr_t a;

    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&reg_lock, &a);
    pthread_rwlockattr_destroy(&a);
}

uint64_t span_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int span_is_bchan(const span_t *s, int ts)
{
    return ts >= 1 && ts <= s->timeslots && ts != s->dchan_ts;
}

void span_set_alarm_listener(span_alarm_fn fn)
{
    atomic_store(&alarm_listener, fn);
}

void span_alarm_changed(span_t *s, uint32_t alarms, uint32_t previous)
{
    sg_span_ev_alarm_t ev;
    sg_span_stats_t st;
    span_alarm_fn fn = atomic_load(&alarm_listener);

    memset(&st, 0, sizeof(st));
    s->ops->stats(s, &st);
    memset(&ev, 0, sizeof(ev));
    ev.alarms = alarms;
    ev.previous = previous;
    ev.rx_lost = st.rx_lost;
    ev.slips = st.slips;
    /* Listener first: the PRI thread then has the new state queued before anyone who saw
     * the event can queue a command (a SETUP right after an alarm clears is not refused). */
    if (fn != NULL)
        fn(s->handle, alarms, previous);
    (void)events_post(SG_SUBSYS_SPAN, SG_SPAN_EV_ALARM, (uint32_t)s->handle, &ev, sizeof(ev));
}

static void wake_thread(void)
{
    uint64_t one = 1;

    if (wakefd >= 0)
        (void)!write(wakefd, &one, sizeof(one));
}

static void arm_timer(uint64_t deadline_ns)
{
    struct itimerspec its;

    memset(&its, 0, sizeof(its));
    if (deadline_ns == UINT64_MAX)
        deadline_ns = span_now_ns() + 1000000000ull;
    if (deadline_ns == 0)
        deadline_ns = 1;
    its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
    (void)timerfd_settime(timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Runs due span clocks; returns the earliest next deadline. Registry held shared. */
static uint64_t run_timers(void)
{
    uint64_t now = span_now_ns(), next = UINT64_MAX;
    unsigned i;

    for (i = 1; i <= SG_SPAN_MAX; i++) {
        span_t *s = spans[i];
        if (s == NULL)
            continue;
        if (s->deadline_ns <= now)
            s->deadline_ns = s->ops->on_timer(s, now);
        if (s->deadline_ns < next)
            next = s->deadline_ns;
    }
    return next;
}

static void *span_thread_main(void *arg)
{
    struct epoll_event evs[32];
    uint64_t junk;
    int i, n;

    (void)arg;
    for (;;) {
        pthread_rwlock_rdlock(&reg_lock);
        arm_timer(run_timers());
        pthread_rwlock_unlock(&reg_lock);
        n = epoll_wait(epfd, evs, 32, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (i = 0; i < n; i++) {
            uint32_t tag = evs[i].data.u32;
            if (tag == WAKE_TAG || tag == TIMER_TAG) {
                (void)!read(tag == WAKE_TAG ? wakefd : timerfd, &junk, sizeof(junk));
                continue;
            }
            pthread_rwlock_rdlock(&reg_lock);
            if (tag >= 1 && tag <= SG_SPAN_MAX && spans[tag] != NULL)
                spans[tag]->ops->on_readable(spans[tag], span_now_ns());
            pthread_rwlock_unlock(&reg_lock);
        }
    }
    return NULL;
}

static int ensure_thread(void)
{
    struct epoll_event ev;
    int rc = SG_OK;

    pthread_mutex_lock(&thread_lock);
    if (thread_started)
        goto out;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd < 0 || wakefd < 0 || timerfd < 0) {
        rc = SG_EIO;
        goto out;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = WAKE_TAG;
    epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev);
    ev.data.u32 = TIMER_TAG;
    epoll_ctl(epfd, EPOLL_CTL_ADD, timerfd, &ev);
    if (pthread_create(&span_thread, NULL, span_thread_main, NULL) != 0) {
        rc = SG_EIO;
        goto out;
    }
    pthread_setname_np(span_thread, "sg-span");
    thread_started = 1;
out:
    if (rc != SG_OK) {
        if (epfd >= 0)
            close(epfd);
        if (wakefd >= 0)
            close(wakefd);
        if (timerfd >= 0)
            close(timerfd);
        epfd = wakefd = timerfd = -1;
    }
    pthread_mutex_unlock(&thread_lock);
    return rc;
}

int sg_span_open(const sg_span_config_t *cfg)
{
    struct epoll_event ev;
    span_t *s = NULL;
    unsigned h;
    int rc;

    pthread_once(&reg_once, reg_init);
    if (cfg == NULL || cfg->struct_size != sizeof(*cfg))
        return SG_EINVAL;
    if (cfg->kind != SG_SPAN_E1 && cfg->kind != SG_SPAN_T1)
        return SG_EINVAL;
    if (cfg->role != SG_SPAN_NETWORK && cfg->role != SG_SPAN_USER)
        return SG_EINVAL;
    rc = ensure_thread();
    if (rc != SG_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return SG_ENOMEM;
    s->ops = &vspan_ops;
    s->kind = (int)cfg->kind;
    s->role = (int)cfg->role;
    s->timeslots = cfg->kind == SG_SPAN_E1 ? 31 : 24;
    s->dchan_ts = cfg->kind == SG_SPAN_E1 ? 16 : 24;
    atomic_init(&s->users, 0);

    pthread_rwlock_wrlock(&reg_lock);
    for (h = 1; h <= SG_SPAN_MAX && spans[h] != NULL; h++)
        ;
    if (h > SG_SPAN_MAX) {
        rc = SG_EBUSY;
        goto out_unlock;
    }
    s->handle = (int)h;
    rc = s->ops->open(s, cfg);
    if (rc != SG_OK)
        goto out_unlock;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = h;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->ops->io_fd(s), &ev) < 0) {
        s->ops->close(s);
        rc = SG_EIO;
        goto out_unlock;
    }
    s->deadline_ns = 0;
    spans[h] = s;
    s = NULL;
    rc = (int)h;
out_unlock:
    pthread_rwlock_unlock(&reg_lock);
    free(s);
    if (rc > 0)
        wake_thread();
    return rc;
}

int sg_span_close(int handle)
{
    span_t *s;
    int rc = SG_OK;

    pthread_once(&reg_once, reg_init);
    if (handle < 1 || handle > (int)SG_SPAN_MAX)
        return SG_ENOENT;
    pthread_rwlock_wrlock(&reg_lock);
    s = spans[handle];
    if (s == NULL) {
        rc = SG_ENOENT;
        goto out;
    }
    if (atomic_load(&s->users) > 0) {
        rc = SG_EBUSY;
        goto out;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, s->ops->io_fd(s), NULL);
    spans[handle] = NULL;
    s->ops->close(s);
    free(s);
    (void)events_post(SG_SUBSYS_SPAN, SG_SPAN_EV_CLOSED, (uint32_t)handle, NULL, 0);
out:
    pthread_rwlock_unlock(&reg_lock);
    return rc;
}

span_t *span_attach(int handle)
{
    span_t *s = NULL;

    pthread_once(&reg_once, reg_init);
    if (handle < 1 || handle > (int)SG_SPAN_MAX)
        return NULL;
    pthread_rwlock_rdlock(&reg_lock);
    s = spans[handle];
    if (s != NULL)
        atomic_fetch_add(&s->users, 1);
    pthread_rwlock_unlock(&reg_lock);
    return s;
}

void span_detach(span_t *s)
{
    if (s != NULL)
        atomic_fetch_sub(&s->users, 1);
}

/* Runs fn on the span with the registry held shared. */
#define WITH_SPAN(handle, s, body)                                  \
    do {                                                            \
        pthread_once(&reg_once, reg_init);                          \
        if ((handle) < 1 || (handle) > (int)SG_SPAN_MAX)            \
            return SG_ENOENT;                                       \
        pthread_rwlock_rdlock(&reg_lock);                           \
        (s) = spans[(handle)];                                      \
        if ((s) == NULL) {                                          \
            pthread_rwlock_unlock(&reg_lock);                       \
            return SG_ENOENT;                                       \
        }                                                           \
        body;                                                       \
        pthread_rwlock_unlock(&reg_lock);                           \
    } while (0)

int sg_span_stats(int handle, sg_span_stats_t *out, uint32_t size)
{
    span_t *s;

    if (out == NULL || size != sizeof(*out))
        return SG_EINVAL;
    WITH_SPAN(handle, s, {
        memset(out, 0, sizeof(*out));
        out->struct_size = sizeof(*out);
        s->ops->stats(s, out);
    });
    return SG_OK;
}

int sg_span_write(int handle, int ts, const uint8_t *samples, int n)
{
    span_t *s;
    int rc;

    if (samples == NULL || n < 0)
        return SG_EINVAL;
    WITH_SPAN(handle, s, {
        rc = span_is_bchan(s, ts) ? s->ops->write(s, ts, samples, n) : SG_EINVAL;
    });
    return rc;
}

int sg_span_read(int handle, int ts, uint8_t *samples, int n)
{
    span_t *s;
    int rc;

    if (samples == NULL || n < 0)
        return SG_EINVAL;
    WITH_SPAN(handle, s, {
        rc = span_is_bchan(s, ts) ? s->ops->read(s, ts, samples, n) : SG_EINVAL;
    });
    return rc;
}

int sg_span_timeslots(int handle)
{
    span_t *s;
    int rc;

    WITH_SPAN(handle, s, { rc = s->timeslots; });
    return rc;
}

int sg_span_dchannel(int handle)
{
    span_t *s;
    int rc;

    WITH_SPAN(handle, s, { rc = s->dchan_ts; });
    return rc;
}

int sg_span_inject(int handle, int kind, const uint8_t *data, int n)
{
    span_t *s;
    int rc;

    if (data == NULL || n < 1 || n > 512)
        return SG_EINVAL;
    if (kind == SG_SPAN_INJECT_FRAME && n > 260)
        return SG_EINVAL;
    if (kind == SG_SPAN_INJECT_MANGLE && n != 3)
        return SG_EINVAL;
    if (kind < SG_SPAN_INJECT_RAW || kind > SG_SPAN_INJECT_MANGLE)
        return SG_EINVAL;
    WITH_SPAN(handle, s, {
        if (s->ops != &vspan_ops)
            rc = SG_ENOSYS;
        else if (kind == SG_SPAN_INJECT_RAW)
            rc = vspan_inject_dchan_octets(s, data, (unsigned)n);
        else if (kind == SG_SPAN_INJECT_FRAME)
            rc = s->ops->dchan_send(s, data, n);
        else
            rc = vspan_mangle_next_iframe(s, data[0], data[1], data[2]);
    });
    return rc;
}

int sg_span_set_ais(int handle, int on)
{
    span_t *s;
    int rc;

    WITH_SPAN(handle, s, { rc = s->ops->set_ais(s, on); });
    return rc;
}
