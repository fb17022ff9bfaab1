/* The per-frame path never allocates: every codec's encode/decode/plc/FEC, the resampler and
 * every DSP block run for a second of audio while malloc/calloc/realloc are counted.
 * Counting works by interposing the allocator in the (non-sanitised) test binary, which also
 * catches allocations inside libopus, spandsp and speexdsp. Under ASan the sanitizer owns
 * malloc, so the case reports itself skipped there. */
#include <stdlib.h>
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/codec.h"
#include "codec/resample.h"
#include "dsp/dtmf.h"
#include "dsp/ec.h"
#include "dsp/gain.h"
#include "dsp/tone.h"

static volatile int counting;
static volatile long allocations;

#if defined(__SANITIZE_ADDRESS__)
#define NOALLOC_COUNTING 0
#else
#define NOALLOC_COUNTING 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
/* The tests build with -fvisibility=hidden; the interposers must be visible to the libraries. */
#define SG_NOALLOC_EXPORT __attribute__((visibility("default")))

SG_NOALLOC_EXPORT void *malloc(size_t n)
{
    if (counting)
        allocations++;
    return __libc_malloc(n);
}

SG_NOALLOC_EXPORT void *calloc(size_t n, size_t m)
{
    if (counting)
        allocations++;
    return __libc_calloc(n, m);
}

SG_NOALLOC_EXPORT void *realloc(void *p, size_t n)
{
    if (counting)
        allocations++;
    return __libc_realloc(p, n);
}

SG_NOALLOC_EXPORT void free(void *p)
{
    __libc_free(p);
}
#endif

SG_TEST(per_frame_path_does_not_allocate)
{
    enum { SEC8 = 8000, SEC16 = 16000 };
    static int16_t in8[SEC8], in16[SEC16], out[CODEC_MAX_FRAME_SAMPLES], out2[CODEC_MAX_FRAME_SAMPLES];
    static uint8_t pay[CODEC_MAX_PAYLOAD];
    sg_codec c[8];
    int nc = 0;
    sg_codec_opts_t g8 = { .sample_rate = 8000 }, wb = { .sample_rate = 16000 };
    sg_resampler *up, *down;
    dsp_dtmf_rx *rx;
    dsp_dtmf_tx *tx;
    dsp_ec *ec;
    dsp_tone_gen tone;
    dsp_gain gain;
    dsp_dtmf_event ev[4];
    long n_alloc;

    if (!NOALLOC_COUNTING) {
        printf("  skipped under ASan (the sanitizer owns malloc); the plain build runs it\n");
        return;
    }
    up = resample_create(8000, 16000, -1);
    down = resample_create(16000, 8000, -1);
    rx = dsp_dtmf_rx_create(NULL);
    tx = dsp_dtmf_tx_create(-10, 0);
    ec = dsp_ec_create(NULL);
    sig_speech(in8, SEC8, 8000.0, -16.0, 4);
    sig_speech(in16, SEC16, 16000.0, -16.0, 4);
    for (uint32_t i = 0; i < codec_table_count(); i++)
        SG_CHECK_EQ_INT(codec_create(&c[nc++], codec_table_at(i), NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&c[nc++], &codec_g722, &g8), SG_OK);
    SG_CHECK_EQ_INT(codec_create(&c[nc++], &codec_opus, &wb), SG_OK);
    SG_CHECK(up && down && rx && tx && ec);
    if (!(up && down && rx && tx && ec))
        goto out;
    dsp_tone_gen_init(&tone, dsp_tone_lookup("uk", SG_TONE_RINGBACK));
    dsp_gain_set(&gain, 6.0);

    /* the counter sees allocations made inside the libraries: creating an Opus codec
     * (opus_encoder_create mallocs) must count */
    counting = 1;
    allocations = 0;
    {
        sg_codec probe;
        SG_CHECK_EQ_INT(codec_create(&probe, &codec_opus, NULL), SG_OK);
        SG_CHECK(allocations >= 2);
        codec_destroy(&probe);
    }
    allocations = 0;
    for (int k = 0; k < nc; k++) {
        size_t f = c[k].frame_samples;
        const int16_t *src = c[k].rate == 8000 ? in8 : in16;
        for (size_t i = 0; i + f <= (c[k].rate == 8000 ? (size_t)SEC8 : (size_t)SEC16); i += f) {
            int bytes = codec_encode(&c[k], src + i, f, pay, sizeof(pay));
            if (bytes > 0)
                codec_decode(&c[k], pay, (size_t)bytes, out, CODEC_MAX_FRAME_SAMPLES);
            if (i % (5 * f) == 0 && bytes > 0) {
                codec_set_loss(&c[k], (unsigned)(i % 20));
                codec_plc(&c[k], out, f);
                codec_decode_fec(&c[k], pay, (size_t)bytes, out, f);
            }
        }
    }
    dsp_dtmf_tx_queue(tx, "123#", 50, 50);
    for (size_t i = 0; i < SEC8; i += 160) {
        resample_run(up, in8 + i, 160, out2, CODEC_MAX_FRAME_SAMPLES);
        resample_run(down, out2, 320, out, CODEC_MAX_FRAME_SAMPLES);
        dsp_dtmf_tx_run(tx, out, 160);
        dsp_dtmf_rx_process(rx, out, 160, ev, 4);
        dsp_ec_process(ec, in8 + i, in8 + i, out, 160);
        dsp_tone_gen_run(&tone, out, 160);
        dsp_gain_apply(&gain, out, 160);
    }
    dsp_dtmf_tx_start(tx, '5');
    dsp_dtmf_tx_stop(tx);
    dsp_ec_reset(ec);
    resample_reset(up);
    n_alloc = allocations;
    counting = 0;
    printf("  allocations on the per-frame path: %ld\n", n_alloc);
    SG_CHECK_EQ_INT(n_alloc, 0);
out:
    for (int k = 0; k < nc; k++)
        codec_destroy(&c[k]);
    resample_destroy(up);
    resample_destroy(down);
    dsp_dtmf_rx_destroy(rx);
    dsp_dtmf_tx_destroy(tx);
    dsp_ec_destroy(ec);
}
