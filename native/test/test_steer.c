/* Receive steering (spangate/steer.h) end to end: with the sk_lookup program attached, a
 * pass-through relay on loopback receives both directions on its media threads' steering
 * sockets (the endpoints' own sockets see nothing), sends from the endpoints' own ports (the
 * peers see the same source ports as without steering), re-latches a symmetric leg to a new
 * source, steers endpoints created after the attach and forgets deleted ones; after a detach
 * the endpoints' own sockets take over (from anyone again), and an interval-timer attach works
 * the same. And the fallback: without privileges attach fails with SG_EPERM and a reason, and
 * the relay works on its per-port sockets.
 *
 * Each case runs in a forked child inside its own network namespace (the program attaches to
 * the namespace); without the privilege for that or for BPF the case prints why it skipped and
 * passes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sg_test.h"
#include "relay_fixture.h"
#include "netns_fixture.h"
#include "rtp/packet.h"
#include "spangate/engine.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"
#include "spangate/steer.h"

#define LOOP "127.0.24.1"

static int start_engine(void)
{
    sg_engine_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.struct_size = sizeof(cfg);
    cfg.max_endpoints = 32;
    cfg.media_threads = 2;
    cfg.port_min = 24100;
    cfg.port_max = 24199;
    (void)sg_events_fd();
    return sg_engine_start(&cfg);
}


static void send_rtp(int fd, uint16_t port, uint16_t seq, uint32_t ssrc, uint8_t fill)
{
    uint8_t b[256];
    rtp_write_header(b, 0, 0, seq, 160u * seq, ssrc);
    memset(b + 12, fill, 160);
    rf_send(fd, LOOP, port, b, 172);
}

/* Receives one datagram on fd (5 s timeout): its length, and the sender's port in *from. */
static int recv_from(int fd, uint8_t *buf, size_t cap, uint16_t *from)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&sin, &sl);
    *from = n >= 0 ? ntohs(sin.sin_port) : 0;
    return (int)n;
}

static uint64_t steered_rx(void)
{
    sg_steer_status_t ss;
    if (sg_steer_status(&ss, sizeof(ss)) != SG_OK)
        return UINT64_MAX;
    return ss.rx_packets;
}

/* Sends `count` packets each way through the relay a<->b and checks what the peers get:
 * every packet, from the relay endpoints' own ports, with the payload intact. Returns the
 * number of failed checks. */
static int both_ways(int alice, int bob, uint16_t port_a, uint16_t port_b, int count, uint16_t *seq)
{
    uint8_t buf[512];
    uint16_t from;
    int i, n, fails = 0;

    for (i = 0; i < count; i++, (*seq)++) {
        send_rtp(alice, port_a, *seq, 0xa1a1a1a1u, (uint8_t)*seq);
        n = recv_from(bob, buf, sizeof(buf), &from);
        CHILD_CHECK(n == 172 && from == port_b && buf[12] == (uint8_t)*seq && buf[171] == (uint8_t)*seq);
        send_rtp(bob, port_b, *seq, 0xb2b2b2b2u, (uint8_t)~*seq);
        n = recv_from(alice, buf, sizeof(buf), &from);
        CHILD_CHECK(n == 172 && from == port_a && buf[12] == (uint8_t)~*seq);
    }
    return fails;
}

static int steer_body(void)
{
    uint16_t pa, pb, pa2, seq = 100;
    int alice, alice2, bob, a, b, c, r, rc, fails = 0;
    uint16_t port_a, port_b;
    sg_rtp_config_t ca, cb, cc;
    sg_steer_status_t ss;
    sg_counters_t ctr;
    uint64_t before;

    if (nf_private_netns() != 0)
        return SKIP_CODE;
    alice = rf_udp_socket(LOOP, &pa);
    alice2 = rf_udp_socket(LOOP, &pa2);
    bob = rf_udp_socket(LOOP, &pb);
    CHILD_CHECK(alice >= 0 && alice2 >= 0 && bob >= 0);
    CHILD_CHECK(start_engine() == SG_OK);
    rf_rtp_cfg(&ca, LOOP, pa);
    ca.flags |= SG_RTP_F_SYMMETRIC;
    ca.shard = 1;                 /* a relay's legs share a thread: the second one here */
    rf_rtp_cfg(&cb, LOOP, pb);
    cb.shard = 1;
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    CHILD_CHECK(a > 0 && b > 0 && r > 0);
    port_a = (uint16_t)sg_rtp_local_port((uint32_t)a);
    port_b = (uint16_t)sg_rtp_local_port((uint32_t)b);

    rc = sg_steer_attach(0);
    if (rc == SG_EPERM || rc == SG_ENOSYS) {
        sg_steer_status(&ss, sizeof(ss));
        printf("  skipped: receive steering unavailable here: %s (%s)\n", sg_strerror(rc), ss.error);
        sg_engine_stop();
        return SKIP_CODE;
    }
    CHILD_CHECK(rc == SG_OK);
    CHILD_CHECK(sg_steer_attach(0) == SG_ESTATE);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
    /* Each endpoint binds RTP and RTCP (port + 1): 4 ports. */
    if (ss.ports != 4)
        fprintf(stderr, "  steered ports %llu, not steered %llu\n", (unsigned long long)ss.ports,
                (unsigned long long)ss.not_steered);
    CHILD_CHECK(ss.attached == 1 && ss.interval_us == 0 && ss.ports == 4 && ss.not_steered == 0);

    /* Steered both ways: every datagram comes through a steering socket. */
    fails += both_ways(alice, bob, port_a, port_b, 20, &seq);
    before = steered_rx();
    if (before != 40)
        fprintf(stderr, "  steered %llu datagrams\n", (unsigned long long)before);
    CHILD_CHECK(before == 40);

    /* Symmetric RTP re-latches to a new source while steered (the endpoint's socket is
     * connected to its destination: it must follow). The old source goes quiet for longer
     * than the latch hold (1 s). */
    {
        struct timespec t = { .tv_sec = 1, .tv_nsec = 200000000L };
        uint8_t buf[512];
        uint16_t from;
        int n;
        while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
        send_rtp(alice2, port_a, seq, 0xa1a1a1a1u, 0x77);
        n = recv_from(bob, buf, sizeof(buf), &from);
        CHILD_CHECK(n == 172 && from == port_b && buf[12] == 0x77);
        seq++;
        fails += both_ways(alice2, bob, port_a, port_b, 5, &seq);
        CHILD_CHECK(sg_counters_read(&ctr, sizeof(ctr)) == SG_OK);
        CHILD_CHECK(ctr.latches >= 1);     /* the first latch kept the configured remote */
    }

    /* An endpoint created now is steered; deleted, its port is forgotten. */
    rf_rtp_cfg(&cc, LOOP, pb);
    c = sg_rtp_create(&cc);
    CHILD_CHECK(c > 0);
    for (rc = 0; rc < 5000; rc++) {
        CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
        if (ss.ports == 6)
            break;
        usleep(1000);
    }
    CHILD_CHECK(ss.ports == 6);
    CHILD_CHECK(sg_rtp_destroy((uint32_t)c) == SG_OK);
    for (rc = 0; rc < 5000; rc++) {
        CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
        if (ss.ports == 4)
            break;
        usleep(1000);
    }
    CHILD_CHECK(ss.ports == 4);

    /* Detached: the endpoints' own sockets carry it (and take datagrams from anyone again). */
    CHILD_CHECK(sg_steer_detach() == SG_OK);
    CHILD_CHECK(sg_steer_detach() == SG_ESTATE);
    before = steered_rx();
    fails += both_ways(alice2, bob, port_a, port_b, 10, &seq);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
    CHILD_CHECK(ss.attached == 0 && ss.ports == 0);
    (void)before;

    /* On an interval timer (2 ms): the same, read in batches. */
    CHILD_CHECK(sg_steer_attach(2000) == SG_OK);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
    CHILD_CHECK(ss.attached == 1 && ss.interval_us == 2000 && ss.ports == 4);
    before = steered_rx();
    fails += both_ways(alice2, bob, port_a, port_b, 20, &seq);
    CHILD_CHECK(steered_rx() == before + 40);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
    CHILD_CHECK(ss.rx_unknown == 0);
    CHILD_CHECK(sg_counters_read(&ctr, sizeof(ctr)) == SG_OK);
    CHILD_CHECK(ctr.tx_errors == 0);
    CHILD_CHECK(sg_engine_stop() == SG_OK);     /* detaches too */
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK && ss.attached == 0);
    return fails > 60 ? 60 : fails;
}

SG_TEST(steer_relays_through_one_socket_per_thread)
{
    SG_CHECK_EQ_INT(nf_run_child(steer_body), 0);
}

static int unprivileged_body(void)
{
    uint16_t pa, pb, seq = 1;
    int alice, bob, a, b, r, rc, fails = 0;
    sg_rtp_config_t ca, cb;
    sg_steer_status_t ss;

    if (nf_private_netns() != 0)
        return SKIP_CODE;
    if (geteuid() == 0 && setuid(65534) != 0) {
        printf("  skipped: cannot drop to an unprivileged user (%s)\n", strerror(errno));
        return SKIP_CODE;
    }
    alice = rf_udp_socket(LOOP, &pa);
    bob = rf_udp_socket(LOOP, &pb);
    CHILD_CHECK(start_engine() == SG_OK);
    rf_rtp_cfg(&ca, LOOP, pa);
    rf_rtp_cfg(&cb, LOOP, pb);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    CHILD_CHECK(r > 0);
    CHILD_CHECK(sg_steer_attach(SG_STEER_MAX_INTERVAL_US + 1) == SG_EINVAL);
    rc = sg_steer_attach(1000);
    CHILD_CHECK(rc == SG_EPERM || rc == SG_ENOSYS);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK);
    CHILD_CHECK(ss.attached == 0 && ss.ports == 0);
    if (rc == SG_EPERM)
        CHILD_CHECK(strstr(ss.error, "CAP_BPF") != NULL);
    fails += both_ways(alice, bob, (uint16_t)sg_rtp_local_port((uint32_t)a), (uint16_t)sg_rtp_local_port((uint32_t)b),
                       20, &seq);
    CHILD_CHECK(sg_steer_status(&ss, sizeof(ss)) == SG_OK && ss.rx_packets == 0);
    CHILD_CHECK(sg_engine_stop() == SG_OK);
    return fails;
}

SG_TEST(steer_without_privileges_reads_each_socket)
{
    SG_CHECK_EQ_INT(nf_run_child(unprivileged_body), 0);
}

SG_TEST(steer_needs_a_running_engine)
{
    sg_steer_status_t ss;
    SG_CHECK_EQ_INT(sg_steer_attach(0), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_steer_detach(), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_steer_status(NULL, sizeof(ss)), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_steer_status(&ss, 4), SG_EINVAL);
}
