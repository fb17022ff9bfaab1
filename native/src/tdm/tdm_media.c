/* The per-frame path of TDM channels: one engine hook per media thread runs every channel of
 * that thread once per media tick, in three passes:
 *   0. requests from the control side, closes acknowledged;
 *   1. line -> network: span read, echo canceller, rx gain, DTMF detection, encode and send
 *      (or hand the frame to the bridged channel);
 *   2. network -> line: endpoint PCM (delivered by tdm_rtp_sink earlier in the same tick) or
 *      the bridged channel's frame, tones, regenerated DTMF, tx gain, span write.
 * Pass 2 runs after every channel's pass 1 so a bridge carries this tick's frame both ways.
 * No allocation, no lock, no output here. */
#define _GNU_SOURCE
#include <string.h>
#include "codec/g711.h"
#include "core/events.h"
#include "rtp/dtmf.h"
#include "tdm/tdm_int.h"

static rtp_ep *live_ep(media_thread *mt, tdm_media *m)
{
    rtp_ep *ep;

    if (m->rtp_handle == 0 || m->rtp_index >= mt->e->cfg.max_endpoints)
        return NULL;
    ep = &mt->e->eps[m->rtp_index];
    if (atomic_load_explicit(&ep->state, memory_order_acquire) != SLOT_LIVE || ep->handle != m->rtp_handle ||
        ep->thread != mt->index)
        return NULL;
    return ep;
}

static int dtmf_event_code(char d)
{
    if (d >= '0' && d <= '9')
        return d - '0';
    if (d == '*')
        return 10;
    if (d == '#')
        return 11;
    if (d >= 'A' && d <= 'D')
        return 12 + (d - 'A');
    return -1;
}

/* ---- pass 0: requests ---- */

/* Lets go of the clip playing (the control side frees it) and says so. */
static void clip_release(tdm_slot *s, int stopped)
{
    tdm_media *m = s->m;
    sg_dsp_play_payload_t p;

    if (m->clip == NULL)
        return;
    memset(&p, 0, sizeof(p));
    p.id = m->clip->id;
    p.played = m->clip_pos;
    p.stopped = (uint8_t)(stopped != 0);
    atomic_store_explicit(&m->clip->released, 1, memory_order_release);
    m->clip = NULL;
    m->clip_pos = 0;
    (void)events_post(SG_SUBSYS_DSP, SG_DSP_EV_PLAY_END, s->handle, &p, sizeof(p));
}

static void apply_cmd(media_thread *mt, tdm_slot *s, const tdm_cmd *c)
{
    tdm_media *m = s->m;

    switch (c->type) {
    case TDM_CMD_RTP:
        m->rtp_index = (uint32_t)c->a;
        m->rtp_handle = (uint32_t)c->b;
        m->net_fill = 0;
        m->net_started = 0;
        m->enc_fill = 0;
        m->st.rtp = m->rtp_handle;
        if (m->peer != NULL) {
            m->peer->m->peer = NULL;
            m->peer->m->st.bridged = 0;
            m->peer = NULL;
            m->st.bridged = 0;
        }
        {
            rtp_ep *ep = live_ep(mt, m);
            static const dtmf_rx none;
            /* Digits the endpoint saw before it was ours are not replayed. */
            dtmf_regen_attach(&m->regen, ep != NULL ? &ep->drx : &none, m->dtx);
        }
        break;
    case TDM_CMD_BRIDGE:
        if (c->a > 0 && (uint32_t)c->a <= SG_TDM_MAX) {
            tdm_slot *p = &tdm_slots[c->a - 1];
            if (atomic_load_explicit(&p->state, memory_order_acquire) == TDM_LIVE && p->thread == s->thread) {
                m->peer = p;
                m->bq_head = m->bq_count = 0;
                m->st.bridged = p->handle;
                m->rtp_handle = 0;
                m->st.rtp = 0;
            }
        } else {
            m->peer = NULL;
            m->st.bridged = 0;
        }
        break;
    case TDM_CMD_TONE:
        if (c->a >= 0 && c->a < (int)SG_TONE_KIND_COUNT && m->tones[c->a] != NULL) {
            (void)dsp_tone_gen_init(&m->tone, m->tones[c->a]);
            m->tone_kind = c->a;
        } else {
            dsp_tone_gen_stop(&m->tone);
            m->tone_kind = -1;
        }
        m->st.tone = m->tone_kind;
        break;
    case TDM_CMD_DTMF:
        (void)dsp_dtmf_tx_queue(m->dtx, c->digits, c->a, c->b);
        break;
    case TDM_CMD_GAIN:
        (void)dsp_gain_set(&m->rxg, c->a / 10.0);
        (void)dsp_gain_set(&m->txg, c->b / 10.0);
        break;
    case TDM_CMD_PLAY:
        clip_release(s, 1);
        m->clip = c->clip;
        m->clip_pos = 0;
        break;
    case TDM_CMD_EC:
        if (m->ec != NULL) {
            if (c->a == 2)
                dsp_ec_reset(m->ec);
            m->ec_bypass = c->a == 0;
            dsp_ec_bypass(m->ec, m->ec_bypass);
        }
        break;
    default:
        break;
    }
}

static void drain_cmds(media_thread *mt, tdm_slot *s)
{
    unsigned head = atomic_load_explicit(&s->q_head, memory_order_relaxed);
    unsigned tail = atomic_load_explicit(&s->q_tail, memory_order_acquire);

    while (head != tail) {
        apply_cmd(mt, s, &s->q[head & (TDM_CMDQ - 1)]);
        head++;
    }
    atomic_store_explicit(&s->q_head, head, memory_order_release);
}

/* ---- pass 1: line -> network ---- */

static void line_read(tdm_media *m)
{
    span_t *sp = m->span;
    int n;

    if (!m->flushed) {
        /* Whatever the ring holds from before the call is stale. */
        uint8_t junk[256];
        while (sp->ops->read(sp, m->ts, junk, (int)sizeof(junk)) == (int)sizeof(junk))
            ;
        m->flushed = 1;
        m->line_fill = 0;
        return;
    }
    n = sp->ops->read(sp, m->ts, m->line + m->line_fill, (int)(TDM_LINE_CAP - m->line_fill));
    if (n > 0)
        m->line_fill += (uint32_t)n;
    /* A full buffer means we fell behind the line (a thread stalled for 200 ms): drop the
     * oldest frame and take what is still waiting, a controlled slip. The frame dropped is
     * answered by one written (the last one again) so reads and writes stay in step and the
     * echo path keeps its delay. */
    while (m->line_fill == TDM_LINE_CAP) {
        uint8_t law[TDM_FRAME];
        memmove(m->line, m->line + TDM_FRAME, TDM_LINE_CAP - TDM_FRAME);
        m->line_fill -= TDM_FRAME;
        m->st.line_slips++;
        if (m->alaw)
            g711_alaw_encode(law, m->ref, TDM_FRAME);
        else
            g711_ulaw_encode(law, m->ref, TDM_FRAME);
        (void)sp->ops->write(sp, m->ts, law, (int)TDM_FRAME);
        n = sp->ops->read(sp, m->ts, m->line + m->line_fill, (int)(TDM_LINE_CAP - m->line_fill));
        if (n > 0)
            m->line_fill += (uint32_t)n;
    }
}

/* Frames the line has ready for this tick. The line is the clock: every frame read is
 * answered by one frame written, so the echo path the canceller sees keeps its delay whatever
 * the media tick does (a late tick runs two or three frames, an early one none). */
static uint32_t line_due(tdm_media *m)
{
    uint32_t due;

    if (!m->line_started) {
        if (m->line_fill < TDM_LINE_START)
            return 0;
        m->line_started = 1;
    }
    due = m->line_fill / TDM_FRAME;
    if (due == 0)
        m->st.line_underruns++;
    return due > TDM_MAX_FRAMES_PER_TICK ? TDM_MAX_FRAMES_PER_TICK : due;
}

/* Takes one frame of line samples as linear PCM. */
static void line_frame(tdm_media *m, int16_t *pcm)
{
    if (m->alaw)
        g711_alaw_decode(pcm, m->line, TDM_FRAME);
    else
        g711_ulaw_decode(pcm, m->line, TDM_FRAME);
    m->line_fill -= TDM_FRAME;
    if (m->line_fill > 0)
        memmove(m->line, m->line + TDM_FRAME, m->line_fill);
}

static uint64_t energy(const int16_t *x, size_t n)
{
    uint64_t e = 0;
    for (size_t i = 0; i < n; i++)
        e += (uint64_t)((int32_t)x[i] * (int32_t)x[i]) >> 8;
    return e;
}

static void relay_digit(media_thread *mt, tdm_media *m, rtp_ep *ep, char digit, uint32_t samples)
{
    uint32_t ms = samples / 8u;
    int code = dtmf_event_code(digit);
    cmd c;

    if (ep == NULL || !ep->have_remote || ep->cfg.dtmf_pt == 0 || code < 0)
        return;
    if (ms < 40)
        ms = 40;
    if (ms > 8000)
        ms = 8000;
    memset(&c, 0, sizeof(c));
    c.type = CMD_EP_DTMF;
    c.index = ep->index;
    c.u.dtmf.event = (uint8_t)code;
    c.u.dtmf.duration_ms = (uint16_t)ms;
    c.u.dtmf.volume = m->dtmf_volume;
    /* What the engine does with sg_rtp_send_dtmf's command, on the endpoint's own thread. */
    ep_on_dtmf(mt, ep, &c);
    mt_fast_add(mt, ep->index);
    m->st.dtmf_relayed++;
}

static void detect_dtmf(media_thread *mt, tdm_slot *s, rtp_ep *ep, const int16_t *pcm)
{
    tdm_media *m = s->m;
    dsp_dtmf_event ev[4];
    int n = dsp_dtmf_rx_process(m->drx, pcm, TDM_FRAME, ev, 4);
    int relaying = ep != NULL && ep->cfg.dtmf_pt != 0;

    for (int i = 0; i < n; i++) {
        sg_dsp_dtmf_payload_t p;
        memset(&p, 0, sizeof(p));
        dsp_dtmf_event_payload(&ev[i], &p);
        (void)events_post(SG_SUBSYS_DSP, dsp_dtmf_event_type(&ev[i]), s->handle, &p, sizeof(p));
        if (ev[i].begin) {
            m->st.dtmf_detected++;
            if (relaying && !(m->flags & SG_TDM_F_DTMF_INBAND))
                m->muting = 1;
        } else {
            relay_digit(mt, m, ep, ev[i].digit, ev[i].duration);
            m->muting = 0;
        }
    }
}

static void to_rtp(media_thread *mt, tdm_media *m, rtp_ep *ep, const int16_t *pcm, uint64_t now)
{
    uint32_t rate = ep->enc.rate;
    uint32_t fs = ep->enc.frame_samples;
    int16_t *dst;
    int got;

    if (ep->enc.desc == NULL || fs == 0 || fs > TDM_ENC_CAP / 2) {
        m->st.rtp_send_errors++;
        return;
    }
    if (rate != m->enc_rate) {                /* codec changed (re-INVITE): start over */
        m->enc_fill = 0;
        m->enc_rate = rate;
        if (m->up16)
            resample_reset(m->up16);
        if (m->up48)
            resample_reset(m->up48);
    }
    if (m->enc_fill + TDM_FRAME * 6u > TDM_ENC_CAP)
        m->enc_fill = 0;                      /* cannot happen with fs <= cap/2; stay safe */
    dst = m->enc + m->enc_fill;
    if (rate == 8000u) {
        memcpy(dst, pcm, TDM_FRAME * sizeof(*pcm));
        got = (int)TDM_FRAME;
    } else if (rate == 16000u && m->up16 != NULL) {
        got = resample_run(m->up16, pcm, TDM_FRAME, dst, TDM_ENC_CAP - m->enc_fill);
    } else if (rate == 48000u && m->up48 != NULL) {
        got = resample_run(m->up48, pcm, TDM_FRAME, dst, TDM_ENC_CAP - m->enc_fill);
    } else {
        got = -1;
    }
    if (got < 0) {
        m->st.rtp_send_errors++;
        return;
    }
    m->enc_fill += (uint32_t)got;
    while (m->enc_fill >= fs) {
        if (rtp_ep_send_pcm(mt, ep, m->enc, fs, now) == SG_OK)
            m->st.rtp_sent++;
        else
            m->st.rtp_send_errors++;
        m->enc_fill -= fs;
        if (m->enc_fill > 0)
            memmove(m->enc, m->enc + fs, m->enc_fill * sizeof(m->enc[0]));
    }
}

static void pass_line(media_thread *mt, tdm_slot *s, uint64_t now)
{
    tdm_media *m = s->m;
    int16_t sin[TDM_FRAME];
    rtp_ep *ep = live_ep(mt, m);

    line_frame(m, m->out);
    if (m->ec != NULL) {
        memcpy(sin, m->out, sizeof(sin));
        (void)dsp_ec_process(m->ec, m->ref, sin, m->out, TDM_FRAME);
        m->st.ec_sin_energy += energy(sin, TDM_FRAME);
        m->st.ec_sout_energy += energy(m->out, TDM_FRAME);
        m->st.ec_tone_disabled = (uint32_t)dsp_ec_tone_disabled(m->ec);
    }
    if (!m->rxg.unity)
        (void)dsp_gain_apply(&m->rxg, m->out, TDM_FRAME);
    if (m->drx != NULL)
        detect_dtmf(mt, s, ep, m->out);
    if (m->mon != NULL)
        tdm_monitor_feed(s->handle, m->mon, m->out, m->line_samples);
    m->line_samples += TDM_FRAME;
    if (m->muting)
        memset(m->out, 0, sizeof(m->out));
    if (m->peer != NULL) {
        /* Toward the bridged line, through an elastic buffer: the two spans' frames need not
         * fall in the same ticks. A full buffer drops its oldest frame (a slip). */
        if (m->bq_count == TDM_BRIDGE_Q) {
            m->bq_head = (m->bq_head + 1) % TDM_BRIDGE_Q;
            m->bq_count--;
            m->st.line_slips++;
        }
        memcpy(m->bq[(m->bq_head + m->bq_count) % TDM_BRIDGE_Q], m->out, sizeof(m->out));
        m->bq_count++;
    } else if (ep != NULL) {
        to_rtp(mt, m, ep, m->out, now);
    }
}

/* ---- pass 2: network -> line ---- */

void tdm_rtp_sink(void *ctx, struct rtp_ep *ep, const int16_t *pcm, size_t n, jb_kind kind)
{
    tdm_slot *s = ctx;
    tdm_media *m;
    int16_t *dst;
    int got;

    (void)kind;
    /* A stale sink (the endpoint let go of a slot that was closed or reused) does nothing. */
    if (s == NULL || atomic_load_explicit(&s->state, memory_order_acquire) != TDM_LIVE)
        return;
    m = s->m;
    if (m == NULL || m->rtp_handle != ep->handle || m->peer != NULL)
        return;
    if (m->net_fill + TDM_FRAME * 2u > TDM_NET_CAP) {
        /* The network side runs ahead of the line: drop the oldest frame. */
        memmove(m->net, m->net + TDM_FRAME, (m->net_fill - TDM_FRAME) * sizeof(m->net[0]));
        m->net_fill -= TDM_FRAME;
        m->st.line_slips++;
    }
    dst = m->net + m->net_fill;
    switch (ep->dec.rate) {
    case 8000u:
        if (n > TDM_NET_CAP - m->net_fill)
            n = TDM_NET_CAP - m->net_fill;
        memcpy(dst, pcm, n * sizeof(*pcm));
        got = (int)n;
        break;
    case 16000u:
        got = m->down16 ? resample_run(m->down16, pcm, n, dst, TDM_NET_CAP - m->net_fill) : -1;
        break;
    case 48000u:
        got = m->down48 ? resample_run(m->down48, pcm, n, dst, TDM_NET_CAP - m->net_fill) : -1;
        break;
    default:
        got = -1;
        break;
    }
    if (got > 0) {
        m->net_fill += (uint32_t)got;
        m->st.net_frames++;
    }
}

static void net_frame(tdm_media *m, int16_t *pcm)
{
    if (m->peer != NULL) {
        tdm_media *p = m->peer->m;
        if (p != NULL && p->bq_count > 0) {
            memcpy(pcm, p->bq[p->bq_head], TDM_FRAME * sizeof(*pcm));
            p->bq_head = (p->bq_head + 1) % TDM_BRIDGE_Q;
            p->bq_count--;
            m->st.net_frames++;
        } else {
            memset(pcm, 0, TDM_FRAME * sizeof(*pcm));
            m->st.net_underruns++;
        }
        return;
    }
    if (m->rtp_handle == 0) {
        memset(pcm, 0, TDM_FRAME * sizeof(*pcm));
        return;
    }
    if (m->net_fill >= TDM_FRAME) {
        memcpy(pcm, m->net, TDM_FRAME * sizeof(*pcm));
        m->net_fill -= TDM_FRAME;
        if (m->net_fill > 0)
            memmove(m->net, m->net + TDM_FRAME, m->net_fill * sizeof(m->net[0]));
    } else {
        memset(pcm, 0, TDM_FRAME * sizeof(*pcm));
        m->st.net_underruns++;
    }
}

static void line_write(tdm_media *m, const int16_t *pcm)
{
    span_t *sp = m->span;
    uint8_t law[TDM_FRAME];
    uint32_t skip = 0;
    int n;

    if (!m->tx_primed) {
        uint8_t idle[TDM_TX_CUSHION];
        memset(idle, m->alaw ? 0xd5 : 0xff, sizeof(idle));
        (void)sp->ops->write(sp, m->ts, idle, (int)sizeof(idle));
        m->tx_primed = 1;
        m->tx_idle_seen = sp->ops->tx_idle ? sp->ops->tx_idle(sp, m->ts) : 0;
    } else if (sp->ops->tx_idle != NULL && sp->ops->tx_queued != NULL) {
        /* The line sent idle while we were late; if what we wrote since piles up above the
         * cushion, it goes out that much later: drop as much of it (up to the idle sent) to
         * put the delay toward the line, and the echo path the canceller models, back where it
         * was. A controlled slip. When the line simply ran dry (it took more than we had) the
         * delay did not grow and nothing is owed. */
        uint32_t idle = sp->ops->tx_idle(sp, m->ts);
        int q = sp->ops->tx_queued(sp, m->ts);
        m->tx_debt += idle - m->tx_idle_seen;
        m->tx_idle_seen = idle;
        if (q <= (int)TDM_TX_CUSHION) {
            m->tx_debt = 0;
        } else if (m->tx_debt > 0) {
            skip = (uint32_t)q - TDM_TX_CUSHION;
            if (skip > m->tx_debt)
                skip = m->tx_debt;
            if (skip > TDM_FRAME)
                skip = TDM_FRAME;
            m->tx_debt -= skip;
            m->st.line_slips++;
        }
    }
    if (skip == TDM_FRAME)
        return;
    if (m->alaw)
        g711_alaw_encode(law, pcm, TDM_FRAME);
    else
        g711_ulaw_encode(law, pcm, TDM_FRAME);
    n = sp->ops->write(sp, m->ts, law + skip, (int)(TDM_FRAME - skip));
    if (n < (int)(TDM_FRAME - skip))
        m->st.line_overruns += TDM_FRAME - skip - (uint32_t)(n > 0 ? n : 0);
}

static void pass_net(media_thread *mt, tdm_slot *s, uint64_t now)
{
    tdm_media *m = s->m;
    int16_t pcm[TDM_FRAME], gen[TDM_FRAME];
    rtp_ep *ep = m->peer == NULL ? live_ep(mt, m) : NULL;
    int got;

    if (ep == NULL && m->peer == NULL && m->rtp_handle != 0)
        m->net_fill = 0;                      /* endpoint went away */
    net_frame(m, pcm);
    if (m->clip != NULL) {
        uint32_t left = m->clip->n - m->clip_pos, take = left < TDM_FRAME ? left : TDM_FRAME;
        memcpy(pcm, m->clip->pcm + m->clip_pos, take * sizeof(pcm[0]));
        if (take < TDM_FRAME)
            memset(pcm + take, 0, (TDM_FRAME - take) * sizeof(pcm[0]));
        m->clip_pos += take;
        if (m->clip_pos == m->clip->n)
            clip_release(s, 0);
    }
    if (ep != NULL && !(m->flags & SG_TDM_F_NO_DTMF_REGEN)) {
        /* RFC 4733 events the endpoint received, played in-band toward the line. */
        int started = 0;
        if (dtmf_regen_frame(&m->regen, &ep->drx, ep->cfg.clock_rate, m->dtx, &started))
            memset(pcm, 0, TDM_FRAME * sizeof(*pcm));
        if (started)
            m->st.dtmf_regenerated++;
    } else if (m->regen.state == DTMF_REGEN_TONE) {
        static const dtmf_rx none;
        dtmf_regen_attach(&m->regen, &none, m->dtx);   /* the endpoint went: stop its digit */
    }
    if (m->tone_kind >= 0) {
        (void)dsp_tone_gen_run(&m->tone, pcm, TDM_FRAME);
        m->st.tone_frames++;
    }
    got = dsp_dtmf_tx_run(m->dtx, gen, TDM_FRAME);
    if (got > 0)
        memcpy(pcm, gen, (size_t)got * sizeof(pcm[0]));
    if (!m->txg.unity)
        (void)dsp_gain_apply(&m->txg, pcm, TDM_FRAME);
    memcpy(m->ref, pcm, sizeof(m->ref));
    line_write(m, pcm);
}

/* ---- the hook ---- */

void tdm_tick(media_thread *mt, void *ctx, uint64_t now)
{
    uint32_t thread = (uint32_t)(uintptr_t)ctx;
    uint32_t hi = atomic_load_explicit(&tdm_slots_hi, memory_order_acquire);
    uint32_t i, k;

    if (hi > SG_TDM_MAX)
        hi = SG_TDM_MAX;
    /* pass 0: requests; closes are acknowledged at the end of the tick */
    for (i = 0; i < hi; i++) {
        tdm_slot *s = &tdm_slots[i];
        int st = atomic_load_explicit(&s->state, memory_order_acquire);
        if ((st == TDM_LIVE || st == TDM_CLOSING) && s->thread == thread)
            drain_cmds(mt, s);
    }
    for (i = 0; i < hi; i++) {
        tdm_slot *s = &tdm_slots[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) == TDM_LIVE && s->thread == thread) {
            line_read(s->m);
            s->m->due = line_due(s->m);
        }
    }
    /* Frame by frame: every channel's line -> network half, then every channel's network ->
     * line half, so a bridge hands this frame over at once. */
    for (k = 0; k < TDM_MAX_FRAMES_PER_TICK; k++) {
        int any = 0;
        for (i = 0; i < hi; i++) {
            tdm_slot *s = &tdm_slots[i];
            if (atomic_load_explicit(&s->state, memory_order_acquire) == TDM_LIVE && s->thread == thread &&
                k < s->m->due) {
                pass_line(mt, s, now);
                any = 1;
            }
        }
        if (!any)
            break;
        for (i = 0; i < hi; i++) {
            tdm_slot *s = &tdm_slots[i];
            if (atomic_load_explicit(&s->state, memory_order_acquire) == TDM_LIVE && s->thread == thread &&
                k < s->m->due) {
                pass_net(mt, s, now);
                s->m->st.frames++;
            }
        }
    }
    for (i = 0; i < hi; i++) {
        tdm_slot *s = &tdm_slots[i];
        if (s->thread != thread || atomic_load_explicit(&s->state, memory_order_acquire) != TDM_CLOSING)
            continue;
        if (s->m->peer != NULL && s->m->peer->m != NULL && s->m->peer->m->peer == s) {
            s->m->peer->m->peer = NULL;
            s->m->peer->m->st.bridged = 0;
        }
        s->m->peer = NULL;
        atomic_store_explicit(&s->state, TDM_DEAD, memory_order_release);
    }
}
