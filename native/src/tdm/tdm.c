/* TDM channels, control side: the sg_tdm_* API (see spangate/tdm.h). Setup allocates the DSP
 * objects and buffers, pins the span and publishes the slot to its media thread, where one
 * engine hook per thread (tdm_media.c) runs every channel of the thread. Requests travel
 * through each slot's request ring; closing waits for the media thread to let go. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/events.h"
#include "tdm/tdm_int.h"

tdm_slot tdm_slots[SG_TDM_MAX];
atomic_uint tdm_slots_hi;

/* Control side: serialises every sg_tdm_* call (never taken by the media path). */
static pthread_mutex_t tdm_lock = PTHREAD_MUTEX_INITIALIZER;

/* Per media thread: the hook running its channels, and for which engine instance. */
static struct {
    int hook;                 /* -1 = none */
    engine *eng;
    uint32_t channels;
} threads[SG_ENGINE_MAX_THREADS];
static int threads_ready;

rtp_ep *ep_lookup(engine *e, uint32_t handle);   /* rtp/endpoint.c, control thread */

static void threads_init(void)
{
    if (threads_ready)
        return;
    for (uint32_t i = 0; i < SG_ENGINE_MAX_THREADS; i++) {
        threads[i].hook = -1;
        threads[i].eng = NULL;
        threads[i].channels = 0;
    }
    threads_ready = 1;
}

static engine *current_engine(void)
{
    engine *e;
    engine_ctl_lock();
    e = engine_get();
    engine_ctl_unlock();
    return e;
}

static tdm_slot *slot_of(uint32_t handle)
{
    uint32_t idx = handle_index(handle);
    tdm_slot *s;

    if (handle == 0 || idx >= SG_TDM_MAX)
        return NULL;
    s = &tdm_slots[idx];
    if (atomic_load_explicit(&s->state, memory_order_acquire) != TDM_LIVE || s->handle != handle)
        return NULL;
    return s;
}

static int push(tdm_slot *s, const tdm_cmd *c)
{
    unsigned tail = atomic_load_explicit(&s->q_tail, memory_order_relaxed);
    unsigned head = atomic_load_explicit(&s->q_head, memory_order_acquire);

    if (tail - head >= TDM_CMDQ)
        return SG_EBUSY;
    s->q[tail & (TDM_CMDQ - 1)] = *c;
    atomic_store_explicit(&s->q_tail, tail + 1, memory_order_release);
    return SG_OK;
}

static void media_free(tdm_media *m)
{
    if (m == NULL)
        return;
    free(m->mon);
    if (m->ec)
        dsp_ec_destroy(m->ec);
    if (m->drx)
        dsp_dtmf_rx_destroy(m->drx);
    if (m->dtx)
        dsp_dtmf_tx_destroy(m->dtx);
    resample_destroy(m->down16);
    resample_destroy(m->down48);
    resample_destroy(m->up16);
    resample_destroy(m->up48);
    span_detach(m->span);
    free(m);
}

static int gain_ok(int db10)
{
    return db10 >= (int)(DSP_GAIN_MIN_DB * 10) && db10 <= (int)(DSP_GAIN_MAX_DB * 10);
}

static int media_new(const sg_tdm_config_t *cfg, tdm_media **out)
{
    tdm_media *m = calloc(1, sizeof(*m));
    const char *country;
    char cc[4];

    if (m == NULL)
        return SG_ENOMEM;
    m->span = span_attach(cfg->span);
    if (m->span == NULL) {
        free(m);
        return SG_ENOENT;
    }
    if (!span_is_bchan(m->span, cfg->timeslot)) {
        media_free(m);
        return SG_EINVAL;
    }
    m->ts = cfg->timeslot;
    m->alaw = m->span->kind == SG_SPAN_E1;
    m->flags = cfg->flags;
    memcpy(cc, cfg->country, sizeof(cc));
    cc[3] = '\0';
    country = cc[0] ? cc : (m->alaw ? "eu" : "us");
    for (int k = 0; k < (int)SG_TONE_KIND_COUNT; k++) {
        m->tones[k] = dsp_tone_lookup(country, (sg_tone_kind)k);
        if (m->tones[k] == NULL) {
            media_free(m);
            return SG_EINVAL;
        }
    }
    if (!gain_ok(cfg->rx_gain_db10) || !gain_ok(cfg->tx_gain_db10) ||
        dsp_gain_set(&m->rxg, cfg->rx_gain_db10 / 10.0) != SG_OK ||
        dsp_gain_set(&m->txg, cfg->tx_gain_db10 / 10.0) != SG_OK) {
        media_free(m);
        return SG_EINVAL;
    }
    if (!(cfg->flags & SG_TDM_F_NO_EC)) {
        m->ec = dsp_ec_create(&cfg->ec);
        if (m->ec == NULL) {
            media_free(m);
            return SG_EINVAL;
        }
    }
    if (!(cfg->flags & SG_TDM_F_NO_DTMF_DETECT)) {
        m->drx = dsp_dtmf_rx_create(&cfg->dtmf);
        if (m->drx == NULL) {
            media_free(m);
            return SG_EINVAL;
        }
    }
    if (cfg->dtmf_tx_level_dbm0 > 0 || cfg->dtmf_tx_level_dbm0 < -40) {
        media_free(m);
        return SG_EINVAL;
    }
    m->dtx = dsp_dtmf_tx_create(cfg->dtmf_tx_level_dbm0, 0);
    m->down16 = resample_create(16000, 8000, -1);
    m->down48 = resample_create(48000, 8000, -1);
    m->up16 = resample_create(8000, 16000, -1);
    m->up48 = resample_create(8000, 48000, -1);
    if (m->dtx == NULL || !m->down16 || !m->down48 || !m->up16 || !m->up48) {
        media_free(m);
        return SG_ENOMEM;
    }
    if (cfg->flags & SG_TDM_F_MONITOR) {
        tdm_monitor_init();                   /* tdm_lock held */
        m->mon = calloc(1, sizeof(*m->mon));
        if (m->mon == NULL) {
            media_free(m);
            return SG_ENOMEM;
        }
    }
    m->tone_kind = -1;
    m->dtmf_volume = cfg->dtmf_volume ? cfg->dtmf_volume : 10;
    if (m->dtmf_volume > 63) {
        media_free(m);
        return SG_EINVAL;
    }
    m->st.struct_size = sizeof(m->st);
    m->st.flags = cfg->flags;
    m->st.tone = -1;
    *out = m;
    return SG_OK;
}

/* Control lock held. The endpoint for joining: checks and its media thread. */
static int check_ep(uint32_t rtp, uint32_t *index, uint32_t *thread)
{
    engine *e;
    rtp_ep *ep;
    int rc = SG_OK;

    engine_ctl_lock();
    e = engine_get();
    ep = e ? ep_lookup(e, rtp) : NULL;
    if (e == NULL)
        rc = SG_ESTATE;
    else if (ep == NULL)
        rc = SG_ENOENT;
    else if (ep->jbuf == NULL || ep->dec.desc == NULL)
        rc = SG_ESTATE;
    else {
        *index = ep->index;
        *thread = ep->thread;
    }
    engine_ctl_unlock();
    return rc;
}

static int rtp_in_use(uint32_t rtp, const tdm_slot *except)
{
    uint32_t hi = atomic_load(&tdm_slots_hi);
    for (uint32_t i = 0; i < hi; i++) {
        const tdm_slot *s = &tdm_slots[i];
        if (s != except && atomic_load(&s->state) == TDM_LIVE && s->ctl_rtp == rtp)
            return 1;
    }
    return 0;
}

static int timeslot_in_use(int span, int ts)
{
    uint32_t hi = atomic_load(&tdm_slots_hi);
    for (uint32_t i = 0; i < hi; i++) {
        const tdm_slot *s = &tdm_slots[i];
        if (atomic_load(&s->state) == TDM_LIVE && s->span_handle == span && s->m->ts == ts)
            return 1;
    }
    return 0;
}

/* Attaches the thread's hook when the thread gets its first channel (or the engine was
 * restarted since). */
static int thread_hold(engine *e, uint32_t t)
{
    if (threads[t].hook >= 0 && threads[t].eng != e) {
        threads[t].hook = -1;                 /* the hook died with the old engine */
        threads[t].channels = 0;
    }
    if (threads[t].hook < 0) {
        int h = engine_hook_add(t, -1, NULL, tdm_tick, (void *)(uintptr_t)t);
        if (h < 0)
            return h;
        threads[t].hook = h;
        threads[t].eng = e;
        threads[t].channels = 0;
    }
    threads[t].channels++;
    return SG_OK;
}

static void thread_release(uint32_t t)
{
    if (threads[t].channels > 0 && --threads[t].channels == 0 && threads[t].hook >= 0) {
        if (threads[t].eng == current_engine())
            (void)engine_hook_del(t, threads[t].hook);
        threads[t].hook = -1;
        threads[t].eng = NULL;
    }
}

int sg_tdm_create(const sg_tdm_config_t *cfg)
{
    tdm_media *m = NULL;
    tdm_slot *s = NULL;
    uint32_t thread, ep_index = 0, idx;
    engine *e;
    int rc;

    if (cfg == NULL || cfg->struct_size != sizeof(*cfg) ||
        (cfg->flags & ~(SG_TDM_F_NO_EC | SG_TDM_F_NO_DTMF_DETECT | SG_TDM_F_DTMF_INBAND | SG_TDM_F_NO_DTMF_REGEN |
                        SG_TDM_F_MONITOR)) != 0)
        return SG_EINVAL;
    pthread_mutex_lock(&tdm_lock);
    threads_init();
    e = current_engine();
    if (e == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    thread = cfg->shard % e->nthreads;
    if (cfg->rtp != 0) {
        rc = check_ep(cfg->rtp, &ep_index, &thread);
        if (rc != SG_OK)
            goto out;
        if (rtp_in_use(cfg->rtp, NULL)) {
            rc = SG_EBUSY;
            goto out;
        }
    }
    rc = media_new(cfg, &m);
    if (rc != SG_OK)
        goto out;
    if (timeslot_in_use(cfg->span, cfg->timeslot)) {
        rc = SG_EBUSY;
        goto out;
    }
    for (idx = 0; idx < SG_TDM_MAX; idx++)
        if (atomic_load(&tdm_slots[idx].state) == TDM_FREE)
            break;
    if (idx == SG_TDM_MAX) {
        rc = SG_EBUSY;
        goto out;
    }
    rc = thread_hold(e, thread);
    if (rc != SG_OK)
        goto out;
    s = &tdm_slots[idx];
    s->index = idx;
    s->gen = (s->gen + 1) & HANDLE_GEN_MASK;
    if (s->gen == 0)
        s->gen = 1;
    s->handle = handle_make(s->gen, idx);
    s->thread = thread;
    s->m = m;
    s->span_handle = cfg->span;
    s->ctl_rtp = cfg->rtp;
    s->ctl_peer = 0;
    memset(s->ctl_clips, 0, sizeof(s->ctl_clips));
    atomic_store(&s->q_head, 0);
    atomic_store(&s->q_tail, 0);
    if (cfg->rtp != 0) {
        m->rtp_index = ep_index;
        m->rtp_handle = cfg->rtp;
        m->st.rtp = cfg->rtp;
    }
    if (idx + 1 > atomic_load(&tdm_slots_hi))
        atomic_store_explicit(&tdm_slots_hi, idx + 1, memory_order_release);
    atomic_store_explicit(&s->state, TDM_LIVE, memory_order_release);
    m = NULL;
    rc = (int)s->handle;
    if (cfg->rtp != 0 && rtp_ep_set_pcm_sink(cfg->rtp, tdm_rtp_sink, s) != SG_OK) {
        /* The endpoint vanished in between: the channel stays, without it. */
        tdm_cmd c = { .type = TDM_CMD_RTP, .a = 0, .b = 0 };
        s->ctl_rtp = 0;
        (void)push(s, &c);
    }
out:
    media_free(m);
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

/* tdm_lock held. Waits until the media thread acknowledged a close (or cannot any more). */
static void wait_dead(tdm_slot *s)
{
    engine *e = threads[s->thread].eng;
    while (atomic_load_explicit(&s->state, memory_order_acquire) != TDM_DEAD) {
        if (current_engine() != e || threads[s->thread].hook < 0)
            break;                            /* engine stopped: nobody runs the hook */
        sched_yield();
    }
}

static void leave_rtp(tdm_slot *s)
{
    if (s->ctl_rtp != 0) {
        (void)rtp_ep_set_pcm_sink(s->ctl_rtp, NULL, NULL);
        s->ctl_rtp = 0;
    }
}

int sg_tdm_destroy(uint32_t handle)
{
    tdm_slot *s, *p;
    uint32_t hi;

    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL) {
        pthread_mutex_unlock(&tdm_lock);
        return SG_ENOENT;
    }
    leave_rtp(s);
    if (s->ctl_peer != 0 && (p = slot_of(s->ctl_peer)) != NULL) {
        tdm_cmd c = { .type = TDM_CMD_BRIDGE, .a = 0 };
        (void)push(p, &c);                    /* the close acknowledgement also clears it */
        p->ctl_peer = 0;
    }
    s->ctl_peer = 0;
    atomic_store_explicit(&s->state, TDM_CLOSING, memory_order_release);
    wait_dead(s);
    for (unsigned k = 0; k < TDM_CLIPS; k++) {
        free(s->ctl_clips[k]);                /* the media thread let go of everything */
        s->ctl_clips[k] = NULL;
    }
    media_free(s->m);
    s->m = NULL;
    thread_release(s->thread);
    atomic_store_explicit(&s->state, TDM_FREE, memory_order_release);
    hi = atomic_load(&tdm_slots_hi);
    while (hi > 0 && atomic_load(&tdm_slots[hi - 1].state) == TDM_FREE)
        hi--;
    atomic_store_explicit(&tdm_slots_hi, hi, memory_order_release);
    pthread_mutex_unlock(&tdm_lock);
    return SG_OK;
}

int sg_tdm_set_rtp(uint32_t handle, uint32_t rtp)
{
    tdm_slot *s, *p;
    uint32_t index = 0, thread = 0;
    tdm_cmd c = { .type = TDM_CMD_RTP };
    int rc;

    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL) {
        rc = SG_ENOENT;
        goto out;
    }
    if (rtp != 0) {
        if (rtp == s->ctl_rtp) {
            rc = SG_OK;
            goto out;
        }
        rc = check_ep(rtp, &index, &thread);
        if (rc != SG_OK)
            goto out;
        if (thread != s->thread) {
            rc = SG_EINVAL;
            goto out;
        }
        if (rtp_in_use(rtp, s)) {
            rc = SG_EBUSY;
            goto out;
        }
    }
    c.a = (int32_t)index;
    c.b = (int32_t)rtp;
    rc = push(s, &c);
    if (rc != SG_OK)
        goto out;
    leave_rtp(s);
    if (s->ctl_peer != 0 && (p = slot_of(s->ctl_peer)) != NULL) {
        tdm_cmd u = { .type = TDM_CMD_BRIDGE, .a = 0 };
        (void)push(p, &u);
        p->ctl_peer = 0;
    }
    s->ctl_peer = 0;
    if (rtp != 0) {
        rc = rtp_ep_set_pcm_sink(rtp, tdm_rtp_sink, s);
        if (rc == SG_OK)
            s->ctl_rtp = rtp;
        else
            (void)push(s, &(tdm_cmd){ .type = TDM_CMD_RTP });
    }
out:
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

int sg_tdm_bridge(uint32_t a, uint32_t b)
{
    tdm_slot *x, *y;
    int rc;

    pthread_mutex_lock(&tdm_lock);
    x = slot_of(a);
    y = slot_of(b);
    if (x == NULL || y == NULL)
        rc = SG_ENOENT;
    else if (x == y || x->thread != y->thread)
        rc = SG_EINVAL;
    else if (x->ctl_rtp || y->ctl_rtp || x->ctl_peer || y->ctl_peer)
        rc = SG_EBUSY;
    else {
        tdm_cmd cx = { .type = TDM_CMD_BRIDGE, .a = (int32_t)y->index + 1 };
        tdm_cmd cy = { .type = TDM_CMD_BRIDGE, .a = (int32_t)x->index + 1 };
        rc = push(x, &cx);
        if (rc == SG_OK) {
            rc = push(y, &cy);
            if (rc != SG_OK)
                (void)push(x, &(tdm_cmd){ .type = TDM_CMD_BRIDGE, .a = 0 });
        }
        if (rc == SG_OK) {
            x->ctl_peer = b;
            y->ctl_peer = a;
        }
    }
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

int sg_tdm_unbridge(uint32_t handle)
{
    tdm_slot *s, *p;
    tdm_cmd c = { .type = TDM_CMD_BRIDGE, .a = 0 };
    int rc = SG_OK;

    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL)
        rc = SG_ENOENT;
    else if (s->ctl_peer == 0)
        rc = SG_ESTATE;
    else {
        p = slot_of(s->ctl_peer);
        rc = push(s, &c);
        if (rc == SG_OK && p != NULL) {
            (void)push(p, &c);
            p->ctl_peer = 0;
        }
        if (rc == SG_OK)
            s->ctl_peer = 0;
    }
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

static int simple_cmd(uint32_t handle, const tdm_cmd *c)
{
    tdm_slot *s;
    int rc;

    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    rc = s == NULL ? SG_ENOENT : push(s, c);
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

int sg_tdm_tone(uint32_t handle, int kind)
{
    tdm_cmd c = { .type = TDM_CMD_TONE, .a = kind };

    if (kind < -1 || kind >= (int)SG_TONE_KIND_COUNT)
        return SG_EINVAL;
    return simple_cmd(handle, &c);
}

int sg_tdm_send_dtmf(uint32_t handle, const char *digits, int on_ms, int off_ms)
{
    tdm_cmd c = { .type = TDM_CMD_DTMF };
    size_t len;

    if (digits == NULL)
        return SG_EINVAL;
    len = strlen(digits);
    if (len == 0 || len > TDM_DIGITS_MAX)
        return SG_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!dsp_dtmf_digit_valid(digits[i]))
            return SG_EINVAL;
    if (on_ms == 0 && off_ms == 0)
        on_ms = off_ms = 80;
    if (on_ms < 20 || on_ms > 1000 || off_ms < 20 || off_ms > 1000)
        return SG_EINVAL;
    memcpy(c.digits, digits, len + 1);
    c.a = on_ms;
    c.b = off_ms;
    return simple_cmd(handle, &c);
}

int sg_tdm_set_gain(uint32_t handle, int rx_gain_db10, int tx_gain_db10)
{
    tdm_cmd c = { .type = TDM_CMD_GAIN, .a = rx_gain_db10, .b = tx_gain_db10 };

    if (!gain_ok(rx_gain_db10) || !gain_ok(tx_gain_db10))
        return SG_EINVAL;
    return simple_cmd(handle, &c);
}

int sg_tdm_set_ec(uint32_t handle, int mode)
{
    tdm_cmd c = { .type = TDM_CMD_EC, .a = mode };
    tdm_slot *s;
    int rc;

    if (mode < 0 || mode > 2)
        return SG_EINVAL;
    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL)
        rc = SG_ENOENT;
    else if (s->m->ec == NULL)
        rc = SG_ESTATE;
    else
        rc = push(s, &c);
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}

int sg_tdm_play(uint32_t handle, const int16_t *pcm, uint32_t samples, uint32_t id)
{
    tdm_cmd c = { .type = TDM_CMD_PLAY };
    tdm_clip *clip = NULL;
    tdm_slot *s;
    unsigned k, free_k = TDM_CLIPS;
    int rc;

    if ((pcm == NULL) != (samples == 0) || samples > TDM_CLIP_MAX)
        return SG_EINVAL;
    if (pcm != NULL) {
        clip = malloc(sizeof(*clip) + (size_t)samples * sizeof(int16_t));
        if (clip == NULL)
            return SG_ENOMEM;
        atomic_init(&clip->released, 0);
        clip->id = id;
        clip->n = samples;
        memcpy(clip->pcm, pcm, (size_t)samples * sizeof(int16_t));
    }
    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL) {
        rc = SG_ENOENT;
        goto out;
    }
    /* Free what the media thread let go of; keep a place for the new clip. */
    for (k = 0; k < TDM_CLIPS; k++) {
        tdm_clip *old = s->ctl_clips[k];
        if (old != NULL && atomic_load_explicit(&old->released, memory_order_acquire)) {
            free(old);
            s->ctl_clips[k] = NULL;
        }
        if (s->ctl_clips[k] == NULL && free_k == TDM_CLIPS)
            free_k = k;
    }
    if (clip != NULL && free_k == TDM_CLIPS) {
        rc = SG_EBUSY;
        goto out;
    }
    c.clip = clip;
    rc = push(s, &c);
    if (rc == SG_OK && clip != NULL) {
        s->ctl_clips[free_k] = clip;
        clip = NULL;
    }
out:
    pthread_mutex_unlock(&tdm_lock);
    free(clip);
    return rc;
}

int sg_tdm_stats(uint32_t handle, sg_tdm_stats_t *out, uint32_t size)
{
    tdm_slot *s;
    int rc = SG_OK;

    if (out == NULL || size != sizeof(*out))
        return SG_EINVAL;
    pthread_mutex_lock(&tdm_lock);
    s = slot_of(handle);
    if (s == NULL)
        rc = SG_ENOENT;
    else
        memcpy(out, &s->m->st, sizeof(*out));   /* racy snapshot, as sg_rtp_stats */
    pthread_mutex_unlock(&tdm_lock);
    return rc;
}
