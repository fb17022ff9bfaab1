/* Bench helper: hosts the native relay (libspangate) in its own process, like rtpengine.
 *   sgrelay <relay-addr> <port-min> <port-max> <sink-addr> <sink-port> <gen-addr> <gen-port[:sink-port]>...
 * For each generator port it creates endpoint A (PCMU, remote = that generator port,
 * symmetric), endpoint B (remote = the sink, or the stream's own sink port) and a relay A<->B.
 * SGRELAY_CODEC=G722|opus gives B that codec (a transcoding relay); SGRELAY_THREADS sets the
 * media threads (streams are sharded over them). Then it prints
 * "PORTS <a1> <a2> ...", "TID <media thread tid>" and "READY" on stdout, and runs until stdin
 * closes or SIGTERM. RTCP generation is off (rtpengine does not originate RTCP for
 * pass-through calls either). SGRELAY_KFWD=<ifnames> attaches in-kernel forwarding
 * (spangate/kfwd.h) to those interfaces; failing that, sgrelay exits with the reason. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "spangate/engine.h"
#include "spangate/kfwd.h"
#include "spangate/steer.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void ep_cfg(sg_rtp_config_t *c, const char *local, const char *remote, int port, uint32_t flags)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    snprintf(c->local_addr, sizeof(c->local_addr), "%s", local);
    snprintf(c->remote_addr, sizeof(c->remote_addr), "%s", remote);
    c->remote_port = (uint16_t)port;
    c->payload_type = 0;
    c->dtmf_pt = 101;
    snprintf(c->codec, sizeof(c->codec), "PCMU");
    c->flags = flags | SG_RTP_F_NO_RTCP;
}

int main(int argc, char **argv)
{
    sg_engine_config_t ec;
    int i, n, rc;
    char buf[16];

    if (argc < 8) {
        fprintf(stderr, "usage: sgrelay relay-addr port-min port-max sink-addr sink-port gen-addr gen-port...\n");
        return 2;
    }
    n = argc - 7;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = (uint32_t)(2 * n + 16);
    ec.port_min = (uint16_t)atoi(argv[2]);
    ec.port_max = (uint16_t)atoi(argv[3]);
    ec.queue_depth = 8192;
    /* SGRELAY_THREADS: media threads (streams are sharded over them by index). */
    ec.media_threads = getenv("SGRELAY_THREADS") ? (uint32_t)atoi(getenv("SGRELAY_THREADS")) : 1;
    rc = sg_engine_start(&ec);
    if (rc != SG_OK) {
        fprintf(stderr, "sg_engine_start: %s\n", sg_strerror(rc));
        return 1;
    }
    if (getenv("SGRELAY_KFWD") != NULL && getenv("SGRELAY_KFWD")[0] != '\0') {
        sg_kfwd_status_t ks;
        rc = sg_kfwd_attach(getenv("SGRELAY_KFWD"));
        if (rc != SG_OK) {
            sg_kfwd_status(&ks, sizeof(ks));
            fprintf(stderr, "sg_kfwd_attach(%s): %s: %s\n", getenv("SGRELAY_KFWD"), sg_strerror(rc), ks.error);
            return 1;
        }
    }
    /* SGRELAY_STEER=<interval us>: receive steering (spangate/steer.h), 0 = read on readiness. */
    if (getenv("SGRELAY_STEER") != NULL && getenv("SGRELAY_STEER")[0] != '\0') {
        sg_steer_status_t ss;
        rc = sg_steer_attach((uint32_t)atoi(getenv("SGRELAY_STEER")));
        if (rc != SG_OK) {
            sg_steer_status(&ss, sizeof(ss));
            fprintf(stderr, "sg_steer_attach(%s): %s: %s\n", getenv("SGRELAY_STEER"), sg_strerror(rc), ss.error);
            return 1;
        }
    }
    printf("PORTS");
    for (i = 0; i < n; i++) {
        sg_rtp_config_t a, b;
        int ha, hb, hr;
        ep_cfg(&a, argv[1], argv[6], atoi(argv[7 + i]), SG_RTP_F_SYMMETRIC);
        const char *colon = strchr(argv[7 + i], ':');
        const char *codec = getenv("SGRELAY_CODEC");
        ep_cfg(&b, argv[1], argv[4], colon ? atoi(colon + 1) : atoi(argv[5]), 0);
        a.shard = b.shard = (uint32_t)i;
        if (codec != NULL && strcasecmp(codec, "G722") == 0) {
            snprintf(b.codec, sizeof(b.codec), "G722");
            b.payload_type = 9;
        } else if (codec != NULL && strcasecmp(codec, "opus") == 0) {
            snprintf(b.codec, sizeof(b.codec), "opus");
            b.payload_type = 111;
            b.clock_rate = 48000;
        }
        ha = sg_rtp_create(&a);
        hb = sg_rtp_create(&b);
        hr = ha > 0 && hb > 0 ? sg_relay_create((uint32_t)ha, (uint32_t)hb) : -1;
        if (hr <= 0) {
            fprintf(stderr, "stream %d: %s\n", i, sg_strerror(ha <= 0 ? ha : hb <= 0 ? hb : hr));
            return 1;
        }
        printf(" %d", sg_rtp_local_port((uint32_t)ha));
    }
    printf("\nTID %d\nREADY\n", sg_engine_thread_tid(0));
    fflush(stdout);
    while (!stop && read(0, buf, sizeof(buf)) > 0)
        ;
    {
        /* Whole-life counters (warm-up and drain included): how many packets each epoll
         * wake-up carried, to stderr beside the bench's RESULT line. */
        sg_counters_t c;
        if (sg_counters_read(&c, sizeof(c)) == SG_OK)
            fprintf(stderr, "SGSTATS rx=%llu tx=%llu wakeups=%llu ticks=%llu pkts_per_wakeup=%.2f tx_errors=%llu "
                    "kfwd_packets=%llu kfwd_installs=%llu kfwd_removals=%llu kfwd_punted=%llu\n",
                    (unsigned long long)c.rx_packets, (unsigned long long)c.tx_packets,
                    (unsigned long long)c.wakeups, (unsigned long long)c.ticks,
                    c.wakeups ? (double)c.rx_packets / (double)c.wakeups : 0.0,
                    (unsigned long long)c.tx_errors, (unsigned long long)c.kfwd_packets,
                    (unsigned long long)c.kfwd_installs, (unsigned long long)c.kfwd_removals,
                    (unsigned long long)c.kfwd_punted);
    }
    {
        sg_steer_status_t ss;
        if (sg_steer_status(&ss, sizeof(ss)) == SG_OK && ss.attached)
            fprintf(stderr, "SGSTEER interval_us=%u ports=%llu rx=%llu calls=%llu pkts_per_call=%.2f unknown=%llu "
                    "not_steered=%llu\n", ss.interval_us, (unsigned long long)ss.ports,
                    (unsigned long long)ss.rx_packets, (unsigned long long)ss.rx_calls,
                    ss.rx_calls ? (double)ss.rx_packets / (double)ss.rx_calls : 0.0,
                    (unsigned long long)ss.rx_unknown, (unsigned long long)ss.not_steered);
    }
    sg_engine_stop();
    return 0;
}
