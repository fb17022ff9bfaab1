/* TDM media bench (run by hand: bash bench/tdm/run.sh): PRI B-channels <-> RTP with the echo
 * canceller and G.711 on one media thread, and the raw per-channel DSP cost beside it.
 *   raw:  G.711 decode + echo canceller (the tail given, line NLP, tone disabler) + DTMF detector
 *         + G.711 encode per 20 ms frame, in a tight loop on one core (no I/O);
 *   full: N E1 vspan pairs on loopback (gateway network side <-> far user side), a TDM channel
 *         on every B-channel joined to a PCMU jitter-buffer endpoint, a sender thread feeding
 *         every endpoint 50 packets/s, the endpoints sending to a discard socket. CPU of the
 *         media thread from /proc/self/task/<tid>/stat over the run.
 * Usage: bench_tdm [spans=8] [seconds=10] [tail_ms=128]  (128: the tdm.spans echoTailMs default)
 *        bench_tdm raw [tail_ms=128]   the raw loop only (for callgrind: instruction counts do not
 *                                      depend on the machine's load) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "codec/g711.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"
#include "spangate/span.h"
#include "spangate/tdm.h"

#define ADDR "127.0.26.20"
#define MAXCH 31 * 16

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(int tid)
{
    char path[64], buf[1024];
    FILE *f;
    unsigned long ut = 0, st = 0;
    char *p;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fgets(buf, sizeof(buf), f) == NULL) {
        fclose(f);
        return 0;
    }
    fclose(f);
    p = strrchr(buf, ')');
    /* fields after ")": state(3) ... utime(14) stime(15) */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Kernel thread id of this process's thread named `name` (the span thread: "sg-span"), 0 if none. */
static int tid_named(const char *name)
{
    char path[64], comm[32];
    int tid = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;

    if (d == NULL)
        return 0;
    while (tid == 0 && (de = readdir(d)) != NULL) {
        FILE *f;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof(comm), f) != NULL && strncmp(comm, name, strlen(name)) == 0)
            tid = atoi(de->d_name);
        fclose(f);
    }
    closedir(d);
    return tid;
}

static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define RAW_FRAMES 5000

static double raw_cost_us(unsigned tail_ms)
{
    sg_ec_opts_t o = { .tail_ms = (uint16_t)tail_ms };
    dsp_ec *ec = dsp_ec_create(&o);
    dsp_dtmf_rx *drx = dsp_dtmf_rx_create(NULL);
    int16_t rin[160], sin_[160], sout[160];
    uint8_t law[160];
    dsp_dtmf_event ev[4];
    uint32_t seed = 1;
    int frames = RAW_FRAMES, i, k;
    double t0, t;

    for (i = 0; i < frames; i++) {
        if (i == 100)
            t0 = cpu_now_s();
        for (k = 0; k < 160; k++) {
            seed = seed * 1103515245u + 12345u;
            rin[k] = (int16_t)((int)((seed >> 16) & 0x3fff) - 0x2000);
            law[k] = g711_linear_to_alaw((int16_t)(rin[k] / 4 + (k & 7)));
        }
        g711_alaw_decode(sin_, law, 160);
        dsp_ec_process(ec, rin, sin_, sout, 160);
        (void)dsp_dtmf_rx_process(drx, sout, 160, ev, 4);
        g711_ulaw_encode(law, sout, 160);
    }
    t = cpu_now_s() - t0;                      /* CPU time of this thread: the VM is shared */
    dsp_ec_destroy(ec);
    dsp_dtmf_rx_destroy(drx);
    return t / (frames - 100) * 1e6;
}

static atomic_int stop;
static uint16_t ep_ports[MAXCH];
static int nch;

static void *sender(void *arg)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), i, k;
    struct sockaddr_in to;
    uint8_t pkt[172];
    uint16_t seq = 0;
    uint32_t ts = 0;
    double next = now_s();

    (void)arg;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    inet_pton(AF_INET, ADDR, &to.sin_addr);
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 0x80;
    while (!atomic_load(&stop)) {
        struct timespec sl;
        double d;
        seq++;
        ts += 160;
        for (k = 0; k < 160; k++)
            pkt[12 + k] = g711_linear_to_ulaw((int16_t)((k * 37 + seq * 11) % 4000 - 2000));
        for (i = 0; i < nch; i++) {
            pkt[2] = (uint8_t)(seq >> 8);
            pkt[3] = (uint8_t)seq;
            pkt[4] = (uint8_t)(ts >> 24);
            pkt[5] = (uint8_t)(ts >> 16);
            pkt[6] = (uint8_t)(ts >> 8);
            pkt[7] = (uint8_t)ts;
            pkt[8] = (uint8_t)(i >> 8);
            pkt[9] = (uint8_t)i;
            to.sin_port = htons(ep_ports[i]);
            sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
        }
        next += 0.020;
        d = next - now_s();
        if (d > 0) {
            sl.tv_sec = 0;
            sl.tv_nsec = (long)(d * 1e9);
            nanosleep(&sl, NULL);
        }
    }
    close(fd);
    return NULL;
}

static uint64_t sum_frames(const int *chans)
{
    uint64_t f = 0;
    for (int i = 0; i < nch; i++) {
        sg_tdm_stats_t t;
        memset(&t, 0, sizeof(t));
        sg_tdm_stats((uint32_t)chans[i], &t, sizeof(t));
        f += t.frames;
    }
    return f;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "raw") == 0) {
        int t = argc > 2 ? atoi(argv[2]) : 128;
        double us = raw_cost_us((unsigned)(t >= 16 && t <= 256 ? t : 128));
        printf("raw DSP per channel, EC %d ms: %.1f us per 20 ms frame (%d frames)\n", t, us, RAW_FRAMES);
        return 0;
    }
    int nspans = argc > 1 ? atoi(argv[1]) : 8;
    int secs = argc > 2 ? atoi(argv[2]) : 10;
    int tail = argc > 3 ? atoi(argv[3]) : 128;
    int net[16], user[16], eps[MAXCH], chans[MAXCH], s, ts, tid, span_tid, sink_fd;
    sg_engine_config_t ec;
    sg_span_config_t sc;
    sg_span_stats_t st;
    sg_counters_t cnt;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    pthread_t thr;
    double raw, c0, c1, t0, t1, cpu, per_ch, s0, s1;
    sg_counters_t cnt0, cnt1;
    uint64_t frames = 0, under = 0, slips = 0, f0, frames_run;

    if (nspans < 1 || nspans > 16)
        nspans = 8;
    if (tail < 16 || tail > 256)
        tail = 128;
    raw = raw_cost_us((unsigned)tail);
    printf("raw DSP per channel (G.711 decode + EC %d ms + line NLP + tone disabler + DTMF detect + G.711 encode): %.1f us per 20 ms "
           "frame = %.2f%% of a core; %.0f channels per core\n", tail, raw, raw / 200.0, 20000.0 / raw);

    sink_fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    if (bind(sink_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || getsockname(sink_fd, (struct sockaddr *)&sa, &sl) < 0)
        return 1;
    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.media_threads = 1;
    ec.max_endpoints = 1024;
    ec.port_min = 26000;
    ec.port_max = 26999;
    if (sg_engine_start(&ec) != SG_OK)
        return 1;
    for (s = 0; s < nspans; s++) {
        memset(&sc, 0, sizeof(sc));
        sc.struct_size = sizeof(sc);
        sc.kind = SG_SPAN_E1;
        sc.frames_per_packet = 40;             /* 5 ms packets: the span emulation's own cost down */
        sc.role = SG_SPAN_NETWORK;
        strcpy(sc.local_addr, ADDR);
        net[s] = sg_span_open(&sc);
        memset(&st, 0, sizeof(st));
        sg_span_stats(net[s], &st, sizeof(st));
        sc.role = SG_SPAN_USER;
        strcpy(sc.remote_addr, ADDR);
        sc.remote_port = st.local_port;
        user[s] = sg_span_open(&sc);
        if (net[s] <= 0 || user[s] <= 0)
            return 1;
        for (ts = 1; ts <= 31; ts++) {
            sg_rtp_config_t rc;
            sg_tdm_config_t tc;
            if (ts == 16)
                continue;
            memset(&rc, 0, sizeof(rc));
            rc.struct_size = sizeof(rc);
            rc.flags = SG_RTP_F_JITTER_BUFFER;
            strcpy(rc.local_addr, ADDR);
            strcpy(rc.remote_addr, ADDR);
            rc.remote_port = ntohs(sa.sin_port);
            strcpy(rc.codec, "PCMU");
            rc.dtmf_pt = 101;
            eps[nch] = sg_rtp_create(&rc);
            if (eps[nch] <= 0)
                return 1;
            ep_ports[nch] = (uint16_t)sg_rtp_local_port((uint32_t)eps[nch]);
            memset(&tc, 0, sizeof(tc));
            tc.struct_size = sizeof(tc);
            tc.span = net[s];
            tc.timeslot = ts;
            tc.rtp = (uint32_t)eps[nch];
            tc.ec.tail_ms = (uint16_t)tail;
            chans[nch] = sg_tdm_create(&tc);
            if (chans[nch] <= 0) {
                fprintf(stderr, "tdm create %d\n", chans[nch]);
                return 1;
            }
            nch++;
        }
    }
    pthread_create(&thr, NULL, sender, NULL);
    sleep(2);                                  /* warm-up: jitter buffers fill, ECs start */
    tid = sg_engine_thread_tid(0);
    span_tid = tid_named("sg-span");
    f0 = sum_frames(chans);
    memset(&cnt0, 0, sizeof(cnt0));
    sg_counters_read(&cnt0, sizeof(cnt0));
    s0 = span_tid ? thread_cpu_s(span_tid) : 0;
    c0 = thread_cpu_s(tid);
    t0 = now_s();
    sleep((unsigned)secs);
    c1 = thread_cpu_s(tid);
    s1 = span_tid ? thread_cpu_s(span_tid) : 0;
    t1 = now_s();
    memset(&cnt1, 0, sizeof(cnt1));
    sg_counters_read(&cnt1, sizeof(cnt1));
    frames_run = sum_frames(chans) - f0;
    atomic_store(&stop, 1);
    pthread_join(thr, NULL);
    memset(&cnt, 0, sizeof(cnt));
    sg_counters_read(&cnt, sizeof(cnt));
    for (int i = 0; i < nch; i++) {
        sg_tdm_stats_t ts_;
        (void)ts_;
        memset(&ts_, 0, sizeof(ts_));
        sg_tdm_stats((uint32_t)chans[i], &ts_, sizeof(ts_));
        frames += ts_.frames;
        under += ts_.net_underruns;
        slips += ts_.line_slips;
    }
    cpu = (c1 - c0) / (t1 - t0);
    /* Per channel from the work actually done: CPU per frame processed, at 50 frames/s. */
    per_ch = frames_run > 0 ? (c1 - c0) / (double)frames_run * 50.0 : 0;
    printf("full path, %d E1 spans = %d channels (PCMU, EC %d ms on, DTMF detect on), 1 media thread, %d s: "
           "media thread %.1f%% of a core for %.0f%% of the frames due (the span emulation on this VM delivers "
           "what it can); per channel at full rate %.3f%% of a core = %.0f channels per core; 240 channels "
           "would need %.0f%% of a core (target under 50%%: %s)\n",
           nspans, nch, tail, secs, cpu * 100, 100.0 * (double)frames_run / (nch * (t1 - t0) * 50.0), per_ch * 100,
           per_ch > 0 ? 1.0 / per_ch : 0, per_ch * 240 * 100, per_ch * 240 < 0.5 ? "met" : "NOT met");
    printf("  frames %llu (expected about %.0f), network underruns %llu, line slips %llu, tick overruns %llu, "
           "rtp rx %llu tx %llu\n", (unsigned long long)frames, nch * (t1 - t0 + 2) * 50, (unsigned long long)under,
           (unsigned long long)slips, (unsigned long long)cnt.tick_overruns, (unsigned long long)cnt.rx_packets,
           (unsigned long long)cnt.tx_packets);
    printf("  raw DSP alone would be %.1f%% of a core for %d channels\n", raw / 200.0 * nch, nch);
    printf("  media thread wake-ups %.0f/s, ticks %.0f/s; span thread (both ends of %d vspan pairs, 5 ms "
           "packets: the TDM line itself, DAHDI hardware in a real box) %.1f%% of a core\n",
           (double)(cnt1.wakeups - cnt0.wakeups) / (t1 - t0), (double)(cnt1.ticks - cnt0.ticks) / (t1 - t0), nspans,
           (s1 - s0) / (t1 - t0) * 100);
    for (int i = 0; i < nch; i++) {
        sg_tdm_destroy((uint32_t)chans[i]);
        sg_rtp_destroy((uint32_t)eps[i]);
    }
    for (s = 0; s < nspans; s++) {
        sg_span_close(net[s]);
        sg_span_close(user[s]);
    }
    sg_engine_stop();
    close(sink_fd);
    return 0;
}
