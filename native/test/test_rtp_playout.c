/* Terminated media: packets through the jitter buffer come out as PCM on the media tick,
 * a lost packet concealed by the codec's PLC, comfort noise during DTX. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sg_test.h"
#include "codec/codec.h"
#include "rtp/endpoint.h"
#include "rtp/packet.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"

#define LOOP "127.0.3.1"
#define MAXF 200

static atomic_int nframes;
static jb_kind kinds[MAXF];
static double levels[MAXF];

static void sink(void *ctx, struct rtp_ep *ep, const int16_t *pcm, size_t n, jb_kind kind)
{
    int i = atomic_load(&nframes);
    double s = 0;
    size_t k;

    (void)ctx;
    (void)ep;
    if (i >= MAXF)
        return;
    for (k = 0; k < n; k++)
        s += (double)pcm[k] * pcm[k];
    kinds[i] = kind;
    levels[i] = n ? sqrt(s / (double)n) : 0;
    atomic_store(&nframes, i + 1);
}

static void wait_frames(int want)
{
    int i;
    for (i = 0; i < 500 && atomic_load(&nframes) < want; i++)
        usleep(10000);
}

SG_TEST(playout_decodes_conceals_and_fills_comfort_noise)
{
    sg_engine_config_t ec;
    sg_rtp_config_t c;
    struct sockaddr_in to;
    sg_codec enc;
    int fd = socket(AF_INET, SOCK_DGRAM, 0), h, i, seen_audio = 0, seen_plc = 0, seen_cn = 0, start;
    uint8_t pkt[200];
    int16_t pcm[160];

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 4;
    ec.port_min = 47800;
    ec.port_max = 47899;
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    strcpy(c.local_addr, LOOP);
    strcpy(c.codec, "PCMU");
    c.flags = SG_RTP_F_SYMMETRIC | SG_RTP_F_JITTER_BUFFER | SG_RTP_F_NO_RTCP;
    c.cn_pt = 13;
    c.jb_min_ms = 40;
    h = sg_rtp_create(&c);
    SG_CHECK(h > 0);
    SG_CHECK_EQ_INT(rtp_ep_set_pcm_sink((uint32_t)h, sink, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&enc, codec_lookup("PCMU", 8000), NULL), SG_OK);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)sg_rtp_local_port((uint32_t)h));
    inet_pton(AF_INET, LOOP, &to.sin_addr);

    /* Six 20 ms frames of a loud tone with frame 3 missing, sent at once (a burst the
     * buffer absorbs), then one CN packet (level 40 dBov) and silence. */
    start = atomic_load(&nframes);
    for (i = 0; i < 6; i++) {
        int k;
        if (i == 3)
            continue;
        for (k = 0; k < 160; k++)
            pcm[k] = (int16_t)(10000.0 * sin(2 * M_PI * 500.0 * (i * 160 + k) / 8000.0));
        rtp_write_header(pkt, 0, i == 0, (uint16_t)(10 + i), 160u * (uint32_t)i, 0x77);
        SG_CHECK_EQ_INT(codec_encode(&enc, pcm, 160, pkt + 12, 160), 160);
        sendto(fd, pkt, 172, 0, (struct sockaddr *)&to, sizeof(to));
    }
    rtp_write_header(pkt, 13, 1, 16, 160u * 6, 0x77);
    pkt[12] = 40;
    sendto(fd, pkt, 13, 0, (struct sockaddr *)&to, sizeof(to));
    wait_frames(start + 40);
    SG_CHECK(atomic_load(&nframes) >= start + 40);
    for (i = start; i < atomic_load(&nframes) && i < MAXF; i++) {
        if (kinds[i] == JB_AUDIO && levels[i] > 3000)
            seen_audio++;
        if (kinds[i] == JB_MISSING && levels[i] > 1000 && !seen_cn)
            seen_plc++;                   /* concealment continues the tone, not silence */
        if (kinds[i] == JB_CN && levels[i] > 100 && levels[i] < 1000)
            seen_cn++;                    /* -40 dBov is RMS ~328 */
    }
    SG_CHECK_EQ_INT(seen_audio, 5);
    SG_CHECK(seen_plc >= 1);
    SG_CHECK(seen_cn >= 10);              /* noise continues through DTX */
    codec_destroy(&enc);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(fd);
}

SG_TEST(playout_sink_needs_a_decoder)
{
    sg_engine_config_t ec;
    sg_rtp_config_t c;
    int h;

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 4;
    ec.port_min = 47900;
    ec.port_max = 47999;
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    strcpy(c.local_addr, LOOP);
    c.flags = SG_RTP_F_SYMMETRIC | SG_RTP_F_NO_RTCP;
    h = sg_rtp_create(&c);
    SG_CHECK_EQ_INT(rtp_ep_set_pcm_sink((uint32_t)h, sink, NULL), SG_ESTATE);   /* no jitter buffer */
    c.flags |= SG_RTP_F_JITTER_BUFFER;
    strcpy(c.codec, "G729");
    SG_CHECK_EQ_INT(sg_rtp_create(&c), SG_EINVAL);                             /* no such decoder */
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

SG_TEST(send_pcm_paces_timestamps_and_marks_talk_spurts)
{
    static media_thread mt;
    static rtp_ep ep;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int rx = socket(AF_INET, SOCK_DGRAM, 0), i;
    struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
    int16_t pcm[160];
    uint8_t buf[256];
    uint64_t now = 1000000000ull;
    rtp_header h;
    uint32_t ts[4] = { 0 };
    uint8_t mark[4] = { 0 };

    memset(&mt, 0, sizeof(mt));
    memset(&ep, 0, sizeof(ep));
    memset(pcm, 0, sizeof(pcm));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, LOOP, &a.sin_addr);
    bind(rx, (struct sockaddr *)&a, sizeof(a));
    getsockname(rx, (struct sockaddr *)&a, &alen);
    setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ep.rtp_fd = socket(AF_INET, SOCK_DGRAM, 0);
    SG_CHECK_EQ_INT(udp_addr_parse(LOOP, ntohs(a.sin_port), &ep.remote), 0);
    ep.cfg.payload_type = 0;
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now), SG_ESTATE);   /* no encoder */
    SG_CHECK_EQ_INT(codec_create(&ep.enc, codec_lookup("PCMU", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now), SG_ESTATE);   /* no remote */
    ep.have_remote = 1;
    out_stream_init(&ep.out, 0x1234, 100, 5000, 8000);
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 80, now), SG_EINVAL);
    /* Three frames 20 ms apart (the second one late by 7 ms: timestamps still step by 160),
     * then a 200 ms pause. */
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now), SG_OK);
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now + 27000000ull), SG_OK);
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now + 40000000ull), SG_OK);
    SG_CHECK_EQ_INT(rtp_ep_send_pcm(&mt, &ep, pcm, 160, now + 240000000ull), SG_OK);
    for (i = 0; i < 4; i++) {
        int n = (int)recv(rx, buf, sizeof(buf), 0);
        SG_CHECK_EQ_INT(n, 172);
        SG_CHECK_EQ_INT(rtp_parse(buf, (size_t)(n > 0 ? n : 0), &h), 0);
        SG_CHECK_EQ_INT(h.seq, 100 + i);
        SG_CHECK_EQ_INT(h.ssrc, 0x1234);
        ts[i] = h.ts;
        mark[i] = h.marker;
    }
    SG_CHECK_EQ_INT(mark[0], 1);
    SG_CHECK_EQ_INT(mark[1], 0);
    SG_CHECK_EQ_INT(mark[2], 0);
    SG_CHECK_EQ_INT(ts[1] - ts[0], 160);
    SG_CHECK_EQ_INT(ts[2] - ts[1], 160);
    SG_CHECK_EQ_INT(mark[3], 1);                 /* a new talk spurt */
    SG_CHECK_EQ_INT(ts[3] - ts[2], 1600);        /* re-based on the 200 ms that passed */
    SG_CHECK_EQ_INT(mt.c.tx_packets, 4);
    codec_destroy(&ep.enc);
    close(ep.rtp_fd);
    close(rx);
}
