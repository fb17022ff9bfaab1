/* RTP sockets are edge-triggered in the media loop: a burst larger than one wake-up's read
 * limit (4 recvmmsg rounds of MT_BATCH) must still be relayed whole and in order, without
 * waiting for a later packet to raise a new edge. The media thread is held in a tick hook
 * while the burst queues up on the endpoint's socket. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sg_test.h"
#include "relay_fixture.h"
#include "core/engine.h"
#include "core/events.h"
#include "rtp/packet.h"
#include "spangate/engine.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

#define LOOP "127.0.12.1"
#define BURST 200                 /* > 4 * MT_BATCH: needs the re-arm after the read limit */

static atomic_int held, release;

static void hold_tick(media_thread *mt, void *ctx, uint64_t now)
{
    int i;

    (void)mt;
    (void)ctx;
    (void)now;
    if (atomic_exchange(&held, 1) != 0)
        return;
    for (i = 0; i < 500 && !atomic_load(&release); i++)     /* at most 5 s */
        usleep(10000);
}

static int peer_socket(uint16_t *port)
{
    int fd = rf_udp_socket(LOOP, port), rcv = 1 << 20;

    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    return fd;
}

static void send_rtp(int fd, uint16_t port, uint16_t seq)
{
    uint8_t b[12 + 160];

    rtp_write_header(b, 0, seq == 0, seq, 160u * seq, 0x5eed5eedu);
    memset(b + 12, (int)(seq & 0xff), 160);
    rf_send(fd, LOOP, port, b, sizeof(b));
}

static void ep_cfg(sg_rtp_config_t *c, uint16_t remote_port)
{
    rf_rtp_cfg(c, LOOP, remote_port);
}

SG_TEST(relay_burst_beyond_one_wakeups_read_limit)
{
    sg_engine_config_t ec;
    sg_rtp_config_t ca, cb;
    sg_counters_t cnt;
    uint16_t pa = 0, pb = 0, first = 0;
    int alice = peer_socket(&pa), bob = peer_socket(&pb);
    int a, b, r, hook, i, n, in_order = 1;
    uint8_t buf[512];
    rtp_header h;

    SG_CHECK(alice >= 0 && bob >= 0);
    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 8;
    ec.port_min = 65000;
    ec.port_max = 65099;
    (void)sg_events_fd();
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    ep_cfg(&ca, pa);
    ep_cfg(&cb, pb);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    SG_CHECK(a > 0 && b > 0);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    SG_CHECK(r > 0);

    /* One packet through: the relay is live. */
    send_rtp(alice, (uint16_t)sg_rtp_local_port((uint32_t)a), 0);
    n = (int)recv(bob, buf, sizeof(buf), 0);
    SG_CHECK_EQ_INT(n, 172);
    SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)n, &h), 0);
    first = h.seq;

    /* Hold the media thread, queue the burst, let go. */
    hook = engine_hook_add(0, -1, NULL, hold_tick, NULL);
    SG_CHECK(hook >= 0);
    for (i = 0; i < 500 && !atomic_load(&held); i++)
        usleep(10000);
    SG_CHECK(atomic_load(&held));
    for (i = 1; i <= BURST; i++)
        send_rtp(alice, (uint16_t)sg_rtp_local_port((uint32_t)a), (uint16_t)i);
    atomic_store(&release, 1);

    for (i = 1; i <= BURST; i++) {
        n = (int)recv(bob, buf, sizeof(buf), 0);
        if (n != 172)
            break;
        if (rtp_parse(buf, (size_t)n, &h) < 0 || h.seq != (uint16_t)(first + i) || buf[12] != (uint8_t)i)
            in_order = 0;
    }
    SG_CHECK_EQ_INT(i, BURST + 1);                  /* all of it, no 5 s receive timeout */
    SG_CHECK(in_order);
    SG_CHECK_EQ_INT(sg_counters_read(&cnt, sizeof(cnt)), SG_OK);
    SG_CHECK_EQ_INT(cnt.relay_forwarded, BURST + 1);
    SG_CHECK_EQ_INT(cnt.tx_errors, 0);

    SG_CHECK_EQ_INT(engine_hook_del(0, hook), SG_OK);
    SG_CHECK_EQ_INT(sg_relay_destroy((uint32_t)r), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)a), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)b), SG_OK);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(alice);
    close(bob);
}
