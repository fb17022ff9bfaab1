/* vspan: an E1/T1 carried over UDP with CESoPSN framing (RFC 5086, basic NxDS0, no RTP).
 *
 * Each packet carries `nframes` frames of every timeslot of the line (31 octets per E1
 * frame, 24 per T1 frame), in timeslot order. The D-channel timeslot carries a real HDLC
 * bitstream (spandsp: flags, bit stuffing, CRC-16), so the PRI layer above sees frames as
 * it would from a card. B-channel samples pass through lock-free rings to the media side.
 *
 * Clocking: the network side is master and plays/sends one packet slot per period on the
 * span thread's timer; the user side plays one slot and sends one packet for every slot
 * its jitter buffer releases, so it follows the master's clock (loop timing). When packets
 * stop, the user side free-runs on its own timer with the R bit set.
 *
 * Threads: on_readable/on_timer run on the span thread; read/write on the media thread (one
 * per direction); dchan_* on the PRI thread; stats/alarms/set_ais anywhere. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spandsp.h>
#include "span/cesopsn.h"
#include "span/span.h"
#include "span/vspan.h"

#define RING_SIZE 2048u /* samples per B-channel ring: 256 ms at 8 kHz; power of two */
#define MAX_FRAMES 64u
#define MAX_TS 31u
#define MAX_PAYLOAD (MAX_FRAMES * MAX_TS)
#define JB_CAP 128u
#define FRAMEQ_LEN 32u
#define GARBAGE_MAX 512u
#define FAR_AHEAD 1024 /* a jump this large in sequence is a far-end restart */

typedef struct ring {
    _Atomic uint32_t head; /* written by the producer */
    _Atomic uint32_t tail; /* written by the consumer */
    uint8_t buf[RING_SIZE];
} ring;

typedef struct frameq {
    pthread_mutex_t lock;
    unsigned head, count;
    uint16_t len[FRAMEQ_LEN];
    uint8_t data[FRAMEQ_LEN][SPAN_DCHAN_MAX_FRAME];
} frameq;

typedef struct jb_slot {
    uint8_t valid;
    uint8_t l;
    uint16_t seq;
    uint8_t data[MAX_PAYLOAD];
} jb_slot;

typedef struct counters {
    _Atomic uint64_t tx_packets, rx_packets, rx_lost, rx_reordered, rx_late, rx_duplicate;
    _Atomic uint64_t rx_malformed, rx_foreign, slips, b_underruns, b_overruns;
    _Atomic uint64_t hdlc_rx_frames, hdlc_tx_frames, hdlc_crc_errors, hdlc_aborts;
    _Atomic uint64_t hdlc_length_errors, hdlc_tx_dropped, alarm_count;
    _Atomic uint32_t jitter_depth;
} counters;

typedef struct vspan {
    span_t *span;
    int fd;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int peer_known;
    int learn_peer;
    uint16_t local_port;
    unsigned nframes, fbytes, plen, jdepth;
    uint64_t period_ns, los_ns, clear_ns, freerun_ns;
    uint8_t idle; /* G.711 silence: 0xd5 A-law (E1), 0xff mu-law (T1) */

    /* span thread only */
    uint16_t tx_seq;
    uint64_t next_tx_ns;
    unsigned play_debt;           /* master: slots due but not yet playable (see pay_debt) */
    unsigned max_debt;
    int jb_started, jb_primed;
    uint16_t play_seq, high_seq;
    uint64_t last_rx_ns, flow_since_ns;
    uint64_t armed_ns; /* the deadline on_timer last asked for */
    uint8_t far_r, far_l;
    jb_slot jb[JB_CAP];
    hdlc_rx_state_t *hrx;
    hdlc_tx_state_t *htx;
    uint8_t pkt[CESOPSN_CW_LEN + MAX_PAYLOAD + 64];

    _Atomic uint32_t alarms;
    _Atomic int force_ais;

    frameq txq; /* PRI thread -> span thread */
    frameq rxq; /* span thread -> PRI thread */
    int dfd;    /* eventfd: readable while rxq holds frames */
    uint8_t garbage[GARBAGE_MAX]; /* raw D-channel octets to send instead of HDLC (tests) */
    unsigned garbage_len;         /* guarded by txq.lock */
    int mangle_armed;             /* damage the next outgoing I-frame (tests); txq.lock */
    unsigned mangle_offset, mangle_truncate;
    uint8_t mangle_value;

    ring tx[MAX_TS + 1];
    ring rx[MAX_TS + 1];
    _Atomic uint8_t tx_active[MAX_TS + 1];
    _Atomic uint32_t tx_idle[MAX_TS + 1];  /* idle samples sent for an empty tx ring */
    _Atomic uint8_t rx_active[MAX_TS + 1];
    counters c;
} vspan;

/* A timer that fires this late means the span thread itself was not running. */
#define STALL_NS 50000000ull

#define INC(field) atomic_fetch_add_explicit(&v->c.field, 1, memory_order_relaxed)
#define GET(field) atomic_load_explicit(&v->c.field, memory_order_relaxed)

static vspan *V(span_t *s)
{
    return (vspan *)s->drv;
}

/* ---- lock-free single-producer single-consumer sample ring ---- */

static int ring_put(ring *r, const uint8_t *p, unsigned n)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    unsigned room = RING_SIZE - (head - tail), i;

    if (n > room)
        n = room;
    for (i = 0; i < n; i++)
        r->buf[(head + i) & (RING_SIZE - 1)] = p[i];
    atomic_store_explicit(&r->head, head + n, memory_order_release);
    return (int)n;
}

static int ring_get(ring *r, uint8_t *p, unsigned n)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    unsigned avail = head - tail, i;

    if (n > avail)
        n = avail;
    for (i = 0; i < n; i++)
        p[i] = r->buf[(tail + i) & (RING_SIZE - 1)];
    atomic_store_explicit(&r->tail, tail + n, memory_order_release);
    return (int)n;
}

/* ---- D-channel frame queues ---- */

static int frameq_push(frameq *q, const uint8_t *f, int len)
{
    unsigned slot;

    if (len <= 0 || len > SPAN_DCHAN_MAX_FRAME || q->count == FRAMEQ_LEN)
        return -1;
    slot = (q->head + q->count) % FRAMEQ_LEN;
    memcpy(q->data[slot], f, (size_t)len);
    q->len[slot] = (uint16_t)len;
    q->count++;
    return 0;
}

static int frameq_pop(frameq *q, uint8_t *f, int cap)
{
    int len;

    if (q->count == 0)
        return 0;
    len = q->len[q->head];
    if (len > cap)
        len = cap;
    memcpy(f, q->data[q->head], (size_t)len);
    q->head = (q->head + 1) % FRAMEQ_LEN;
    q->count--;
    return len;
}

/* ---- alarms ---- */

static void jb_reset(vspan *v)
{
    unsigned i;

    v->jb_started = 0;
    v->jb_primed = 0;
    for (i = 0; i < JB_CAP; i++)
        v->jb[i].valid = 0;
    atomic_store_explicit(&v->c.jitter_depth, 0, memory_order_relaxed);
}


static void set_alarms(vspan *v, uint32_t now_bits)
{
    uint32_t prev = atomic_exchange(&v->alarms, now_bits);

    if (prev == now_bits)
        return;
    if ((now_bits & ~prev) != 0)
        INC(alarm_count);
    span_alarm_changed(v->span, now_bits, prev);
}

/* Alarms from what the far end says (L, R bits), and LOS cleared when clear_los is set:
 * one change, so no reader sees a clear line in between. */
static void update_far_alarms(vspan *v, int clear_los)
{
    uint32_t a = atomic_load(&v->alarms);
    uint32_t n = a & ~(SG_SPAN_ALARM_AIS | SG_SPAN_ALARM_RAI);

    if (clear_los)
        n &= ~SG_SPAN_ALARM_LOS;
    if (n & SG_SPAN_ALARM_LOS)
        return; /* what the far end says is unknown while nothing arrives */
    if (v->far_l)
        n |= SG_SPAN_ALARM_AIS;
    if (v->far_r)
        n |= SG_SPAN_ALARM_RAI;
    set_alarms(v, n);
}

/* ---- HDLC ---- */

static void hdlc_frame_cb(void *ud, const uint8_t *pkt, int len, int ok)
{
    vspan *v = ud;
    uint64_t one = 1;

    if (len < 0 || !ok || pkt == NULL)
        return; /* status reports and bad frames are counted from the HDLC statistics */
    pthread_mutex_lock(&v->rxq.lock);
    if (frameq_push(&v->rxq, pkt, len) == 0)
        (void)!write(v->dfd, &one, sizeof(one));
    pthread_mutex_unlock(&v->rxq.lock);
}

static void hdlc_load_next(vspan *v)
{
    uint8_t f[SPAN_DCHAN_MAX_FRAME];
    int len;

    pthread_mutex_lock(&v->txq.lock);
    while (v->txq.count > 0) {
        unsigned h = v->txq.head;
        len = v->txq.len[h];
        memcpy(f, v->txq.data[h], (size_t)len);
        /* An I-frame has bit 0 of its first control octet clear, after a 2-octet address. */
        if (v->mangle_armed && len > 4 && (f[2] & 1) == 0) {
            if (v->mangle_offset < (unsigned)len)
                f[v->mangle_offset] = v->mangle_value;
            if (v->mangle_truncate > 0 && v->mangle_truncate < (unsigned)len)
                len = (int)v->mangle_truncate;
            v->mangle_armed = 0;
        }
        if (hdlc_tx_frame(v->htx, f, (size_t)len) != 0)
            break; /* a frame is still going out */
        frameq_pop(&v->txq, f, sizeof(f));
        INC(hdlc_tx_frames);
    }
    pthread_mutex_unlock(&v->txq.lock);
}

static void hdlc_underflow_cb(void *ud)
{
    hdlc_load_next((vspan *)ud);
}

static void hdlc_stats_sync(vspan *v)
{
    hdlc_rx_stats_t st;

    hdlc_rx_get_stats(v->hrx, &st);
    atomic_store_explicit(&v->c.hdlc_rx_frames, st.good_frames, memory_order_relaxed);
    atomic_store_explicit(&v->c.hdlc_crc_errors, st.crc_errors, memory_order_relaxed);
    atomic_store_explicit(&v->c.hdlc_aborts, st.aborts, memory_order_relaxed);
    atomic_store_explicit(&v->c.hdlc_length_errors, st.length_errors, memory_order_relaxed);
}

/* ---- playout and transmit (span thread) ---- */

enum { PLAY_DATA, PLAY_IDLE, PLAY_AIS };

/* Delivers one slot to the line consumers: the payload, idle (HDLC flags on the D-channel,
 * silence on B-channels) or all ones (a lost slot or AIS, as a broken line would read). */
static void play_payload(vspan *v, const uint8_t *payload, int mode)
{
    uint8_t dbuf[MAX_FRAMES];
    uint8_t bbuf[MAX_FRAMES];
    unsigned f, ts;

    for (ts = 1; ts <= (unsigned)v->span->timeslots; ts++) {
        int is_d = (int)ts == v->span->dchan_ts;
        if (!is_d && !atomic_load_explicit(&v->rx_active[ts], memory_order_relaxed))
            continue;
        for (f = 0; f < v->nframes; f++) {
            uint8_t b;
            if (mode == PLAY_DATA)
                b = payload[f * v->fbytes + ts - 1];
            else if (mode == PLAY_IDLE)
                b = is_d ? 0x7e : v->idle;
            else
                b = 0xff;
            if (is_d)
                dbuf[f] = b;
            else
                bbuf[f] = b;
        }
        if (is_d)
            continue;
        if (ring_put(&v->rx[ts], bbuf, v->nframes) < (int)v->nframes)
            INC(b_overruns);
    }
    hdlc_rx_put(v->hrx, dbuf, (int)v->nframes);
    hdlc_stats_sync(v);
}

/* Plays the next slot of the jitter buffer. */
static void play_slot(vspan *v)
{
    jb_slot *sl;
    int16_t ahead;

    if (!v->jb_started) {
        play_payload(v, NULL, PLAY_IDLE);
        return;
    }
    ahead = (int16_t)(v->high_seq - v->play_seq);
    if (!v->jb_primed) {
        if (ahead + 1 < (int)v->jdepth) {
            play_payload(v, NULL, PLAY_IDLE);
            return;
        }
        v->jb_primed = 1;
    }
    if (ahead < 0) {
        /* Empty: the far end is late. Refill to the target depth (a controlled slip). */
        v->jb_primed = 0;
        INC(slips);
        play_payload(v, NULL, PLAY_IDLE);
        return;
    }
    sl = &v->jb[v->play_seq % JB_CAP];
    if (sl->valid && sl->seq == v->play_seq) {
        play_payload(v, sl->data, sl->l ? PLAY_AIS : PLAY_DATA);
        sl->valid = 0;
    } else {
        INC(rx_lost);
        play_payload(v, NULL, PLAY_AIS);
    }
    v->play_seq++;
    atomic_store_explicit(&v->c.jitter_depth, (uint32_t)(uint16_t)(v->high_seq - v->play_seq + 1),
                          memory_order_relaxed);
}

/* Master playout. Each clock tick owes one slot. A slot is played when the jitter buffer
 * can give it (or before the buffer is primed, as idle); when the buffer is empty the debt
 * waits for the far end's packets instead of inserting idle. The far end answers each of
 * our packets, so after this thread was descheduled the burst of packets it sends brings a
 * burst of answers: the debt is paid from them and nothing is lost. Past max_debt the far
 * end is really late: idle is played and a slip counted. */
static void pay_debt(vspan *v)
{
    while (v->play_debt > 0) {
        int16_t ahead = (int16_t)(v->high_seq - v->play_seq);
        if (v->jb_started && v->jb_primed && ahead < 0) {
            if (v->play_debt <= v->max_debt)
                break;
            INC(slips);
            play_payload(v, NULL, PLAY_IDLE);
        } else {
            play_slot(v);
        }
        v->play_debt--;
    }
}

static void send_packet(vspan *v)
{
    uint8_t payload[MAX_PAYLOAD];
    uint8_t dbuf[MAX_FRAMES];
    uint8_t bbuf[MAX_FRAMES];
    cesopsn_cw cw;
    unsigned f, ts, ng = 0;
    int n, len;

    pthread_mutex_lock(&v->txq.lock);
    if (v->garbage_len > 0) {
        ng = v->garbage_len < v->nframes ? v->garbage_len : v->nframes;
        memcpy(dbuf, v->garbage, ng);
        memmove(v->garbage, v->garbage + ng, v->garbage_len - ng);
        v->garbage_len -= ng;
    }
    pthread_mutex_unlock(&v->txq.lock);
    if (ng < v->nframes) {
        hdlc_load_next(v);
        hdlc_tx_get(v->htx, dbuf + ng, v->nframes - ng);
    }
    for (ts = 1; ts <= (unsigned)v->span->timeslots; ts++) {
        if ((int)ts == v->span->dchan_ts) {
            for (f = 0; f < v->nframes; f++)
                payload[f * v->fbytes + ts - 1] = dbuf[f];
            continue;
        }
        n = ring_get(&v->tx[ts], bbuf, v->nframes);
        if (n < (int)v->nframes) {
            if (atomic_load_explicit(&v->tx_active[ts], memory_order_relaxed))
                INC(b_underruns);
            atomic_fetch_add_explicit(&v->tx_idle[ts], v->nframes - (unsigned)n, memory_order_relaxed);
            memset(bbuf + n, v->idle, v->nframes - (unsigned)n);
        }
        for (f = 0; f < v->nframes; f++)
            payload[f * v->fbytes + ts - 1] = bbuf[f];
    }
    memset(&cw, 0, sizeof(cw));
    cw.l = atomic_load(&v->force_ais) ? 1 : 0;
    cw.r = (atomic_load(&v->alarms) & SG_SPAN_ALARM_LOS) ? 1 : 0;
    cw.seq = v->tx_seq++;
    len = cesopsn_encode(v->pkt, sizeof(v->pkt), &cw, payload, cw.l ? 0 : v->plen);
    if (!v->peer_known || len < 0)
        return;
    if (sendto(v->fd, v->pkt, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&v->peer, v->peer_len) == len)
        INC(tx_packets);
}

/* Files one received packet into the jitter buffer. */
static void jb_insert(vspan *v, const cesopsn_cw *cw, const uint8_t *payload)
{
    jb_slot *sl;
    int16_t d;

    if (!v->jb_started) {
        jb_reset(v);
        v->jb_started = 1;
        v->play_seq = cw->seq;
        v->high_seq = cw->seq;
    }
    d = (int16_t)(cw->seq - v->play_seq);
    if (d < 0) {
        if (d < -FAR_AHEAD)
            goto restart;
        INC(rx_late);
        return;
    }
    if (d >= (int)JB_CAP) {
        if (d > FAR_AHEAD)
            goto restart;
        /* A burst overran the buffer: drop the oldest slots to keep the target depth. */
        while ((int16_t)(cw->seq - v->play_seq) >= (int)v->jdepth) {
            v->jb[v->play_seq % JB_CAP].valid = 0;
            v->play_seq++;
        }
        INC(slips);
    }
    sl = &v->jb[cw->seq % JB_CAP];
    if (sl->valid && sl->seq == cw->seq) {
        INC(rx_duplicate);
        return;
    }
    sl->valid = 1;
    sl->seq = cw->seq;
    sl->l = cw->l;
    if (!cw->l)
        memcpy(sl->data, payload, v->plen);
    if ((int16_t)(cw->seq - v->high_seq) > 0)
        v->high_seq = cw->seq;
    else if (cw->seq != v->high_seq)
        INC(rx_reordered);
    return;
restart:
    INC(slips);
    v->jb_started = 0;
    jb_insert(v, cw, payload);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    return 0;
}

static void vspan_on_readable(span_t *s, uint64_t now)
{
    vspan *v = V(s);
    struct sockaddr_storage from;
    socklen_t flen;
    cesopsn_cw cw;
    const uint8_t *payload;
    size_t plen;
    ssize_t n;
    int budget = 256;

    while (budget-- > 0) {
        flen = sizeof(from);
        n = recvfrom(v->fd, v->pkt, sizeof(v->pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
        if (n < 0)
            break;
        if (v->peer_known && !same_addr(&from, &v->peer)) {
            /* A learnt peer may move only while the line is down. */
            if (!(v->learn_peer && (atomic_load(&v->alarms) & SG_SPAN_ALARM_LOS))) {
                INC(rx_foreign);
                continue;
            }
        }
        if (cesopsn_decode(v->pkt, (size_t)n, &cw, &payload, &plen) != 0 ||
            (!cw.l && plen != v->plen)) {
            INC(rx_malformed);
            continue;
        }
        if (!v->peer_known || !same_addr(&from, &v->peer)) {
            memcpy(&v->peer, &from, flen);
            v->peer_len = flen;
            v->peer_known = 1;
        }
        INC(rx_packets);
        if (v->last_rx_ns == 0 || now - v->last_rx_ns > v->los_ns / 2)
            v->flow_since_ns = now;
        v->last_rx_ns = now;
        v->far_r = cw.r;
        v->far_l = cw.l;
        jb_insert(v, &cw, payload);
        if (s->role == SG_SPAN_USER) {
            /* Loop timing: one slot out per slot released by the jitter buffer. */
            while ((int16_t)(v->high_seq - v->play_seq) >= (int)v->jdepth) {
                play_slot(v);
                send_packet(v);
            }
        }
    }
    if (s->role == SG_SPAN_NETWORK)
        pay_debt(v);
    update_far_alarms(v, (atomic_load(&v->alarms) & SG_SPAN_ALARM_LOS) && v->last_rx_ns != 0 &&
                             now - v->flow_since_ns >= v->clear_ns);
}

static uint64_t vspan_on_timer(span_t *s, uint64_t now)
{
    vspan *v = V(s);
    uint32_t a = atomic_load(&v->alarms);
    int master = s->role == SG_SPAN_NETWORK;
    int freerun;
    uint64_t next;

    /* Our own thread stalled (descheduled on a loaded host): the far end's packets may be
     * waiting unread, or (peer in this process) were never sent. The stall is not time the
     * line was seen silent, so it does not count toward LOS; the frames it cost are slips. */
    if (v->armed_ns != 0 && now > v->armed_ns + STALL_NS && v->last_rx_ns != 0) {
        v->last_rx_ns += now - v->armed_ns;
        if (v->last_rx_ns > now)
            v->last_rx_ns = now;
    }
    freerun = !master && (v->last_rx_ns == 0 || now - v->last_rx_ns >= v->freerun_ns);
    if (!(a & SG_SPAN_ALARM_LOS) && (v->last_rx_ns == 0 || now - v->last_rx_ns >= v->los_ns)) {
        set_alarms(v, (a | SG_SPAN_ALARM_LOS) & ~(SG_SPAN_ALARM_AIS | SG_SPAN_ALARM_RAI));
        jb_reset(v);
    }
    if (master || freerun) {
        if (v->next_tx_ns != 0 && now - v->next_tx_ns > 100000000ull)
            INC(slips); /* the thread stalled for over 100 ms: the line lost those frames */
        if (v->next_tx_ns == 0 || now - v->next_tx_ns > 100000000ull)
            v->next_tx_ns = now; /* first tick, or after a stall: re-phase */
        while (v->next_tx_ns <= now) {
            if (master)
                v->play_debt++;
            else
                play_payload(v, NULL, PLAY_IDLE);
            send_packet(v);
            v->next_tx_ns += v->period_ns;
        }
        if (master)
            pay_debt(v);
        next = v->next_tx_ns;
    } else {
        v->next_tx_ns = 0;
        next = v->last_rx_ns + v->freerun_ns;
    }
    if (!(atomic_load(&v->alarms) & SG_SPAN_ALARM_LOS) && v->last_rx_ns + v->los_ns < next)
        next = v->last_rx_ns + v->los_ns;
    v->armed_ns = next;
    return next;
}

/* ---- driver operations for other threads ---- */

static int vspan_read(span_t *s, int ts, uint8_t *buf, int n)
{
    vspan *v = V(s);

    atomic_store_explicit(&v->rx_active[ts], 1, memory_order_relaxed);
    return ring_get(&v->rx[ts], buf, (unsigned)n);
}

static int vspan_write(span_t *s, int ts, const uint8_t *buf, int n)
{
    vspan *v = V(s);

    atomic_store_explicit(&v->tx_active[ts], 1, memory_order_relaxed);
    return ring_put(&v->tx[ts], buf, (unsigned)n);
}

static uint32_t vspan_tx_idle(span_t *s, int ts)
{
    return atomic_load_explicit(&V(s)->tx_idle[ts], memory_order_relaxed);
}

static int vspan_tx_queued(span_t *s, int ts)
{
    ring *r = &V(s)->tx[ts];
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

    return (int)(head - tail);
}

static int vspan_dchan_send(span_t *s, const uint8_t *frame, int len)
{
    vspan *v = V(s);
    int rc;

    if (len <= 0 || len > SPAN_DCHAN_MAX_FRAME) {
        INC(hdlc_tx_dropped);
        return SG_EINVAL;
    }
    pthread_mutex_lock(&v->txq.lock);
    rc = frameq_push(&v->txq, frame, len);
    pthread_mutex_unlock(&v->txq.lock);
    if (rc != 0) {
        INC(hdlc_tx_dropped);
        return SG_EBUSY;
    }
    return len;
}

static int vspan_dchan_recv(span_t *s, uint8_t *frame, int cap)
{
    vspan *v = V(s);
    uint64_t junk;
    int len;

    pthread_mutex_lock(&v->rxq.lock);
    len = frameq_pop(&v->rxq, frame, cap);
    if (v->rxq.count == 0)
        (void)!read(v->dfd, &junk, sizeof(junk));
    pthread_mutex_unlock(&v->rxq.lock);
    return len;
}

static int vspan_dchan_fd(span_t *s)
{
    return V(s)->dfd;
}

static uint32_t vspan_alarms(span_t *s)
{
    return atomic_load(&V(s)->alarms);
}

static int vspan_set_ais(span_t *s, int on)
{
    atomic_store(&V(s)->force_ais, on ? 1 : 0);
    return SG_OK;
}

static void vspan_stats(span_t *s, sg_span_stats_t *o)
{
    vspan *v = V(s);

    o->alarms = atomic_load(&v->alarms);
    o->tx_packets = GET(tx_packets);
    o->rx_packets = GET(rx_packets);
    o->rx_lost = GET(rx_lost);
    o->rx_reordered = GET(rx_reordered);
    o->rx_late = GET(rx_late);
    o->rx_duplicate = GET(rx_duplicate);
    o->rx_malformed = GET(rx_malformed);
    o->rx_foreign = GET(rx_foreign);
    o->slips = GET(slips);
    o->b_underruns = GET(b_underruns);
    o->b_overruns = GET(b_overruns);
    o->hdlc_rx_frames = GET(hdlc_rx_frames);
    o->hdlc_tx_frames = GET(hdlc_tx_frames);
    o->hdlc_crc_errors = GET(hdlc_crc_errors);
    o->hdlc_aborts = GET(hdlc_aborts);
    o->hdlc_length_errors = GET(hdlc_length_errors);
    o->hdlc_tx_dropped = GET(hdlc_tx_dropped);
    o->alarm_count = GET(alarm_count);
    o->jitter_depth = GET(jitter_depth);
    o->local_port = v->local_port;
}

static int vspan_io_fd(span_t *s)
{
    return V(s)->fd;
}

int vspan_inject_dchan_octets(span_t *s, const uint8_t *raw, unsigned n)
{
    vspan *v = V(s);
    int rc = SG_OK;

    pthread_mutex_lock(&v->txq.lock);
    if (n > GARBAGE_MAX - v->garbage_len) {
        rc = SG_EBUSY;
    } else {
        memcpy(v->garbage + v->garbage_len, raw, n);
        v->garbage_len += n;
    }
    pthread_mutex_unlock(&v->txq.lock);
    return rc;
}

int vspan_mangle_next_iframe(span_t *s, unsigned offset, uint8_t value, unsigned truncate)
{
    vspan *v = V(s);

    pthread_mutex_lock(&v->txq.lock);
    v->mangle_armed = 1;
    v->mangle_offset = offset;
    v->mangle_value = value;
    v->mangle_truncate = truncate;
    pthread_mutex_unlock(&v->txq.lock);
    return SG_OK;
}

/* ---- open / close ---- */

static int resolve(const char *addr, uint16_t port, struct sockaddr_storage *out, socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    char pbuf[8];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(pbuf, sizeof(pbuf), "%u", (unsigned)port);
    rc = getaddrinfo(addr, pbuf, &hints, &res);
    if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(*out))
        rc = -1;
    else {
        memcpy(out, res->ai_addr, res->ai_addrlen);
        *len = res->ai_addrlen;
    }
    if (res != NULL)
        freeaddrinfo(res);
    return rc == 0 ? 0 : -1;
}

static void vspan_free(vspan *v)
{
    if (v->fd >= 0)
        close(v->fd);
    if (v->dfd >= 0)
        close(v->dfd);
    if (v->hrx != NULL)
        hdlc_rx_free(v->hrx);
    if (v->htx != NULL)
        hdlc_tx_free(v->htx);
    pthread_mutex_destroy(&v->txq.lock);
    pthread_mutex_destroy(&v->rxq.lock);
    free(v);
}

static int vspan_open(span_t *s, const sg_span_config_t *cfg)
{
    struct sockaddr_storage local;
    socklen_t llen;
    vspan *v;
    int rc = SG_EINVAL, bufsz = 1 << 20;

    if (cfg->local_addr[0] == '\0' || memchr(cfg->local_addr, 0, sizeof(cfg->local_addr)) == NULL ||
        memchr(cfg->remote_addr, 0, sizeof(cfg->remote_addr)) == NULL)
        return SG_EINVAL;
    if (cfg->frames_per_packet > MAX_FRAMES || cfg->jitter_packets > 32)
        return SG_EINVAL;
    if (cfg->remote_port != 0 && cfg->remote_addr[0] == '\0')
        return SG_EINVAL;
    v = calloc(1, sizeof(*v));
    if (v == NULL)
        return SG_ENOMEM;
    v->fd = -1;
    v->dfd = -1;
    pthread_mutex_init(&v->txq.lock, NULL);
    pthread_mutex_init(&v->rxq.lock, NULL);
    v->span = s;
    v->nframes = cfg->frames_per_packet ? cfg->frames_per_packet : 8;
    /* Default depth: 4 packets, and at least 4 ms (32 frames) for short packets. */
    v->jdepth = cfg->jitter_packets ? cfg->jitter_packets : (v->nframes >= 8 ? 4 : (32 + v->nframes - 1) / v->nframes);
    v->fbytes = (unsigned)s->timeslots;
    v->plen = v->nframes * v->fbytes;
    v->period_ns = (uint64_t)v->nframes * 125000ull;
    v->los_ns = (uint64_t)(cfg->los_ms ? cfg->los_ms : 500) * 1000000ull;
    v->clear_ns = (uint64_t)(cfg->clear_ms ? cfg->clear_ms : 200) * 1000000ull;
    v->freerun_ns = v->los_ns / 2;
    /* Up to 100 ms of debt, and always room for it in the jitter buffer. */
    v->max_debt = (unsigned)(100000000ull / v->period_ns);
    if (v->max_debt > JB_CAP - v->jdepth - 8)
        v->max_debt = JB_CAP - v->jdepth - 8;
    v->idle = s->kind == SG_SPAN_E1 ? 0xd5 : 0xff;
    v->learn_peer = cfg->remote_port == 0;
    atomic_init(&v->alarms, SG_SPAN_ALARM_LOS);
    if (resolve(cfg->local_addr, cfg->local_port, &local, &llen) != 0)
        goto fail;
    if (!v->learn_peer) {
        if (resolve(cfg->remote_addr, cfg->remote_port, &v->peer, &v->peer_len) != 0)
            goto fail;
        v->peer_known = 1;
    }
    rc = SG_EIO;
    v->fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    v->dfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (v->fd < 0 || v->dfd < 0)
        goto fail;
    (void)setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
    if (bind(v->fd, (struct sockaddr *)&local, llen) < 0)
        goto fail;
    llen = sizeof(local);
    if (getsockname(v->fd, (struct sockaddr *)&local, &llen) == 0)
        v->local_port = ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port
                                                         : ((struct sockaddr_in6 *)&local)->sin6_port);
    rc = SG_ENOMEM;
    v->hrx = hdlc_rx_init(NULL, 0, 1, 1, hdlc_frame_cb, v);
    v->htx = hdlc_tx_init(NULL, 0, 1, 0, hdlc_underflow_cb, v);
    if (v->hrx == NULL || v->htx == NULL)
        goto fail;
    s->drv = v;
    return SG_OK;
fail:
    vspan_free(v);
    return rc;
}

static void vspan_close(span_t *s)
{
    if (s->drv != NULL)
        vspan_free(V(s));
    s->drv = NULL;
}

const span_ops vspan_ops = {
    .name = "vspan",
    .open = vspan_open,
    .close = vspan_close,
    .read = vspan_read,
    .write = vspan_write,
    .tx_idle = vspan_tx_idle,
    .tx_queued = vspan_tx_queued,
    .dchan_send = vspan_dchan_send,
    .dchan_recv = vspan_dchan_recv,
    .dchan_fd = vspan_dchan_fd,
    .alarms = vspan_alarms,
    .stats = vspan_stats,
    .set_ais = vspan_set_ais,
    .io_fd = vspan_io_fd,
    .on_readable = vspan_on_readable,
    .on_timer = vspan_on_timer,
};
