/* Relay benchmark: load generator + sink on loopback for one relay under test.
 *
 * N one-way PCMU streams at 50 packets/s (172-byte RTP, phases spread evenly over 20 ms, so
 * the aggregate is smooth), each from its own UDP socket, through the relay, into one sink
 * socket that takes kernel receive timestamps (SO_TIMESTAMPNS). Each payload carries the
 * stream, sequence and send time (CLOCK_REALTIME just before sendto), so one-way added
 * latency = kernel receive time at the sink - send time. A warm-up precedes the measured
 * window; sending goes on 200 ms past it (a relay that holds one frame in a codec queue
 * releases the window's last frame); loss counts packets sent inside the window that never
 * arrived (1 s drain). With --codec G722|opus the relay transcodes PCMU to that codec and
 * each stream gets its own sink socket (see sink_transcoded); --per-stream-sinks does the same
 * for PCMU pass-through, the I/O-only baseline of a transcoding row.
 * Relay CPU = the relay process's CPU time over the window (sum of its threads' schedstat
 * run time), divided by the packets it delivered in the window.
 *
 *   relaybench --target native --sgrelay PATH --relay-addr A --port-min P --port-max Q --n N
 *              [--relay-prio P: run sgrelay under SCHED_FIFO P]
 *              [--sink-prio P: sink thread at SCHED_FIFO P, 0 = SCHED_OTHER; default: inherit]
 *              [--sink-poll-us U: the sink never blocks on its sockets; it sleeps U us between
 *               non-blocking reads, so a relay's send never wakes it (see sink_wait)]
 *   relaybench --target rtpengine --ng ADDR:PORT --pid PID --n N
 *   relaybench --target direct --n N: no relay, the generator sends straight to the sink (the
 *              baseline the whole-machine figures below are taken against)
 * common: --gen-addr A --sink-addr A --seconds S --warmup S --label NAME (printed as target)
 * Whole-machine CPU (for relays that work in softirq context, e.g. in-kernel forwarding, which
 * no process's CPU time shows): /proc/stat over the window, all CPUs, user+nice+system+irq+
 * softirq, per delivered packet (sys_us_per_pkt; softirq alone: softirq_us_per_pkt), and "own"
 * = this process (generator + sink) + the relay process + the ksoftirqd threads (own_us_per_pkt).
 * On loopback the receive softirq of a packet runs in its sender's context (the generator's or
 * the relay's send), so "own" holds the kernel's whole forwarding work, in-kernel forwarding
 * included, without the other processes on the machine that the whole-machine figure carries;
 * that figure is only usable while the machine is not saturated (sys_cpu_pct < 200 on 2 CPUs).
 * A relay's whole-machine cost per packet = its row minus the direct row at the same N.
 * Prints one line: "RESULT key=value ...". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <linux/net_tstamp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x53475242u          /* "SGRB" */
#define PKT_LEN 172
#define HIST_US 200000             /* 1 us buckets up to 200 ms */
#define MAX_N 4000

static struct {
    const char *target, *sgrelay, *relay_addr, *ng, *gen_addr, *sink_addr, *codec, *label;
    int port_min, port_max, n, pid, relay_prio, sink_prio, sink_poll_us;
    double seconds, warmup;
} opt = { .gen_addr = "127.0.12.10", .sink_addr = "127.0.12.20", .seconds = 10, .warmup = 1, .port_min = 25000,
          .port_max = 29999, .n = 100, .codec = "PCMU",
          .sink_prio = -1 };
static int transcode;                      /* --codec other than PCMU */
static int per_stream;                     /* per-stream sinks: transcoding, or --per-stream-sinks */
static int sink_fds[MAX_N];
static uint16_t sink_ports[MAX_N];
static uint16_t first_seq[MAX_N];
static uint8_t have_first[MAX_N];
static uint64_t t0_ns, spacing_ns;

static int gen_fd[MAX_N];
static uint16_t gen_port[MAX_N], dst_port[MAX_N];
static int sink_fd;
static uint16_t sink_port;
static uint64_t win_start, win_end;        /* realtime ns */
static atomic_int sink_stop;
static uint32_t hist[HIST_US + 1], lag_hist[HIST_US + 1];
static uint64_t lat_max, lag_max, recv_win, recv_all, sent_win, sent_all;

static uint64_t now_rt(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "relaybench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int udp_bind(const char *addr, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("socket");
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
        fprintf(stderr, "relaybench: bad address %s\n", addr);
        exit(2);
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("bind");
    getsockname(fd, (struct sockaddr *)&a, &len);
    *bound = ntohs(a.sin_port);
    return fd;
}

/* ---------- relay CPU ---------- */

static uint64_t proc_cpu_ns(int pid);

/* CPU time of the ksoftirqd threads (softirq work deferred out of its sender's context). */
static uint64_t ksoftirqd_ns(void)
{
    static int pids[64], npids = -1;
    uint64_t total = 0;
    int i;

    if (npids < 0) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        npids = 0;
        while (d != NULL && (de = readdir(d)) != NULL && npids < 64) {
            char path[300], comm[64] = "";
            FILE *f;
            if (de->d_name[0] < '0' || de->d_name[0] > '9')
                continue;
            snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
            f = fopen(path, "r");
            if (f == NULL)
                continue;
            if (fgets(comm, sizeof(comm), f) != NULL && strncmp(comm, "ksoftirqd/", 10) == 0)
                pids[npids++] = atoi(de->d_name);
            fclose(f);
        }
        if (d != NULL)
            closedir(d);
    }
    for (i = 0; i < npids; i++)
        total += proc_cpu_ns(pids[i]);
    return total;
}

/* Whole machine, all CPUs, from /proc/stat: busy (user+nice+system+irq+softirq; guest time
 * is inside user) and softirq alone, in ns. */
static void machine_cpu_ns(uint64_t *busy, uint64_t *softirq)
{
    unsigned long long v[8] = { 0 };
    long hz = sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/stat", "r");

    *busy = *softirq = 0;
    if (f == NULL)
        return;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
               &v[7]) == 8) {
        uint64_t tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
        *busy = (v[0] + v[1] + v[2] + v[5] + v[6]) * tick;
        *softirq = v[6] * tick;
    }
    fclose(f);
}

static uint64_t proc_cpu_ns(int pid)
{
    char path[64], line[320];
    uint64_t total = 0;
    struct dirent *de;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    d = opendir(path);
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        FILE *f;
        unsigned long long run = 0;
        if (de->d_name[0] == '.')
            continue;
        snprintf(line, sizeof(line), "/proc/%d/task/%s/schedstat", pid, de->d_name);
        f = fopen(line, "r");
        if (f == NULL)
            continue;
        if (fscanf(f, "%llu", &run) == 1)
            total += run;
        fclose(f);
    }
    closedir(d);
    return total;
}

/* ---------- rtpengine NG (bencode over UDP) ---------- */

static int ng_fd;
static struct sockaddr_in ng_addr;
static char run_id[32];

static int ng_call(const char *cmd, int i, const char *sdp, char *reply, size_t cap)
{
    char msg[2048], cookie[80], callid[80], ftag[32], ttag[32];
    int len, attempt;

    snprintf(cookie, sizeof(cookie), "c%s-%d-%s", run_id, i, cmd);
    snprintf(callid, sizeof(callid), "rb-%s-%d", run_id, i);
    snprintf(ftag, sizeof(ftag), "a%d", i);
    snprintf(ttag, sizeof(ttag), "b%d", i);
    len = snprintf(msg, sizeof(msg), "%s d7:call-id%zu:%s7:command%zu:%s8:from-tag%zu:%s", cookie, strlen(callid),
                   callid, strlen(cmd), cmd, strlen(ftag), ftag);
    if (strcmp(cmd, "answer") == 0)
        len += snprintf(msg + len, sizeof(msg) - (size_t)len, "6:to-tag%zu:%s", strlen(ttag), ttag);
    if (transcode && strcmp(cmd, "offer") == 0)
        len += snprintf(msg + len, sizeof(msg) - (size_t)len, "5:codecd9:transcodel%zu:%see", strlen(opt.codec),
                        opt.codec);
    if (sdp)
        len += snprintf(msg + len, sizeof(msg) - (size_t)len, "3:sdp%zu:%s", strlen(sdp), sdp);
    len += snprintf(msg + len, sizeof(msg) - (size_t)len, "e");
    for (attempt = 0; attempt < 5; attempt++) {
        struct pollfd p = { .fd = ng_fd, .events = POLLIN };
        if (sendto(ng_fd, msg, (size_t)len, 0, (struct sockaddr *)&ng_addr, sizeof(ng_addr)) < 0)
            die("ng sendto");
        while (poll(&p, 1, 2000) > 0) {
            ssize_t n = recv(ng_fd, reply, cap - 1, 0);
            if (n <= 0)
                break;
            reply[n] = '\0';
            if (strncmp(reply, cookie, strlen(cookie)) == 0 && reply[strlen(cookie)] == ' ')
                return strstr(reply, "6:result2:ok") ? 0 : -1;
        }
    }
    return -1;
}

static int sdp_port(const char *reply)
{
    const char *m = strstr(reply, "m=audio ");
    return m ? atoi(m + 8) : -1;
}

static void rtpengine_setup(void)
{
    char host[64], sdp[512], reply[4096];
    const char *colon = strrchr(opt.ng, ':');
    int i;
    uint16_t unused;

    if (colon == NULL || opt.pid <= 0) {
        fprintf(stderr, "relaybench: --ng ADDR:PORT and --pid are needed for rtpengine\n");
        exit(2);
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - opt.ng), opt.ng);
    memset(&ng_addr, 0, sizeof(ng_addr));
    ng_addr.sin_family = AF_INET;
    ng_addr.sin_port = htons((uint16_t)atoi(colon + 1));
    inet_pton(AF_INET, host, &ng_addr.sin_addr);
    ng_fd = udp_bind(opt.gen_addr, 0, &unused);
    for (i = 0; i < opt.n; i++) {
        snprintf(sdp, sizeof(sdp),
                 "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n"
                 "a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", i, opt.gen_addr, opt.gen_addr, gen_port[i]);
        if (ng_call("offer", i, sdp, reply, sizeof(reply)) < 0) {
            fprintf(stderr, "relaybench: offer %d failed: %.200s\n", i, reply);
            exit(1);
        }
        if (!transcode)
            snprintf(sdp, sizeof(sdp),
                     "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n"
                     "a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", i, opt.sink_addr, opt.sink_addr,
                     per_stream ? sink_ports[i] : sink_port);
        else
            snprintf(sdp, sizeof(sdp),
                     "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP %s\r\n"
                     "a=rtpmap:%s\r\na=sendrecv\r\n", i, opt.sink_addr, opt.sink_addr, sink_ports[i],
                     strcasecmp(opt.codec, "opus") == 0 ? "96" : "9",
                     strcasecmp(opt.codec, "opus") == 0 ? "96 opus/48000/2" : "9 G722/8000");
        if (ng_call("answer", i, sdp, reply, sizeof(reply)) < 0 || sdp_port(reply) <= 0) {
            fprintf(stderr, "relaybench: answer %d failed: %.200s\n", i, reply);
            exit(1);
        }
        dst_port[i] = (uint16_t)sdp_port(reply);
    }
}

static void rtpengine_teardown(void)
{
    char reply[4096];
    int i;
    for (i = 0; i < opt.n; i++)
        (void)ng_call("delete", i, NULL, reply, sizeof(reply));
}

/* ---------- native relay (sgrelay child) ---------- */

static pid_t child;
static int child_stdin = -1;

static void native_setup(void)
{
    int in[2], out[2], i;
    char **argv = calloc((size_t)opt.n + 10, sizeof(char *));
    char pmin[16], pmax[16], sport[16], line[65536];
    FILE *f;

    if (argv == NULL || pipe(in) < 0 || pipe(out) < 0)
        die("pipe");
    snprintf(pmin, sizeof(pmin), "%d", opt.port_min);
    snprintf(pmax, sizeof(pmax), "%d", opt.port_max);
    snprintf(sport, sizeof(sport), "%u", sink_port);
    argv[0] = (char *)opt.sgrelay;
    argv[1] = (char *)opt.relay_addr;
    argv[2] = pmin;
    argv[3] = pmax;
    argv[4] = (char *)opt.sink_addr;
    argv[5] = sport;
    argv[6] = (char *)opt.gen_addr;
    for (i = 0; i < opt.n; i++) {
        argv[7 + i] = malloc(16);
        if (per_stream)
            snprintf(argv[7 + i], 16, "%u:%u", gen_port[i], sink_ports[i]);
        else
            snprintf(argv[7 + i], 16, "%u", gen_port[i]);
    }
    if (transcode)
        setenv("SGRELAY_CODEC", opt.codec, 1);
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        if (opt.relay_prio > 0) {
            struct sched_param sp = { .sched_priority = opt.relay_prio };
            (void)sched_setscheduler(0, SCHED_FIFO, &sp);
        }
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execv(opt.sgrelay, argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    child_stdin = in[1];
    f = fdopen(out[0], "r");
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "PORTS", 5) == 0) {
            char *p = line + 5, *end;
            for (i = 0; i < opt.n; i++) {
                dst_port[i] = (uint16_t)strtoul(p, &end, 10);
                p = end;
            }
        } else if (strncmp(line, "READY", 5) == 0) {
            break;
        }
    }
    if (dst_port[opt.n - 1] == 0) {
        fprintf(stderr, "relaybench: sgrelay did not start\n");
        exit(1);
    }
    opt.pid = child;
}

static void native_teardown(void)
{
    close(child_stdin);
    waitpid(child, NULL, 0);
}

/* ---------- sink ---------- */

#define RXB 64

static void account(uint64_t rx, uint64_t sent)
{
    recv_all++;
    if (sent >= win_start && sent < win_end) {
        uint64_t us = rx > sent ? (rx - sent) / 1000u : 0;
        recv_win++;
        hist[us > HIST_US ? HIST_US : us]++;
        if (us > lat_max)
            lat_max = us;
    }
}

/* Transcoded streams: the payload no longer carries our stamp. Stream = the sink socket;
 * frame = RTP sequence number relative to the stream's first packet (the relays keep the
 * sequence continuous); send time = the generator's schedule for that frame (sender lag is
 * reported separately and included in the latency). Assumes each stream's first packet
 * arrives (true in every zero-loss run). */
static void sink_transcoded(int s, const uint8_t *buf, size_t len, uint64_t rx)
{
    uint16_t seq;
    uint64_t frame;

    if (len < 12)
        return;
    seq = (uint16_t)(buf[2] << 8 | buf[3]);
    if (!have_first[s]) {
        have_first[s] = 1;
        first_seq[s] = seq;
    }
    frame = (uint16_t)(seq - first_seq[s]);
    account(rx, t0_ns + (frame * (uint64_t)opt.n + (uint64_t)s) * spacing_ns);
}

/* --sink-prio: the sink stands for the wire. At the generator's FIFO priority every delivered
 * packet preempts the relay under test on its own CPU (the delivery runs in the relay's send
 * call); below the relays it takes what they leave. Latency is read from kernel receive
 * timestamps, so the sink's own scheduling does not enter it. -1: inherit. */
static void sink_sched(void)
{
    struct sched_param sp = { .sched_priority = opt.sink_prio };
    if (opt.sink_prio > 0)
        (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    else if (opt.sink_prio == 0)
        (void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
}

/* --sink-poll-us: sleep instead of waiting on the socket. The relay's send then finds no
 * waiter on the sink socket, as on a NIC: it pays the kernel's UDP send and loopback
 * delivery but not a wake-up (an inter-processor interrupt in this VM) and a switch to the
 * sink per packet. Latency is unaffected: it is the kernel receive timestamp, taken at
 * delivery, not when the sink reads. Returns 1 when the caller should read. */
static int sink_wait(int fd)
{
    if (opt.sink_poll_us > 0) {
        struct timespec w = { .tv_sec = 0, .tv_nsec = (long)opt.sink_poll_us * 1000L };
        nanosleep(&w, NULL);
        return 1;
    }
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 50) > 0;
}

static void *sink_main(void *arg)
{
    static uint8_t bufs[RXB][256];
    static char ctrl[RXB][128];
    struct mmsghdr msgs[RXB];
    struct iovec iov[RXB];
    int i;

    (void)arg;
    sink_sched();
    for (i = 0; i < RXB; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof(bufs[i]);
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!atomic_load(&sink_stop)) {
        int n;
        if (!sink_wait(sink_fd))
            continue;
    again:
        for (i = 0; i < RXB; i++) {
            msgs[i].msg_hdr.msg_control = ctrl[i];
            msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
        }
        n = recvmmsg(sink_fd, msgs, RXB, MSG_DONTWAIT, NULL);
        for (i = 0; i < n; i++) {
            struct cmsghdr *c;
            uint64_t rx = 0, sent;
            uint32_t magic;
            if (msgs[i].msg_len < 12 + 20)
                continue;
            for (c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                    rx = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
                }
            }
            memcpy(&magic, bufs[i] + 12, 4);
            memcpy(&sent, bufs[i] + 24, 8);
            if (magic != MAGIC || rx == 0)
                continue;
            account(rx, sent);
        }
        if (n == RXB)
            goto again;            /* polling: drain before sleeping again */
    }
    return NULL;
}

static void *sink_main_transcoded(void *arg)
{
    static uint8_t buf[2048];
    static char ctrl[128];
    struct epoll_event evs[64];
    int ep = epoll_create1(0), i;

    (void)arg;
    sink_sched();
    for (i = 0; i < opt.n; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, sink_fds[i], &ev);
    }
    int more = 0;
    while (!atomic_load(&sink_stop)) {
        int n, k;
        if (opt.sink_poll_us > 0) {
            struct timespec w = { .tv_sec = 0, .tv_nsec = (long)opt.sink_poll_us * 1000L };
            if (!more)
                nanosleep(&w, NULL);
            n = epoll_wait(ep, evs, 64, 0);
            more = n == 64;        /* more sockets ready than one call returns: no sleep */
        } else {
            n = epoll_wait(ep, evs, 64, 50);
        }
        for (k = 0; k < n; k++) {
            int s = (int)evs[k].data.u32;
            for (;;) {
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
                                    .msg_controllen = sizeof(ctrl) };
                struct cmsghdr *c;
                uint64_t rx = 0;
                ssize_t len = recvmsg(sink_fds[s], &m, MSG_DONTWAIT);
                if (len < 0)
                    break;
                for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec ts;
                        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                        rx = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
                    }
                }
                if (rx)
                    sink_transcoded(s, buf, (size_t)len, rx);
            }
        }
    }
    close(ep);
    return NULL;
}

/* ---------- sender ---------- */

static void *send_main(void *arg)
{
    uint8_t pkt[PKT_LEN];
    struct sockaddr_in to;
    uint64_t t0 = *(uint64_t *)arg, end = win_end + 200000000ull, spacing = 20000000ull / (uint64_t)opt.n, j;
    uint32_t magic = MAGIC;

    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    inet_pton(AF_INET, opt.relay_addr, &to.sin_addr);
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 0x80;
    for (j = 0;; j++) {
        uint64_t due = t0 + j * spacing, now = now_rt(), lag;
        uint32_t s = (uint32_t)(j % (uint64_t)opt.n), seq = (uint32_t)(j / (uint64_t)opt.n), ts = seq * 160u,
                 ssrc = 0x10000u + s;
        if (due >= end)
            break;
        if (due > now + 50000u) {
            struct timespec w = { .tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull) };
            clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &w, NULL);
        }
        pkt[2] = (uint8_t)(seq >> 8);
        pkt[3] = (uint8_t)seq;
        pkt[4] = (uint8_t)(ts >> 24);
        pkt[5] = (uint8_t)(ts >> 16);
        pkt[6] = (uint8_t)(ts >> 8);
        pkt[7] = (uint8_t)ts;
        pkt[8] = (uint8_t)(ssrc >> 24);
        pkt[9] = (uint8_t)(ssrc >> 16);
        pkt[10] = (uint8_t)(ssrc >> 8);
        pkt[11] = (uint8_t)ssrc;
        memcpy(pkt + 12, &magic, 4);
        memcpy(pkt + 16, &s, 4);
        memcpy(pkt + 20, &seq, 4);
        to.sin_port = htons(dst_port[s]);
        now = now_rt();
        memcpy(pkt + 24, &now, 8);
        if (sendto(gen_fd[s], pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) == PKT_LEN) {
            /* The window is judged by the same clock the sink uses: the stamp in the payload
             * (pass-through) or the schedule (transcoded, see sink_transcoded). */
            uint64_t stamp = per_stream ? due : now;
            sent_all++;
            if (stamp >= win_start && stamp < win_end)
                sent_win++;
        }
        lag = now > due ? (now - due) / 1000u : 0;
        lag_hist[lag > HIST_US ? HIST_US : lag]++;
        if (lag > lag_max)
            lag_max = lag;
    }
    return NULL;
}

static double pct(const uint32_t *h, uint64_t total, double q)
{
    uint64_t want = (uint64_t)(q * (double)total), acc = 0;
    int i;
    if (total == 0)
        return -1;
    if (want == 0)
        want = 1;
    for (i = 0; i <= HIST_US; i++) {
        acc += h[i];
        if (acc >= want)
            return i;
    }
    return HIST_US;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "target", 1, 0, 't' }, { "sgrelay", 1, 0, 's' }, { "relay-addr", 1, 0, 'r' }, { "ng", 1, 0, 'g' },
        { "pid", 1, 0, 'p' }, { "n", 1, 0, 'n' }, { "seconds", 1, 0, 'S' }, { "warmup", 1, 0, 'W' },
        { "gen-addr", 1, 0, 'G' }, { "sink-addr", 1, 0, 'K' }, { "port-min", 1, 0, 'a' }, { "port-max", 1, 0, 'b' },
        { "relay-prio", 1, 0, 'P' }, { "codec", 1, 0, 'C' }, { "sink-prio", 1, 0, 'Q' },
        { "sink-poll-us", 1, 0, 'U' }, { "per-stream-sinks", 0, 0, 'M' }, { "label", 1, 0, 'L' },
        { 0, 0, 0, 0 } };
    struct rlimit rl;
    pthread_t st, tt;
    uint64_t t0, cpu0, cpu1, wall0, wall1, mb0, mb1, ms0, ms1, kq0, kq1;
    struct rusage ru0, ru1;
    int c, i, one = 1, rcv = 16 << 20;
    double relay_cpu_s, gen_cpu_s, mach_s, soft_s, ksq_s;

    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': opt.target = optarg; break;
        case 's': opt.sgrelay = optarg; break;
        case 'r': opt.relay_addr = optarg; break;
        case 'g': opt.ng = optarg; break;
        case 'p': opt.pid = atoi(optarg); break;
        case 'n': opt.n = atoi(optarg); break;
        case 'S': opt.seconds = atof(optarg); break;
        case 'W': opt.warmup = atof(optarg); break;
        case 'G': opt.gen_addr = optarg; break;
        case 'K': opt.sink_addr = optarg; break;
        case 'a': opt.port_min = atoi(optarg); break;
        case 'b': opt.port_max = atoi(optarg); break;
        case 'P': opt.relay_prio = atoi(optarg); break;
        case 'Q': opt.sink_prio = atoi(optarg); break;
        case 'U': opt.sink_poll_us = atoi(optarg); break;
        case 'M': per_stream = 1; break;
        case 'C': opt.codec = optarg; break;
        case 'L': opt.label = optarg; break;
        default: return 2;
        }
    }
    if (opt.target == NULL || opt.n < 1 || opt.n > MAX_N) {
        fprintf(stderr, "relaybench: --target native|rtpengine and --n 1..%d are required\n", MAX_N);
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(run_id, sizeof(run_id), "%d-%llu", (int)getpid(), (unsigned long long)(now_rt() / 1000000ull % 100000000ull));
    transcode = strcasecmp(opt.codec, "PCMU") != 0;
    per_stream = per_stream || transcode;
    if (transcode && strcasecmp(opt.codec, "G722") != 0 && strcasecmp(opt.codec, "opus") != 0) {
        fprintf(stderr, "relaybench: --codec PCMU|G722|opus\n");
        return 2;
    }
    if (per_stream) {
        for (i = 0; i < opt.n; i++) {
            sink_fds[i] = udp_bind(opt.sink_addr, 0, &sink_ports[i]);
            setsockopt(sink_fds[i], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
        }
    }
    sink_fd = udp_bind(opt.sink_addr, 0, &sink_port);
    setsockopt(sink_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    if (setsockopt(sink_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
        setsockopt(sink_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    for (i = 0; i < opt.n; i++)
        gen_fd[i] = udp_bind(opt.gen_addr, 0, &gen_port[i]);
    if (strcmp(opt.target, "native") == 0) {
        if (opt.sgrelay == NULL || opt.relay_addr == NULL) {
            fprintf(stderr, "relaybench: --sgrelay and --relay-addr are needed for native\n");
            return 2;
        }
        native_setup();
    } else if (strcmp(opt.target, "direct") == 0) {
        opt.relay_addr = opt.sink_addr;
        opt.pid = 0;
        for (i = 0; i < opt.n; i++)
            dst_port[i] = per_stream ? sink_ports[i] : sink_port;
    } else {
        if (opt.relay_addr == NULL) {
            const char *colon = opt.ng ? strrchr(opt.ng, ':') : NULL;
            static char host[64];
            if (colon)
                snprintf(host, sizeof(host), "%.*s", (int)(colon - opt.ng), opt.ng);
            opt.relay_addr = host;
        }
        rtpengine_setup();
    }
    pthread_create(&st, NULL, per_stream ? sink_main_transcoded : sink_main, NULL);
    t0 = now_rt() + 100000000ull;
    t0_ns = t0;
    spacing_ns = 20000000ull / (uint64_t)opt.n;
    win_start = t0 + (uint64_t)(opt.warmup * 1e9);
    win_end = win_start + (uint64_t)(opt.seconds * 1e9);
    pthread_create(&tt, NULL, send_main, &t0);
    /* CPU samples at the window edges. */
    while (now_rt() < win_start)
        usleep(1000);
    cpu0 = opt.pid ? proc_cpu_ns(opt.pid) : 0;
    machine_cpu_ns(&mb0, &ms0);
    kq0 = ksoftirqd_ns();
    getrusage(RUSAGE_SELF, &ru0);
    wall0 = now_rt();
    while (now_rt() < win_end)
        usleep(1000);
    cpu1 = opt.pid ? proc_cpu_ns(opt.pid) : 0;
    machine_cpu_ns(&mb1, &ms1);
    kq1 = ksoftirqd_ns();
    getrusage(RUSAGE_SELF, &ru1);
    wall1 = now_rt();
    pthread_join(tt, NULL);
    usleep(1000000);                               /* drain */
    atomic_store(&sink_stop, 1);
    pthread_join(st, NULL);
    if (strcmp(opt.target, "native") == 0)
        native_teardown();
    else if (strcmp(opt.target, "rtpengine") == 0)
        rtpengine_teardown();

    mach_s = (double)(mb1 - mb0) / 1e9;
    soft_s = (double)(ms1 - ms0) / 1e9;
    ksq_s = (double)(kq1 - kq0) / 1e9;
    relay_cpu_s = (double)(cpu1 - cpu0) / 1e9;
    gen_cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    printf("RESULT target=%s%s%s n=%d sent=%llu recv=%llu loss_pct=%.3f p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f "
           "max_us=%llu relay_cpu_pct=%.1f relay_cpu_us_per_pkt=%.2f gen_cpu_pct=%.1f lag_p99_us=%.0f lag_max_us=%llu "
           "sys_cpu_pct=%.1f sys_us_per_pkt=%.2f softirq_us_per_pkt=%.2f own_us_per_pkt=%.2f\n",
           opt.label ? opt.label : opt.target, per_stream ? "-" : "", per_stream ? opt.codec : "", opt.n,
           (unsigned long long)sent_win, (unsigned long long)recv_win,
           sent_win ? 100.0 * (double)(sent_win - (recv_win > sent_win ? sent_win : recv_win)) / (double)sent_win : 0.0,
           pct(hist, recv_win, 0.5), pct(hist, recv_win, 0.9), pct(hist, recv_win, 0.99), pct(hist, recv_win, 0.999),
           (unsigned long long)lat_max, 100.0 * relay_cpu_s / ((double)(wall1 - wall0) / 1e9),
           recv_win ? relay_cpu_s * 1e6 / (double)recv_win : 0.0, 100.0 * gen_cpu_s / ((double)(wall1 - wall0) / 1e9),
           pct(lag_hist, sent_all, 0.99), (unsigned long long)lag_max,
           100.0 * mach_s / ((double)(wall1 - wall0) / 1e9), recv_win ? mach_s * 1e6 / (double)recv_win : 0.0,
           recv_win ? soft_s * 1e6 / (double)recv_win : 0.0,
           recv_win ? (gen_cpu_s + relay_cpu_s + ksq_s) * 1e6 / (double)recv_win : 0.0);
    return 0;
}
