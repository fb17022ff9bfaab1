/* RTP endpoints: the control API (sg_rtp_*) and the media-thread packet path. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "core/events.h"
#include "kfwd/kfwd.h"
#include "relay/relay.h"
#include "rtp/endpoint.h"
#include "rtp/rtcp.h"

#define RTCP_INTERVAL_NS 5000000000ull   /* RFC 3550 6.2 minimum, randomised 0.5..1.5 */
#define LATCH_HOLD_NS 1000000000ull      /* a latched source silent this long may be replaced */

/* ---------- control thread ---------- */

static int validate(const sg_rtp_config_t *cfg, sg_rtp_config_t *out, sg_sockaddr *remote,
                    sg_sockaddr *remote_rtcp, uint8_t *have_remote)
{
    if (cfg == NULL || cfg->struct_size != sizeof(sg_rtp_config_t))
        return SG_EINVAL;
    *out = *cfg;
    out->local_addr[SG_ADDR_MAX - 1] = '\0';
    out->remote_addr[SG_ADDR_MAX - 1] = '\0';
    out->codec[SG_RTP_CODEC_MAX - 1] = '\0';
    out->srtp_tx_key[SG_SRTP_KEY_MAX - 1] = '\0';
    out->srtp_rx_key[SG_SRTP_KEY_MAX - 1] = '\0';
    if (out->ptime_ms == 0) out->ptime_ms = 20;
    if (out->clock_rate == 0) out->clock_rate = 8000;
    if (out->jb_min_ms == 0) out->jb_min_ms = 20;
    if (out->jb_max_ms == 0) out->jb_max_ms = 200;
    if (out->payload_type > 127 || out->dtmf_pt > 127 || out->cn_pt > 127 ||
        (out->dtmf_pt != 0 && out->dtmf_pt == out->payload_type) ||
        (out->cn_pt != 0 && out->cn_pt == out->payload_type) ||
        out->ptime_ms < 10 || out->ptime_ms > 120 || out->ptime_ms % 10 != 0 ||
        out->clock_rate < 8000 || out->clock_rate > 96000 || out->clock_rate % 1000 != 0 ||
        out->srtp_suite > SG_SRTP_AES_CM_128_HMAC_SHA1_32 || (out->flags & ~0x0fu) != 0 ||
        out->jb_max_ms < out->jb_min_ms)
        return SG_EINVAL;
    *have_remote = 0;
    if (out->remote_addr[0] != '\0') {
        uint16_t rport;
        if (out->remote_port == 0 || udp_addr_parse(out->remote_addr, out->remote_port, remote) < 0)
            return SG_EINVAL;
        rport = out->remote_rtcp_port ? out->remote_rtcp_port
              : (out->flags & SG_RTP_F_RTCP_MUX) ? out->remote_port : (uint16_t)(out->remote_port + 1);
        *remote_rtcp = *remote;
        udp_addr_set_port(remote_rtcp, rport);
        *have_remote = 1;
    } else if (!(out->flags & SG_RTP_F_SYMMETRIC)) {
        return SG_EINVAL;     /* nowhere to send and nothing to learn it from */
    }
    return SG_OK;
}

static rtp_ep *lookup(engine *e, uint32_t handle)
{
    uint32_t idx = handle_index(handle);
    rtp_ep *ep;

    if (e == NULL || idx >= e->cfg.max_endpoints)
        return NULL;
    ep = &e->eps[idx];
    if (atomic_load_explicit(&ep->state, memory_order_acquire) != SLOT_LIVE || ep->handle != handle)
        return NULL;
    return ep;
}

/* Control thread (relay.c uses it too). */
rtp_ep *ep_lookup(engine *e, uint32_t handle);
rtp_ep *ep_lookup(engine *e, uint32_t handle)
{
    return lookup(e, handle);
}

int sg_rtp_create(const sg_rtp_config_t *cfg)
{
    engine *e;
    sg_rtp_config_t c;
    sg_sockaddr remote, remote_rtcp;
    uint8_t have_remote = 0;
    rtp_ep *ep = NULL;
    uint32_t i, idx = 0;
    int rc, rtp_fd = -1, rtcp_fd = -1;
    uint16_t port = 0;
    sgsrtp srtp;
    jb *jbuf = NULL;
    sg_codec dec, enc;
    cmd cm;

    memset(&srtp, 0, sizeof(srtp));
    memset(&dec, 0, sizeof(dec));
    memset(&enc, 0, sizeof(enc));
    rc = validate(cfg, &c, &remote, &remote_rtcp, &have_remote);
    if (rc != SG_OK)
        return rc;
    engine_ctl_lock();
    e = engine_get();
    if (e == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    for (i = 0; i < e->cfg.max_endpoints; i++) {
        uint32_t k = (e->ep_cursor + i) % e->cfg.max_endpoints;
        if (atomic_load_explicit(&e->eps[k].state, memory_order_acquire) == SLOT_FREE) {
            idx = k;
            ep = &e->eps[k];
            break;
        }
    }
    if (ep == NULL) {
        rc = SG_EBUSY;
        goto out;
    }
    if (c.srtp_suite != SG_SRTP_NONE) {
        rc = sgsrtp_create(&srtp, c.srtp_suite, c.srtp_tx_key, c.srtp_rx_key);
        if (rc != SG_OK)
            goto out;
    }
    if (c.flags & SG_RTP_F_JITTER_BUFFER) {
        jbuf = calloc(1, sizeof(*jbuf));
        if (jbuf == NULL || jb_init(jbuf, c.clock_rate, c.ptime_ms, c.jb_min_ms, c.jb_max_ms) < 0) {
            rc = SG_ENOMEM;
            goto out;
        }
    }
    if (jbuf != NULL && c.codec[0] != '\0') {
        sg_codec_opts_t o;
        const sg_codec_desc *d = codec_lookup(c.codec, c.clock_rate);
        memset(&o, 0, sizeof(o));
        o.frame_ms = c.ptime_ms;
        if (d == NULL || codec_create(&dec, d, &o) != SG_OK || codec_create(&enc, d, &o) != SG_OK) {
            rc = SG_EINVAL;
            goto out;
        }
    }
    rc = udp_bind_pair(c.local_addr, c.local_port, e->cfg.port_min, e->cfg.port_max, &e->port_cursor,
                       !(c.flags & SG_RTP_F_RTCP_MUX), &rtp_fd, &rtcp_fd, &port);
    if (rc != SG_OK)
        goto out;

    /* The slot is FREE: nobody else reads it until CMD_EP_ADD is popped (release/acquire). */
    ep->gen = (ep->gen + 1) & HANDLE_GEN_MASK;
    if (ep->gen == 0)
        ep->gen = 1;
    ep->handle = handle_make(ep->gen, idx);
    ep->thread = c.shard % e->nthreads;
    ep->local_port = port;
    ep->ctl_relay = 0;
    ep->index = idx;
    ep->rtp_fd = rtp_fd;
    ep->rtcp_fd = rtcp_fd;
    ep->cfg = c;
    ep->remote = remote;
    ep->remote_rtcp = remote_rtcp;
    ep->have_remote = have_remote;
    ep->have_latched = ep->have_rx = ep->timed_out = 0;
    ep->srtp = srtp;
    memset(&ep->rx, 0, sizeof(ep->rx));
    out_stream_init(&ep->out, c.ssrc ? c.ssrc : engine_random32(), (uint16_t)engine_random32(),
                    engine_random32(), c.clock_rate);
    memset(&ep->drx, 0, sizeof(ep->drx));
    memset(&ep->dtx, 0, sizeof(ep->dtx));
    ep->dtx_ts = 0;
    ep->jbuf = jbuf;
    ep->dec = dec;
    ep->enc = enc;
    ep->pcm_next_ts = 0;
    ep->pcm_last_ns = 0;
    cn_gen_init(&ep->cng, engine_random32());
    ep->sink = NULL;
    ep->sink_ctx = NULL;
    ep->peer = NULL;
    ep->relay_index = 0;
    ep->last_rx_ns = ep->next_rtcp_ns = ep->lsr_arrival_ns = 0;
    ep->lsr_mid = 0;
    ep->sent_since_report = 0;
    ep->srtp_fail = 0;
    snprintf(ep->cname, sizeof(ep->cname), "sg-%08x@spangate", ep->out.ssrc);
    memset(&ep->st, 0, sizeof(ep->st));
    ep->st.tx_ssrc = ep->out.ssrc;
    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_EP_ADD;
    cm.index = idx;
    atomic_store_explicit(&ep->state, SLOT_LIVE, memory_order_release);
    rc = engine_send(e, ep->thread, &cm);
    if (rc != SG_OK) {
        atomic_store_explicit(&ep->state, SLOT_FREE, memory_order_release);
        ep->rtp_fd = ep->rtcp_fd = -1;
        ep->jbuf = NULL;
        memset(&ep->dec, 0, sizeof(ep->dec));
        memset(&ep->enc, 0, sizeof(ep->enc));
        memset(&ep->srtp, 0, sizeof(ep->srtp));
        goto out;
    }
    e->ep_cursor = idx + 1;
    rc = (int)ep->handle;
    rtp_fd = rtcp_fd = -1;
    jbuf = NULL;
    memset(&srtp, 0, sizeof(srtp));
    memset(&dec, 0, sizeof(dec));
    memset(&enc, 0, sizeof(enc));
out:
    engine_ctl_unlock();
    codec_destroy(&dec);
    codec_destroy(&enc);
    if (rtp_fd >= 0) close(rtp_fd);
    if (rtcp_fd >= 0) close(rtcp_fd);
    if (jbuf) {
        jb_free(jbuf);
        free(jbuf);
    }
    sgsrtp_destroy(&srtp);
    return rc;
}

int sg_rtp_update(uint32_t handle, const sg_rtp_config_t *cfg)
{
    engine *e;
    rtp_ep *ep;
    cmd cm;
    int rc;

    memset(&cm, 0, sizeof(cm));
    rc = validate(cfg, &cm.u.update.cfg, &cm.u.update.remote, &cm.u.update.remote_rtcp, &cm.u.update.have_remote);
    if (rc != SG_OK)
        return rc;
    engine_ctl_lock();
    e = engine_get();
    ep = lookup(e, handle);
    if (ep == NULL) {
        rc = e ? SG_ENOENT : SG_ESTATE;
        goto out;
    }
    /* Options fixed at create keep their values. */
    cm.u.update.cfg.flags = (cm.u.update.cfg.flags & ~SG_RTP_F_JITTER_BUFFER) | (ep->cfg.flags & SG_RTP_F_JITTER_BUFFER);
    if ((cm.u.update.cfg.flags & SG_RTP_F_RTCP_MUX) != (ep->cfg.flags & SG_RTP_F_RTCP_MUX) && ep->rtcp_fd < 0) {
        rc = SG_EINVAL;           /* cannot grow an RTCP socket after the fact */
        goto out;
    }
    if (cm.u.update.cfg.srtp_suite != SG_SRTP_NONE) {
        rc = sgsrtp_create(&cm.u.update.srtp, cm.u.update.cfg.srtp_suite, cm.u.update.cfg.srtp_tx_key,
                           cm.u.update.cfg.srtp_rx_key);
        if (rc != SG_OK)
            goto out;
    }
    /* A jitter-buffer endpoint whose codec changes gets a new playout decoder. */
    if (ep->jbuf != NULL && (strcasecmp(cm.u.update.cfg.codec, ep->cfg.codec) != 0 ||
                             cm.u.update.cfg.clock_rate != ep->cfg.clock_rate ||
                             cm.u.update.cfg.ptime_ms != ep->cfg.ptime_ms)) {
        const sg_codec_desc *d = codec_lookup(cm.u.update.cfg.codec, cm.u.update.cfg.clock_rate);
        sg_codec_opts_t o;
        memset(&o, 0, sizeof(o));
        o.frame_ms = cm.u.update.cfg.ptime_ms;
        if (cm.u.update.cfg.codec[0] != '\0' && (d == NULL || codec_create(&cm.u.update.dec, d, &o) != SG_OK ||
                                                  codec_create(&cm.u.update.enc, d, &o) != SG_OK)) {
            sgsrtp_destroy(&cm.u.update.srtp);
            codec_destroy(&cm.u.update.dec);
            rc = SG_EINVAL;
            goto out;
        }
        cm.u.update.have_dec = 1;
    }
    cm.type = CMD_EP_UPDATE;
    cm.index = handle_index(handle);
    rc = engine_send(e, ep->thread, &cm);
    if (rc != SG_OK) {
        sgsrtp_destroy(&cm.u.update.srtp);
        codec_destroy(&cm.u.update.dec);
        codec_destroy(&cm.u.update.enc);
    }
out:
    engine_ctl_unlock();
    return rc;
}

int relay_ctl_unlink_locked(engine *e, rtp_ep *ep);

int sg_rtp_destroy(uint32_t handle)
{
    engine *e;
    rtp_ep *ep;
    cmd cm;
    int rc;

    engine_ctl_lock();
    e = engine_get();
    ep = lookup(e, handle);
    if (ep == NULL) {
        rc = e ? SG_ENOENT : SG_ESTATE;
        goto out;
    }
    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_EP_DEL;
    cm.index = handle_index(handle);
    /* The relay goes first (same queue, so the media thread sees it first). */
    rc = relay_ctl_unlink_locked(e, ep);
    if (rc != SG_OK)
        goto out;
    atomic_store_explicit(&ep->state, SLOT_CLOSING, memory_order_release);
    rc = engine_send(e, ep->thread, &cm);
    if (rc != SG_OK)
        atomic_store_explicit(&ep->state, SLOT_LIVE, memory_order_release);
out:
    engine_ctl_unlock();
    return rc;
}

int sg_rtp_local_port(uint32_t handle)
{
    rtp_ep *ep;
    int rc;

    engine_ctl_lock();
    ep = lookup(engine_get(), handle);
    rc = ep ? (int)ep->local_port : SG_ENOENT;
    engine_ctl_unlock();
    return rc;
}

int sg_rtp_send_dtmf(uint32_t handle, uint8_t event, uint16_t duration_ms, uint8_t volume)
{
    engine *e;
    rtp_ep *ep;
    cmd cm;
    int rc;

    if (event > DTMF_MAX_EVENT || duration_ms < 40 || duration_ms > 8000 || volume > 63)
        return SG_EINVAL;
    engine_ctl_lock();
    e = engine_get();
    ep = lookup(e, handle);
    if (ep == NULL) {
        rc = e ? SG_ENOENT : SG_ESTATE;
        goto out;
    }
    if (ep->cfg.dtmf_pt == 0) {
        rc = SG_ESTATE;
        goto out;
    }
    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_EP_DTMF;
    cm.index = handle_index(handle);
    cm.u.dtmf.event = event;
    cm.u.dtmf.duration_ms = duration_ms;
    cm.u.dtmf.volume = volume;
    rc = engine_send(e, ep->thread, &cm);
out:
    engine_ctl_unlock();
    return rc;
}

int sg_rtp_stats(uint32_t handle, sg_rtp_stats_t *out, uint32_t size)
{
    rtp_ep *ep;
    int rc = SG_OK;

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    engine_ctl_lock();
    ep = lookup(engine_get(), handle);
    if (ep == NULL) {
        rc = SG_ENOENT;
    } else {
        uint64_t last = ep->last_rx_ns, now = engine_now_ns();
        uint64_t since = last ? last : ep->created_ns;
        *out = ep->st;    /* fields written by the media thread; each is read whole */
        out->idle_ms = since && now > since ? (uint32_t)((now - since) / 1000000ull) : 0;
    }
    engine_ctl_unlock();
    return rc;
}

void ep_release(rtp_ep *ep)
{
    if (ep->rtp_fd >= 0) close(ep->rtp_fd);
    if (ep->rtcp_fd >= 0) close(ep->rtcp_fd);
    ep->rtp_fd = ep->rtcp_fd = -1;
    sgsrtp_destroy(&ep->srtp);
    if (ep->jbuf) {
        jb_free(ep->jbuf);
        free(ep->jbuf);
        ep->jbuf = NULL;
    }
    codec_destroy(&ep->dec);
    codec_destroy(&ep->enc);
    ep->peer = NULL;
    atomic_store(&ep->state, SLOT_FREE);
}

/* ---------- media thread ---------- */

static void post(rtp_ep *ep, uint16_t type, const void *payload, size_t len)
{
    (void)events_post(SG_SUBSYS_RTP, type, ep->handle, payload, len);
}

static uint64_t rtcp_jitter_ns(uint64_t now)
{
    /* 0.5 .. 1.5 times the interval (RFC 3550 6.3.1) */
    return now + RTCP_INTERVAL_NS / 2 + (uint64_t)(engine_random32() % 1000u) * (RTCP_INTERVAL_NS / 1000u);
}

void ep_on_add(media_thread *mt, rtp_ep *ep, uint64_t now)
{
    (void)mt;
    ep->created_ns = now;
    /* The first report goes out after half the interval (RFC 3550 6.2: "the initial RTCP
     * packet ... delayed by half the minimum interval"), randomised like the others. */
    ep->next_rtcp_ns = now + (rtcp_jitter_ns(now) - now) / 2;
}

void ep_on_update(media_thread *mt, rtp_ep *ep, cmd *c)
{
    sg_rtp_config_t *n = &c->u.update.cfg;

    /* A re-INVITE may change anything the kernel rewrites with: take both directions back;
     * the relay offloads them again once the new stream is stable. */
    kfwd_take_back(mt, ep);
    if (ep->peer)
        kfwd_take_back(mt, ep->peer);
    if (c->u.update.have_remote) {
        if (!ep->have_remote || !udp_addr_equal(&ep->remote, &c->u.update.remote))
            ep->have_latched = 0;         /* a new far end: latch again */
        ep->remote = c->u.update.remote;
        ep->remote_rtcp = c->u.update.remote_rtcp;
        ep->have_remote = 1;
    }
    if (n->clock_rate != ep->cfg.clock_rate) {
        ep->out.clock_rate = n->clock_rate;
        ep->have_rx = 0;                  /* jitter in the old clock is meaningless */
    }
    if (ep->jbuf && (n->clock_rate != ep->cfg.clock_rate || n->ptime_ms != ep->cfg.ptime_ms ||
                     n->jb_min_ms != ep->cfg.jb_min_ms || n->jb_max_ms != ep->cfg.jb_max_ms)) {
        jb_free(ep->jbuf);               /* setup-time allocation, not the packet path */
        if (jb_init(ep->jbuf, n->clock_rate, n->ptime_ms, n->jb_min_ms, n->jb_max_ms) < 0) {
            free(ep->jbuf);
            ep->jbuf = NULL;
        }
    }
    /* Keep the create-only fields. */
    n->ssrc = ep->cfg.ssrc;
    n->shard = ep->cfg.shard;
    n->local_port = ep->cfg.local_port;
    memcpy(n->local_addr, ep->cfg.local_addr, sizeof(n->local_addr));
    ep->cfg = *n;
    sgsrtp_destroy(&ep->srtp);
    ep->srtp = c->u.update.srtp;
    memset(&c->u.update.srtp, 0, sizeof(c->u.update.srtp));
    if (c->u.update.have_dec) {
        codec_destroy(&ep->dec);          /* setup-time, not the packet path */
        codec_destroy(&ep->enc);
        ep->dec = c->u.update.dec;
        ep->enc = c->u.update.enc;
        memset(&c->u.update.dec, 0, sizeof(c->u.update.dec));
        memset(&c->u.update.enc, 0, sizeof(c->u.update.enc));
        ep->pcm_last_ns = 0;
        if (ep->dec.desc == NULL)
            ep->sink = NULL;              /* nothing to decode with any more */
    }
    ep->timed_out = 0;
}

void ep_on_del(media_thread *mt, rtp_ep *ep)
{
    sg_rtp_ev_closed_t ev;

    if (ep->peer)
        relay_detach(mt, ep);
    kfwd_take_back(mt, ep);
    memset(&ev, 0, sizeof(ev));
    ev.rx_packets = ep->st.rx_packets;
    ev.tx_packets = ep->st.tx_packets;
    ev.rx_lost = ep->st.rx_lost;
    ev.jitter_us = ep->st.jitter_us;
    ev.rtt_us = ep->st.rtt_us;
    ev.rx_expected = ep->st.rx_expected;
    close(ep->rtp_fd);
    if (ep->rtcp_fd >= 0)
        close(ep->rtcp_fd);
    ep->rtp_fd = ep->rtcp_fd = -1;
    sgsrtp_destroy(&ep->srtp);
    if (ep->jbuf) {
        jb_free(ep->jbuf);
        free(ep->jbuf);
        ep->jbuf = NULL;
    }
    codec_destroy(&ep->dec);      /* teardown, not the packet path */
    codec_destroy(&ep->enc);
    ep->sink = NULL;
    post(ep, SG_RTP_EV_CLOSED, &ev, sizeof(ev));
}

void ep_on_dtmf(media_thread *mt, rtp_ep *ep, const cmd *c)
{
    /* Generated digits interleave with the relayed stream (out_stream_local shifts its
     * sequence offset): the direction into this endpoint goes back to user space; it is not
     * offloaded again while digits are being sent (kfwd_consider). */
    if (ep->peer)
        kfwd_take_back(mt, ep->peer);
    (void)dtmf_tx_queue(&ep->dtx, c->u.dtmf.event, c->u.dtmf.duration_ms, c->u.dtmf.volume);
}

static void latch(media_thread *mt, rtp_ep *ep, const sg_sockaddr *src)
{
    kfwd_take_back(mt, ep);       /* keyed on the old source */
    ep->latched_src = *src;
    ep->have_latched = 1;
    ep->st.latched = 1;
    if (!ep->have_remote || !udp_addr_equal(&ep->remote, src)) {
        sg_rtp_ev_addr_t ev;
        memset(&ev, 0, sizeof(ev));
        ep->remote = *src;
        if (!(ep->cfg.flags & SG_RTP_F_RTCP_MUX)) {
            ep->remote_rtcp = *src;
            udp_addr_set_port(&ep->remote_rtcp, (uint16_t)(udp_addr_port(src) + 1));
        } else {
            ep->remote_rtcp = *src;
        }
        ep->have_remote = 1;
        mt->c.latches++;
        udp_addr_format(src, ev.addr, sizeof(ev.addr));
        ev.port = udp_addr_port(src);
        post(ep, SG_RTP_EV_LATCHED, &ev, sizeof(ev));
    }
}

static uint32_t arrival_units(uint64_t now, uint32_t rate)
{
    return (uint32_t)((now / 1000ull) * rate / 1000000ull);
}

static uint32_t units_to_us(uint32_t units, uint32_t rate)
{
    return (uint32_t)((uint64_t)units * 1000000ull / rate);
}

static void srtp_failed(media_thread *mt, rtp_ep *ep)
{
    mt->c.srtp_rx_fail++;
    if (ep->srtp_fail++ % 1000u == 0) {
        sg_rtp_ev_timeout_t ev = { .idle_ms = ep->srtp_fail };
        post(ep, SG_RTP_EV_SRTP_FAIL, &ev, sizeof(ev));
    }
}

static void on_rtcp(media_thread *mt, rtp_ep *ep, uint8_t *buf, uint32_t len, const sg_sockaddr *src, uint64_t now)
{
    rtcp_info info;
    int l = (int)len;
    struct timespec rt;

    if (ep->srtp.suite && sgsrtp_unprotect_rtcp(&ep->srtp, buf, &l) < 0) {
        srtp_failed(mt, ep);
        return;
    }
    if (rtcp_parse(buf, (size_t)l, ep->out.ssrc, &info) < 0) {
        mt->c.rx_malformed++;
        return;
    }
    mt->c.rtcp_rx++;
    /* Symmetric RTCP: answer where reports really come from, but only from the host RTP
     * latched to (an unauthenticated stranger must not redirect our reports). */
    if ((ep->cfg.flags & SG_RTP_F_SYMMETRIC) && ep->have_latched && !(ep->cfg.flags & SG_RTP_F_RTCP_MUX) &&
        udp_addr_same_host(src, &ep->latched_src))
        ep->remote_rtcp = *src;
    if (info.has_sr) {
        ep->lsr_mid = info.sr_ntp_mid;
        ep->lsr_arrival_ns = now;
    }
    if (info.has_block) {
        sg_rtp_ev_rtcp_t ev;
        clock_gettime(CLOCK_REALTIME, &rt);
        ep->st.rtt_us = rtcp_rtt_us(rtcp_ntp_mid(rtcp_ntp_from_timespec(rt.tv_sec, rt.tv_nsec)),
                                    info.block.lsr, info.block.dlsr);
        ep->st.remote_jitter_us = units_to_us(info.block.jitter, ep->cfg.clock_rate);
        ep->st.remote_lost = info.block.cumulative_lost;
        ep->st.remote_fraction_lost = info.block.fraction_lost;
        memset(&ev, 0, sizeof(ev));
        ev.remote_ssrc = info.sender_ssrc;
        ev.rtt_us = ep->st.rtt_us;
        ev.remote_jitter_us = ep->st.remote_jitter_us;
        ev.remote_lost = ep->st.remote_lost;
        ev.remote_fraction_lost = ep->st.remote_fraction_lost;
        ev.jitter_us = ep->st.jitter_us;
        post(ep, SG_RTP_EV_RTCP, &ev, sizeof(ev));
    }
}

static void on_dtmf(rtp_ep *ep, media_thread *mt, const rtp_header *h, const uint8_t *payload)
{
    dtmf_payload p;
    dtmf_rx prev;
    sg_rtp_ev_dtmf_t ev;
    int r;

    if (dtmf_parse(payload, h->payload_len, &p) < 0) {
        mt->c.rx_malformed++;
        return;
    }
    r = dtmf_rx_packet(&ep->drx, h->ts, &p, &prev);
    memset(&ev, 0, sizeof(ev));
    if (r & DTMF_RX_LOST_END) {
        ev.event = prev.event;
        ev.end = 1;
        ev.volume = prev.volume;
        ev.duration_ms = prev.duration * 1000u / ep->cfg.clock_rate;
        ev.rtp_ts = prev.ts;
        post(ep, SG_RTP_EV_DTMF, &ev, sizeof(ev));
    }
    ev.event = ep->drx.event;
    ev.volume = ep->drx.volume;
    ev.rtp_ts = ep->drx.ts;
    ev.duration_ms = ep->drx.duration * 1000u / ep->cfg.clock_rate;
    if (r & DTMF_RX_START) {
        mt->c.dtmf_rx_events++;
        ep->st.rx_dtmf_events++;
        ev.end = 0;
        post(ep, SG_RTP_EV_DTMF, &ev, sizeof(ev));
    }
    if (r & DTMF_RX_END) {
        ev.end = 1;
        post(ep, SG_RTP_EV_DTMF, &ev, sizeof(ev));
    }
}

static void on_rtp(media_thread *mt, rtp_ep *ep, uint8_t *buf, uint32_t len, const sg_sockaddr *src, uint64_t now)
{
    rtp_header h;
    int l = (int)len;
    enum relay_kind kind;

    if (len < RTP_HEADER_LEN || (buf[0] >> 6) != RTP_VERSION) {
        mt->c.rx_malformed++;
        return;
    }
    if (ep->srtp.suite && sgsrtp_unprotect(&ep->srtp, buf, &l) < 0) {
        srtp_failed(mt, ep);
        return;
    }
    if (rtp_parse(buf, (size_t)l, &h) < 0) {
        mt->c.rx_malformed++;
        return;
    }
    if (h.pt == ep->cfg.payload_type)
        kind = RELAY_AUDIO;
    else if (ep->cfg.dtmf_pt != 0 && h.pt == ep->cfg.dtmf_pt)
        kind = RELAY_DTMF;
    else if (ep->cfg.cn_pt != 0 && h.pt == ep->cfg.cn_pt)
        kind = RELAY_CN;
    else {
        mt->c.rx_unknown_pt++;
        return;
    }
    /* Symmetric RTP: latch only on packets that passed SRTP authentication and parsing. */
    if (ep->cfg.flags & SG_RTP_F_SYMMETRIC) {
        if (!ep->have_latched) {
            latch(mt, ep, src);
        } else if (!udp_addr_equal(&ep->latched_src, src)) {
            if (now - ep->last_rx_ns < LATCH_HOLD_NS) {
                mt->c.rx_foreign++;
                return;
            }
            latch(mt, ep, src);
        }
    }
    /* An offloaded direction: the kernel declined this packet (or it was queued before). */
    if (ep->kf_on)
        kfwd_on_punt(mt, ep, &h, now);
    /* Receive statistics (RFC 3550 A.1/A.3/A.8). */
    if (!ep->have_rx || h.ssrc != ep->rx.ssrc) {
        if (ep->have_rx) {
            sg_rtp_ev_ssrc_t ev = { .old_ssrc = ep->rx.ssrc, .new_ssrc = h.ssrc };
            mt->c.ssrc_changes++;
            post(ep, SG_RTP_EV_SSRC_CHANGED, &ev, sizeof(ev));
            if (ep->jbuf)
                jb_reset(ep->jbuf);
        }
        rtp_stats_init(&ep->rx, h.ssrc, h.seq);
        ep->have_rx = 1;
        ep->st.rx_ssrc = h.ssrc;
    } else if (rtp_stats_update_seq(&ep->rx, h.seq) < 0) {
        mt->c.ssrc_changes++;
        rtp_stats_init(&ep->rx, h.ssrc, h.seq);
        if (ep->jbuf)
            jb_reset(ep->jbuf);
    }
    if (kind == RELAY_AUDIO) {
        rtp_stats_update_jitter(&ep->rx, h.ts, arrival_units(now, ep->cfg.clock_rate));
        ep->st.jitter_us = units_to_us(rtp_stats_jitter(&ep->rx), ep->cfg.clock_rate);
    }
    ep->st.rx_expected = rtp_stats_expected(&ep->rx);
    ep->st.rx_lost = rtp_stats_lost(&ep->rx);
    ep->st.rx_packets++;
    ep->st.rx_bytes += len;
    mt->c.rx_packets++;
    mt->c.rx_bytes += len;
    ep->last_rx_ns = now;
    if (ep->timed_out) {
        sg_rtp_ev_timeout_t ev = { .idle_ms = 0 };
        ep->timed_out = 0;
        post(ep, SG_RTP_EV_RESUMED, &ev, sizeof(ev));
    }
    if (kind == RELAY_DTMF)
        on_dtmf(ep, mt, &h, buf + h.header_len);
    else if (kind == RELAY_CN) {
        mt->c.cn_rx++;
        ep->st.rx_cn++;
    }
    if (ep->peer) {
        relay_forward(mt, ep, buf, (uint32_t)l, &h, kind, src, now);
    } else if (ep->jbuf && kind != RELAY_DTMF) {
        if (jb_put(ep->jbuf, h.ts, h.pt, kind == RELAY_CN ? JB_CN : JB_AUDIO, buf + h.header_len, h.payload_len) < 0)
            mt->c.jb_late++;
    }
}

void ep_on_datagram(media_thread *mt, rtp_ep *ep, int rtcp, uint8_t *buf, uint32_t len, const sg_sockaddr *src,
                    uint64_t now)
{
    if (rtcp || ((ep->cfg.flags & SG_RTP_F_RTCP_MUX) && rtp_is_rtcp(buf, len)))
        on_rtcp(mt, ep, buf, len, src, now);
    else
        on_rtp(mt, ep, buf, len, src, now);
}

void ep_on_readable(media_thread *mt, rtp_ep *ep, int rtcp, uint64_t now)
{
    int fd = rtcp ? ep->rtcp_fd : ep->rtp_fd, round;
    uint32_t i;

    /* The socket is edge-triggered (engine.c): read until the kernel has no more. recvmmsg
     * returning fewer than asked means it met EAGAIN (UDP on an unconnected socket has no
     * other receive error here), so that saves the extra call that would only say EAGAIN. */
    for (round = 0; round < 4; round++) {
        int n;
        /* Only the entries the previous call filled had their address length changed. */
        for (i = 0; i < mt->rx_dirty; i++)
            mt->rxmsg[i].msg_hdr.msg_namelen = sizeof(mt->rxaddr[i].u);
        n = recvmmsg(fd, mt->rxmsg, MT_BATCH, MSG_DONTWAIT, NULL);
        mt->rx_dirty = n > 0 ? (uint32_t)n : 0;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue;         /* a pending socket error is consumed by this call: read on */
        }
        if (n == 0)
            return;
        for (i = 0; i < (uint32_t)n; i++) {
            uint8_t *buf = mt->rxbuf[i];
            uint32_t len = mt->rxmsg[i].msg_len;
            mt->rxaddr[i].len = mt->rxmsg[i].msg_hdr.msg_namelen;
            if (mt->rxmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
                mt->c.rx_malformed++;
                continue;
            }
            ep_on_datagram(mt, ep, rtcp, buf, len, &mt->rxaddr[i], now);
            if (ep->rtp_fd < 0)
                break;
        }
        mt_flush(mt);
        if (ep->rtp_fd < 0 || (uint32_t)n < MT_BATCH)
            return;
    }
    /* Fairness limit reached with data possibly left: have epoll report the socket again. */
    mt_rearm(mt, ep, rtcp);
}

static void send_now(media_thread *mt, int fd, const sg_sockaddr *to, const uint8_t *buf, int len)
{
    ssize_t n;
    do {
        n = sendto(fd, buf, (size_t)len, MSG_DONTWAIT, &to->u.sa, to->len);
    } while (n < 0 && errno == EINTR);
    if (n != len)
        mt->c.tx_errors++;
}

static void send_rtcp(media_thread *mt, rtp_ep *ep, uint64_t now)
{
    rtcp_report r;
    struct timespec rt;
    int len, fd = ep->rtcp_fd >= 0 ? ep->rtcp_fd : ep->rtp_fd;

    memset(&r, 0, sizeof(r));
    clock_gettime(CLOCK_REALTIME, &rt);
    r.ssrc = ep->out.ssrc;
    r.has_sr = ep->sent_since_report > 0;
    r.ntp = rtcp_ntp_from_timespec(rt.tv_sec, rt.tv_nsec);
    r.rtp_ts = out_stream_ts_at(&ep->out, now);
    r.packets = (uint32_t)ep->out.packets;
    r.octets = (uint32_t)ep->out.octets;
    r.cname = ep->cname;
    if (ep->have_rx) {
        int64_t lost = rtp_stats_lost(&ep->rx);
        r.has_block = 1;
        r.block.ssrc = ep->rx.ssrc;
        r.block.fraction_lost = rtp_stats_fraction_lost(&ep->rx);
        r.block.cumulative_lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : (int32_t)lost;
        r.block.ext_max_seq = rtp_stats_ext_max(&ep->rx);
        r.block.jitter = rtp_stats_jitter(&ep->rx);
        if (ep->lsr_arrival_ns) {
            r.block.lsr = ep->lsr_mid;
            r.block.dlsr = (uint32_t)(((now - ep->lsr_arrival_ns) << 16) / 1000000000ull);
        }
    }
    len = (int)rtcp_build(mt->scratch, MT_BUF - SGSRTP_MAX_TRAILER, &r);
    if (len == 0)
        return;
    if (ep->srtp.suite && sgsrtp_protect_rtcp(&ep->srtp, mt->scratch, &len) < 0) {
        mt->c.srtp_tx_fail++;
        return;
    }
    send_now(mt, fd, &ep->remote_rtcp, mt->scratch, len);
    mt->c.rtcp_tx++;
    ep->sent_since_report = 0;
}

static void send_dtmf_tick(media_thread *mt, rtp_ep *ep, uint64_t now)
{
    uint8_t *buf = mt->scratch;
    uint32_t tick_units = ep->cfg.clock_rate / 1000u * mt->e->cfg.tick_ms;
    uint16_t seq;
    uint32_t ts;
    int r, len;

    r = dtmf_tx_tick(&ep->dtx, tick_units, ep->cfg.clock_rate, buf + RTP_HEADER_LEN);
    if (!(r & DTMF_TX_PACKET))
        return;
    out_stream_local(&ep->out, now, &seq, &ts);
    if (r & DTMF_TX_FIRST) {
        ep->dtx_ts = ts;
        mt->c.dtmf_tx_events++;
    }
    rtp_write_header(buf, ep->cfg.dtmf_pt, (r & DTMF_TX_FIRST) != 0, seq, ep->dtx_ts, ep->out.ssrc);
    len = (int)(RTP_HEADER_LEN + DTMF_PAYLOAD_LEN);
    out_stream_sent(&ep->out, ep->dtx_ts, now, DTMF_PAYLOAD_LEN);
    if (ep->srtp.suite && sgsrtp_protect(&ep->srtp, buf, &len) < 0) {
        mt->c.srtp_tx_fail++;
        return;
    }
    send_now(mt, ep->rtp_fd, &ep->remote, buf, len);
    mt->c.tx_packets++;
    mt->c.tx_bytes += (uint64_t)len;
    ep->st.tx_packets++;
    ep->st.tx_bytes += (uint64_t)len;
    ep->sent_since_report++;
    if (r & DTMF_TX_LAST) {
        sg_rtp_ev_dtmf_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.event = ep->dtx.cur.event;
        ev.end = 1;
        ev.volume = ep->dtx.cur.volume;
        ev.duration_ms = ep->dtx.cur.duration_ms;
        ev.rtp_ts = ep->dtx_ts;
        post(ep, SG_RTP_EV_DTMF_SENT, &ev, sizeof(ev));
    }
}

/* One tick of terminated media as PCM for the sink: decode, conceal (the codec's PLC),
 * comfort noise or silence. */
static void playout(rtp_ep *ep, jb_kind k, const jb_slot *slot)
{
    int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    size_t n = ep->dec.frame_samples;
    int r = -1;

    if (k == JB_AUDIO && slot != NULL)
        r = codec_decode(&ep->dec, slot->data, slot->len, pcm, CODEC_MAX_FRAME_SAMPLES);
    if (k == JB_AUDIO && r > 0)
        n = (size_t)r;
    else if (k == JB_AUDIO || k == JB_MISSING) {
        if (codec_plc(&ep->dec, pcm, n) < 0)
            memset(pcm, 0, n * sizeof(pcm[0]));
    } else if (k == JB_CN) {
        cn_gen_set_level(&ep->cng, ep->jbuf->cn_level);
        cn_gen_fill(&ep->cng, pcm, n);
    } else {
        memset(pcm, 0, n * sizeof(pcm[0]));
    }
    ep->sink(ep->sink_ctx, ep, pcm, n, k);
}

int rtp_ep_send_pcm(media_thread *mt, rtp_ep *ep, const int16_t *pcm, size_t n, uint64_t now)
{
    uint8_t *buf = mt->scratch;
    uint32_t units, ts;
    uint16_t seq;
    int len, marker = 0;

    if (ep->enc.desc == NULL || !ep->have_remote)
        return SG_ESTATE;
    if (n != ep->enc.frame_samples)
        return SG_EINVAL;
    len = codec_encode(&ep->enc, pcm, n, buf + RTP_HEADER_LEN, MT_BUF - RTP_HEADER_LEN - SGSRTP_MAX_TRAILER);
    if (len < 0)
        return SG_EINVAL;
    units = codec_rtp_ticks(&ep->enc, (uint32_t)n);
    out_stream_local(&ep->out, now, &seq, &ts);
    if (ep->pcm_last_ns != 0 && now - ep->pcm_last_ns <= 3ull * ep->enc.frame_ms * 1000000ull)
        ts = ep->pcm_next_ts;             /* continuous audio: exactly one frame on */
    else
        marker = 1;                       /* first frame or a new talk spurt */
    rtp_write_header(buf, ep->cfg.payload_type, marker, seq, ts, ep->out.ssrc);
    out_stream_sent(&ep->out, ts, now, (uint32_t)len);
    ep->pcm_next_ts = ts + units;
    ep->pcm_last_ns = now;
    len += (int)RTP_HEADER_LEN;
    if (ep->srtp.suite && sgsrtp_protect(&ep->srtp, buf, &len) < 0) {
        mt->c.srtp_tx_fail++;
        return SG_EIO;
    }
    send_now(mt, ep->rtp_fd, &ep->remote, buf, len);
    mt->c.tx_packets++;
    mt->c.tx_bytes += (uint64_t)len;
    ep->st.tx_packets++;
    ep->st.tx_bytes += (uint64_t)len;
    ep->sent_since_report++;
    return SG_OK;
}

void ep_on_sink(media_thread *mt, rtp_ep *ep, const cmd *c)
{
    (void)mt;
    ep->sink = (rtp_ep_pcm_fn)c->u.sink.fn;
    ep->sink_ctx = c->u.sink.ctx;
}

int rtp_ep_set_pcm_sink(uint32_t handle, rtp_ep_pcm_fn fn, void *ctx)
{
    engine *e;
    rtp_ep *ep;
    cmd cm;
    int rc;

    engine_ctl_lock();
    e = engine_get();
    ep = lookup(e, handle);
    if (ep == NULL) {
        rc = e ? SG_ENOENT : SG_ESTATE;
        goto out;
    }
    if (ep->jbuf == NULL || ep->dec.desc == NULL) {
        rc = SG_ESTATE;
        goto out;
    }
    memset(&cm, 0, sizeof(cm));
    cm.type = CMD_EP_SINK;
    cm.index = handle_index(handle);
    cm.u.sink.fn = (void (*)(void))fn;
    cm.u.sink.ctx = ctx;
    rc = engine_send(e, ep->thread, &cm);
out:
    engine_ctl_unlock();
    return rc;
}

int ep_tick_fast(media_thread *mt, rtp_ep *ep, uint64_t now)
{
    if (ep->have_remote && ep->cfg.dtmf_pt != 0 && dtmf_tx_busy(&ep->dtx))
        send_dtmf_tick(mt, ep, now);
    if (ep->jbuf) {
        const jb_slot *slot;
        jb_kind k = jb_pull(ep->jbuf, ep->have_rx ? rtp_stats_jitter(&ep->rx) : 0, &slot);
        if (k == JB_AUDIO || k == JB_CN)
            mt->c.jb_frames++;
        else if (k == JB_MISSING)
            mt->c.jb_concealed++;
        ep->st.jb_delay_ms = (uint16_t)(ep->jbuf->target_units * 1000u / ep->cfg.clock_rate);
        if (ep->sink != NULL && ep->dec.desc != NULL)
            playout(ep, k, slot);
    }
    return ep->jbuf != NULL || dtmf_tx_busy(&ep->dtx);
}

void ep_kf_resumed(rtp_ep *ep)
{
    if (ep->timed_out) {
        sg_rtp_ev_timeout_t ev = { .idle_ms = 0 };
        ep->timed_out = 0;
        post(ep, SG_RTP_EV_RESUMED, &ev, sizeof(ev));
    }
}

void ep_housekeep(media_thread *mt, rtp_ep *ep, uint64_t now)
{
    if (ep->kf_on)
        kfwd_sync(mt, ep, now);   /* before the timeout check: the kernel's packets count */
    if (ep->cfg.media_timeout_ms && !ep->timed_out) {
        uint64_t since = ep->last_rx_ns ? ep->last_rx_ns : ep->created_ns;
        if (now - since >= (uint64_t)ep->cfg.media_timeout_ms * 1000000ull) {
            sg_rtp_ev_timeout_t ev = { .idle_ms = (uint32_t)((now - since) / 1000000ull) };
            ep->timed_out = 1;
            mt->c.media_timeouts++;
            post(ep, SG_RTP_EV_TIMEOUT, &ev, sizeof(ev));
        }
    }
    if (!(ep->cfg.flags & SG_RTP_F_NO_RTCP) && ep->have_remote && now >= ep->next_rtcp_ns) {
        send_rtcp(mt, ep, now);
        ep->next_rtcp_ns = rtcp_jitter_ns(now);
    }
}
