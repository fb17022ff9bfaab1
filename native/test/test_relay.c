/* The engine end to end over loopback sockets: relay pass-through with SSRC/seq/ts rewriting,
 * RFC 4733 carried across with PT mapping, source changes, SRTP on one leg, symmetric
 * latching, DTMF sending, RTCP reception, media timeout, jitter-buffer playout, events. */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sg_test.h"
#include "relay_fixture.h"
#include "core/events.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/srtp.h"
#include "spangate/engine.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

#define LOOP "127.0.3.1"
static const char key_a[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
static const char key_b[] = "HRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgEA";

static int start_engine(void)
{
    sg_engine_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.struct_size = sizeof(cfg);
    cfg.max_endpoints = 32;
    cfg.port_min = 47100;
    cfg.port_max = 47999;
    (void)sg_events_fd();
    return sg_engine_start(&cfg);
}

static int peer_socket(uint16_t *port)
{
    return rf_udp_socket(LOOP, port);
}

static void send_to(int fd, uint16_t port, const uint8_t *buf, size_t len)
{
    rf_send(fd, LOOP, port, buf, len);
}

static void send_rtp(int fd, uint16_t port, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
                     uint8_t fill, size_t plen)
{
    uint8_t b[256];
    rtp_write_header(b, pt, marker, seq, ts, ssrc);
    memset(b + 12, fill, plen);
    send_to(fd, port, b, 12 + plen);
}

/* Receives one datagram (5 s timeout); returns its length or -1. */
static int recv_pkt(int fd, uint8_t *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap, 0);
    return n < 0 ? -1 : (int)n;
}

/* Waits up to 5 s for an event; other events are skipped. */
static int wait_event(uint16_t subsys, uint16_t type, uint32_t handle, sg_event_t *out)
{
    int fd = sg_events_fd();
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long ms;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms > 5000 || poll(&p, 1, (int)(5000 - ms)) <= 0)
            return -1;
        if (recv(fd, out, sizeof(*out), MSG_WAITALL) != (ssize_t)sizeof(*out))
            return -1;
        if (out->subsys == subsys && out->type == type && (handle == 0 || out->handle == handle))
            return 0;
    }
}

static void base_cfg(sg_rtp_config_t *c, uint16_t remote_port)
{
    rf_rtp_cfg(c, LOOP, remote_port);
}

SG_TEST(relay_passthrough_rewrite_dtmf_and_source_change)
{
    uint16_t pa, pb;
    int alice = peer_socket(&pa), bob = peer_socket(&pb);
    sg_rtp_config_t ca, cb;
    sg_rtp_stats_t sb;
    sg_event_t ev;
    sg_counters_t cnt;
    uint8_t buf[512];
    rtp_header h;
    int a, b, r, i, n, port_a, port_b;
    uint16_t first_seq = 0;

    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&ca, pa);
    ca.dtmf_pt = 101;
    ca.flags |= SG_RTP_F_SYMMETRIC;
    base_cfg(&cb, pb);
    cb.dtmf_pt = 96;                      /* different telephone-event PT on this side */
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    SG_CHECK(a > 0 && b > 0);
    port_a = sg_rtp_local_port((uint32_t)a);
    port_b = sg_rtp_local_port((uint32_t)b);
    SG_CHECK(port_a >= 47100 && port_a % 2 == 0);
    SG_CHECK_EQ_INT(sg_relay_create((uint32_t)a, (uint32_t)a), SG_EINVAL);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    SG_CHECK(r > 0);
    SG_CHECK_EQ_INT(sg_relay_create((uint32_t)a, (uint32_t)b), SG_EBUSY);
    SG_CHECK_EQ_INT(sg_relay_mode_of((uint32_t)r), SG_RELAY_PASSTHROUGH);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RELAY, SG_RELAY_EV_STARTED, (uint32_t)r, &ev), 0);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)b, &sb, sizeof(sb)), SG_OK);

    /* Audio: alice -> A ==> B -> bob, payload untouched, header rewritten. */
    for (i = 0; i < 10; i++) {
        send_rtp(alice, (uint16_t)port_a, 0, i == 0, (uint16_t)(65530 + i), 1000u + 160u * (uint32_t)i, 0xa1a1a1a1u, (uint8_t)i, 160);
        n = recv_pkt(bob, buf, sizeof(buf));
        SG_CHECK_EQ_INT(n, 172);
        SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)n, &h), 0);
        SG_CHECK_EQ_INT(h.ssrc, sb.tx_ssrc);
        SG_CHECK_EQ_INT(h.pt, 0);
        SG_CHECK_EQ_INT(buf[12], i);
        if (i == 0) {
            first_seq = h.seq;
            SG_CHECK_EQ_INT(h.marker, 1);
        } else {
            SG_CHECK_EQ_INT(h.seq, (uint16_t)(first_seq + i));
        }
    }
    /* alice sent from the address in the SDP: latching confirmed it without an event. */
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)a, &sb, sizeof(sb)), SG_OK);
    SG_CHECK_EQ_INT(sb.latched, 1);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)b, &sb, sizeof(sb)), SG_OK);

    /* RFC 4733: PT 101 on A's side arrives as PT 96 on B's; A reports the digit. */
    {
        uint8_t d[4] = { 0x05, 0x0a, 0x00, 0xa0 };        /* '5', vol 10, duration 160 */
        uint8_t pkt[16];
        rtp_write_header(pkt, 101, 1, 4 /* 65530 + 10 wrapped */, 1000 + 1600, 0xa1a1a1a1u);
        memcpy(pkt + 12, d, 4);
        send_to(alice, (uint16_t)port_a, pkt, 16);
        n = recv_pkt(bob, buf, sizeof(buf));
        SG_CHECK_EQ_INT(n, 16);
        SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)n, &h), 0);
        SG_CHECK_EQ_INT(h.pt, 96);
        SG_CHECK_MEM(buf + 12, d, 4);
        SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_DTMF, (uint32_t)a, &ev), 0);
        SG_CHECK_EQ_INT(((sg_rtp_ev_dtmf_t *)ev.payload)->event, 5);
        SG_CHECK_EQ_INT(((sg_rtp_ev_dtmf_t *)ev.payload)->end, 0);
    }

    /* A new source behind A (re-INVITE elsewhere): B's stream continues, marker set. */
    send_rtp(alice, (uint16_t)port_a, 0, 0, 7, 424242, 0xb2b2b2b2u, 0x77, 160);
    n = recv_pkt(bob, buf, sizeof(buf));
    SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)n, &h), 0);
    SG_CHECK_EQ_INT(h.ssrc, sb.tx_ssrc);
    SG_CHECK_EQ_INT(h.seq, (uint16_t)(first_seq + 11));
    SG_CHECK_EQ_INT(h.marker, 1);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_SSRC_CHANGED, (uint32_t)a, &ev), 0);
    SG_CHECK_EQ_INT(((sg_rtp_ev_ssrc_t *)ev.payload)->new_ssrc, 0xb2b2b2b2u);

    /* Reverse direction: bob -> B ==> A -> alice. */
    send_rtp(bob, (uint16_t)port_b, 0, 0, 1, 1, 0xc3c3c3c3u, 0x33, 160);
    n = recv_pkt(alice, buf, sizeof(buf));
    SG_CHECK_EQ_INT(n, 172);
    SG_CHECK_EQ_INT(buf[12], 0x33);

    /* Unknown payload type and garbage are dropped and counted. */
    send_rtp(alice, (uint16_t)port_a, 18, 0, 8, 424242 + 160, 0xb2b2b2b2u, 0, 20);
    send_to(alice, (uint16_t)port_a, (const uint8_t *)"hello", 5);
    send_rtp(alice, (uint16_t)port_a, 0, 0, 9, 424242 + 320, 0xb2b2b2b2u, 0x78, 160);
    n = recv_pkt(bob, buf, sizeof(buf));
    SG_CHECK_EQ_INT(buf[12], 0x78);
    SG_CHECK_EQ_INT(sg_counters_read(&cnt, sizeof(cnt)), SG_OK);
    SG_CHECK(cnt.rx_unknown_pt >= 1);
    SG_CHECK(cnt.rx_malformed >= 1);
    SG_CHECK(cnt.relay_forwarded >= 13);
    SG_CHECK_EQ_INT(cnt.relays_active, 1);

    SG_CHECK_EQ_INT(sg_relay_destroy((uint32_t)r), SG_OK);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RELAY, SG_RELAY_EV_CLOSED, (uint32_t)r, &ev), 0);
    SG_CHECK_EQ_INT(sg_relay_destroy((uint32_t)r), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)a), SG_OK);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_CLOSED, (uint32_t)a, &ev), 0);
    SG_CHECK(((sg_rtp_ev_closed_t *)ev.payload)->rx_packets >= 13);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)a), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)b), SG_OK);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(alice);
    close(bob);
}

SG_TEST(relay_srtp_leg_and_destroy_while_relayed)
{
    uint16_t pa, pb;
    int alice = peer_socket(&pa), bob = peer_socket(&pb);
    sg_rtp_config_t ca, cb;
    sg_event_t ev;
    sgsrtp bob_ctx;
    uint8_t buf[512];
    int a, b, r, n, len;

    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&ca, pa);
    base_cfg(&cb, pb);
    cb.srtp_suite = SG_SRTP_AES_CM_128_HMAC_SHA1_80;
    strcpy(cb.srtp_tx_key, key_a);
    strcpy(cb.srtp_rx_key, key_b);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    SG_CHECK(a > 0 && b > 0);
    strcpy(cb.srtp_rx_key, "bad key");
    SG_CHECK_EQ_INT(sg_rtp_update((uint32_t)b, &cb), SG_EINVAL);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    SG_CHECK(r > 0);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RELAY, SG_RELAY_EV_STARTED, (uint32_t)r, &ev), 0);
    SG_CHECK_EQ_INT(sgsrtp_create(&bob_ctx, SG_SRTP_AES_CM_128_HMAC_SHA1_80, key_b, key_a), 0);

    /* Plain RTP in on A comes out SRTP-protected on B. */
    send_rtp(alice, (uint16_t)sg_rtp_local_port((uint32_t)a), 0, 0, 10, 160, 0x1111, 0x42, 160);
    n = recv_pkt(bob, buf, sizeof(buf));
    SG_CHECK_EQ_INT(n, 182);
    len = n;
    SG_CHECK_EQ_INT(sgsrtp_unprotect(&bob_ctx, buf, &len), 0);
    SG_CHECK_EQ_INT(len, 172);
    SG_CHECK_EQ_INT(buf[12], 0x42);

    /* SRTP from bob is decrypted toward alice; a forged packet is refused and reported. */
    len = 172;
    rtp_write_header(buf, 0, 0, 5, 800, 0x2222);
    memset(buf + 12, 0x24, 160);
    SG_CHECK_EQ_INT(sgsrtp_protect(&bob_ctx, buf, &len), 0);
    send_to(bob, (uint16_t)sg_rtp_local_port((uint32_t)b), buf, (size_t)len);
    n = recv_pkt(alice, buf, sizeof(buf));
    SG_CHECK_EQ_INT(n, 172);
    SG_CHECK_EQ_INT(buf[12], 0x24);
    send_rtp(bob, (uint16_t)sg_rtp_local_port((uint32_t)b), 0, 0, 6, 960, 0x2222, 0x25, 170);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_SRTP_FAIL, (uint32_t)b, &ev), 0);

    /* Destroying a relayed endpoint closes the relay first. */
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)b), SG_OK);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RELAY, SG_RELAY_EV_CLOSED, (uint32_t)r, &ev), 0);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_CLOSED, (uint32_t)b, &ev), 0);
    SG_CHECK_EQ_INT(sg_relay_destroy((uint32_t)r), SG_ENOENT);
    sgsrtp_destroy(&bob_ctx);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);        /* A is closed by stop */
    close(alice);
    close(bob);
}

SG_TEST(endpoint_latch_dtmf_send_rtcp_timeout_jb)
{
    uint16_t pa, pdead;
    int alice = peer_socket(&pa), dead = peer_socket(&pdead);
    sg_rtp_config_t c;
    sg_rtp_stats_t st;
    sg_event_t ev;
    sg_counters_t cnt;
    uint8_t buf[512];
    rtp_header h;
    int e, n, i, port, starts = 0, ends = 0;

    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&c, pdead);                        /* SDP says one port, the peer uses another */
    c.flags = SG_RTP_F_SYMMETRIC | SG_RTP_F_JITTER_BUFFER | SG_RTP_F_NO_RTCP;
    c.dtmf_pt = 101;
    c.media_timeout_ms = 300;
    e = sg_rtp_create(&c);
    SG_CHECK(e > 0);
    port = sg_rtp_local_port((uint32_t)e);
    for (i = 0; i < 5; i++)
        send_rtp(alice, (uint16_t)port, 0, 0, (uint16_t)(100 + i), 160u * (uint32_t)i, 0x5150, 0, 160);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_LATCHED, (uint32_t)e, &ev), 0);
    SG_CHECK_EQ_INT(((sg_rtp_ev_addr_t *)ev.payload)->port, pa);
    SG_CHECK(strcmp(((sg_rtp_ev_addr_t *)ev.payload)->addr, LOOP) == 0);

    /* Our DTMF now goes to the latched source: one start with marker, three ends. */
    SG_CHECK_EQ_INT(sg_rtp_send_dtmf((uint32_t)e, 1, 60, 10), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_send_dtmf((uint32_t)e, 1, 10, 10), SG_EINVAL);
    for (i = 0; i < 5; i++) {
        n = recv_pkt(alice, buf, sizeof(buf));
        SG_CHECK_EQ_INT(n, 16);
        SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)n, &h), 0);
        SG_CHECK_EQ_INT(h.pt, 101);
        if (h.marker)
            starts++;
        if (buf[13] & 0x80)
            ends++;
    }
    SG_CHECK_EQ_INT(starts, 1);
    SG_CHECK_EQ_INT(ends, 3);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_DTMF_SENT, (uint32_t)e, &ev), 0);

    /* An RR from the peer about our stream gives an RTT (LSR 1/16 s before now, DLSR 0). */
    {
        rtcp_report rr;
        struct timespec rt;
        uint8_t pkt[128];
        size_t len;
        SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)e, &st, sizeof(st)), SG_OK);
        clock_gettime(CLOCK_REALTIME, &rt);
        memset(&rr, 0, sizeof(rr));
        rr.ssrc = 0x5150;
        rr.has_block = 1;
        rr.block.ssrc = st.tx_ssrc;
        rr.block.lsr = rtcp_ntp_mid(rtcp_ntp_from_timespec(rt.tv_sec, rt.tv_nsec)) - 0x1000;
        rr.block.jitter = 80;
        rr.block.cumulative_lost = 3;
        rr.cname = "alice";
        len = rtcp_build(pkt, sizeof(pkt), &rr);
        send_to(alice, (uint16_t)(port + 1), pkt, len);
        SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_RTCP, (uint32_t)e, &ev), 0);
        SG_CHECK(((sg_rtp_ev_rtcp_t *)ev.payload)->rtt_us >= 60000);
        SG_CHECK(((sg_rtp_ev_rtcp_t *)ev.payload)->rtt_us < 3000000);
        SG_CHECK_EQ_INT(((sg_rtp_ev_rtcp_t *)ev.payload)->remote_jitter_us, 10000);
        SG_CHECK_EQ_INT(((sg_rtp_ev_rtcp_t *)ev.payload)->remote_lost, 3);
    }

    /* Silence: the timeout fires once, then packets resume it. */
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_TIMEOUT, (uint32_t)e, &ev), 0);
    send_rtp(alice, (uint16_t)port, 0, 0, 105, 800, 0x5150, 0, 160);
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_RESUMED, (uint32_t)e, &ev), 0);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)e, &st, sizeof(st)), SG_OK);
    SG_CHECK_EQ_INT(st.rx_packets, 6);
    SG_CHECK_EQ_INT(st.rx_lost, 0);
    SG_CHECK_EQ_INT(st.latched, 1);
    SG_CHECK_EQ_INT(sg_counters_read(&cnt, sizeof(cnt)), SG_OK);
    SG_CHECK(cnt.jb_frames >= 5);               /* the jitter buffer played what came in */
    SG_CHECK(cnt.jb_concealed >= 1);            /* and concealed the silence after it */
    SG_CHECK_EQ_INT(cnt.media_timeouts, 1);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)e, &st, sizeof(st)), SG_ENOENT);
    close(alice);
    close(dead);
}

SG_TEST(endpoint_rejects_bad_config)
{
    sg_rtp_config_t c;

    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&c, 0);
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);          /* no remote and not symmetric */
    base_cfg(&c, 4000);
    c.payload_type = 200;
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);
    base_cfg(&c, 4000);
    strcpy(c.remote_addr, "not-an-ip");
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);
    base_cfg(&c, 4000);
    c.ptime_ms = 25;
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);
    base_cfg(&c, 4000);
    c.srtp_suite = SG_SRTP_AES_CM_128_HMAC_SHA1_32;
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);          /* no keys */
    base_cfg(&c, 4000);
    strcpy(c.local_addr, "192.0.2.1");
    SG_CHECK(sg_rtp_create(&c) < 0);                        /* not a local address */
    SG_CHECK_EQ_INT(sg_rtp_destroy(12345), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_relay_create(1, 2), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_ESTATE);
}

SG_TEST(endpoint_sends_rtcp_receiver_report)
{
    /* alice listens on an even/odd pair so the endpoint's RTCP (remote port + 1) reaches her. */
    struct sockaddr_in a;
    int artp = socket(AF_INET, SOCK_DGRAM, 0), artcp = socket(AF_INET, SOCK_DGRAM, 0), e, n, i;
    struct timeval tv = { .tv_sec = 6, .tv_usec = 0 };
    uint16_t port = 0;
    sg_rtp_config_t c;
    rtcp_info info;
    uint8_t buf[512];

    for (i = 47990; i < 48000 && port == 0; i += 2) {
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        inet_pton(AF_INET, LOOP, &a.sin_addr);
        a.sin_port = htons((uint16_t)i);
        if (bind(artp, (struct sockaddr *)&a, sizeof(a)) < 0)
            continue;
        a.sin_port = htons((uint16_t)(i + 1));
        if (bind(artcp, (struct sockaddr *)&a, sizeof(a)) < 0) {
            close(artp);
            artp = socket(AF_INET, SOCK_DGRAM, 0);
            continue;
        }
        port = (uint16_t)i;
    }
    SG_CHECK(port != 0);
    setsockopt(artcp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&c, port);
    c.flags = 0;                                   /* RTCP on */
    e = sg_rtp_create(&c);
    SG_CHECK(e > 0);
    for (i = 0; i < 10; i++) {
        if (i == 4)
            continue;                              /* one lost */
        send_rtp(artp, (uint16_t)sg_rtp_local_port((uint32_t)e), 0, 0, (uint16_t)(300 + i), 160u * (uint32_t)i, 0xa11ce, 0, 160);
    }
    /* The first report comes after 1.25-3.75 s: an RR (we sent no RTP) about alice's stream. */
    n = (int)recv(artcp, buf, sizeof(buf), 0);
    SG_CHECK(n > 0);
    if (n > 0) {
        SG_CHECK_EQ_INT(rtcp_parse(buf, (size_t)n, 0xa11ce, &info), 2);   /* RR + SDES */
        SG_CHECK_EQ_INT(info.has_sr, 0);
        SG_CHECK_EQ_INT(info.has_block, 1);
        SG_CHECK_EQ_INT(info.block.ext_max_seq, 309);
        SG_CHECK_EQ_INT(info.block.cumulative_lost, 1);
        SG_CHECK_EQ_INT(info.block.fraction_lost, 256 / 10);
        SG_CHECK_EQ_INT(info.block.lsr, 0);
    }
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(artp);
    close(artcp);
}

SG_TEST(endpoint_srtp_with_rtcp_mux)
{
    /* One port for SRTP and SRTCP (RFC 5761): media is unprotected and counted, the
     * SRTCP receiver report is demultiplexed by its packet type and yields an RTT. */
    uint16_t pa;
    int alice = peer_socket(&pa), e, len, port;
    sg_rtp_config_t c;
    sg_rtp_stats_t st;
    sg_event_t ev;
    sgsrtp actx;
    rtcp_report rr;
    struct timespec rt;
    uint8_t pkt[512];

    SG_CHECK_EQ_INT(start_engine(), SG_OK);
    base_cfg(&c, pa);
    c.flags = SG_RTP_F_RTCP_MUX | SG_RTP_F_NO_RTCP;
    c.srtp_suite = SG_SRTP_AES_CM_128_HMAC_SHA1_32;
    strcpy(c.srtp_tx_key, key_a);
    strcpy(c.srtp_rx_key, key_b);
    e = sg_rtp_create(&c);
    SG_CHECK(e > 0);
    port = sg_rtp_local_port((uint32_t)e);
    SG_CHECK_EQ_INT(sgsrtp_create(&actx, SG_SRTP_AES_CM_128_HMAC_SHA1_32, key_b, key_a), 0);
    len = 172;
    rtp_write_header(pkt, 0, 1, 40, 0, 0xabcd);
    memset(pkt + 12, 0x5a, 160);
    SG_CHECK_EQ_INT(sgsrtp_protect(&actx, pkt, &len), 0);
    send_to(alice, (uint16_t)port, pkt, (size_t)len);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)e, &st, sizeof(st)), SG_OK);
    memset(&rr, 0, sizeof(rr));
    clock_gettime(CLOCK_REALTIME, &rt);
    rr.ssrc = 0xabcd;
    rr.has_block = 1;
    rr.block.ssrc = st.tx_ssrc;
    rr.block.lsr = rtcp_ntp_mid(rtcp_ntp_from_timespec(rt.tv_sec, rt.tv_nsec)) - 0x2000;  /* 125 ms ago */
    rr.cname = "alice";
    len = (int)rtcp_build(pkt, 256, &rr);
    SG_CHECK_EQ_INT(sgsrtp_protect_rtcp(&actx, pkt, &len), 0);
    send_to(alice, (uint16_t)port, pkt, (size_t)len);           /* same port as RTP */
    SG_CHECK_EQ_INT(wait_event(SG_SUBSYS_RTP, SG_RTP_EV_RTCP, (uint32_t)e, &ev), 0);
    SG_CHECK(((sg_rtp_ev_rtcp_t *)ev.payload)->rtt_us >= 120000);
    SG_CHECK_EQ_INT(sg_rtp_stats((uint32_t)e, &st, sizeof(st)), SG_OK);
    SG_CHECK_EQ_INT(st.rx_packets, 1);
    sgsrtp_destroy(&actx);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(alice);
}
