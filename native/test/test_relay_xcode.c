/* Transcoding relay end to end: PCMU <-> G.722 and PCMU <-> Opus through the engine, with
 * RTP timestamps rescaled to each codec's clock and RFC 4733 durations rescaled with them. */
#include <arpa/inet.h>
#include <math.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sg_test.h"
#include "relay_fixture.h"
#include "codec/codec.h"
#include "rtp/packet.h"
#include "spangate/engine.h"
#include "spangate/relay.h"
#include "spangate/rtp.h"

#define LOOP "127.0.3.1"

static int xsock(uint16_t *port)
{
    return rf_udp_socket(LOOP, port);
}

static void xsend(int fd, int port, const uint8_t *b, size_t n)
{
    rf_send(fd, LOOP, (uint16_t)port, b, n);
}

static void cfg(sg_rtp_config_t *c, uint16_t rport, const char *codec, uint8_t pt, uint32_t clock, uint8_t dtmf)
{
    rf_rtp_cfg(c, LOOP, rport);
    c->payload_type = pt;
    c->clock_rate = clock;
    c->dtmf_pt = dtmf;
    strcpy(c->codec, codec);
}

static double rms(const int16_t *x, int n)
{
    double s = 0;
    int i;
    for (i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? sqrt(s / n) : 0;
}

static void run_pair(int *sg_failed_, const char *codec, uint8_t pt, uint32_t clock, uint32_t ts_step)
{
    sg_engine_config_t ec;
    sg_rtp_config_t ca, cb;
    uint16_t pa, pb;
    int alice = xsock(&pa), bob = xsock(&pb), a, b, r, i, n, got_energy = 0;
    sg_codec pcmu, far, far_enc;
    uint8_t pkt[1500], payload[1500];
    int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    uint32_t first_ts = 0;
    rtp_header h;
    sg_counters_t cnt;

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 8;
    ec.port_min = 47600;
    ec.port_max = 47699;
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    cfg(&ca, pa, "PCMU", 0, 8000, 101);
    cfg(&cb, pb, codec, pt, clock, 101);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    SG_CHECK(r > 0);
    SG_CHECK_EQ_INT(sg_relay_mode_of((uint32_t)r), SG_RELAY_TRANSCODE);
    SG_CHECK_EQ_INT(codec_create(&pcmu, codec_lookup("PCMU", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&far, codec_lookup(codec, clock), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&far_enc, codec_lookup(codec, clock), NULL), SG_OK);

    /* 400 Hz tone at about -10 dBm0, 20 ms PCMU frames, A -> B. */
    for (i = 0; i < 10; i++) {
        int k;
        for (k = 0; k < 160; k++)
            pcm[k] = (int16_t)(8000.0 * sin(2 * M_PI * 400.0 * (i * 160 + k) / 8000.0));
        n = codec_encode(&pcmu, pcm, 160, payload, sizeof(payload));
        SG_CHECK_EQ_INT(n, 160);
        rtp_write_header(pkt, 0, i == 0, (uint16_t)(500 + i), 1000u + 160u * (uint32_t)i, 0xabc);
        memcpy(pkt + 12, payload, (size_t)n);
        xsend(alice, sg_rtp_local_port((uint32_t)a), pkt, 12 + (size_t)n);
        n = (int)recv(bob, pkt, sizeof(pkt), 0);
        SG_CHECK(n > 12);
        if (n <= 12)
            break;
        SG_CHECK_EQ_INT(rtp_parse(pkt, (size_t)n, &h), 0);
        SG_CHECK_EQ_INT(h.pt, pt);
        if (i == 0)
            first_ts = h.ts;
        else
            SG_CHECK_EQ_INT(h.ts - first_ts, ts_step * (uint32_t)i);
        n = codec_decode(&far, pkt + h.header_len, h.payload_len, pcm, CODEC_MAX_FRAME_SAMPLES);
        SG_CHECK(n > 0);
        if (i >= 3 && rms(pcm, n) > 1500)
            got_energy++;
    }
    SG_CHECK(got_energy >= 5);           /* the tone survives decode -> encode -> decode */

    /* RFC 4733 across: duration scaled to the far clock. */
    rtp_write_header(pkt, 101, 1, 510, 1000 + 1600, 0xabc);
    pkt[12] = 3; pkt[13] = 10; pkt[14] = 0x01; pkt[15] = 0x40;     /* '3', duration 320 @ 8 kHz */
    xsend(alice, sg_rtp_local_port((uint32_t)a), pkt, 16);
    n = (int)recv(bob, pkt, sizeof(pkt), 0);
    SG_CHECK_EQ_INT(n, 16);
    SG_CHECK_EQ_INT(pkt[1] & 0x7f, 101);
    SG_CHECK_EQ_INT((pkt[14] << 8 | pkt[15]), 320 * clock / 8000);

    /* B -> A: the far codec arrives as PCMU. */
    for (i = 0; i < 3; i++) {
        int k;
        for (k = 0; k < far_enc.frame_samples; k++)
            pcm[k] = (int16_t)(8000.0 * sin(2 * M_PI * 400.0 * k / far_enc.rate));
        n = codec_encode(&far_enc, pcm, far_enc.frame_samples, payload, sizeof(payload));
        SG_CHECK(n > 0);
        rtp_write_header(pkt, pt, 0, (uint16_t)(9 + i), ts_step * (uint32_t)i, 0xdef);
        memcpy(pkt + 12, payload, (size_t)n);
        xsend(bob, sg_rtp_local_port((uint32_t)b), pkt, 12 + (size_t)n);
        n = (int)recv(alice, pkt, sizeof(pkt), 0);
        SG_CHECK_EQ_INT(n, 172);
        SG_CHECK_EQ_INT(pkt[1] & 0x7f, 0);
    }
    /* A lost packet on A's side is concealed toward B (PLC, or Opus FEC): B sees no gap. */
    {
        uint16_t first = 0;
        for (i = 0; i < 3; i++) {
            int k;
            if (i == 1)
                continue;
            for (k = 0; k < 160; k++)
                pcm[k] = (int16_t)(8000.0 * sin(2 * M_PI * 400.0 * k / 8000.0));
            n = codec_encode(&pcmu, pcm, 160, payload, sizeof(payload));
            rtp_write_header(pkt, 0, 0, (uint16_t)(520 + i), 1000u + 160u * (20u + (uint32_t)i), 0xabc);
            memcpy(pkt + 12, payload, (size_t)n);
            xsend(alice, sg_rtp_local_port((uint32_t)a), pkt, 12 + (size_t)n);
        }
        for (i = 0; i < 3; i++) {
            n = (int)recv(bob, pkt, sizeof(pkt), 0);
            SG_CHECK(n > 12);
            if (n <= 12)
                break;
            SG_CHECK_EQ_INT(rtp_parse(pkt, (size_t)n, &h), 0);
            if (i == 0)
                first = h.seq;
            SG_CHECK_EQ_INT(h.seq, (uint16_t)(first + i));
        }
    }
    SG_CHECK_EQ_INT(sg_counters_read(&cnt, sizeof(cnt)), SG_OK);
    SG_CHECK(cnt.relay_transcoded >= 16);
    codec_destroy(&pcmu);
    codec_destroy(&far);
    codec_destroy(&far_enc);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);    /* frees the live relay's codecs */
    close(alice);
    close(bob);
}

SG_TEST(relay_transcode_pcmu_g722)
{
    run_pair(sg_failed_, "G722", 9, 8000, 160);
}

SG_TEST(relay_transcode_pcmu_opus)
{
    run_pair(sg_failed_, "opus", 111, 48000, 960);
}

SG_TEST(relay_transcode_refuses_unknown_codec_and_ptime)
{
    sg_engine_config_t ec;
    sg_rtp_config_t ca, cb;
    int a, b;

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 8;
    ec.port_min = 47700;
    ec.port_max = 47799;
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    cfg(&ca, 4000, "PCMU", 0, 8000, 0);
    cfg(&cb, 4002, "G729", 18, 8000, 0);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    SG_CHECK_EQ_INT(sg_relay_create((uint32_t)a, (uint32_t)b), SG_EINVAL);
    cfg(&cb, 4002, "G722", 9, 8000, 0);
    cb.ptime_ms = 30;
    SG_CHECK_EQ_INT(sg_rtp_update((uint32_t)b, &cb), SG_OK);
    SG_CHECK_EQ_INT(sg_relay_create((uint32_t)a, (uint32_t)b), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

static double goertzel(const int16_t *x, int n, double freq, double rate)
{
    double c = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0.0, s2 = 0.0;
    int i;
    for (i = 0; i < n; i++) {
        double s0 = (double)x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* Audio through a PCMU <-> G.722 relay, as a wideband peer hears it (its ordinary 16 kHz
 * decoder) and as it comes back to the PCMU side: a 3.4 kHz PCMU tone leaves no image at
 * 4.6 kHz, and a 4.6 kHz wideband tone folds no alias into 3.4 kHz (G.722's 8 kHz lower-band
 * mode fails both, at -10 dB: test_codec_g722.c). */
SG_TEST(relay_transcode_g722_keeps_the_band_clean)
{
    enum { FRAMES = 30, SKIP = 8 };
    static int16_t wide[FRAMES * 320], narrow[FRAMES * 160];
    sg_engine_config_t ec;
    sg_rtp_config_t ca, cb;
    uint16_t pa, pb;
    int alice = xsock(&pa), bob = xsock(&pb), a, b, r, i, n, k, wn = 0, nn = 0;
    sg_codec pcmu, g722_dec, g722_enc, pcmu_dec;
    uint8_t pkt[1500], payload[1500];
    int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    double tone, image, alias, ph8 = 0, ph16 = 0;
    rtp_header h;

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 8;
    ec.port_min = 47800;
    ec.port_max = 47899;
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    cfg(&ca, pa, "PCMU", 0, 8000, 101);
    cfg(&cb, pb, "G722", 9, 8000, 101);
    a = sg_rtp_create(&ca);
    b = sg_rtp_create(&cb);
    r = sg_relay_create((uint32_t)a, (uint32_t)b);
    SG_CHECK(r > 0);
    SG_CHECK_EQ_INT(codec_create(&pcmu, codec_lookup("PCMU", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&pcmu_dec, codec_lookup("PCMU", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&g722_dec, codec_lookup("G722", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&g722_enc, codec_lookup("G722", 8000), NULL), SG_OK);
    SG_CHECK_EQ_INT(g722_dec.rate, 16000);
    for (i = 0; i < FRAMES; i++) {
        /* A -> B: 3.4 kHz at about -10 dBm0 */
        for (k = 0; k < 160; k++, ph8 += 2 * M_PI * 3400.0 / 8000.0)
            pcm[k] = (int16_t)(8000.0 * sin(ph8));
        n = codec_encode(&pcmu, pcm, 160, payload, sizeof(payload));
        rtp_write_header(pkt, 0, i == 0, (uint16_t)(100 + i), 160u * (uint32_t)i, 0x111);
        memcpy(pkt + 12, payload, (size_t)n);
        xsend(alice, sg_rtp_local_port((uint32_t)a), pkt, 12 + (size_t)n);
        n = (int)recv(bob, pkt, sizeof(pkt), 0);
        SG_CHECK(n > 12);
        if (n <= 12 || rtp_parse(pkt, (size_t)n, &h) < 0)
            break;
        n = codec_decode(&g722_dec, pkt + h.header_len, h.payload_len, wide + wn, 320);
        SG_CHECK_EQ_INT(n, 320);
        wn += n > 0 ? n : 0;
        /* B -> A: 4.6 kHz wideband tone */
        for (k = 0; k < 320; k++, ph16 += 2 * M_PI * 4600.0 / 16000.0)
            pcm[k] = (int16_t)(8000.0 * sin(ph16));
        n = codec_encode(&g722_enc, pcm, 320, payload, sizeof(payload));
        SG_CHECK_EQ_INT(n, 160);
        rtp_write_header(pkt, 9, i == 0, (uint16_t)(700 + i), 160u * (uint32_t)i, 0x222);
        memcpy(pkt + 12, payload, (size_t)n);
        xsend(bob, sg_rtp_local_port((uint32_t)b), pkt, 12 + (size_t)n);
        n = (int)recv(alice, pkt, sizeof(pkt), 0);
        SG_CHECK_EQ_INT(n, 172);
        if (n != 172)
            break;
        n = codec_decode(&pcmu_dec, pkt + 12, 160, narrow + nn, 160);
        nn += n > 0 ? n : 0;
    }
    SG_CHECK_EQ_INT(wn, FRAMES * 320);
    SG_CHECK_EQ_INT(nn, FRAMES * 160);
    tone = goertzel(wide + SKIP * 320, wn - SKIP * 320, 3400.0, 16000.0);
    image = goertzel(wide + SKIP * 320, wn - SKIP * 320, 4600.0, 16000.0);
    alias = goertzel(narrow + SKIP * 160, nn - SKIP * 160, 3400.0, 8000.0) * 4.0;  /* same scale: half the samples */
    printf("  PCMU<->G722 relay: image of 3.4 kHz at 4.6 kHz %.1f dB, alias of 4.6 kHz at 3.4 kHz %.1f dB "
           "(re the 3.4 kHz tone)\n", 10.0 * log10(image / tone), 10.0 * log10(alias / tone));
    SG_CHECK(tone > 0);
    SG_CHECK(10.0 * log10(image / tone) < -40.0);
    SG_CHECK(10.0 * log10(alias / tone) < -40.0);
    codec_destroy(&pcmu);
    codec_destroy(&pcmu_dec);
    codec_destroy(&g722_dec);
    codec_destroy(&g722_enc);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(alice);
    close(bob);
}
