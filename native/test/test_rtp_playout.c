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
