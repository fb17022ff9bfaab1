/* In-kernel forwarding (spangate/kfwd.h) end to end: a pass-through relay on loopback offloads
 * its direction to the tc program, which rewrites and delivers the packets (sequence numbers
 * continuous across the hand-over), hands back what it must not forward (another SSRC,
 * RFC 4733), folds its counters into the endpoint statistics, and verifies checksums of
 * frames that arrive without checksum offload (AF_PACKET injection, as from a NIC). And the
 * fallback: without privileges attach fails with SG_EPERM and a reason, and the relay works.
 *
 * Each case runs in a forked child inside its own network namespace (so the program never
 * sees anyone else's loopback traffic); without the privilege for that or for BPF the case
 * prints why it skipped and passes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
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
#include "spangate/kfwd.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

#define LOOP "127.0.25.1"

static int start_engine(void)
{
    sg_engine_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.struct_size = sizeof(cfg);
    cfg.max_endpoints = 32;
    cfg.port_min = 25100;
    cfg.port_max = 25199;
    (void)sg_events_fd();
    return sg_engine_start(&cfg);
}


static void send_rtp(int fd, uint16_t port, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
                     uint8_t fill)
{
    uint8_t b[256];
    rtp_write_header(b, pt, marker, seq, ts, ssrc);
    memset(b + 12, fill, 160);
    rf_send(fd, LOOP, port, b, 172);
}

static uint16_t csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

/* Injects an Ethernet frame carrying RTP from src_port to dst_port on loopback through an
 * AF_PACKET socket: it enters the stack without checksum offload, so the UDP checksum is
 * verified on receipt (a wrong rewrite drops the packet). csum_mode 0: correct checksum,
 * 1: zero (none), 2: corrupted. */
static int inject(int pfd, uint16_t src_port, uint16_t dst_port, uint16_t seq, uint32_t ts, uint32_t ssrc,
                  uint8_t fill, int csum_mode)
{
    /* 2 bytes ahead of the Ethernet header keep the IP header 4-byte aligned. */
    static uint8_t raw[2 + 14 + 20 + 8 + 172] __attribute__((aligned(4)));
    uint8_t *f = raw + 2;
    const size_t flen = sizeof(raw) - 2;
    struct iphdr *ip = (struct iphdr *)(void *)(f + 14);
    struct udphdr *udp = (struct udphdr *)(void *)(f + 34);
    struct sockaddr_ll ll;
    uint8_t pseudo[12];
    uint32_t s;

    memset(raw, 0, sizeof(raw));
    f[12] = 0x08;                       /* ETH_P_IP */
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(20 + 8 + 172);
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    inet_pton(AF_INET, LOOP, &ip->saddr);
    ip->daddr = ip->saddr;
    ip->check = htons(csum_fold(csum_add(0, (uint8_t *)ip, 20)));
    udp->source = htons(src_port);
    udp->dest = htons(dst_port);
    udp->len = htons(8 + 172);
    rtp_write_header(f + 42, 0, 0, seq, ts, ssrc);
    memset(f + 54, fill, 160);
    if (csum_mode != 1) {
        memcpy(pseudo, &ip->saddr, 4);
        memcpy(pseudo + 4, &ip->daddr, 4);
        pseudo[8] = 0;
        pseudo[9] = IPPROTO_UDP;
        pseudo[10] = 0;
        pseudo[11] = 8 + 172;
        s = csum_add(csum_add(0, pseudo, 12), (uint8_t *)udp, 8 + 172);
        udp->check = htons(csum_fold(s));
        if (udp->check == 0)
            udp->check = 0xffff;
        if (csum_mode == 2)
            udp->check ^= htons(0x0100);
    }
    memset(&ll, 0, sizeof(ll));
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_IP);
    ll.sll_ifindex = (int)if_nametoindex("lo");
    ll.sll_halen = 6;
    return sendto(pfd, f, flen, 0, (struct sockaddr *)&ll, sizeof(ll)) == (ssize_t)flen ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

static int offload_body(void)
{
    uint16_t pa, pb;
    int alice, bob, pfd, a, b, r, rc, i, n, port_a, fails = 0;
    sg_rtp_config_t ca, cb;
    sg_rtp_stats_t st;
    sg_counters_t c;
    sg_kfwd_status_t ks;
    uint8_t buf[512];
    rtp_header h;
    uint16_t first_seq = 0, want;
    uint32_t tx_ssrc;
    int sent = 0;

    if (nf_private_netns() != 0)
        return SKIP_CODE;
    alice = rf_udp_socket(LOOP, &pa);
    bob = rf_udp_socket(LOOP, &pb);
    CHILD_CHECK(alice >= 0 && bob >= 0);
    CHILD_CHECK(start_engine() == SG_OK);
    rf_rtp_cfg(&ca, LOOP, pa);
    ca.dtmf_pt = 101;
    ca.flags |= SG_RTP_F_SYMMETRIC;
    rf_rtp_cfg(&cb, LOOP, pb);
    cb.dtmf_pt = 96;
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    CHILD_CHECK(a > 0 && b > 0 && r > 0);
    port_a = sg_rtp_local_port((uint32_t)a);
    rc = sg_kfwd_attach("lo");
    if (rc == SG_EPERM || rc == SG_ENOSYS) {
        sg_kfwd_status(&ks, sizeof(ks));
        printf("  skipped: kernel forwarding unavailable here: %s (%s)\n", sg_strerror(rc), ks.error);
        sg_engine_stop();
        return SKIP_CODE;
    }
    CHILD_CHECK(rc == SG_OK);
    CHILD_CHECK(sg_kfwd_attach("lo") == SG_ESTATE);
    CHILD_CHECK(sg_rtp_stats((uint32_t)b, &st, sizeof(st)) == SG_OK);
    tx_ssrc = st.tx_ssrc;

    /* 60 packets: the first 16 through the relay, the rest through the kernel; the receiver
     * sees one unbroken stream. */
    for (i = 0; i < 60; i++, sent++) {
        send_rtp(alice, (uint16_t)port_a, 0, i == 0, (uint16_t)(65500 + i), 1000u + 160u * (uint32_t)i, 0xa1a1a1a1u, (uint8_t)i);
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 172);
        if (n != 172 || rtp_parse(buf, (size_t)n, &h) != 0) {
            fails++;
            break;
        }
        if (i == 0)
            first_seq = h.seq;
        CHILD_CHECK(h.seq == (uint16_t)(first_seq + i));
        CHILD_CHECK(h.ssrc == tx_ssrc);
        CHILD_CHECK(h.pt == 0);
        CHILD_CHECK(h.marker == (i == 0));
        CHILD_CHECK(buf[12] == (uint8_t)i && buf[171] == (uint8_t)i);
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_installs == 1 && c.kfwd_active == 1);
    CHILD_CHECK(c.kfwd_packets >= 40 && c.kfwd_packets <= 44);
    CHILD_CHECK(c.kfwd_bytes == c.kfwd_packets * 172);

    /* Frames without checksum offload: a correct and a zero UDP checksum both arrive. Without
     * a socket's route attached they are routed as input, where 127/8 needs route_localnet
     * (this namespace only). */
    {
        FILE *rl = fopen("/proc/sys/net/ipv4/conf/lo/route_localnet", "w");
        CHILD_CHECK(rl != NULL);
        if (rl != NULL) {
            fputs("1\n", rl);
            fclose(rl);
        }
    }
    pfd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    CHILD_CHECK(pfd >= 0);
    for (i = 0; i < 2; i++, sent++) {
        uint16_t seq = (uint16_t)(65500 + 60 + i);
        CHILD_CHECK(inject(pfd, pa, (uint16_t)port_a, seq, 1000u + 160u * (uint32_t)(60 + i), 0xa1a1a1a1u, 0x5a, i) == 0);
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 172 && rtp_parse(buf, 172, &h) == 0);
        CHILD_CHECK(h.seq == (uint16_t)(first_seq + 60 + i) && h.ssrc == tx_ssrc && buf[100] == 0x5a);
    }
    /* ... and a corrupted one is dropped by UDP after the rewrite (the check is live). */
    {
        struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 }, tv5 = { .tv_sec = 5, .tv_usec = 0 };
        CHILD_CHECK(inject(pfd, pa, (uint16_t)port_a, (uint16_t)(65500 + 62), 1000u + 160u * 62u, 0xa1a1a1a1u, 0x5a, 2) == 0);
        setsockopt(bob, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        CHILD_CHECK(recv(bob, buf, sizeof(buf), 0) < 0);
        setsockopt(bob, SOL_SOCKET, SO_RCVTIMEO, &tv5, sizeof(tv5));
        sent++;                   /* the kernel forwarded it (input sequence 62) */
    }
    close(pfd);
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_removals == 0);

    /* RFC 4733 is the relay's: the direction comes back, the event leaves with PT 96 and the
     * next sequence number. */
    {
        uint8_t d[16];
        rtp_write_header(d, 101, 1, (uint16_t)(65500 + 63), 1000u + 160u * 63u, 0xa1a1a1a1u);
        d[12] = 5; d[13] = 10; d[14] = 0; d[15] = 160;
        rf_send(alice, LOOP, (uint16_t)port_a, d, 16);
        sent++;
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 16 && rtp_parse(buf, 16, &h) == 0);
        CHILD_CHECK(h.pt == 96 && h.seq == (uint16_t)(first_seq + 63) && h.ssrc == tx_ssrc);
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_removals == 1 && c.kfwd_active == 0 && c.kfwd_punted >= 1);

    /* A new SSRC: the relay re-bases (marker, next sequence number), then offloads it again. */
    want = (uint16_t)(first_seq + 64);
    for (i = 0; i < 30; i++, sent++) {
        send_rtp(alice, (uint16_t)port_a, 0, 0, (uint16_t)(100 + i), 50000u + 160u * (uint32_t)i, 0xb2b2b2b2u, 0x77);
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 172 && rtp_parse(buf, 172, &h) == 0);
        CHILD_CHECK(h.seq == (uint16_t)(want + i) && h.ssrc == tx_ssrc);
        CHILD_CHECK(h.marker == (i == 0));
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_installs == 2 && c.kfwd_active == 1);

    /* Another SSRC while offloaded: the kernel declines it, the relay takes the direction back
     * and re-bases; 20 packets later it is offloaded again. */
    want = (uint16_t)(want + 30);
    for (i = 0; i < 20; i++, sent++) {
        send_rtp(alice, (uint16_t)port_a, 0, 0, (uint16_t)(9000 + i), 7000u + 160u * (uint32_t)i, 0xc3c3c3c3u, 0x33);
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 172 && rtp_parse(buf, 172, &h) == 0);
        CHILD_CHECK(h.seq == (uint16_t)(want + i) && h.ssrc == tx_ssrc);
        CHILD_CHECK(h.marker == (i == 0));
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_installs == 3 && c.kfwd_removals == 2 && c.kfwd_active == 1);

    /* The statistics include the kernel's packets once the media thread has folded them in
     * (one housekeeping round, 25 ticks). */
    for (i = 0; i < 200; i++) {                   /* up to 10 s on a loaded machine */
        CHILD_CHECK(sg_rtp_stats((uint32_t)a, &st, sizeof(st)) == SG_OK);
        if (st.rx_packets == (uint64_t)sent)
            break;
        sleep_ms(50);
    }
    CHILD_CHECK(st.rx_packets == (uint64_t)sent);
    CHILD_CHECK(st.rx_lost == 0);
    CHILD_CHECK(sg_rtp_stats((uint32_t)b, &st, sizeof(st)) == SG_OK);
    CHILD_CHECK(st.tx_packets == (uint64_t)sent);
    CHILD_CHECK(sg_kfwd_status(&ks, sizeof(ks)) == SG_OK);
    CHILD_CHECK(ks.interfaces == 1 && ks.flows_active == 1 && ks.fwd_packets >= 50);
    CHILD_CHECK(strcmp(ks.error, "already attached") == 0);   /* the second attach above */

    /* Teardown takes the direction back: nothing reaches bob any more. */
    CHILD_CHECK(sg_relay_destroy((uint32_t)r) == SG_OK);
    for (i = 0; i < 200; i++) {                   /* the media thread runs the teardown */
        CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
        if (c.kfwd_active == 0)
            break;
        sleep_ms(50);
    }
    CHILD_CHECK(c.kfwd_active == 0 && c.kfwd_removals == 3);
    {
        struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
        setsockopt(bob, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        send_rtp(alice, (uint16_t)port_a, 0, 0, 9020, 7000u + 160u * 20u, 0xc3c3c3c3u, 0x33);
        CHILD_CHECK(recv(bob, buf, sizeof(buf), 0) < 0);
    }
    CHILD_CHECK(sg_kfwd_detach() == SG_OK);
    CHILD_CHECK(sg_kfwd_detach() == SG_ESTATE);
    CHILD_CHECK(sg_engine_stop() == SG_OK);
    close(alice);
    close(bob);
    return fails > 60 ? 60 : fails;
}

SG_TEST(kfwd_offloads_passthrough_and_hands_back)
{
    SG_CHECK_EQ_INT(nf_run_child(offload_body), 0);
}

static int unprivileged_body(void)
{
    uint16_t pa, pb;
    int alice, bob, a, b, r, rc, i, port_a, fails = 0;
    sg_rtp_config_t ca, cb;
    sg_kfwd_status_t ks;
    sg_counters_t c;
    uint8_t buf[512];

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
    port_a = sg_rtp_local_port((uint32_t)a);
    rc = sg_kfwd_attach("lo");
    CHILD_CHECK(rc == SG_EPERM || rc == SG_ENOSYS);
    CHILD_CHECK(sg_kfwd_status(&ks, sizeof(ks)) == SG_OK);
    CHILD_CHECK(ks.interfaces == 0);
    if (rc == SG_EPERM)
        CHILD_CHECK(strstr(ks.error, "CAP_BPF") != NULL);
    CHILD_CHECK(sg_kfwd_attach("nosuchif0") != SG_OK);
    for (i = 0; i < 20; i++) {
        send_rtp(alice, (uint16_t)port_a, 0, 0, (uint16_t)i, 160u * (uint32_t)i, 0x1234u, (uint8_t)i);
        CHILD_CHECK(recv(bob, buf, sizeof(buf), 0) == 172);
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_packets == 0 && c.kfwd_installs == 0 && c.relay_forwarded == 20);
    CHILD_CHECK(sg_engine_stop() == SG_OK);
    return fails;
}

SG_TEST(kfwd_without_privileges_relays_in_user_space)
{
    SG_CHECK_EQ_INT(nf_run_child(unprivileged_body), 0);
}

/* The production path: the far peer is not on this host. Two namespaces joined by a veth
 * pair; the peers live behind v1 (10.25.0.2), the relay on v0 (10.25.0.1). The program on v0's
 * ingress rewrites and sends the packets back out of v0 (bpf_redirect_neigh, the route the
 * engine looked up at offload time), without IP forwarding enabled anywhere. */
static int shell(const char *fmt, int a, int b)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), fmt, a, b);
    return system(cmd);
}

static int veth_body(void)
{
    int ns_a, ns_b, alice, bob, a, b, r, rc, i, n, port_a, fails = 0;
    uint16_t pa, pb, first_seq = 0;
    sg_rtp_config_t ca, cb;
    sg_counters_t c;
    sg_kfwd_status_t ks;
    uint8_t buf[512];
    rtp_header h;

    if (nf_private_netns() != 0)
        return SKIP_CODE;
    ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns_a < 0 || unshare(CLONE_NEWNET) != 0) {
        printf("  skipped: no second network namespace\n");
        return SKIP_CODE;
    }
    ns_b = open("/proc/self/ns/net", O_RDONLY);   /* inherited by ip(8) below */
    CHILD_CHECK(ns_b >= 0 && setns(ns_a, CLONE_NEWNET) == 0);
    if (shell("ip link add v0 type veth peer name v1 netns /proc/%d/fd/%d 2>/dev/null", (int)getpid(), ns_b) != 0) {
        printf("  skipped: cannot create a veth pair (ip link add ... type veth)\n");
        return SKIP_CODE;
    }
    CHILD_CHECK(shell("ip addr add 10.25.0.1/24 dev v0 && ip link set v0 up", 0, 0) == 0);
    CHILD_CHECK(setns(ns_b, CLONE_NEWNET) == 0);
    CHILD_CHECK(shell("ip link set lo up && ip addr add 10.25.0.2/24 dev v1 && ip link set v1 up", 0, 0) == 0);
    alice = rf_udp_socket("10.25.0.2", &pa);      /* sockets stay in the namespace they were made in */
    bob = rf_udp_socket("10.25.0.2", &pb);
    CHILD_CHECK(setns(ns_a, CLONE_NEWNET) == 0);
    CHILD_CHECK(alice >= 0 && bob >= 0);
    CHILD_CHECK(start_engine() == SG_OK);
    rf_rtp_cfg(&ca, "10.25.0.1", 0);
    strcpy(ca.remote_addr, "10.25.0.2");
    ca.remote_port = pa;
    ca.flags |= SG_RTP_F_SYMMETRIC;
    rf_rtp_cfg(&cb, "10.25.0.1", 0);
    strcpy(cb.remote_addr, "10.25.0.2");
    cb.remote_port = pb;
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    CHILD_CHECK(a > 0 && b > 0 && r > 0);
    port_a = sg_rtp_local_port((uint32_t)a);
    rc = sg_kfwd_attach("v0");
    if (rc == SG_EPERM || rc == SG_ENOSYS) {
        printf("  skipped: kernel forwarding unavailable here: %s\n", sg_strerror(rc));
        sg_engine_stop();
        return SKIP_CODE;
    }
    CHILD_CHECK(rc == SG_OK);
    for (i = 0; i < 50; i++) {
        uint8_t p[172];
        rtp_write_header(p, 0, 0, (uint16_t)(7 + i), 160u * (uint32_t)i, 0x7e7e7e7eu);
        memset(p + 12, i, 160);
        rf_send(alice, "10.25.0.1", (uint16_t)port_a, p, sizeof(p));
        n = (int)recv(bob, buf, sizeof(buf), 0);
        CHILD_CHECK(n == 172 && rtp_parse(buf, 172, &h) == 0);
        if (n != 172) {
            fails++;
            break;
        }
        if (i == 0)
            first_seq = h.seq;
        CHILD_CHECK(h.seq == (uint16_t)(first_seq + i) && buf[100] == (uint8_t)i);
    }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_installs == 1 && c.kfwd_packets >= 30);
    CHILD_CHECK(sg_kfwd_status(&ks, sizeof(ks)) == SG_OK && ks.interfaces == 1 && ks.install_fail == 0);
    CHILD_CHECK(sg_engine_stop() == SG_OK);
    return fails > 60 ? 60 : fails;
}

SG_TEST(kfwd_redirects_to_a_peer_behind_an_interface)
{
    SG_CHECK_EQ_INT(nf_run_child(veth_body), 0);
}

/* Digits generated toward bob and a re-INVITE both take the direction back; the stream bob
 * sees stays one unbroken sequence (relayed audio, generated RFC 4733, kernel-forwarded audio)
 * and the direction is offloaded again afterwards. */
static int drain_seqs(int fd, uint16_t *seqs, int *n, int cap, int *dtmf)
{
    uint8_t buf[512];
    rtp_header h;
    ssize_t len;
    int got = 0;

    while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        if (rtp_parse(buf, (size_t)len, &h) != 0)
            return -1;
        if (*n < cap)
            seqs[(*n)++] = h.seq;
        if (h.pt == 96)
            (*dtmf)++;
        got++;
    }
    return got;
}

static int handback_body(void)
{
    uint16_t pa, pb, seqs[800];
    int alice, bob, a, b, r, rc, i, port_a, fails = 0, n = 0, dtmf = 0;
    sg_rtp_config_t ca, cb;
    sg_counters_t c;

    if (nf_private_netns() != 0)
        return SKIP_CODE;
    alice = rf_udp_socket(LOOP, &pa);
    bob = rf_udp_socket(LOOP, &pb);
    CHILD_CHECK(start_engine() == SG_OK);
    rf_rtp_cfg(&ca, LOOP, pa);
    ca.flags |= SG_RTP_F_SYMMETRIC;
    rf_rtp_cfg(&cb, LOOP, pb);
    cb.dtmf_pt = 96;
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    CHILD_CHECK(a > 0 && b > 0 && r > 0);
    port_a = sg_rtp_local_port((uint32_t)a);
    rc = sg_kfwd_attach("lo");
    if (rc == SG_EPERM || rc == SG_ENOSYS) {
        printf("  skipped: kernel forwarding unavailable here: %s\n", sg_strerror(rc));
        sg_engine_stop();
        return SKIP_CODE;
    }
    CHILD_CHECK(rc == SG_OK);
    /* Audio at 20 ms. Digits once the direction is offloaded; the re-INVITE once it is
     * offloaded again after the digits; then 60 more packets (it needs 16 to come back).
     * Progress is judged by the counters, not by time. */
    int phase = 0, reinvite_at = -1;
    for (i = 0; i < 600 && (reinvite_at < 0 || i < reinvite_at + 60); i++) {
        send_rtp(alice, (uint16_t)port_a, 0, 0, (uint16_t)(500 + i), 160u * (uint32_t)i, 0x3131u, (uint8_t)i);
        sleep_ms(20);
        CHILD_CHECK(drain_seqs(bob, seqs, &n, 800, &dtmf) >= 0);
        CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
        if (phase == 0 && c.kfwd_active == 1) {
            CHILD_CHECK(sg_rtp_send_dtmf((uint32_t)b, 7, 200, 10) == SG_OK);
            phase = 1;
        } else if (phase == 1 && c.kfwd_installs == 2) {
            CHILD_CHECK(c.kfwd_removals == 1 && c.kfwd_active == 1);
            CHILD_CHECK(sg_rtp_update((uint32_t)a, &ca) == SG_OK);
            reinvite_at = i;
            phase = 2;
        }
    }
    CHILD_CHECK(phase == 2);
    {
        /* The rest: until bob's socket stays quiet for 300 ms. */
        struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
        uint8_t pkt[512];
        ssize_t len;
        setsockopt(bob, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while ((len = recv(bob, pkt, sizeof(pkt), MSG_PEEK)) > 0)
            CHILD_CHECK(drain_seqs(bob, seqs, &n, 800, &dtmf) >= 0);
    }
    CHILD_CHECK(dtmf >= 5);                         /* 200 ms of digit: start, updates, 3 ends */
    CHILD_CHECK(n == i + dtmf);
    for (i = 1; i < n; i++)
        if (seqs[i] != (uint16_t)(seqs[i - 1] + 1)) {
            fprintf(stderr, "  sequence broken at %d: %u after %u\n", i, seqs[i], seqs[i - 1]);
            fails++;
            break;
        }
    CHILD_CHECK(sg_counters_read(&c, sizeof(c)) == SG_OK);
    CHILD_CHECK(c.kfwd_removals == 2 && c.kfwd_installs == 3 && c.kfwd_active == 1);
    CHILD_CHECK(c.kfwd_packets >= 40);
    CHILD_CHECK(sg_engine_stop() == SG_OK);
    return fails > 60 ? 60 : fails;
}

SG_TEST(kfwd_hands_back_for_generated_digits_and_reinvite)
{
    SG_CHECK_EQ_INT(nf_run_child(handback_body), 0);
}
