/* PRI signalling: one thread runs every span's D-channel through libpri.
 *
 * The thread owns every `struct pri` and `q931_call *` outright. Other threads reach it
 * through a command queue (mutex + eventfd); it reports through event records. Call state
 * that other threads may read (numbers, names, channel) lives in the call table, guarded
 * by `sgpri_tbl_lock`, which the thread takes only briefly and never around a libpri call that
 * could call back into this file.
 *
 * libpri facts this file relies on (shared/research/native.md section 1):
 * - io callbacks: a write carries 2 FCS placeholder bytes we drop; a read must append 2;
 * - pri_check_event() handles one frame and returns NULL for "nothing" and for "no event",
 *   so io_read flags that it read something and we loop while it does;
 * - pri_schedule_run() returns one event per call; timers are absolute gettimeofday times;
 * - the pri_event lives inside the controller until the next libpri call: copy, never keep;
 * - pri_set_message/pri_set_error are process-global;
 * - a struct pri cannot be freed: closed spans keep theirs in `retired`;
 * - PRI_EVENT_DCHAN_UP means Q.921 is established at OUR end only: see link_update(). */
#define _GNU_SOURCE
#include <errno.h>
#include <libpri.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>
#include "core/events.h"
#include "pri/pri_int.h"
#include "span/span.h"
#include "spangate/pri.h"
#include "spangate/span.h"

/* Exported by libpri 1.4-1.6 though not in libpri.h: whether libpri still holds the call.
 * pri_hangup() frees a call at once when it answers with RELEASE COMPLETE (causes such as
 * 1 or 3 in early states) and reports nothing, so this is the only way to know. */
int q931_is_call_valid(struct pri *ctrl, q931_call *call);

_Static_assert(sizeof(sg_pri_ev_t) == SG_EVENT_PAYLOAD, "sg_pri_ev_t must fill the event payload exactly");

#define CMDQ_LEN 1024u

pthread_mutex_t sgpri_tbl_lock = PTHREAD_MUTEX_INITIALIZER;
pri_span_t *sgpri_spans[SG_SPAN_MAX + 1];
pri_call_t sgpri_calls[PRI_MAX_CALLS];
static uint32_t call_gen = 1;
/* Controllers of closed spans: libpri has no destructor, so they stay reachable here. */
static struct pri *retired[SG_SPAN_MAX * 8];
static unsigned nretired;

static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;
static pri_cmd_t cmdq[CMDQ_LEN];
static unsigned cmd_head, cmd_count;
static int cmdfd = -1;
static int thread_started;
static pthread_t pri_thread;

/* ---- helpers ---- */

static uint64_t now_ns(void)
{
    return span_now_ns();
}

void sgpri_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src == NULL ? 0 : strnlen(src, cap - 1);

    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void post(uint16_t type, uint32_t handle, const pri_span_t *ps, int channel, int cause,
                 unsigned flags, unsigned progress, uint32_t aux, const char *digits)
{
    sg_pri_ev_t ev;

    memset(&ev, 0, sizeof(ev));
    ev.span = (uint16_t)ps->handle;
    ev.channel = (uint16_t)(channel > 0 ? channel : 0);
    ev.cause = (uint8_t)(cause > 0 && cause < 128 ? cause : 0);
    ev.flags = (uint8_t)flags;
    ev.progress = (uint16_t)progress;
    ev.aux = aux;
    sgpri_copy_str(ev.digits, sizeof(ev.digits), digits);
    (void)events_post(SG_SUBSYS_PRI, type, handle, &ev, sizeof(ev));
}

/* Call table: handle = generation << 11 | index. Caller holds sgpri_tbl_lock. */
pri_call_t *sgpri_call_by_handle_locked(uint32_t h)
{
    uint32_t idx = h & (PRI_MAX_CALLS - 1);

    if (h == 0 || idx == 0 || atomic_load(&sgpri_calls[idx].handle) != h)
        return NULL;
    return &sgpri_calls[idx];
}

pri_call_t *sgpri_call_alloc_locked(pri_span_t *ps, int direction)
{
    uint32_t i;

    for (i = 1; i < PRI_MAX_CALLS; i++) {
        if (atomic_load(&sgpri_calls[i].handle) == 0) {
            sgpri_calls[i].ps = ps;
            sgpri_calls[i].call = NULL;
            sgpri_calls[i].digit_deadline_ns = 0;
            sgpri_calls[i].proceeding_sent = 0;
            memset(&sgpri_calls[i].info, 0, sizeof(sgpri_calls[i].info));
            sgpri_calls[i].info.struct_size = sizeof(sgpri_calls[i].info);
            sgpri_calls[i].info.span = ps->handle;
            sgpri_calls[i].info.direction = (uint32_t)direction;
            call_gen = (call_gen + 1) & 0x1fffff;
            if (call_gen == 0)
                call_gen = 1;
            atomic_store(&sgpri_calls[i].handle, (call_gen << 11) | i);
            return &sgpri_calls[i];
        }
    }
    return NULL;
}

/* PRI thread: the call record for a libpri call. */
static pri_call_t *call_by_q931(pri_span_t *ps, q931_call *c)
{
    uint32_t i;

    if (c == NULL)
        return NULL;
    for (i = 1; i < PRI_MAX_CALLS; i++)
        if (atomic_load(&sgpri_calls[i].handle) != 0 && sgpri_calls[i].ps == ps && sgpri_calls[i].call == c)
            return &sgpri_calls[i];
    return NULL;
}

/* PRI thread: forgets a call and frees its channel. */
static void call_free(pri_call_t *pc)
{
    pri_span_t *ps = pc->ps;

    pthread_mutex_lock(&sgpri_tbl_lock);
    if (pc->info.channel > 0 && pc->info.channel <= 31 && ps->chan_call[pc->info.channel] == pc)
        ps->chan_call[pc->info.channel] = NULL;
    pc->call = NULL;
    pc->digit_deadline_ns = 0;
    atomic_store(&pc->handle, 0);
    pthread_mutex_unlock(&sgpri_tbl_lock);
}

static void call_set_channel(pri_call_t *pc, int ch)
{
    pri_span_t *ps = pc->ps;

    pthread_mutex_lock(&sgpri_tbl_lock);
    if (pc->info.channel > 0 && ps->chan_call[pc->info.channel] == pc)
        ps->chan_call[pc->info.channel] = NULL;
    pc->info.channel = ch;
    if (ch > 0)
        ps->chan_call[ch] = pc;
    pthread_mutex_unlock(&sgpri_tbl_lock);
}

/* Posts the final HANGUP and frees the record. */
static void call_finish(pri_call_t *pc, int cause, unsigned flags)
{
    pri_span_t *ps = pc->ps;
    uint32_t h = atomic_load(&pc->handle);
    int ch = pc->info.channel;

    call_free(pc);
    post(SG_PRI_EV_HANGUP, h, ps, ch, cause, flags, 0, 0, NULL);
}

static int chan_of(int pri_channel)
{
    return pri_channel < 0 ? -1 : (pri_channel & 0xff);
}

/* Whether ch can carry a new call: a B-channel, in service, idle. */
static int chan_usable(const pri_span_t *ps, int ch)
{
    return span_is_bchan(ps->span, ch) && !ps->chan_oos[ch] && ps->chan_call[ch] == NULL;
}

/* Picks a free channel: the network side from the top, the user side from the bottom, so
 * the two ends rarely collide (glare). 0 when none. */
static int chan_pick(const pri_span_t *ps)
{
    int ch, n = ps->span->timeslots;

    if (ps->cfg.side == SG_PRI_NETWORK) {
        for (ch = n; ch >= 1; ch--)
            if (chan_usable(ps, ch))
                return ch;
    } else {
        for (ch = 1; ch <= n; ch++)
            if (chan_usable(ps, ch))
                return ch;
    }
    return 0;
}

static void party_from_pri(sg_pri_party_t *p, const char *num, int plan, int pres, const char *name)
{
    sgpri_copy_str(p->number, sizeof(p->number), num);
    sgpri_copy_str(p->name, sizeof(p->name), name);
    p->ton = (uint8_t)((plan >> 4) & 0x07);
    p->npi = (uint8_t)(plan & 0x0f);
    p->pres = (uint8_t)(pres & 0x7f);
}

/* ---- D-channel readiness ----
 *
 * libpri reports PRI_EVENT_DCHAN_UP when Q.921 reaches multiple-frame established at OUR
 * end, which says nothing about the far end. Both ends send SABME when they start (point to
 * point); an end still waiting for the UA to its own SABME (AWAITING_ESTABLISHMENT) answers
 * the other's SABME with UA but stays there, ignoring I-frames, until its T200 (1 s) sends
 * the SABME again. That is the normal case when one end starts first and its first SABME
 * is lost: the late end gets UA at once and is "up" for up to T200 while the early one is
 * not. A SETUP sent then is ignored by the far end; when the far end's repeated SABME
 * arrives, our Q.921 discards the unacknowledged SETUP (v_s != v_a: DL-ESTABLISH
 * indication) and our Q.931 sends STATUS for the call; the far end, which has no such call,
 * clears it with cause 101 (Q.931 5.8.11). This is layer 2 on every switchtype; a layer-3
 * handshake at link up (a RESTART and its ACKNOWLEDGE, which libpri does not send by itself)
 * would be discarded in that window just the same.
 *
 * So the span is reported up (SG_PRI_EV_DCHAN_UP, dchan_up) only once the frames show that
 * the far end's Q.921 is established as well:
 * - it sent an I- or S-frame (only sent in multiple-frame established / timer recovery), or
 * - we sent a UA (our answer to its SABME, which establishes it when it arrives);
 * and the line has no LOS/AIS (calls fail with 38 in alarm). When our link is up without
 * that evidence, an RR command with P=1 (a Q.921 enquiry, as on T203 expiry) is sent every
 * T200: an established far end answers it with an RR response, one still awaiting
 * establishment ignores it and sends its SABME again within T200. The enquiry carries
 * N(R) 0, which is our V(R): no I-frame has arrived since our link was established (one
 * would have been evidence). Frames for SAPI 0 only (TEI management is not used on PRI). */

#define LINK_DOWN_ALARMS (SG_SPAN_ALARM_LOS | SG_SPAN_ALARM_AIS)

static int q921_sapi0(const uint8_t *f, int n)
{
    return n >= 3 && (f[0] & 0xfd) == 0x00 && (f[1] & 0x01) == 0x01;
}

static void link_rx(pri_span_t *ps, const uint8_t *f, int n)
{
    /* I-frame: control bit 0 clear; S-frame: bits 1..0 = 01. Both have a 2-byte control. */
    if (q921_sapi0(f, n) && n >= 4 && ((f[2] & 0x01) == 0 || (f[2] & 0x03) == 0x01))
        ps->peer_ready = 1;
}

static void link_tx(pri_span_t *ps, const uint8_t *f, int n)
{
    if (q921_sapi0(f, n) && (f[2] & 0xef) == 0x63) /* UA, either F bit */
        ps->peer_ready = 1;
}

static void link_reset(pri_span_t *ps)
{
    ps->l2_up = 0;
    ps->peer_ready = 0;
    ps->probe_at_ns = 0;
}

static void link_probe(pri_span_t *ps)
{
    uint8_t f[4];

    /* Address: SAPI 0, C/R = command (1 from the network, 0 from the user), TEI 0. */
    f[0] = ps->cfg.side == SG_PRI_NETWORK ? 0x02 : 0x00;
    f[1] = 0x01;
    f[2] = 0x01;        /* RR */
    f[3] = 0x01;        /* N(R) 0, P 1 */
    (void)ps->span->ops->dchan_send(ps->span, f, sizeof(f));
}

/* Reports the span up once both ends are established (above); probes meanwhile. */
static void link_update(pri_span_t *ps)
{
    uint64_t now;

    if (ps->pri == NULL || !ps->l2_up || atomic_load(&ps->dchan_up))
        return;
    if (ps->peer_ready) {
        /* No more enquiries (a deadline left behind would keep the poll timeout at 0). */
        ps->probe_at_ns = 0;
        if (!(ps->alarms & LINK_DOWN_ALARMS)) {
            atomic_store(&ps->dchan_up, 1);
            post(SG_PRI_EV_DCHAN_UP, (uint32_t)ps->handle, ps, 0, 0, 0, 0, 0, NULL);
        }
        return;
    }
    now = now_ns();
    if (ps->probe_at_ns <= now) {
        link_probe(ps);
        ps->probe_at_ns = now + (uint64_t)(ps->cfg.t200_ms ? ps->cfg.t200_ms : 1000) * 1000000ull;
    }
}

/* ---- libpri glue ---- */

static int io_read(struct pri *p, void *buf, int buflen)
{
    pri_span_t *ps = pri_get_userdata(p);
    int n;

    if (ps == NULL || buflen < 3)
        return 0;
    n = ps->span->ops->dchan_recv(ps->span, buf, buflen - 2);
    if (n <= 0)
        return 0;
    ps->got_data = 1;
    link_rx(ps, buf, n);
    /* libpri strips a 2-byte FCS from every frame it reads. */
    memset((uint8_t *)buf + n, 0, 2);
    return n + 2;
}

static int io_write(struct pri *p, void *buf, int buflen)
{
    pri_span_t *ps = pri_get_userdata(p);

    if (ps == NULL || buflen < 2)
        return buflen;
    /* The last 2 bytes are room for the FCS; the HDLC transmitter makes the real one.
     * A refused frame is a lost frame: Q.921 recovers it. */
    link_tx(ps, buf, buflen - 2);
    (void)ps->span->ops->dchan_send(ps->span, buf, buflen - 2);
    return buflen;
}

static void pri_msg_cb(struct pri *p, char *s)
{
    (void)p;
    (void)s; /* Q.921/Q.931 dumps are off: nothing prints from the signalling thread */
}

static void pri_err_cb(struct pri *p, char *s)
{
    pri_span_t *ps = p != NULL ? pri_get_userdata(p) : NULL;
    size_t n;

    if (ps == NULL || s == NULL)
        return;
    atomic_fetch_add(&ps->protocol_errors, 1);
    pthread_mutex_lock(&sgpri_tbl_lock);
    sgpri_copy_str(ps->last_error, sizeof(ps->last_error), s);
    n = strlen(ps->last_error);
    while (n > 0 && (ps->last_error[n - 1] == '\n' || ps->last_error[n - 1] == '\r'))
        ps->last_error[--n] = '\0';
    pthread_mutex_unlock(&sgpri_tbl_lock);
}

int sgpri_switch_to_pri(uint32_t sw, int e1)
{
    switch (sw) {
    case SG_PRI_SW_NI2: return PRI_SWITCH_NI2;
    case SG_PRI_SW_DMS100: return PRI_SWITCH_DMS100;
    case SG_PRI_SW_4ESS: return PRI_SWITCH_ATT4ESS;
    case SG_PRI_SW_5ESS: return PRI_SWITCH_LUCENT5E;
    case SG_PRI_SW_EUROISDN: return e1 ? PRI_SWITCH_EUROISDN_E1 : PRI_SWITCH_EUROISDN_T1;
    case SG_PRI_SW_QSIG: return PRI_SWITCH_QSIG;
    default: return -1;
    }
}

/* ---- command queue ---- */

int sgpri_cmd_push(const pri_cmd_t *c)
{
    uint64_t one = 1;
    int rc = SG_OK;

    pthread_mutex_lock(&cmd_lock);
    if (cmd_count == CMDQ_LEN) {
        rc = SG_EBUSY;
    } else {
        cmdq[(cmd_head + cmd_count) % CMDQ_LEN] = *c;
        cmd_count++;
        (void)!write(cmdfd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&cmd_lock);
    return rc;
}

static int cmd_pop(pri_cmd_t *c)
{
    uint64_t junk;
    int got = 0;

    pthread_mutex_lock(&cmd_lock);
    if (cmd_count > 0) {
        *c = cmdq[cmd_head];
        cmd_head = (cmd_head + 1) % CMDQ_LEN;
        cmd_count--;
        got = 1;
    }
    if (cmd_count == 0)
        (void)!read(cmdfd, &junk, sizeof(junk));
    pthread_mutex_unlock(&cmd_lock);
    return got;
}

/* Span thread: an alarm change becomes a command for the PRI thread. */
static void alarm_listener(int span, uint32_t alarms, uint32_t previous)
{
    pri_cmd_t c;

    memset(&c, 0, sizeof(c));
    c.op = PRI_CMD_ALARM;
    c.span = span;
    c.arg1 = (int)alarms;
    c.arg2 = (int)previous;
    (void)sgpri_cmd_push(&c);
}

/* ---- the thread ---- */

static void clear_calls(pri_span_t *ps, int channel, int cause, unsigned flags)
{
    uint32_t i;

    for (i = 1; i < PRI_MAX_CALLS; i++) {
        pri_call_t *pc = &sgpri_calls[i];
        if (atomic_load(&pc->handle) == 0 || pc->ps != ps)
            continue;
        if (channel > 0 && pc->info.channel != channel)
            continue;
        if (pc->call != NULL)
            pri_destroycall(ps->pri, pc->call);
        call_finish(pc, cause, flags);
    }
}

/* Finishes the calls libpri has dropped on its own (link failure, timers). */
static void sweep_calls(pri_span_t *ps)
{
    uint32_t i;

    for (i = 1; i < PRI_MAX_CALLS; i++) {
        pri_call_t *pc = &sgpri_calls[i];
        if (atomic_load(&pc->handle) != 0 && pc->ps == ps && pc->call != NULL &&
            !q931_is_call_valid(ps->pri, pc->call))
            call_finish(pc, PRI_CAUSE_NETWORK_OUT_OF_ORDER, 0);
    }
}

static void run_cmd(const pri_cmd_t *c);
static void handle_event(pri_span_t *ps, const pri_event *e);

static void drain_span(pri_span_t *ps)
{
    pri_event *e;
    int guard = 1024;

    do {
        ps->got_data = 0;
        e = pri_check_event(ps->pri);
        if (e != NULL)
            handle_event(ps, e);
    } while (ps->got_data && ps->pri != NULL && --guard > 0);
}

static void run_schedule(pri_span_t *ps)
{
    pri_event *e;
    int guard = 1024;

    while (ps->pri != NULL && --guard > 0 && (e = pri_schedule_run(ps->pri)) != NULL)
        handle_event(ps, e);
}

/* Milliseconds until the nearest libpri timer or digit timeout, -1 for none. */
static int next_timeout_ms(pri_span_t *const *live, int nlive)
{
    struct timeval now;
    int64_t best = -1, ms;
    uint64_t mono = now_ns();
    unsigned i;
    int k;

    gettimeofday(&now, NULL);
    for (k = 0; k < nlive; k++) {
        struct timeval *tv = pri_schedule_next(live[k]->pri);
        if (tv == NULL)
            continue;
        /* libpri timers are absolute wall-clock times. */
        ms = ((int64_t)tv->tv_sec - now.tv_sec) * 1000 + ((int64_t)tv->tv_usec - now.tv_usec + 999) / 1000;
        if (ms < 0)
            ms = 0;
        if (best < 0 || ms < best)
            best = ms;
    }
    for (k = 0; k < nlive * 2; k++) {
        uint64_t d = k < nlive ? live[k]->alarm_deadline_ns : live[k - nlive]->probe_at_ns;
        if (d == 0)
            continue;
        ms = d <= mono ? 0 : (int64_t)((d - mono + 999999) / 1000000);
        if (best < 0 || ms < best)
            best = ms;
    }
    for (i = 1; i < PRI_MAX_CALLS; i++) {
        if (atomic_load(&sgpri_calls[i].handle) == 0 || sgpri_calls[i].digit_deadline_ns == 0)
            continue;
        ms = sgpri_calls[i].digit_deadline_ns <= mono ? 0 : (int64_t)((sgpri_calls[i].digit_deadline_ns - mono + 999999) / 1000000);
        if (best < 0 || ms < best)
            best = ms;
    }
    if (best > 60000)
        best = 60000;
    return (int)best;
}

static void offer_call(pri_call_t *pc)
{
    unsigned flags = (pc->info.exclusive ? SG_PRI_F_EXCLUSIVE : 0) | (pc->info.complete ? SG_PRI_F_COMPLETE : 0);

    pc->digit_deadline_ns = 0;
    /* The number is complete: answer the SETUP at once (stops the far end's T303). libpri
     * cannot clear a call still in Call Present state with a cause, so this also lets the
     * upper layer refuse the call with any cause later. */
    if (!pc->proceeding_sent && pc->call != NULL) {
        pri_proceeding(pc->ps->pri, pc->call, pc->info.channel, 0);
        pc->proceeding_sent = 1;
    }
    pthread_mutex_lock(&sgpri_tbl_lock);
    pc->info.state = SG_PRI_CS_RINGING_IN;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    atomic_fetch_add(&pc->ps->calls_in, 1);
    post(SG_PRI_EV_RING, atomic_load(&pc->handle), pc->ps, pc->info.channel, 0, flags, pc->info.progress, 0,
         pc->info.called.number);
}

/* Clears the calls of spans whose alarm outlasted its integration time. PRI thread. */
static void check_alarm_deadlines(pri_span_t *const *live, int nlive)
{
    uint64_t now = now_ns();
    int k;

    for (k = 0; k < nlive; k++) {
        pri_span_t *ps = live[k];
        if (ps->alarm_deadline_ns != 0 && ps->alarm_deadline_ns <= now) {
            ps->alarm_deadline_ns = 0;
            clear_calls(ps, 0, PRI_CAUSE_NETWORK_OUT_OF_ORDER, SG_PRI_F_LOCAL);
        }
    }
}

static void check_digit_timeouts(void)
{
    uint64_t now = now_ns();
    uint32_t i;

    for (i = 1; i < PRI_MAX_CALLS; i++) {
        if (atomic_load(&sgpri_calls[i].handle) != 0 && sgpri_calls[i].digit_deadline_ns != 0 &&
            sgpri_calls[i].digit_deadline_ns <= now)
            offer_call(&sgpri_calls[i]);
    }
}

/* The spans whose controller runs; PRI thread. */
static int live_spans(pri_span_t **live)
{
    unsigned h;
    int n = 0;

    pthread_mutex_lock(&sgpri_tbl_lock);
    for (h = 1; h <= SG_SPAN_MAX; h++)
        if (sgpri_spans[h] != NULL && sgpri_spans[h]->pri != NULL)
            live[n++] = sgpri_spans[h];
    pthread_mutex_unlock(&sgpri_tbl_lock);
    return n;
}

static void *pri_thread_main(void *arg)
{
    struct pollfd pfd[SG_SPAN_MAX + 1];
    pri_span_t *live[SG_SPAN_MAX];
    pri_cmd_t c;
    int n, k, rc;

    (void)arg;
    for (;;) {
        n = live_spans(live);
        pfd[0].fd = cmdfd;
        pfd[0].events = POLLIN;
        for (k = 0; k < n; k++) {
            pfd[k + 1].fd = live[k]->span->ops->dchan_fd(live[k]->span);
            pfd[k + 1].events = POLLIN;
        }
        rc = poll(pfd, (nfds_t)n + 1, next_timeout_ms(live, n));
        if (rc < 0 && errno != EINTR)
            break;
        /* Frames first, so a command about a call sees the latest state. */
        for (k = 0; k < n; k++)
            if (rc > 0 && (pfd[k + 1].revents & POLLIN))
                drain_span(live[k]);
        for (k = 0; k < n; k++)
            run_schedule(live[k]);
        while (cmd_pop(&c))
            run_cmd(&c);
        check_digit_timeouts();
        n = live_spans(live);
        check_alarm_deadlines(live, n);
        for (k = 0; k < n; k++)
            link_update(live[k]);
    }
    return NULL;
}

int sgpri_ensure_thread(void)
{
    int rc = SG_OK;

    pthread_mutex_lock(&cmd_lock);
    if (thread_started)
        goto out;
    cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (cmdfd < 0) {
        rc = SG_EIO;
        goto out;
    }
    pri_set_message(pri_msg_cb);
    pri_set_error(pri_err_cb);
    span_set_alarm_listener(alarm_listener);
    if (pthread_create(&pri_thread, NULL, pri_thread_main, NULL) != 0) {
        close(cmdfd);
        cmdfd = -1;
        rc = SG_EIO;
        goto out;
    }
    pthread_setname_np(pri_thread, "sg-pri");
    thread_started = 1;
out:
    pthread_mutex_unlock(&cmd_lock);
    return rc;
}

/* ---- libpri events (PRI thread) ---- */

static void on_ring(pri_span_t *ps, const pri_event_ring *r)
{
    pri_call_t *pc;
    int want = chan_of(r->channel), ch = 0, cause = 0;

    /* B-channel selection: the requested channel when free; another one only when the
     * request was preferred (not exclusive). */
    if (want > 0 && chan_usable(ps, want))
        ch = want;
    else if (want > 0 && !r->flexible)
        cause = span_is_bchan(ps->span, want) ? PRI_CAUSE_REQUESTED_CHAN_UNAVAIL
                                               : PRI_CAUSE_IDENTIFIED_CHANNEL_NOTEXIST;
    else if ((ch = chan_pick(ps)) == 0)
        cause = PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
    pthread_mutex_lock(&sgpri_tbl_lock);
    pc = cause == 0 ? sgpri_call_alloc_locked(ps, 1) : NULL;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (cause == 0 && pc == NULL)
        cause = PRI_CAUSE_SWITCH_CONGESTION;
    if (cause != 0) {
        atomic_fetch_add(&ps->rejected, 1);
        pri_hangup(ps->pri, r->call, cause);
        return;
    }
    pc->call = r->call;
    pthread_mutex_lock(&sgpri_tbl_lock);
    party_from_pri(&pc->info.calling, r->callingnum, r->callingplan, r->callingpres, r->callingname);
    /* Newer libpri fills the party structure too; QSIG names arrive only there. */
    if (r->calling.name.valid && r->calling.name.str[0] != '\0')
        sgpri_copy_str(pc->info.calling.name, sizeof(pc->info.calling.name), r->calling.name.str);
    party_from_pri(&pc->info.called, r->callednum, r->calledplan, 0, NULL);
    pc->info.exclusive = r->flexible ? 0 : 1;
    pc->info.complete = r->complete ? 1 : 0;
    pc->info.bearer = (uint32_t)r->ctype;
    pc->info.layer1 = (uint32_t)r->layer1;
    pc->info.progress = (uint32_t)r->progressmask;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    call_set_channel(pc, ch);
    if (ps->cfg.overlap && !r->complete) {
        pthread_mutex_lock(&sgpri_tbl_lock);
        pc->info.state = SG_PRI_CS_OVERLAP;
        pthread_mutex_unlock(&sgpri_tbl_lock);
        pc->digit_deadline_ns = now_ns() + (uint64_t)ps->cfg.digit_timeout_ms * 1000000ull;
        pri_need_more_info(ps->pri, r->call, ch, 0);
        return;
    }
    offer_call(pc);
}

static void on_info(pri_span_t *ps, q931_call *c, const char *digits, int complete)
{
    pri_call_t *pc = call_by_q931(ps, c);
    size_t have, add;
    uint32_t h;

    if (pc == NULL || digits == NULL)
        return;
    h = atomic_load(&pc->handle);
    if (pc->info.state != SG_PRI_CS_OVERLAP) {
        post(SG_PRI_EV_DIGITS, h, ps, pc->info.channel, 0, 0, 0, 0, digits);
        return;
    }
    pthread_mutex_lock(&sgpri_tbl_lock);
    have = strlen(pc->info.called.number);
    add = strnlen(digits, sizeof(pc->info.called.number) - 1 - have);
    memcpy(pc->info.called.number + have, digits, add);
    pc->info.called.number[have + add] = '\0';
    if (complete)
        pc->info.complete = 1;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (complete || strchr(digits, '#') != NULL)
        offer_call(pc);
    else
        pc->digit_deadline_ns = now_ns() + (uint64_t)ps->cfg.digit_timeout_ms * 1000000ull;
}

static void on_progress(pri_span_t *ps, q931_call *c, int type, int channel, int mask, int state, int cause)
{
    pri_call_t *pc = call_by_q931(ps, c);
    int ch = chan_of(channel);

    if (pc == NULL)
        return;
    if (ch > 0 && ch != pc->info.channel && span_is_bchan(ps->span, ch)) {
        /* The far end re-selected the channel. If we hold it for another call this is glare
         * the far end won: it decides, and the clash is counted. */
        if (ps->chan_call[ch] != NULL && ps->chan_call[ch] != pc)
            atomic_fetch_add(&ps->protocol_errors, 1);
        call_set_channel(pc, ch);
    }
    pthread_mutex_lock(&sgpri_tbl_lock);
    if (state != 0)
        pc->info.state = (uint32_t)state;
    if (mask > 0)
        pc->info.progress = (uint32_t)mask;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (cause > 0 && cause < 128) {
        pthread_mutex_lock(&sgpri_tbl_lock);
        pc->info.cause = (uint32_t)cause;
        pthread_mutex_unlock(&sgpri_tbl_lock);
    }
    post((uint16_t)type, atomic_load(&pc->handle), ps, pc->info.channel, cause,
         (mask > 0 && (mask & PRI_PROG_INBAND_AVAILABLE)) ? SG_PRI_F_INBAND : 0,
         mask > 0 ? (unsigned)mask : 0, 0, NULL);
}

static void on_restart(pri_span_t *ps, int channel, int ack)
{
    int ch = chan_of(channel);

    if (ack) {
        post(SG_PRI_EV_RESTART_ACK, (uint32_t)ps->handle, ps, ch > 0 ? ch : 0, 0, 0, 0, 0, NULL);
        return;
    }
    /* The far end restarted the channel (or the interface): its calls are gone. libpri has
     * answered with RESTART ACKNOWLEDGE; our records go without messages. */
    clear_calls(ps, ch > 0 ? ch : 0, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
    post(SG_PRI_EV_RESTART, (uint32_t)ps->handle, ps, ch > 0 ? ch : 0, 0, 0, 0, 0, NULL);
}

static void handle_event(pri_span_t *ps, const pri_event *e)
{
    pri_call_t *pc;

    switch (e->e) {
    case PRI_EVENT_DCHAN_UP:
        /* Our end only: reported by link_update() once the far end is up too. */
        ps->l2_up = 1;
        break;
    case PRI_EVENT_DCHAN_DOWN:
        if (ps->dchan_up)
            post(SG_PRI_EV_DCHAN_DOWN, (uint32_t)ps->handle, ps, 0, 0, 0, 0, 0, NULL);
        ps->dchan_up = 0;
        link_reset(ps);
        sweep_calls(ps);
        break;
    case PRI_EVENT_RING:
        on_ring(ps, &e->ring);
        break;
    case PRI_EVENT_INFO_RECEIVED:
        on_info(ps, e->ring.call, e->ring.callednum, e->ring.complete);
        break;
    case PRI_EVENT_KEYPAD_DIGIT:
        on_info(ps, e->digit.call, e->digit.digits, 0);
        break;
    case PRI_EVENT_PROCEEDING:
        on_progress(ps, e->proceeding.call, SG_PRI_EV_PROCEEDING, e->proceeding.channel,
                    e->proceeding.progressmask, SG_PRI_CS_PROCEEDING, 0);
        break;
    case PRI_EVENT_PROGRESS:
        /* A PROGRESS may carry a cause (in-band tones before clearing, Q.931 5.3.4.1). */
        on_progress(ps, e->proceeding.call, SG_PRI_EV_PROGRESS, e->proceeding.channel,
                    e->proceeding.progressmask, 0, e->proceeding.cause);
        break;
    case PRI_EVENT_SETUP_ACK:
        on_progress(ps, e->setup_ack.call, SG_PRI_EV_SETUP_ACK, e->setup_ack.channel,
                    e->setup_ack.progressmask, 0, 0);
        break;
    case PRI_EVENT_RINGING:
        on_progress(ps, e->ringing.call, SG_PRI_EV_RINGING, e->ringing.channel,
                    e->ringing.progressmask, SG_PRI_CS_ALERTING, 0);
        break;
    case PRI_EVENT_ANSWER:
        on_progress(ps, e->answer.call, SG_PRI_EV_ANSWER, e->answer.channel,
                    e->answer.progressmask, SG_PRI_CS_ACTIVE, 0);
        break;
    case PRI_EVENT_HANGUP_REQ:
        /* DISCONNECT from the far end: release at once and report the cause. */
        pc = call_by_q931(ps, e->hangup.call);
        pri_hangup(ps->pri, e->hangup.call, e->hangup.cause);
        if (pc != NULL)
            call_finish(pc, e->hangup.cause, 0);
        break;
    case PRI_EVENT_HANGUP:
        /* RELEASE / RELEASE COMPLETE (or a libpri timeout): the call must be freed with
         * pri_hangup whether or not we still know it. */
        pc = call_by_q931(ps, e->hangup.call);
        if (pc != NULL)
            call_finish(pc, e->hangup.cause, pc->info.state == SG_PRI_CS_RELEASING ? SG_PRI_F_LOCAL : 0);
        pri_hangup(ps->pri, e->hangup.call, e->hangup.cause);
        break;
    case PRI_EVENT_HANGUP_ACK:
        /* RELEASE COMPLETE after our RELEASE: libpri has freed the call. */
        pc = call_by_q931(ps, e->hangup.call);
        if (pc != NULL)
            call_finish(pc, e->hangup.cause, SG_PRI_F_LOCAL);
        break;
    case PRI_EVENT_RESTART:
        on_restart(ps, e->restart.channel, 0);
        break;
    case PRI_EVENT_RESTART_ACK:
        on_restart(ps, e->restartack.channel, 1);
        break;
    case PRI_EVENT_SERVICE: {
        int ch = chan_of(e->service.channel);
        if (span_is_bchan(ps->span, ch)) {
            pthread_mutex_lock(&sgpri_tbl_lock);
            ps->chan_oos[ch] = e->service.changestatus != 0;
            pthread_mutex_unlock(&sgpri_tbl_lock);
            post(SG_PRI_EV_SERVICE, (uint32_t)ps->handle, ps, ch, 0, 0, 0, (uint32_t)e->service.changestatus, NULL);
        }
        break;
    }
    case PRI_EVENT_CONFIG_ERR:
        atomic_fetch_add(&ps->protocol_errors, 1);
        break;
    default:
        break;
    }
}

/* ---- commands (PRI thread) ---- */

static void cmd_setup(pri_span_t *ps, pri_call_t *pc)
{
    struct pri_sr *sr = NULL;
    sg_pri_call_info_t in;
    char called[32], calling[32], name[48];
    int ch, cause = 0;

    pthread_mutex_lock(&sgpri_tbl_lock);
    in = pc->info;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    ch = in.channel;
    if (!ps->dchan_up || (ps->alarms & (SG_SPAN_ALARM_LOS | SG_SPAN_ALARM_AIS)))
        cause = PRI_CAUSE_NETWORK_OUT_OF_ORDER;
    else if (ch > 0 && !chan_usable(ps, ch) && in.exclusive)
        cause = PRI_CAUSE_REQUESTED_CHAN_UNAVAIL;
    else if ((ch <= 0 || !chan_usable(ps, ch)) && (ch = chan_pick(ps)) == 0)
        cause = PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
    if (cause == 0) {
        pc->call = pri_new_call(ps->pri);
        sr = pri_sr_new();
        if (pc->call == NULL || sr == NULL)
            cause = PRI_CAUSE_SWITCH_CONGESTION;
    }
    if (cause == 0) {
        call_set_channel(pc, ch);
        sgpri_copy_str(called, sizeof(called), in.called.number);
        sgpri_copy_str(calling, sizeof(calling), in.calling.number);
        sgpri_copy_str(name, sizeof(name), in.calling.name);
        pri_sr_set_channel(sr, ch, in.exclusive ? 1 : 0, 0);
        pri_sr_set_bearer(sr, in.bearer == 1 ? PRI_TRANS_CAP_3_1K_AUDIO : PRI_TRANS_CAP_SPEECH, ps->layer1);
        pri_sr_set_called(sr, called, (in.called.ton << 4) | in.called.npi, in.complete ? 1 : 0);
        pri_sr_set_caller(sr, calling[0] ? calling : NULL, name[0] ? name : NULL,
                          (in.calling.ton << 4) | in.calling.npi, in.calling.pres);
        if (pri_setup(ps->pri, pc->call, sr) != 0)
            cause = PRI_CAUSE_NORMAL_TEMPORARY_FAILURE;
        else
            atomic_fetch_add(&ps->calls_out, 1);
    }
    if (sr != NULL)
        pri_sr_free(sr);
    if (cause != 0) {
        if (pc->call != NULL)
            pri_destroycall(ps->pri, pc->call);
        pc->call = NULL;
        call_finish(pc, cause, SG_PRI_F_LOCAL);
    }
}

static void cmd_service(pri_span_t *ps, int ch, int in_service)
{
    pthread_mutex_lock(&sgpri_tbl_lock);
    ps->chan_oos[ch] = in_service ? 0 : 1;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (ps->cfg.service_messages)
        pri_maintenance_service(ps->pri, 0, ch, in_service ? 0 : 2);
}

static void cmd_open(pri_span_t *ps)
{
    int nodetype = ps->cfg.side == SG_PRI_NETWORK ? PRI_NETWORK : PRI_CPE;
    int sw = sgpri_switch_to_pri(ps->cfg.switchtype, ps->span->kind == SG_SPAN_E1);

    /* Alarm changes from here on arrive as commands; read the state they start from. */
    ps->alarms = ps->span->ops->alarms(ps->span);
    ps->pri = pri_new_cb(ps->span->ops->dchan_fd(ps->span), nodetype, sw, io_read, io_write, ps);
    if (ps->pri == NULL) {
        atomic_fetch_add(&ps->protocol_errors, 1);
        return;
    }
    pri_set_debug(ps->pri, 0);
    if (ps->cfg.t200_ms)
        pri_set_timer(ps->pri, PRI_TIMER_T200, (int)ps->cfg.t200_ms);
    if (ps->cfg.t203_ms)
        pri_set_timer(ps->pri, PRI_TIMER_T203, (int)ps->cfg.t203_ms);
    if (ps->cfg.t309_ms)
        pri_set_timer(ps->pri, PRI_TIMER_T309, (int)ps->cfg.t309_ms);
    if (ps->cfg.overlap)
        pri_set_overlapdial(ps->pri, 1);
    if (ps->cfg.switchtype == SG_PRI_SW_QSIG)
        pri_facility_enable(ps->pri); /* QSIG carries names in Facility (ROSE) */
    if (ps->cfg.service_messages)
        pri_set_service_message_support(ps->pri, 1);
    atomic_store(&ps->running, 1);
    /* Keep the controller reachable for ever: libpri cannot free it. */
    pthread_mutex_lock(&sgpri_tbl_lock);
    if (nretired < sizeof(retired) / sizeof(retired[0]))
        retired[nretired++] = ps->pri;
    pthread_mutex_unlock(&sgpri_tbl_lock);
}

static void cmd_close(pri_span_t *ps)
{
    uint32_t i;

    /* Gone for the API first, so anyone seeing the HANGUPs below finds the span closed. */
    pthread_mutex_lock(&sgpri_tbl_lock);
    sgpri_spans[ps->handle] = NULL;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    /* Drop every call without a message; the controller is parked, never run again. */
    for (i = 1; i < PRI_MAX_CALLS; i++) {
        pri_call_t *pc = &sgpri_calls[i];
        if (atomic_load(&pc->handle) != 0 && pc->ps == ps) {
            pc->call = NULL;
            call_finish(pc, PRI_CAUSE_NETWORK_OUT_OF_ORDER, SG_PRI_F_LOCAL);
        }
    }
    if (ps->pri != NULL)
        pri_set_userdata(ps->pri, NULL);
    span_detach(ps->span);
    free(ps);
}

static void run_cmd(const pri_cmd_t *c)
{
    pri_span_t *ps = NULL;
    pri_call_t *pc = NULL;
    const char *d;

    pthread_mutex_lock(&sgpri_tbl_lock);
    if (c->call != 0) {
        pc = sgpri_call_by_handle_locked(c->call);
        ps = pc != NULL ? pc->ps : NULL;
    } else if (c->span >= 1 && c->span <= (int)SG_SPAN_MAX) {
        ps = sgpri_spans[c->span];
    }
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (ps == NULL || (c->call != 0 && pc == NULL))
        return; /* the call or span went away meanwhile */
    if (c->op == PRI_CMD_OPEN) {
        cmd_open(ps);
        return;
    }
    if (c->op == PRI_CMD_CLOSE) {
        cmd_close(ps);
        return;
    }
    if (ps->pri == NULL)
        return;
    if (pc != NULL && pc->call != NULL && !q931_is_call_valid(ps->pri, pc->call)) {
        /* libpri dropped the call without an event (a timer, a restart): so do we. */
        call_finish(pc, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
        return;
    }
    switch (c->op) {
    case PRI_CMD_SETUP:
        cmd_setup(ps, pc);
        break;
    case PRI_CMD_PROCEEDING:
        if (pc->call == NULL)
            break;
        if (!pc->proceeding_sent)
            pri_proceeding(ps->pri, pc->call, pc->info.channel, c->arg1);
        else if (c->arg1)
            pri_progress(ps->pri, pc->call, pc->info.channel, 1);
        pc->proceeding_sent = 1;
        break;
    case PRI_CMD_ALERTING:
        if (pc->call != NULL)
            pri_acknowledge(ps->pri, pc->call, pc->info.channel, c->arg1);
        break;
    case PRI_CMD_PROGRESS:
        if (pc->call == NULL)
            break;
        if (c->arg1 > 0)
            pri_progress_with_cause(ps->pri, pc->call, pc->info.channel, 1, c->arg1);
        else
            pri_progress(ps->pri, pc->call, pc->info.channel, 1);
        break;
    case PRI_CMD_ANSWER:
        if (pc->call != NULL && pri_answer(ps->pri, pc->call, pc->info.channel, 0) == 0) {
            pthread_mutex_lock(&sgpri_tbl_lock);
            pc->info.state = SG_PRI_CS_ACTIVE;
            pthread_mutex_unlock(&sgpri_tbl_lock);
        }
        break;
    case PRI_CMD_HANGUP:
        if (pc->info.state == SG_PRI_CS_RELEASING)
            break;
        pthread_mutex_lock(&sgpri_tbl_lock);
        pc->info.state = SG_PRI_CS_RELEASING;
        pc->info.cause = (uint32_t)c->arg1;
        pthread_mutex_unlock(&sgpri_tbl_lock);
        pc->digit_deadline_ns = 0;
        if (pc->call == NULL || pri_hangup(ps->pri, pc->call, c->arg1) != 0 ||
            !q931_is_call_valid(ps->pri, pc->call))
            call_finish(pc, c->arg1, SG_PRI_F_LOCAL);
        break;
    case PRI_CMD_DIGITS:
        for (d = c->digits; pc->call != NULL && *d != '\0'; d++)
            pri_information(ps->pri, pc->call, *d);
        break;
    case PRI_CMD_RESTART: {
        int ch, lo = c->arg1 > 0 ? c->arg1 : 1, hi = c->arg1 > 0 ? c->arg1 : ps->span->timeslots;
        for (ch = lo; ch <= hi; ch++) {
            if (!span_is_bchan(ps->span, ch))
                continue;
            clear_calls(ps, ch, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, SG_PRI_F_LOCAL);
            pri_reset(ps->pri, ch);
        }
        post(SG_PRI_EV_RESTART, (uint32_t)ps->handle, ps, c->arg1 > 0 ? c->arg1 : 0, 0, SG_PRI_F_LOCAL, 0, 1, NULL);
        break;
    }
    case PRI_CMD_SERVICE:
        cmd_service(ps, c->arg1, c->arg2);
        break;
    case PRI_CMD_ALARM: {
        uint32_t now = (uint32_t)c->arg1;
        uint32_t down = SG_SPAN_ALARM_LOS | SG_SPAN_ALARM_AIS;
        ps->alarms = now;
        post(SG_PRI_EV_ALARM, (uint32_t)ps->handle, ps, 0, 0, 0, 0, now, NULL);
        /* With the line down no message can clear the calls: they are dropped here once the
         * alarm has lasted alarm_clear_ms (red-alarm integration), so a short outage of the
         * line does not cost the calls on it. New calls fail at once meanwhile. */
        if (!(now & down))
            ps->alarm_deadline_ns = 0;
        else if (ps->alarm_deadline_ns == 0)
            ps->alarm_deadline_ns = now_ns() + (uint64_t)ps->cfg.alarm_clear_ms * 1000000ull;
        break;
    }
    default:
        break;
    }
}

