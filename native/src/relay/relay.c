/* RTP relay: joining endpoints (control API) and forwarding (media thread). */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>
#include "core/events.h"
#include "kfwd/kfwd.h"
#include "relay/relay.h"
#include "rtp/packet.h"

rtp_ep *ep_lookup(engine *e, uint32_t handle);
int relay_ctl_unlink_locked(engine *e, rtp_ep *ep);

/* ---------- control thread ---------- */

static relay *relay_lookup(engine *e, uint32_t handle)
{
    uint32_t idx = handle_index(handle);
    relay *r;

    if (e == NULL || idx >= e->cfg.max_relays)
        return NULL;
    r = &e->relays[idx];
    if (atomic_load_explicit(&r->state, memory_order_acquire) != SLOT_LIVE || r->handle != handle)
        return NULL;
    return r;
}

static int same_codec(const rtp_ep *a, const rtp_ep *b)
{
    if (a->cfg.codec[0] == '\0' || b->cfg.codec[0] == '\0')
        return 1;   /* names unknown: the signalling layer vouches for a match */
    return strcasecmp(a->cfg.codec, b->cfg.codec) == 0 && a->cfg.clock_rate == b->cfg.clock_rate;
}

int sg_relay_create(uint32_t endpoint_a, uint32_t endpoint_b)
{
    engine *e;
    rtp_ep *a, *b;
    relay *r = NULL;
    xcode *x = NULL;
    uint32_t i, idx = 0;
    cmd cm;
    int rc;

    engine_ctl_lock();
    e = engine_get();
    if (e == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    a = ep_lookup(e, endpoint_a);
    b = ep_lookup(e, endpoint_b);
    if (a == NULL || b == NULL) {
        rc = SG_ENOENT;
        goto out;
    }
    if (a == b || a->thread != b->thread) {
        rc = SG_EINVAL;
        goto out;
    }
    if (a->ctl_relay || b->ctl_relay) {
        rc = SG_EBUSY;
        goto out;
    }
    if (!same_codec(a, b)) {
        x = xcode_create(a, b, &rc);
        if (x == NULL)
            goto out;
    }
    for (i = 0; i < e->cfg.max_relays; i++) {
        uint32_t k = (e->relay_cursor + i) % e->cfg.max_relays;
        if (atomic_load_explicit(&e->relays[k].state, memory_order_acquire) == SLOT_FREE) {
            r = &e->relays[k];
            idx = k;
            break;
        }
    }
    if (r == NULL) {
        rc = SG_EBUSY;
        goto out;
    }
    r->gen = (r->gen + 1) & HANDLE_GEN_MASK;
    if (r->gen == 0)
        r->gen = 1;
    r->handle = handle_make(r->gen, idx);
    r->a = handle_index(endpoint_a);
    r->b = handle_index(endpoint_b);
    r->thread = a->thread;
    r->mode = x ? SG_RELAY_TRANSCODE : SG_RELAY_PASSTHROUGH;
    r->x = x;
    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_RELAY_ADD;
    cm.index = idx;
    atomic_store_explicit(&r->state, SLOT_LIVE, memory_order_release);
    rc = engine_send(e, r->thread, &cm);
    if (rc != SG_OK) {
        r->x = NULL;
        atomic_store_explicit(&r->state, SLOT_FREE, memory_order_release);
        goto out;
    }
    x = NULL;
    a->ctl_relay = b->ctl_relay = idx + 1;
    e->relay_cursor = idx + 1;
    rc = (int)r->handle;
out:
    engine_ctl_unlock();
    xcode_free(x);
    return rc;
}

static int unlink_locked(engine *e, relay *r)
{
    cmd cm;
    int rc;

    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_RELAY_DEL;
    cm.index = handle_index(r->handle);
    atomic_store_explicit(&r->state, SLOT_CLOSING, memory_order_release);
    rc = engine_send(e, r->thread, &cm);
    if (rc != SG_OK) {
        atomic_store_explicit(&r->state, SLOT_LIVE, memory_order_release);
        return rc;
    }
    e->eps[r->a].ctl_relay = 0;
    e->eps[r->b].ctl_relay = 0;
    return SG_OK;
}

int relay_ctl_unlink_locked(engine *e, rtp_ep *ep)
{
    relay *r;

    if (ep->ctl_relay == 0)
        return SG_OK;
    r = &e->relays[ep->ctl_relay - 1];
    if (atomic_load_explicit(&r->state, memory_order_acquire) != SLOT_LIVE)
        return SG_OK;
    return unlink_locked(e, r);
}

int sg_relay_destroy(uint32_t handle)
{
    engine *e;
    relay *r;
    int rc;

    engine_ctl_lock();
    e = engine_get();
    r = relay_lookup(e, handle);
    rc = r ? unlink_locked(e, r) : (e ? SG_ENOENT : SG_ESTATE);
    engine_ctl_unlock();
    return rc;
}

int sg_relay_mode_of(uint32_t handle)
{
    relay *r;
    int rc;

    engine_ctl_lock();
    r = relay_lookup(engine_get(), handle);
    rc = r ? (int)r->mode : SG_ENOENT;
    engine_ctl_unlock();
    return rc;
}

/* ---------- media thread ---------- */

void relay_on_add(media_thread *mt, relay *r)
{
    rtp_ep *a = &mt->e->eps[r->a], *b = &mt->e->eps[r->b];
    sg_relay_ev_t ev;

    a->peer = b;
    b->peer = a;
    a->relay_index = b->relay_index = (uint32_t)(r - mt->e->relays);
    mt->c.relays_active++;
    memset(&ev, 0, sizeof(ev));
    ev.endpoint_a = a->handle;
    ev.endpoint_b = b->handle;
    ev.mode = r->mode;
    (void)events_post(SG_SUBSYS_RELAY, SG_RELAY_EV_STARTED, r->handle, &ev, sizeof(ev));
}

static void separate(media_thread *mt, relay *r)
{
    rtp_ep *a = &mt->e->eps[r->a], *b = &mt->e->eps[r->b];
    sg_relay_ev_t ev;

    kfwd_take_back(mt, a);        /* while the peers are still joined (counters fold into both) */
    kfwd_take_back(mt, b);
    if (a->peer == b)
        a->peer = NULL;
    if (b->peer == a)
        b->peer = NULL;
    mt->c.relays_active--;
    memset(&ev, 0, sizeof(ev));
    ev.endpoint_a = a->handle;
    ev.endpoint_b = b->handle;
    ev.mode = r->mode;
    (void)events_post(SG_SUBSYS_RELAY, SG_RELAY_EV_CLOSED, r->handle, &ev, sizeof(ev));
    xcode_free(r->x);             /* teardown, not the packet path */
    r->x = NULL;
    atomic_store_explicit(&r->state, SLOT_FREE, memory_order_release);
}

void relay_on_del(media_thread *mt, relay *r)
{
    separate(mt, r);
}

void relay_detach(media_thread *mt, rtp_ep *ep)
{
    /* sg_rtp_destroy queues CMD_RELAY_DEL before CMD_EP_DEL, so this only runs if the
     * relay was already separated; kept as a guard. */
    relay *r = &mt->e->relays[ep->relay_index];
    if (ep->peer && atomic_load_explicit(&r->state, memory_order_acquire) != SLOT_FREE)
        separate(mt, r);
    ep->peer = NULL;
}

static void send_rtp(media_thread *mt, rtp_ep *to, uint8_t *pkt, int len, uint32_t ts, uint32_t payload_len,
                     uint64_t now)
{
    if (to->srtp.suite && sgsrtp_protect(&to->srtp, pkt, &len) < 0) {
        mt->c.srtp_tx_fail++;
        return;
    }
    mt_tx(mt, to->rtp_fd, &to->remote, pkt, (uint32_t)len);
    out_stream_sent(&to->out, ts, now, payload_len);
    to->sent_since_report++;
    to->st.tx_packets++;
    to->st.tx_bytes += (uint64_t)len;
    mt->c.tx_packets++;
    mt->c.tx_bytes += (uint64_t)len;
}

/* Resamples (when needed), encodes and sends one PCM frame as source packet (ssrc, seq, ts). */
static void emit_pcm(media_thread *mt, xcode_dir *d, rtp_ep *to, int16_t *pcm, int n, uint32_t ssrc,
                     uint16_t src_seq, uint32_t src_ts, int marker_in, uint64_t now)
{
    int16_t pcm2[CODEC_MAX_FRAME_SAMPLES];
    const int16_t *in = pcm;
    uint32_t scaled = xcode_scale_ts(d, ssrc, src_ts), ts;
    uint16_t seq;
    uint8_t *out;
    int enc, marker;

    if (d->rs != NULL) {
        n = resample_run(d->rs, pcm, (size_t)n, pcm2, CODEC_MAX_FRAME_SAMPLES);
        if (n <= 0) {
            mt->c.relay_dropped++;
            return;
        }
        in = pcm2;
    }
    out = mt_xbuf(mt);
    if (out == NULL) {
        mt_flush(mt);
        out = mt_xbuf(mt);
    }
    enc = codec_encode(&d->enc, in, (size_t)n, out + RTP_HEADER_LEN, MT_BUF - RTP_HEADER_LEN - SGSRTP_MAX_TRAILER);
    if (enc < 0) {
        mt->c.relay_dropped++;
        return;
    }
    marker = out_stream_map(&to->out, ssrc, src_seq, scaled, now, &seq, &ts) | marker_in;
    rtp_write_header(out, to->cfg.payload_type, marker, seq, ts, to->out.ssrc);
    send_rtp(mt, to, out, (int)RTP_HEADER_LEN + enc, ts, (uint32_t)enc, now);
    mt->c.relay_transcoded++;
}

/* Fills a short gap before packet h of an audio source: PLC for the older missing frames and
 * the codec's FEC (Opus in-band redundancy carried by h) for the frame just before h. */
static void conceal_gap(media_thread *mt, xcode_dir *d, rtp_ep *to, const uint8_t *payload, uint32_t len,
                        const rtp_header *h, uint64_t now)
{
    int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    uint16_t gap = (uint16_t)(h->seq - d->next_seq), k;
    uint32_t step = d->from_clock / 1000u * d->dec.frame_ms;

    if (!d->have_seq || !d->last_audio || h->ssrc != d->seq_ssrc || gap == 0 || gap > XCODE_MAX_CONCEAL)
        return;
    for (k = gap; k >= 1; k--) {
        int n = k == 1 ? codec_decode_fec(&d->dec, payload, len, pcm, d->dec.frame_samples)
                       : codec_plc(&d->dec, pcm, d->dec.frame_samples);
        if (n > 0)
            emit_pcm(mt, d, to, pcm, n, h->ssrc, (uint16_t)(h->seq - k), h->ts - k * step, 0, now);
    }
}

static void track_seq(xcode_dir *d, const rtp_header *h, enum relay_kind kind)
{
    if (!d->have_seq || h->ssrc != d->seq_ssrc || (int16_t)(h->seq - d->next_seq) >= 0)
        d->next_seq = (uint16_t)(h->seq + 1);
    d->have_seq = 1;
    d->seq_ssrc = h->ssrc;
    d->last_audio = kind == RELAY_AUDIO;
}

/* Decode, resample, encode; DTMF and CN are carried with their clocks rescaled. */
static void transcode_forward(media_thread *mt, relay *r, rtp_ep *from, uint8_t *buf, uint32_t len,
                              const rtp_header *h, enum relay_kind kind, uint64_t now)
{
    rtp_ep *to = from->peer;
    xcode_dir *d = (from->index == r->a) ? &r->x->ab : &r->x->ba;
    int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    int n;

    (void)len;
    if (!to->have_remote) {
        mt->c.relay_dropped++;
        return;
    }
    if (kind == RELAY_DTMF) {
        /* Same payload; the duration field counts in the RTP clock, which may differ. */
        uint8_t *p = buf + h->header_len;
        uint32_t dur, ts, scaled = xcode_scale_ts(d, h->ssrc, h->ts);
        uint16_t seq;
        int marker;
        if (to->cfg.dtmf_pt == 0 || h->payload_len < 4) {
            mt->c.relay_dropped++;
            return;
        }
        dur = ((uint32_t)p[2] << 8 | p[3]) * d->to_clock / d->from_clock;
        if (dur > 0xffff)
            dur = 0xffff;
        p[2] = (uint8_t)(dur >> 8);
        p[3] = (uint8_t)dur;
        marker = out_stream_map(&to->out, h->ssrc, h->seq, scaled, now, &seq, &ts) | h->marker;
        rtp_rewrite(buf, to->cfg.dtmf_pt, marker, seq, ts, to->out.ssrc);
        send_rtp(mt, to, buf, (int)(h->header_len + h->payload_len), ts, h->payload_len, now);
        if (h->marker)
            mt->c.dtmf_tx_events++;
        track_seq(d, h, kind);
        return;
    }
    if (kind == RELAY_CN) {
        /* Comfort noise at the signalled level, encoded like speech for the other side. */
        cn_payload cn;
        if (cn_parse(buf + h->header_len, h->payload_len, &cn) < 0) {
            mt->c.relay_dropped++;
            track_seq(d, h, kind);
            return;
        }
        cn_gen_set_level(&d->cng, cn.level);
        n = d->dec.frame_samples;
        cn_gen_fill(&d->cng, pcm, (size_t)n);
    } else {
        conceal_gap(mt, d, to, buf + h->header_len, h->payload_len, h, now);
        n = codec_decode(&d->dec, buf + h->header_len, h->payload_len, pcm, CODEC_MAX_FRAME_SAMPLES);
        if (n <= 0) {
            mt->c.relay_dropped++;
            track_seq(d, h, kind);
            return;
        }
    }
    track_seq(d, h, kind);
    emit_pcm(mt, d, to, pcm, n, h->ssrc, h->seq, h->ts, h->marker, now);
}

void relay_forward(media_thread *mt, rtp_ep *from, uint8_t *buf, uint32_t len, const rtp_header *h,
                   enum relay_kind kind, const sg_sockaddr *src, uint64_t now)
{
    rtp_ep *to = from->peer;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    int marker, fresh, out_len = (int)len;
    relay *r = &mt->e->relays[from->relay_index];

    if (r->x != NULL) {
        transcode_forward(mt, r, from, buf, len, h, kind, now);
        return;
    }
    switch (kind) {
    case RELAY_DTMF: pt = to->cfg.dtmf_pt; break;
    case RELAY_CN: pt = to->cfg.cn_pt; break;
    default: pt = to->cfg.payload_type; break;
    }
    if ((kind != RELAY_AUDIO && pt == 0) || !to->have_remote) {
        /* TODO(next): a far side without telephone-event needs the digits in band: switch the
         * relay to transcoding and mix dsp/dtmf.h's generator into that direction. Until
         * then they are dropped (counted) and still reported by the receiving endpoint. */
        mt->c.relay_dropped++;
        return;
    }
    fresh = out_stream_map(&to->out, h->ssrc, h->seq, h->ts, now, &seq, &ts);
    marker = fresh | h->marker;
    rtp_rewrite(buf, pt, marker, seq, ts, to->out.ssrc);
    send_rtp(mt, to, buf, out_len, ts, h->payload_len, now);
    mt->c.relay_forwarded++;
    if (kind == RELAY_AUDIO && kfwd_on())
        kfwd_consider(mt, from, h, src, fresh, now);
    if (kind == RELAY_DTMF && h->marker)
        mt->c.dtmf_tx_events++;
}
