/* Test support for TDM channel tests (see test_tdm_harness.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <spandsp.h>
#include "test_tdm_harness.h"
#include "spangate/engine.h"
#include "spangate/rtp.h"
#include "span/span.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_digits(void *user, const char *digits, int len)
{
    th_far *f = user;
    size_t have = strlen(f->got_digits);
    for (int i = 0; i < len && have + 1 < sizeof(f->got_digits); i++)
        f->got_digits[have++] = digits[i];
    f->got_digits[have] = '\0';
}

int th_far_init(th_far *f, int span, int ts, int kind)
{
    memset(f, 0, sizeof(*f));
    f->span = span;
    f->ts = ts;
    f->kind = kind;
    f->dtx = dtmf_tx_init(NULL);
    f->drx = dtmf_rx_init(NULL, on_digits, f);
    return f->dtx && f->drx ? 0 : -1;
}

void th_far_free(th_far *f)
{
    if (f->dtx)
        dtmf_tx_free(f->dtx);
    if (f->drx)
        dtmf_rx_free(f->drx);
    f->dtx = f->drx = NULL;
}

int th_rtp_init(th_rtp *r)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, TH_LOOP, &a.sin_addr);
    if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(r->fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    r->port = ntohs(a.sin_port);
    r->seed = 12345;
    r->seq = 1000;
    r->ts = 5000;
    return 0;
}

void th_rtp_free(th_rtp *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

int th_engine_start(int threads)
{
    sg_engine_config_t c;
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.media_threads = (uint32_t)threads;
    c.max_endpoints = 64;
    c.port_min = TH_PORT_MIN;
    c.port_max = TH_PORT_MAX;
    return sg_engine_start(&c);
}

int th_rtp_endpoint(th_rtp *r, const char *codec, int shard)
{
    sg_rtp_config_t c;
    int h;

    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.flags = SG_RTP_F_JITTER_BUFFER | SG_RTP_F_NO_RTCP;
    strcpy(c.local_addr, TH_LOOP);
    strcpy(c.remote_addr, TH_LOOP);
    c.remote_port = r->port;
    strcpy(c.codec, codec);
    c.payload_type = strcmp(codec, "PCMA") == 0 ? 8 : strcmp(codec, "G722") == 0 ? 9 : 0;
    c.clock_rate = 8000;
    c.dtmf_pt = 101;
    c.jb_min_ms = 40;
    c.shard = (uint32_t)shard;
    h = sg_rtp_create(&c);
    if (h > 0) {
        memset(&r->to, 0, sizeof(r->to));
        r->to.sin_family = AF_INET;
        r->to.sin_port = htons((uint16_t)sg_rtp_local_port((uint32_t)h));
        inet_pton(AF_INET, TH_LOOP, &r->to.sin_addr);
    }
    return h;
}

double th_rms(const int16_t *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n > 0 ? sqrt(s / n) : 0;
}

static int16_t far_decode(const th_far *f, uint8_t c)
{
    return f->kind == SG_SPAN_E1 ? alaw_to_linear(c) : ulaw_to_linear(c);
}

static uint8_t far_encode(const th_far *f, int16_t x)
{
    return f->kind == SG_SPAN_E1 ? linear_to_alaw(x) : linear_to_ulaw(x);
}

/* Hybrid echo: about -12 dB ERL, spread over a few ms (taps at 0.6 .. 2.5 ms). */
static const double echo_taps[32] = { [5] = 0.20, [6] = -0.10, [8] = 0.06, [12] = 0.04, [20] = -0.02 };

static int far_cushion(const th_far *f)
{
    return f->cushion <= 0 ? 40 : f->cushion > 512 ? 512 : f->cushion;
}

static void far_pump(th_far *f)
{
    uint8_t in[512], out[512];
    int16_t lin[512], gen[512];
    int n, i;

    if (!f->primed) {
        /* A cushion (5 ms unless the test sets one), then one sample out per sample in (a
         * stall of the test thread longer than that lets the span send idle, which moves the
         * echo path and cuts into a digit or tone). */
        int cushion = far_cushion(f);
        /* What the span received before we started is stale: answering it sample for sample
         * would put its whole backlog into the echo path's delay. */
        while (sg_span_read(f->span, f->ts, in, sizeof(in)) == (int)sizeof(in))
            ;
        memset(out, far_encode(f, 0), (size_t)cushion);
        sg_span_write(f->span, f->ts, out, cushion);
        f->primed = 1;
    }
    n = sg_span_read(f->span, f->ts, in, sizeof(in));
    if (n <= 0)
        return;
    for (i = 0; i < n; i++)
        lin[i] = far_decode(f, in[i]);
    dtmf_rx(f->drx, lin, n);
    for (i = 0; i < n && f->cap != NULL && f->capn < f->ncap; i++) {
        if (f->skipped < f->skip) {
            f->skipped++;
            continue;
        }
        f->cap[f->capn++] = lin[i];
    }
    memset(gen, 0, sizeof(gen));
    if (f->digits != NULL) {
        dtmf_tx_put(f->dtx, f->digits, -1);
        f->digits = NULL;
    }
    if (dtmf_tx(f->dtx, gen, n) <= 0 && f->freq > 0) {
        for (i = 0; i < n; i++)
            gen[i] = (int16_t)(f->amp * sin(2.0 * M_PI * f->freq * (double)(f->phase + i) / 8000.0));
    }
    f->phase += n;
    for (i = 0; i < n; i++) {
        double e = 0;
        f->hist[f->hpos & 31] = lin[i];
        if (f->echo)
            for (unsigned k = 0; k < 32; k++)
                if (echo_taps[k] != 0)
                    e += echo_taps[k] * f->hist[(f->hpos - k) & 31];
        f->hpos++;
        e += gen[i];
        out[i] = far_encode(f, (int16_t)(e > 32767 ? 32767 : e < -32768 ? -32768 : e));
    }
    /* Hold the far end's echo path too (see tdm_media.c line_write). */
    {
        span_t *sp = span_attach(f->span);
        uint32_t idle = sp && sp->ops->tx_idle ? sp->ops->tx_idle(sp, f->ts) : 0;
        int q = sp && sp->ops->tx_queued ? sp->ops->tx_queued(sp, f->ts) : 0, skip = 0;
        span_detach(sp);
        if (f->primed == 1) {
            f->idle_seen = idle;
            f->primed = 2;
        }
        f->debt += idle - f->idle_seen;
        f->idle_seen = idle;
        if (q <= far_cushion(f))
            f->debt = 0;
        else if (f->debt > 0) {
            skip = q - far_cushion(f) > n ? n : q - far_cushion(f);
            if ((uint32_t)skip > f->debt)
                skip = (int)f->debt;
            f->debt -= (uint32_t)skip;
        }
        sg_span_write(f->span, f->ts, out + skip, n - skip);
    }
}

static void put_hdr(uint8_t *b, int pt, int marker, uint16_t seq, uint32_t ts)
{
    b[0] = 0x80;
    b[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    b[4] = (uint8_t)(ts >> 24);
    b[5] = (uint8_t)(ts >> 16);
    b[6] = (uint8_t)(ts >> 8);
    b[7] = (uint8_t)ts;
    b[8] = 0x12;
    b[9] = 0x34;
    b[10] = 0x56;
    b[11] = 0x78;
}

static int event_code(char d)
{
    const char *s = "0123456789*#ABCD";
    const char *p = strchr(s, d);
    return p && d ? (int)(p - s) : 0;
}

/* One 20 ms packet: RFC 4733 while a digit is due, else PCMU audio. */
static void rtp_send(th_rtp *r)
{
    uint8_t b[12 + 160];
    int i;

    if (r->dtmf != NULL && r->dtmf[r->dpos] != '\0') {
        /* dstep 0..4: event packets (duration grows), 5..7: end x3, 8..12: audio gap */
        if (r->dstep < 8) {
            int end = r->dstep >= 5;
            uint16_t dur = (uint16_t)(160 * (end ? 5 : r->dstep + 1));
            if (r->dstep == 0)
                r->dts = r->ts;
            put_hdr(b, 101, r->dstep == 0, r->seq++, r->dts);
            b[12] = (uint8_t)event_code(r->dtmf[r->dpos]);
            b[13] = (uint8_t)((end ? 0x80 : 0) | 10);
            b[14] = (uint8_t)(dur >> 8);
            b[15] = (uint8_t)dur;
            sendto(r->fd, b, 16, 0, (struct sockaddr *)&r->to, sizeof(r->to));
            r->ts += r->dstep < 5 ? 160 : 0;
            r->dstep++;
            return;
        }
        if (++r->dstep > 12) {
            r->dstep = 0;
            r->dpos++;
        }
    }
    put_hdr(b, 0, 0, r->seq++, r->ts);
    for (i = 0; i < 160; i++) {
        double v = 0;
        if (r->noise > 0) {
            /* uniform white noise of the given RMS */
            r->seed = r->seed * 1103515245u + 12345u;
            v = ((double)((r->seed >> 8) & 0xffff) / 32768.0 - 1.0) * r->noise * sqrt(3.0);
        } else if (r->freq > 0) {
            v = r->amp * sin(2.0 * M_PI * r->freq * (double)(r->phase + i) / 8000.0);
        }
        b[12 + i] = linear_to_ulaw((int16_t)v);
    }
    r->phase += 160;
    r->ts += 160;
    sendto(r->fd, b, sizeof(b), 0, (struct sockaddr *)&r->to, sizeof(r->to));
}

static void rtp_recv(th_rtp *r)
{
    uint8_t b[1500];
    ssize_t n;

    while ((n = recv(r->fd, b, sizeof(b), MSG_DONTWAIT)) > 0) {
        int pt, i;
        uint32_t ts;
        if (n < 12 || (b[0] >> 6) != 2)
            continue;
        pt = b[1] & 0x7f;
        ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
        if (pt == 101 && n >= 16) {
            if (!r->have_ev || ts != r->last_ev_ts) {
                size_t have = strlen(r->events);
                r->have_ev = 1;
                r->last_ev_ts = ts;
                if (have + 1 < sizeof(r->events) && b[12] < 16) {
                    r->events[have] = "0123456789*#ABCD"[b[12]];
                    r->events[have + 1] = '\0';
                }
            }
            continue;
        }
        if (pt != 0)
            continue;
        for (i = 12; i < n && r->cap != NULL && r->capn < r->ncap; i++) {
            if (r->skipped < r->skip) {
                r->skipped++;
                continue;
            }
            r->cap[r->capn++] = ulaw_to_linear(b[i]);
        }
    }
}

static int all_full(th_far **far, int nfar, th_rtp *r)
{
    for (int i = 0; i < nfar; i++)
        if (far[i]->cap != NULL && far[i]->capn < far[i]->ncap)
            return 0;
    return r == NULL || r->cap == NULL || r->capn >= r->ncap;
}

void th_pump(th_far **far, int nfar, th_rtp *r, int ms, int until_full)
{
    int64_t end = now_ms() + ms;

    if (r != NULL && r->next_ms == 0)
        r->next_ms = now_ms();
    while (now_ms() < end) {
        struct timespec ts = { 0, 1000000 };
        for (int i = 0; i < nfar; i++)
            far_pump(far[i]);
        if (r != NULL) {
            rtp_recv(r);
            /* Paced on the clock; after a stall, catch up without a burst of more than 3. */
            for (int k = 0; r->send && now_ms() >= r->next_ms && k < 3; k++) {
                rtp_send(r);
                r->next_ms += 20;
            }
            if (now_ms() > r->next_ms + 100)
                r->next_ms = now_ms();
        }
        if (until_full && all_full(far, nfar, r))
            break;
        nanosleep(&ts, NULL);
    }
}
