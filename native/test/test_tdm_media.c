/* TDM channels between a real vspan B-channel and a real RTP endpoint on loopback: a tone
 * each way at the right frequency and level, DTMF in-band -> RFC 4733 and back, ringback
 * tone generation, and the API's refusals. The far end of the span is driven by the test
 * (test_tdm_harness.c); the SIP side is a plain UDP socket speaking RTP. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_test.h"
#include "test_tdm_harness.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"
#include "spangate/tdm.h"

#define NCAP 8000

static int16_t cap_a[NCAP], cap_b[NCAP];

static void tdm_cfg(sg_tdm_config_t *c, int span, int ts, uint32_t rtp)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    c->span = span;
    c->timeslot = ts;
    c->rtp = rtp;
}

static double db(double x, double ref)
{
    return 20.0 * log10(x / ref);
}

/* Tones both ways through an E1 B-channel (A-law on the line) and a PCMU endpoint. */
SG_TEST(tdm_tone_line_to_rtp_and_rtp_to_line)
{
    h_pair p;
    th_far far;
    th_far *fars[1] = { &far };
    th_rtp r;
    sg_tdm_config_t c;
    sg_tdm_stats_t st;
    int ep, h;
    double ratio, level;

    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 500), 0);
    SG_CHECK_EQ_INT(th_rtp_init(&r), 0);
    ep = th_rtp_endpoint(&r, "PCMU", 0);
    SG_CHECK(ep > 0);
    tdm_cfg(&c, p.net, 5, (uint32_t)ep);
    /* The linear canceller only: this test measures the path's level, not the NLP (the
     * speexdsp suppressor, nlp 3, took about 3 dB off a steady pure tone; the DTMF test runs
     * the defaults). */
    c.ec.nlp = 2;
    h = sg_tdm_create(&c);
    SG_CHECK(h > 0);
    SG_CHECK_EQ_INT(th_far_init(&far, p.user, 5, SG_SPAN_E1), 0);

    /* One direction at a time: with tones both ways at once the canceller's residual echo
     * suppressor treats it as double talk and takes a few dB off the near end. */
    far.freq = 1000.0;
    far.amp = 8000.0;                 /* about -9 dBm0 */
    r.send = 1;                       /* PCMU silence meanwhile */
    r.cap = cap_a;
    r.ncap = NCAP;
    r.skip = 8000;                    /* let both ends settle for a second */
    th_pump(fars, 1, &r, 20000, 1);
    SG_CHECK_EQ_INT(r.capn, NCAP);
    ratio = h_tone_ratio(cap_a, r.capn, 1000.0);
    level = db(th_rms(cap_a, r.capn), 8000.0 / sqrt(2.0));
    printf("  line->rtp: 1000 Hz ratio %.3f, level %+.2f dB\n", ratio, level);
    SG_CHECK(ratio > 0.9);
    SG_CHECK(fabs(level) < 1.0);

    far.freq = 0;
    r.freq = 440.0;
    r.amp = 6000.0;
    far.cap = cap_b;
    far.ncap = NCAP;
    far.skip = 4000;
    th_pump(fars, 1, &r, 20000, 1);
    SG_CHECK_EQ_INT(far.capn, NCAP);
    ratio = h_tone_ratio(cap_b, far.capn, 440.0);
    level = db(th_rms(cap_b, far.capn), 6000.0 / sqrt(2.0));
    printf("  rtp->line: 440 Hz ratio %.3f, level %+.2f dB\n", ratio, level);
    SG_CHECK(ratio > 0.9);
    SG_CHECK(fabs(level) < 1.0);

    memset(&st, 0, sizeof(st));
    SG_CHECK_EQ_INT(sg_tdm_stats((uint32_t)h, &st, sizeof(st)), SG_OK);
    SG_CHECK(st.frames > 50);
    SG_CHECK(st.rtp_sent > 50);
    SG_CHECK(st.net_frames > 50);
    SG_CHECK_EQ_INT(st.rtp, ep);
    SG_CHECK_EQ_INT(st.tone, -1);

    /* The channel pins its span. */
    SG_CHECK_EQ_INT(sg_span_close(p.net), SG_EBUSY);
    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)ep), SG_OK);
    th_far_free(&far);
    th_rtp_free(&r);
    h_pair_close(&p);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

/* The daemon's order for a PRI<->SIP call: the endpoint is bound before its far end is known
 * (symmetric, A-law, the offer), joined to the B-channel, and only then gets the answer's
 * remote address and codec (mu-law) with sg_rtp_update. Both directions must carry the tone. */
SG_TEST(tdm_rtp_remote_and_codec_after_join)
{
    h_pair p;
    th_far far;
    th_far *fars[1] = { &far };
    th_rtp r;
    sg_tdm_config_t c;
    sg_rtp_config_t rc;
    sg_tdm_stats_t st;
    int ep, h;
    double ratio, level;

    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 500), 0);
    SG_CHECK_EQ_INT(th_rtp_init(&r), 0);
    memset(&rc, 0, sizeof(rc));
    rc.struct_size = sizeof(rc);
    rc.flags = SG_RTP_F_JITTER_BUFFER | SG_RTP_F_SYMMETRIC;
    strcpy(rc.local_addr, "127.0.0.1");
    strcpy(rc.codec, "PCMA");
    rc.payload_type = 8;
    rc.clock_rate = 8000;
    rc.dtmf_pt = 101;
    ep = sg_rtp_create(&rc);
    SG_CHECK(ep > 0);
    tdm_cfg(&c, p.net, 5, 0);
    h = sg_tdm_create(&c);
    SG_CHECK(h > 0);
    SG_CHECK_EQ_INT(sg_tdm_set_rtp((uint32_t)h, (uint32_t)ep), SG_OK);
    SG_CHECK_EQ_INT(th_far_init(&far, p.user, 5, SG_SPAN_E1), 0);
    /* A second of line audio with nowhere to send it, then the answer. */
    th_pump(fars, 1, NULL, 1000, 0);
    strcpy(rc.remote_addr, "127.0.0.1");
    rc.remote_port = r.port;
    strcpy(rc.codec, "PCMU");
    rc.payload_type = 0;
    SG_CHECK_EQ_INT(sg_rtp_update((uint32_t)ep, &rc), SG_OK);
    memset(&r.to, 0, sizeof(r.to));
    r.to.sin_family = AF_INET;
    r.to.sin_port = htons((uint16_t)sg_rtp_local_port((uint32_t)ep));
    inet_pton(AF_INET, "127.0.0.1", &r.to.sin_addr);

    far.freq = 1000.0;
    far.amp = 8000.0;
    r.send = 1;
    r.cap = cap_a;
    r.ncap = NCAP;
    r.skip = 8000;
    th_pump(fars, 1, &r, 20000, 1);
    SG_CHECK_EQ_INT(r.capn, NCAP);
    ratio = h_tone_ratio(cap_a, r.capn, 1000.0);
    level = db(th_rms(cap_a, r.capn), 8000.0 / sqrt(2.0));
    printf("  line->rtp after update: 1000 Hz ratio %.3f, level %+.2f dB\n", ratio, level);
    SG_CHECK(ratio > 0.9);
    SG_CHECK(fabs(level) < 1.0);

    far.freq = 0;
    r.freq = 440.0;
    r.amp = 6000.0;
    far.cap = cap_b;
    far.ncap = NCAP;
    far.skip = 4000;
    th_pump(fars, 1, &r, 20000, 1);
    SG_CHECK_EQ_INT(far.capn, NCAP);
    ratio = h_tone_ratio(cap_b, far.capn, 440.0);
    level = db(th_rms(cap_b, far.capn), 6000.0 / sqrt(2.0));
    printf("  rtp->line after update: 440 Hz ratio %.3f, level %+.2f dB\n", ratio, level);
    SG_CHECK(ratio > 0.9);
    SG_CHECK(fabs(level) < 1.0);
    memset(&st, 0, sizeof(st));
    SG_CHECK_EQ_INT(sg_tdm_stats((uint32_t)h, &st, sizeof(st)), SG_OK);
    SG_CHECK(st.net_frames > 50);

    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)ep), SG_OK);
    th_far_free(&far);
    th_rtp_free(&r);
    h_pair_close(&p);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

/* In-band digits on the line go out as RFC 4733 (and as DSP events); RFC 4733 events sent to
 * the endpoint come out on the line as detectable in-band digits. T1, mu-law. */
SG_TEST(tdm_dtmf_inband_to_rfc4733_and_back)
{
    h_pair p;
    th_far far;
    th_far *fars[1] = { &far };
    th_rtp r;
    sg_tdm_config_t c;
    sg_tdm_stats_t st;
    sg_event_t ev;
    sg_dsp_dtmf_payload_t pl;
    uint64_t detected_base = 0, relayed_base = 0;
    int ep, h, i;

    h_events_reset();
    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_T1, 8, 500), 0);
    SG_CHECK_EQ_INT(th_rtp_init(&r), 0);
    ep = th_rtp_endpoint(&r, "PCMU", 0);
    SG_CHECK(ep > 0);
    tdm_cfg(&c, p.net, 3, (uint32_t)ep);
    h = sg_tdm_create(&c);
    SG_CHECK(h > 0);
    SG_CHECK_EQ_INT(th_far_init(&far, p.user, 3, SG_SPAN_T1), 0);
    /* 50 ms ahead of the line: a stall of this (test) thread on the loaded machine must not cut
     * idle into a 50 ms digit the far end sends (no echo path to keep short here). */
    far.cushion = 400;

    /* Line -> RTP. If this (test) thread stalls past its cushion while it plays the digits, its
     * span sends idle inside them (b_underruns rises) and the line really carried broken
     * digits: that attempt says nothing about the gateway and is played again (at most 3). */
    r.send = 1;
    th_pump(fars, 1, &r, 500, 0);
    for (int attempt = 0; attempt < 3; attempt++) {
        sg_span_stats_t far_before, far_after;

        if (attempt > 0)
            th_pump(fars, 1, &r, 400, 0);   /* whatever the broken attempt left arrives now */
        memset(&far_before, 0, sizeof(far_before));
        memset(&far_after, 0, sizeof(far_after));
        memset(&st, 0, sizeof(st));
        (void)sg_span_stats(p.user, &far_before, sizeof(far_before));
        (void)sg_tdm_stats((uint32_t)h, &st, sizeof(st));
        detected_base = st.dtmf_detected;
        relayed_base = st.dtmf_relayed;
        h_events_reset();
        r.events[0] = '\0';
        far.digits = "159#";
        for (i = 0; i < 300 && strlen(r.events) < 4; i++)
            th_pump(fars, 1, &r, 20, 0);
        th_pump(fars, 1, &r, 200, 0);
        (void)sg_span_stats(p.user, &far_after, sizeof(far_after));
        printf("  in-band 159# -> RFC 4733 \"%s\" (idle the stalled far end let in: %llu)\n", r.events,
               (unsigned long long)(far_after.b_underruns - far_before.b_underruns));
        if (far_after.b_underruns == far_before.b_underruns || strcmp(r.events, "159#") == 0)
            break;
    }
    SG_CHECK_EQ_INT(strcmp(r.events, "159#"), 0);
    SG_CHECK(h_wait(SG_SUBSYS_DSP, SG_DSP_EV_DTMF_BEGIN, (uint32_t)h, 0, H_WAIT_MS, &ev));
    memcpy(&pl, ev.payload, sizeof(pl));
    SG_CHECK_EQ_INT(pl.digit, '1');
    SG_CHECK(h_wait(SG_SUBSYS_DSP, SG_DSP_EV_DTMF_END, (uint32_t)h, 0, H_WAIT_MS, &ev));
    memcpy(&pl, ev.payload, sizeof(pl));
    SG_CHECK_EQ_INT(pl.digit, '1');
    SG_CHECK(pl.duration_ms >= 20);     /* spandsp sends 50 ms digits; a slip can shorten one */

    /* RTP -> line. */
    far.got_digits[0] = '\0';
    r.dtmf = "26*D";
    for (i = 0; i < 300 && strlen(far.got_digits) < 4; i++)
        th_pump(fars, 1, &r, 20, 0);
    printf("  RFC 4733 26*D -> in-band \"%s\"\n", far.got_digits);
    SG_CHECK_EQ_INT(strcmp(far.got_digits, "26*D"), 0);

    memset(&st, 0, sizeof(st));
    SG_CHECK_EQ_INT(sg_tdm_stats((uint32_t)h, &st, sizeof(st)), SG_OK);
    SG_CHECK_EQ_INT(st.dtmf_detected - detected_base, 4);
    SG_CHECK_EQ_INT(st.dtmf_relayed - relayed_base, 4);
    SG_CHECK_EQ_INT(st.dtmf_regenerated, 4);

    /* Queued in-band digits from the control side (once the relayed 'D' has ended). */
    th_pump(fars, 1, &r, 400, 0);
    far.got_digits[0] = '\0';
    SG_CHECK_EQ_INT(sg_tdm_send_dtmf((uint32_t)h, "42", 0, 0), SG_OK);
    for (i = 0; i < 200 && strlen(far.got_digits) < 2; i++)
        th_pump(fars, 1, &r, 20, 0);
    SG_CHECK_EQ_INT(strcmp(far.got_digits, "42"), 0);

    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)ep), SG_OK);
    th_far_free(&far);
    th_rtp_free(&r);
    h_pair_close(&p);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

static double band_power(const int16_t *x, int n, double f)
{
    return h_tone_ratio(x, n, f);
}

/* Ringback toward the line while the far side gives no early media: US 440+480 Hz on T1,
 * CEPT 425 Hz on E1 (its 1 s on-phase is what is captured), then silence once stopped. */
SG_TEST(tdm_ringback_tone_generation)
{
    h_pair p;
    th_far far;
    th_far *fars[1] = { &far };
    sg_tdm_config_t c;
    sg_tdm_stats_t st;
    int h, kind;

    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    for (kind = SG_SPAN_E1; kind <= SG_SPAN_T1; kind++) {
        SG_CHECK_EQ_INT(h_pair_open(&p, kind, 8, 500), 0);
        tdm_cfg(&c, p.net, 1, 0);
        c.flags = SG_TDM_F_NO_DTMF_DETECT;
        h = sg_tdm_create(&c);
        SG_CHECK(h > 0);
        SG_CHECK_EQ_INT(th_far_init(&far, p.user, 1, kind), 0);
        th_pump(fars, 1, NULL, 300, 0);
        SG_CHECK_EQ_INT(sg_tdm_tone((uint32_t)h, SG_TONE_RINGBACK), SG_OK);
        far.cap = cap_a;
        far.ncap = 6400;              /* 800 ms: inside the first on-phase of either plan */
        far.skip = 400;
        th_pump(fars, 1, NULL, 20000, 1);
        SG_CHECK_EQ_INT(far.capn, 6400);
        if (kind == SG_SPAN_T1) {
            double both = band_power(cap_a, far.capn, 440.0) + band_power(cap_a, far.capn, 480.0);
            printf("  T1 us ringback: 440+480 Hz share %.3f, level %.1f dBFS\n", both,
                   db(th_rms(cap_a, far.capn), 32768.0));
            SG_CHECK(both > 0.85);
        } else {
            double r425 = band_power(cap_a, far.capn, 425.0);
            printf("  E1 eu ringback: 425 Hz share %.3f, level %.1f dBFS\n", r425,
                   db(th_rms(cap_a, far.capn), 32768.0));
            SG_CHECK(r425 > 0.85);
        }
        SG_CHECK(th_rms(cap_a, far.capn) > 300.0);
        memset(&st, 0, sizeof(st));
        SG_CHECK_EQ_INT(sg_tdm_stats((uint32_t)h, &st, sizeof(st)), SG_OK);
        SG_CHECK_EQ_INT(st.tone, SG_TONE_RINGBACK);
        SG_CHECK(st.tone_frames > 0);
        /* Off: once the channel has taken the request (its stats say so), every frame it writes
         * is silent, but what it wrote before is still on its way (TDM cushion, span rings and
         * jitter buffer: up to about 650 ms when threads stall). So capture by samples, not by
         * time: 1 s of what arrives must end in 200 ms of silence. (A fixed 200 ms wait before a
         * 200 ms capture failed under load: the test thread stalled and the capture began in the
         * tone still in flight.) */
        SG_CHECK_EQ_INT(sg_tdm_tone((uint32_t)h, -1), SG_OK);
        for (int i = 0; i < 2000; i++) {
            memset(&st, 0, sizeof(st));
            if (sg_tdm_stats((uint32_t)h, &st, sizeof(st)) != SG_OK || st.tone < 0)
                break;
            th_pump(fars, 1, NULL, 5, 0);
        }
        SG_CHECK(st.tone < 0);
        far.cap = cap_b;
        far.ncap = 8000;
        far.capn = far.skipped = 0;
        th_pump(fars, 1, NULL, 30000, 1);
        SG_CHECK_EQ_INT(far.capn, 8000);
        SG_CHECK(th_rms(cap_b + far.capn - 1600, 1600) < 30.0);
        SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_OK);
        th_far_free(&far);
        h_pair_close(&p);
    }
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}

/* Bad input gets a clear error, never a crash. */
SG_TEST(tdm_api_refusals)
{
    h_pair p;
    sg_tdm_config_t c;
    sg_tdm_stats_t st;
    th_rtp r;
    int h, h2, ep;

    tdm_cfg(&c, 1, 1, 0);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_ESTATE);       /* engine not running */
    SG_CHECK_EQ_INT(th_engine_start(1), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_create(NULL), SG_EINVAL);
    SG_CHECK_EQ_INT(h_pair_open(&p, SG_SPAN_E1, 8, 500), 0);
    tdm_cfg(&c, p.net, 16, 0);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EINVAL);        /* the D-channel */
    tdm_cfg(&c, p.net, 32, 0);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EINVAL);
    tdm_cfg(&c, 31, 1, 0);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_ENOENT);
    tdm_cfg(&c, p.net, 1, 0);
    strcpy(c.country, "zz");
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EINVAL);
    tdm_cfg(&c, p.net, 1, 0);
    c.rx_gain_db10 = 500;
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EINVAL);
    tdm_cfg(&c, p.net, 1, 0);
    c.ec.tail_ms = 5000;
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EINVAL);
    tdm_cfg(&c, p.net, 1, 0x7fffffff);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_ENOENT);
    tdm_cfg(&c, p.net, 1, 0);
    h = sg_tdm_create(&c);
    SG_CHECK(h > 0);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EBUSY);         /* timeslot taken */
    SG_CHECK_EQ_INT(sg_tdm_tone((uint32_t)h, 9), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_send_dtmf((uint32_t)h, "12x", 0, 0), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_send_dtmf((uint32_t)h, "", 0, 0), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_send_dtmf((uint32_t)h, "1", 5, 5), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_set_gain((uint32_t)h, 0, 999), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_set_gain((uint32_t)h, -60, 30), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_set_ec((uint32_t)h, 3), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_set_ec((uint32_t)h, 2), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_unbridge((uint32_t)h), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_tdm_bridge((uint32_t)h, (uint32_t)h), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_bridge((uint32_t)h, 12345), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_tdm_stats((uint32_t)h, &st, 3), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_tdm_stats(999999, &st, sizeof(st)), SG_ENOENT);
    /* An endpoint without a jitter buffer cannot feed the line. */
    SG_CHECK_EQ_INT(th_rtp_init(&r), 0);
    {
        sg_rtp_config_t rc;
        memset(&rc, 0, sizeof(rc));
        rc.struct_size = sizeof(rc);
        rc.flags = SG_RTP_F_SYMMETRIC;
        strcpy(rc.local_addr, TH_LOOP);
        strcpy(rc.codec, "PCMU");
        ep = sg_rtp_create(&rc);
        SG_CHECK(ep > 0);
        SG_CHECK_EQ_INT(sg_tdm_set_rtp((uint32_t)h, (uint32_t)ep), SG_ESTATE);
        SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)ep), SG_OK);
    }
    ep = th_rtp_endpoint(&r, "PCMU", 0);
    SG_CHECK(ep > 0);
    SG_CHECK_EQ_INT(sg_tdm_set_rtp((uint32_t)h, (uint32_t)ep), SG_OK);
    tdm_cfg(&c, p.net, 2, (uint32_t)ep);
    SG_CHECK_EQ_INT(sg_tdm_create(&c), SG_EBUSY);         /* endpoint already joined */
    tdm_cfg(&c, p.net, 2, 0);
    h2 = sg_tdm_create(&c);
    SG_CHECK(h2 > 0);
    SG_CHECK_EQ_INT(sg_tdm_bridge((uint32_t)h, (uint32_t)h2), SG_EBUSY);  /* h has RTP */
    SG_CHECK_EQ_INT(sg_tdm_set_rtp((uint32_t)h, 0), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_bridge((uint32_t)h, (uint32_t)h2), SG_OK);
    SG_CHECK_EQ_INT(sg_tdm_bridge((uint32_t)h, (uint32_t)h2), SG_EBUSY);
    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h2), SG_OK);  /* breaks the bridge */
    SG_CHECK_EQ_INT(sg_tdm_unbridge((uint32_t)h), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_tdm_destroy((uint32_t)h), SG_OK);
    SG_CHECK_EQ_INT(sg_rtp_destroy((uint32_t)ep), SG_OK);
    th_rtp_free(&r);
    h_pair_close(&p);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
}
