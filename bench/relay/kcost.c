/* Kernel cost of the relay's per-packet system calls on this machine, without the relay:
 * thread CPU time (CLOCK_THREAD_CPUTIME_ID) per 172-byte UDP datagram on loopback for
 *   send:  sendto() from S sockets (unconnected, one call per packet, the relay's case),
 *          send() on connected sockets, sendmmsg() of 32 to one socket (the best batching
 *          a socket-per-stream relay could hope for), and io_uring SENDMSG: 32 sends on 32
 *          different sockets per io_uring_enter;
 *   recv:  recvmmsg() per socket holding one datagram (the relay's case: 50 pps per socket),
 *          and io_uring RECVMSG: 32 receives on 32 sockets per io_uring_enter;
 *   epoll: epoll_wait() returning one ready edge-triggered socket; a bare system call
 *          (getppid) for the entry/exit cost;
 *   one socket per media thread (what a BPF_PROG_TYPE_SK_LOOKUP program steering a whole RTP
 *          port range into one socket would allow; the steering itself, ~0.1 us per packet in
 *          the sender's softirq, is not in these figures): recvmmsg of 32 from that socket,
 *          and sending from any source port through one raw (IP_HDRINCL) socket with
 *          sendmmsg of 32 (a UDP socket cannot choose its source port per packet:
 *          IP_PKTINFO sets the address only).
 * Sends go to sink sockets nobody waits on (no wake-up): the figures are the floor of the
 * kernel's UDP work that any userspace relay pays, before scheduling. Run by hand:
 *   cc -O2 -Wall -Wextra -o kcost bench/relay/kcost.c -luring && ./kcost [ADDR] [ROUNDS]
 * Prints "KCOST op=... ns_per_pkt=..." lines. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S 256                      /* relay-side sockets */
#define B 32                       /* batch */
#define PKT 172

static int tx[S], rx[S];
static struct sockaddr_in rx_addr[S];
static uint8_t pkt[PKT];

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bind_udp(const char *addr, struct sockaddr_in *out)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 4 << 20;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("bind");
        exit(1);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    getsockname(fd, (struct sockaddr *)&a, &len);
    if (out)
        *out = a;
    return fd;
}

/* Empties every receive socket (not timed). */
static void drain_all(void)
{
    uint8_t buf[2048];
    int i;
    for (i = 0; i < S; i++)
        while (recv(rx[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
            ;
}

static void report(const char *op, uint64_t ns, uint64_t pkts)
{
    printf("KCOST op=%s ns_per_pkt=%.0f pkts=%llu\n", op, (double)ns / (double)pkts, (unsigned long long)pkts);
}

int main(int argc, char **argv)
{
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1";
    int rounds = argc > 2 ? atoi(argv[2]) : 200, r, i, k;
    struct io_uring ring;
    struct msghdr mh[B];
    struct iovec iov[B];
    uint8_t rbuf[B][2048];
    uint64_t t, total;

    memset(pkt, 0x5a, sizeof(pkt));
    pkt[0] = 0x80;
    for (i = 0; i < S; i++) {
        tx[i] = bind_udp(addr, NULL);
        rx[i] = bind_udp(addr, &rx_addr[i]);
    }
    if (io_uring_queue_init(2 * B, &ring, 0) < 0) {
        fprintf(stderr, "io_uring_queue_init failed\n");
        return 1;
    }

    /* bare system call */
    t = cpu_ns();
    for (i = 0; i < 200000; i++)
        (void)getppid();
    report("getppid", cpu_ns() - t, 200000);

    /* sendto, one socket per packet, unconnected (the relay: each packet leaves on its own
     * endpoint's socket) */
    total = 0;
    for (r = 0; r < rounds; r++) {
        t = cpu_ns();
        for (i = 0; i < S; i++)
            sendto(tx[i], pkt, PKT, MSG_DONTWAIT, (struct sockaddr *)&rx_addr[i], sizeof(rx_addr[i]));
        total += cpu_ns() - t;
        drain_all();
    }
    report("sendto_unconnected", total, (uint64_t)rounds * S);

    /* io_uring: B sendmsg on B different sockets per enter */
    total = 0;
    for (r = 0; r < rounds; r++) {
        t = cpu_ns();
        for (i = 0; i < S; i += B) {
            struct io_uring_cqe *cqe;
            for (k = 0; k < B; k++) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                iov[k].iov_base = pkt;
                iov[k].iov_len = PKT;
                memset(&mh[k], 0, sizeof(mh[k]));
                mh[k].msg_name = &rx_addr[i + k];
                mh[k].msg_namelen = sizeof(rx_addr[i + k]);
                mh[k].msg_iov = &iov[k];
                mh[k].msg_iovlen = 1;
                io_uring_prep_sendmsg(sqe, tx[i + k], &mh[k], MSG_DONTWAIT);
            }
            io_uring_submit_and_wait(&ring, B);
            for (k = 0; k < B; k++) {
                if (io_uring_peek_cqe(&ring, &cqe) == 0)
                    io_uring_cqe_seen(&ring, cqe);
            }
        }
        total += cpu_ns() - t;
        drain_all();
    }
    report("io_uring_sendmsg_x32_sockets", total, (uint64_t)rounds * S);

    /* sendmmsg of B to one socket (not available to a socket-per-stream relay) */
    total = 0;
    for (r = 0; r < rounds; r++) {
        struct mmsghdr mm[B];
        for (k = 0; k < B; k++) {
            iov[k].iov_base = pkt;
            iov[k].iov_len = PKT;
            memset(&mm[k], 0, sizeof(mm[k]));
            mm[k].msg_hdr.msg_name = &rx_addr[k];
            mm[k].msg_hdr.msg_namelen = sizeof(rx_addr[k]);
            mm[k].msg_hdr.msg_iov = &iov[k];
            mm[k].msg_hdr.msg_iovlen = 1;
        }
        t = cpu_ns();
        for (i = 0; i < S; i += B)
            sendmmsg(tx[i], mm, B, MSG_DONTWAIT);
        total += cpu_ns() - t;
        drain_all();
    }
    report("sendmmsg_x32_one_socket", total, (uint64_t)rounds * S);

    /* recvmmsg, one datagram per socket (the relay at 50 pps per socket) */
    total = 0;
    for (r = 0; r < rounds; r++) {
        struct mmsghdr mm[B];
        for (i = 0; i < S; i++)
            sendto(tx[i], pkt, PKT, MSG_DONTWAIT, (struct sockaddr *)&rx_addr[i], sizeof(rx_addr[i]));
        for (k = 0; k < B; k++) {
            iov[k].iov_base = rbuf[k];
            iov[k].iov_len = sizeof(rbuf[k]);
            memset(&mm[k], 0, sizeof(mm[k]));
            mm[k].msg_hdr.msg_iov = &iov[k];
            mm[k].msg_hdr.msg_iovlen = 1;
        }
        t = cpu_ns();
        for (i = 0; i < S; i++)
            recvmmsg(rx[i], mm, B, MSG_DONTWAIT, NULL);
        total += cpu_ns() - t;
    }
    report("recvmmsg_1_per_socket", total, (uint64_t)rounds * S);

    /* io_uring: B recvmsg on B sockets per enter, data already there */
    total = 0;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < S; i++)
            sendto(tx[i], pkt, PKT, MSG_DONTWAIT, (struct sockaddr *)&rx_addr[i], sizeof(rx_addr[i]));
        t = cpu_ns();
        for (i = 0; i < S; i += B) {
            struct io_uring_cqe *cqe;
            for (k = 0; k < B; k++) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                iov[k].iov_base = rbuf[k];
                iov[k].iov_len = sizeof(rbuf[k]);
                memset(&mh[k], 0, sizeof(mh[k]));
                mh[k].msg_iov = &iov[k];
                mh[k].msg_iovlen = 1;
                io_uring_prep_recvmsg(sqe, rx[i + k], &mh[k], MSG_DONTWAIT);
            }
            io_uring_submit_and_wait(&ring, B);
            for (k = 0; k < B; k++) {
                if (io_uring_peek_cqe(&ring, &cqe) == 0)
                    io_uring_cqe_seen(&ring, cqe);
            }
        }
        total += cpu_ns() - t;
    }
    report("io_uring_recvmsg_x32_sockets", total, (uint64_t)rounds * S);

    /* epoll_wait with one ready edge-triggered socket (re-armed by a new datagram each time) */
    {
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[64];
        uint8_t b2[2048];
        uint64_t tw = 0;
        ev.data.u32 = 0;
        epoll_ctl(ep, EPOLL_CTL_ADD, rx[0], &ev);
        for (r = 0; r < rounds * 50; r++) {
            sendto(tx[0], pkt, PKT, MSG_DONTWAIT, (struct sockaddr *)&rx_addr[0], sizeof(rx_addr[0]));
            t = cpu_ns();
            epoll_wait(ep, out, 64, 0);
            tw += cpu_ns() - t;
            recv(rx[0], b2, sizeof(b2), MSG_DONTWAIT);
        }
        report("epoll_wait_1_ready", tw, (uint64_t)rounds * 50);
        close(ep);
    }

    /* one socket holds every stream's datagrams (SK_LOOKUP steering): recvmmsg of B */
    total = 0;
    for (r = 0; r < rounds; r++) {
        struct mmsghdr mm[B];
        for (i = 0; i < S; i++)
            sendto(tx[i], pkt, PKT, MSG_DONTWAIT, (struct sockaddr *)&rx_addr[0], sizeof(rx_addr[0]));
        for (k = 0; k < B; k++) {
            iov[k].iov_base = rbuf[k];
            iov[k].iov_len = sizeof(rbuf[k]);
            memset(&mm[k], 0, sizeof(mm[k]));
            mm[k].msg_hdr.msg_iov = &iov[k];
            mm[k].msg_hdr.msg_iovlen = 1;
        }
        t = cpu_ns();
        for (i = 0; i < S; i += B)
            recvmmsg(rx[0], mm, B, MSG_DONTWAIT, NULL);
        total += cpu_ns() - t;
    }
    report("recvmmsg_x32_one_socket", total, (uint64_t)rounds * S);

    /* any source port from one raw socket: IP + UDP headers built here, sendmmsg of B */
    {
        int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        static uint8_t frames[B][20 + 8 + PKT] __attribute__((aligned(4)));
        struct mmsghdr mm[B];
        if (raw < 0) {
            perror("raw socket (needs CAP_NET_RAW)");
        } else {
            total = 0;
            for (r = 0; r < rounds; r++) {
                for (i = 0; i < S; i += B) {
                    for (k = 0; k < B; k++) {
                        struct iphdr *ip = (struct iphdr *)(void *)frames[k];
                        struct udphdr *udp = (struct udphdr *)(void *)(frames[k] + 20);
                        memset(frames[k], 0, 28);
                        ip->version = 4;
                        ip->ihl = 5;
                        ip->ttl = 64;
                        ip->protocol = IPPROTO_UDP;
                        ip->tot_len = htons(20 + 8 + PKT);
                        ip->saddr = rx_addr[i + k].sin_addr.s_addr;
                        ip->daddr = rx_addr[i + k].sin_addr.s_addr;
                        udp->source = htons((uint16_t)(40000 + i + k));   /* per-stream source port */
                        udp->dest = rx_addr[i + k].sin_port;
                        udp->len = htons(8 + PKT);                       /* checksum 0: none (IPv4) */
                        memcpy(frames[k] + 28, pkt, PKT);
                        iov[k].iov_base = frames[k];
                        iov[k].iov_len = 28 + PKT;
                        memset(&mm[k], 0, sizeof(mm[k]));
                        mm[k].msg_hdr.msg_name = &rx_addr[i + k];
                        mm[k].msg_hdr.msg_namelen = sizeof(rx_addr[i + k]);
                        mm[k].msg_hdr.msg_iov = &iov[k];
                        mm[k].msg_hdr.msg_iovlen = 1;
                    }
                    t = cpu_ns();
                    sendmmsg(raw, mm, B, MSG_DONTWAIT);
                    total += cpu_ns() - t;
                }
                drain_all();
            }
            report("raw_sendmmsg_x32_any_source_port", total, (uint64_t)rounds * S);
            close(raw);
        }
    }

    /* connected sockets: send() (cached route) */
    for (i = 0; i < S; i++)
        connect(tx[i], (struct sockaddr *)&rx_addr[i], sizeof(rx_addr[i]));
    total = 0;
    for (r = 0; r < rounds; r++) {
        t = cpu_ns();
        for (i = 0; i < S; i++)
            send(tx[i], pkt, PKT, MSG_DONTWAIT);
        total += cpu_ns() - t;
        drain_all();
    }
    report("send_connected", total, (uint64_t)rounds * S);
    io_uring_queue_exit(&ring);
    return 0;
}
