/* Raw codec loop: the physical bound of transcoding on this machine.
 * Thread CPU time per 20 ms frame for each codec's encode and decode (through the same codec
 * table the engine uses), full-duplex transcoding chains, and the per-channel DSP blocks.
 * Input: 30 s of speech-like signal (the test fixture's composite source) at 8 and 16 kHz.
 * Each figure is the median of REPS runs (env BENCH_REPS, default 5); each run loops over
 * the 30 s enough times for about BENCH_MS (default 200) ms of CPU.
 * Channels per core = 20 000 µs / (full-duplex µs per 20 ms), codec CPU only (no RTP I/O).
 * Usage: bash bench/codec/run.sh   (builds this file against native/src, pins to one CPU) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <opus/opus.h>
#include "codec/codec.h"
#include "codec/resample.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"
#include "dsp/tone.h"
#include "fixtures/sg_signal.h"

#define SECS 30
#define F8 160
#define F16 320
#define NFR (SECS * 50)

static int16_t speech8[SECS * 8000], speech16[SECS * 16000];
static int reps = 5;
static double budget_ms = 200.0;

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A benchmark body: processes frame i (0..NFR-1) of the chain. */
typedef void (*frame_fn)(void *ctx, int i);

/* Median µs per call of fn over REPS runs. */
static double measure(frame_fn fn, void *ctx)
{
    double samples[64], t0, per = 0.0;
    int loops = 1, i, r;

    /* calibrate the loop count on one warm-up pass */
    t0 = cpu_us();
    for (i = 0; i < NFR; i++)
        fn(ctx, i);
    per = (cpu_us() - t0) / NFR;
    if (per > 0.0)
        loops = (int)(budget_ms * 1000.0 / (per * NFR)) + 1;
    for (r = 0; r < reps && r < 64; r++) {
        t0 = cpu_us();
        for (int l = 0; l < loops; l++)
            for (i = 0; i < NFR; i++)
                fn(ctx, i);
        samples[r] = (cpu_us() - t0) / ((double)loops * NFR);
    }
    qsort(samples, (size_t)r, sizeof(double), cmp_double);
    return samples[r / 2];
}

/* Encode / decode of one codec instance. */
typedef struct codec_ctx {
    sg_codec c;
    const int16_t *pcm;
    int frame;
    uint8_t pay[NFR][CODEC_MAX_PAYLOAD];
    int len[NFR];
    int16_t out[CODEC_MAX_FRAME_SAMPLES];
    uint8_t scratch[CODEC_MAX_PAYLOAD];
} codec_ctx;

static void enc_fn(void *p, int i)
{
    codec_ctx *x = p;
    codec_encode(&x->c, x->pcm + (size_t)i * x->frame, (size_t)x->frame, x->scratch, sizeof(x->scratch));
}

static void dec_fn(void *p, int i)
{
    codec_ctx *x = p;
    codec_decode(&x->c, x->pay[i], (size_t)x->len[i], x->out, CODEC_MAX_FRAME_SAMPLES);
}

static int codec_ctx_init(codec_ctx *x, const sg_codec_desc *d, const sg_codec_opts_t *o)
{
    memset(x, 0, sizeof(*x));
    if (codec_create(&x->c, d, o) != SG_OK)
        return -1;
    x->frame = x->c.frame_samples;
    x->pcm = x->c.rate == 8000 ? speech8 : speech16;
    for (int i = 0; i < NFR; i++)
        x->len[i] = codec_encode(&x->c, x->pcm + (size_t)i * x->frame, (size_t)x->frame, x->pay[i],
                                 CODEC_MAX_PAYLOAD);
    /* fresh decoder state for the decode run */
    codec_destroy(&x->c);
    return codec_create(&x->c, d, o);
}

typedef struct result {
    char name[48];
    double enc, dec;
} result;

static result results[32];
static int nresults;

static void bench_codec(const char *name, const sg_codec_desc *d, const sg_codec_opts_t *o)
{
    static codec_ctx x;
    result *r = &results[nresults];

    if (codec_ctx_init(&x, d, o) != 0) {
        fprintf(stderr, "cannot create %s\n", name);
        exit(1);
    }
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->enc = measure(enc_fn, &x);
    r->dec = measure(dec_fn, &x);
    codec_destroy(&x.c);
    nresults++;
}

/* Full-duplex chain: PCMU leg <-> X leg, per 20 ms: PCMU dec -> [8k->rate] -> X enc, and
 * X dec -> [rate->8k] -> PCMU enc, on real payloads of speech. */
typedef struct duplex_ctx {
    sg_codec pcmu_in, pcmu_out, x_enc, x_dec;
    sg_resampler *up, *down;
    uint8_t pcmu_pay[NFR][F8];
    uint8_t x_pay[NFR][CODEC_MAX_PAYLOAD];
    int x_len[NFR];
    int16_t a[CODEC_MAX_FRAME_SAMPLES], b[CODEC_MAX_FRAME_SAMPLES];
    uint8_t scratch[CODEC_MAX_PAYLOAD];
    int xf;
} duplex_ctx;

static void duplex_fn(void *p, int i)
{
    duplex_ctx *x = p;
    /* PSTN -> IP */
    codec_decode(&x->pcmu_in, x->pcmu_pay[i], F8, x->a, F8);
    if (x->up != NULL) {
        resample_run(x->up, x->a, F8, x->b, CODEC_MAX_FRAME_SAMPLES);
        codec_encode(&x->x_enc, x->b, (size_t)x->xf, x->scratch, sizeof(x->scratch));
    } else {
        codec_encode(&x->x_enc, x->a, (size_t)x->xf, x->scratch, sizeof(x->scratch));
    }
    /* IP -> PSTN */
    codec_decode(&x->x_dec, x->x_pay[i], (size_t)x->x_len[i], x->a, CODEC_MAX_FRAME_SAMPLES);
    if (x->down != NULL) {
        resample_run(x->down, x->a, (size_t)x->xf, x->b, F8);
        codec_encode(&x->pcmu_out, x->b, F8, x->scratch, sizeof(x->scratch));
    } else {
        codec_encode(&x->pcmu_out, x->a, F8, x->scratch, sizeof(x->scratch));
    }
}

/* One way, PSTN -> IP only: what one stream of the relay benchmark's transcoding ladder
 * (PCMU in, X out) costs in codec work per packet. */
static void oneway_fn(void *p, int i)
{
    duplex_ctx *x = p;
    codec_decode(&x->pcmu_in, x->pcmu_pay[i], F8, x->a, F8);
    if (x->up != NULL) {
        resample_run(x->up, x->a, F8, x->b, CODEC_MAX_FRAME_SAMPLES);
        codec_encode(&x->x_enc, x->b, (size_t)x->xf, x->scratch, sizeof(x->scratch));
    } else {
        codec_encode(&x->x_enc, x->a, (size_t)x->xf, x->scratch, sizeof(x->scratch));
    }
}

static double bench_chain(const sg_codec_desc *d, const sg_codec_opts_t *o, void (*fn)(void *, int))
{
    static duplex_ctx x;
    sg_codec tmp;
    double us;

    memset(&x, 0, sizeof(x));
    if (codec_create(&x.pcmu_in, &codec_pcmu, NULL) || codec_create(&x.pcmu_out, &codec_pcmu, NULL) ||
        codec_create(&x.x_enc, d, o) || codec_create(&x.x_dec, d, o) || codec_create(&tmp, d, o)) {
        fprintf(stderr, "cannot create duplex chain for %s\n", d->name);
        exit(1);
    }
    x.xf = x.x_enc.frame_samples;
    if (x.x_enc.rate != 8000) {
        x.up = resample_create(8000, x.x_enc.rate, -1);
        x.down = resample_create(x.x_enc.rate, 8000, -1);
    }
    for (int i = 0; i < NFR; i++) {
        codec_encode(&x.pcmu_in, speech8 + (size_t)i * F8, F8, x.pcmu_pay[i], F8);
        x.x_len[i] = codec_encode(&tmp, (x.x_enc.rate == 8000 ? speech8 : speech16) + (size_t)i * x.xf,
                                  (size_t)x.xf, x.x_pay[i], CODEC_MAX_PAYLOAD);
    }
    codec_destroy(&tmp);
    us = measure(fn, &x);
    codec_destroy(&x.pcmu_in);
    codec_destroy(&x.pcmu_out);
    codec_destroy(&x.x_enc);
    codec_destroy(&x.x_dec);
    resample_destroy(x.up);
    resample_destroy(x.down);
    return us;
}

static double bench_duplex(const sg_codec_desc *d, const sg_codec_opts_t *o)
{
    return bench_chain(d, o, duplex_fn);
}

/* DSP blocks per 20 ms frame at 8 kHz. */
typedef struct dsp_ctx {
    dsp_ec *ec;
    dsp_dtmf_rx *rx;
    dsp_tone_gen tone;
    sg_resampler *rs;
    int16_t out[CODEC_MAX_FRAME_SAMPLES];
} dsp_ctx;

static void ec_fn(void *p, int i)
{
    dsp_ctx *x = p;
    /* the echo reference is the same speech 60 ms earlier: realistic adaptation load */
    int j = i >= 3 ? i - 3 : i;
    dsp_ec_process(x->ec, speech8 + (size_t)j * F8, speech8 + (size_t)i * F8, x->out, F8);
}

static void dtmf_fn(void *p, int i)
{
    dsp_ctx *x = p;
    dsp_dtmf_event ev[4];
    dsp_dtmf_rx_process(x->rx, speech8 + (size_t)i * F8, F8, ev, 4);
}

static void tone_fn(void *p, int i)
{
    dsp_ctx *x = p;
    dsp_tone_gen_run(&x->tone, x->out, F8);
}

static void rs_fn(void *p, int i)
{
    dsp_ctx *x = p;
    resample_run(x->rs, speech8 + (size_t)i * F8, F8, x->out, CODEC_MAX_FRAME_SAMPLES);
}

static void print_loadavg(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "";
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) == NULL)
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average %s: %s\n", when, buf);
}

int main(void)
{
    const char *e;
    sg_codec_opts_t o;
    static const int cplx[] = { 0, 3, 5, 9, 10 };
    double fd;
    dsp_ctx d;
    sg_ec_opts_t eco;

    if ((e = getenv("BENCH_REPS")) != NULL && atoi(e) > 0)
        reps = atoi(e);
    if ((e = getenv("BENCH_MS")) != NULL && atof(e) > 0)
        budget_ms = atof(e);
    sig_speech(speech8, SECS * 8000, 8000.0, -16.0, 1);
    sig_speech(speech16, SECS * 16000, 16000.0, -16.0, 1);
    printf("spangate raw codec loop: %s, %d reps x ~%.0f ms CPU each, median shown\n",
           opus_get_version_string(), reps, budget_ms);
    print_loadavg("before");

    bench_codec("PCMU (table)", &codec_pcmu, NULL);
    bench_codec("PCMA (table)", &codec_pcma, NULL);
    bench_codec("G722 64k, 16 kHz (spandsp)", &codec_g722, NULL);
    o = (sg_codec_opts_t){ .sample_rate = 8000 };
    bench_codec("G722 64k, 8 kHz lower band", &codec_g722, &o);
    for (size_t k = 0; k < sizeof(cplx) / sizeof(cplx[0]); k++) {
        char name[48];
        /* complexity 0 in sg_codec_opts_t means "default", so -1 is not expressible: use the
         * field directly except for 0, which the codec maps to SG_OPUS_COMPLEXITY_DEFAULT */
        o = (sg_codec_opts_t){ .complexity = cplx[k] };
        if (cplx[k] == 0)
            continue;
        snprintf(name, sizeof(name), "Opus NB 20k, complexity %d%s", cplx[k],
                 cplx[k] == SG_OPUS_COMPLEXITY_DEFAULT ? " (default)" : "");
        bench_codec(name, &codec_opus, &o);
    }
    o = (sg_codec_opts_t){ .fec = 2 };
    bench_codec("Opus NB 20k, complexity 5, FEC off", &codec_opus, &o);
    o = (sg_codec_opts_t){ .bitrate = 12000, .fec = 2 };
    bench_codec("Opus NB 12k, complexity 5, FEC off", &codec_opus, &o);
    o = (sg_codec_opts_t){ .bitrate = 12000, .fec = 2, .complexity = 9 };
    bench_codec("Opus NB 12k, complexity 9, FEC off", &codec_opus, &o);
    o = (sg_codec_opts_t){ .sample_rate = 16000 };
    bench_codec("Opus WB 28k, complexity 5", &codec_opus, &o);
    bench_codec("L16 8 kHz", &codec_l16_8k, NULL);

    printf("\n| codec | encode µs/20 ms | decode µs/20 ms | encodes/s per core | decodes/s per core |\n");
    printf("| --- | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < nresults; i++)
        printf("| %s | %.2f | %.2f | %.0f k | %.0f k |\n", results[i].name, results[i].enc, results[i].dec,
               results[i].enc > 0 ? 1e6 / results[i].enc / 1000 : 0.0,
               results[i].dec > 0 ? 1e6 / results[i].dec / 1000 : 0.0);

    printf("\n| full duplex, per channel per 20 ms | µs | channels per core |\n| --- | ---: | ---: |\n");
    o = (sg_codec_opts_t){ 0 };
    fd = bench_duplex(&codec_opus, &o);
    printf("| PCMU <-> Opus NB, complexity %d (default) | %.1f | %.0f |\n", SG_OPUS_COMPLEXITY_DEFAULT, fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ .complexity = 9 };
    fd = bench_duplex(&codec_opus, &o);
    printf("| PCMU <-> Opus NB, complexity 9 (libopus default) | %.1f | %.0f |\n", fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ .complexity = 3 };
    fd = bench_duplex(&codec_opus, &o);
    printf("| PCMU <-> Opus NB, complexity 3 | %.1f | %.0f |\n", fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ .bitrate = 12000, .fec = 2 };
    fd = bench_duplex(&codec_opus, &o);
    printf("| PCMU <-> Opus NB 12k, complexity 5, FEC off | %.1f | %.0f |\n", fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ 0 };
    fd = bench_duplex(&codec_g722, &o);
    printf("| PCMU <-> G722 (16 kHz + speexdsp resampler q%d) | %.1f | %.0f |\n", RESAMPLE_QUALITY_DEFAULT, fd,
           20000.0 / fd);
    o = (sg_codec_opts_t){ .sample_rate = 8000 };
    fd = bench_duplex(&codec_g722, &o);
    printf("| PCMU <-> G722 (8 kHz lower-band mode) | %.1f | %.0f |\n", fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ 0 };
    fd = bench_duplex(&codec_pcma, &o);
    printf("| PCMU <-> PCMA | %.2f | %.0f |\n", fd, 20000.0 / fd);

    printf("\n| one way PCMU -> X, per stream per 20 ms (the relay ladder's streams) | µs | streams per core |\n"
           "| --- | ---: | ---: |\n");
    o = (sg_codec_opts_t){ 0 };
    fd = bench_chain(&codec_g722, &o, oneway_fn);
    printf("| PCMU -> G722 (8 -> 16 kHz speexdsp q%d, 16 kHz encode; the relay's path) | %.1f | %.0f |\n",
           RESAMPLE_QUALITY_DEFAULT, fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ .sample_rate = 8000 };
    fd = bench_chain(&codec_g722, &o, oneway_fn);
    printf("| PCMU -> G722 (8 kHz lower-band mode) | %.1f | %.0f |\n", fd, 20000.0 / fd);
    o = (sg_codec_opts_t){ 0 };
    fd = bench_chain(&codec_opus, &o, oneway_fn);
    printf("| PCMU -> Opus NB, complexity %d (default) | %.1f | %.0f |\n", SG_OPUS_COMPLEXITY_DEFAULT, fd, 20000.0 / fd);

    printf("\n| DSP block, per channel per 20 ms | µs | channels per core |\n| --- | ---: | ---: |\n");
    memset(&d, 0, sizeof(d));
    eco = (sg_ec_opts_t){ .nlp = 2, .tone_disable = 2 };
    d.ec = dsp_ec_create(&eco);
    fd = measure(ec_fn, &d);
    printf("| echo canceller 64 ms, linear only, no tone disabler | %.1f | %.0f |\n", fd, 20000.0 / fd);
    dsp_ec_destroy(d.ec);
    eco = (sg_ec_opts_t){ .nlp = 2 };
    d.ec = dsp_ec_create(&eco);
    fd = measure(ec_fn, &d);
    printf("| echo canceller 64 ms, linear only + tone disabler | %.1f | %.0f |\n", fd, 20000.0 / fd);
    dsp_ec_destroy(d.ec);
    d.ec = dsp_ec_create(NULL);
    fd = measure(ec_fn, &d);
    printf("| echo canceller 64 ms + residual suppression + tone disabler (default) | %.1f | %.0f |\n", fd, 20000.0 / fd);
    dsp_ec_destroy(d.ec);
    eco = (sg_ec_opts_t){ .tail_ms = 128 };
    d.ec = dsp_ec_create(&eco);
    fd = measure(ec_fn, &d);
    printf("| echo canceller 128 ms + residual suppression + tone disabler | %.1f | %.0f |\n", fd, 20000.0 / fd);
    dsp_ec_destroy(d.ec);
    d.rx = dsp_dtmf_rx_create(NULL);
    fd = measure(dtmf_fn, &d);
    printf("| DTMF receiver | %.2f | %.0f |\n", fd, 20000.0 / fd);
    dsp_dtmf_rx_destroy(d.rx);
    dsp_tone_gen_init(&d.tone, dsp_tone_lookup("us", SG_TONE_RINGBACK));
    fd = measure(tone_fn, &d);
    printf("| tone generator (US ringback) | %.2f | %.0f |\n", fd, 20000.0 / fd);
    d.rs = resample_create(8000, 16000, -1);
    fd = measure(rs_fn, &d);
    printf("| resampler 8 -> 16 kHz, quality %d | %.2f | %.0f |\n", RESAMPLE_QUALITY_DEFAULT, fd, 20000.0 / fd);
    resample_destroy(d.rs);
    print_loadavg("after");
    return 0;
}
