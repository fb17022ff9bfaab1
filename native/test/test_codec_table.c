/* The codec table: lookup by SDP name and clock, the exported read-only view, instance
 * lifecycle, and L16 byte order (RFC 3551 §4.5.11: network byte order). */
#include "sg_test.h"
#include "fixtures/sg_signal.h"
#include "codec/codec.h"
#include "spangate/codec.h"

SG_TEST(codec_table_lookup)
{
    SG_CHECK(codec_lookup("PCMU", 8000) == &codec_pcmu);
    SG_CHECK(codec_lookup("pcma", 0) == &codec_pcma);
    SG_CHECK(codec_lookup("G722", 8000) == &codec_g722);
    SG_CHECK(codec_lookup("G722", 16000) == NULL);   /* RFC 3551 clock is 8000 */
    SG_CHECK(codec_lookup("OPUS", 48000) == &codec_opus);
    SG_CHECK(codec_lookup("L16", 16000) == &codec_l16_16k);
    SG_CHECK(codec_lookup("L16", 8000) == &codec_l16_8k);
    SG_CHECK(codec_lookup("G729", 8000) == NULL);    /* never linked here (licence) */
    SG_CHECK(codec_lookup(NULL, 0) == NULL);
    SG_CHECK(codec_table_at(codec_table_count()) == NULL);
}

SG_TEST(codec_table_rows_are_consistent)
{
    for (uint32_t i = 0; i < codec_table_count(); i++) {
        const sg_codec_desc *d = codec_table_at(i);
        sg_codec c;
        SG_CHECK(d->name != NULL && d->fmtp != NULL);
        SG_CHECK(strlen(d->name) < SG_CODEC_NAME_MAX && strlen(d->fmtp) < SG_CODEC_FMTP_MAX);
        SG_CHECK(d->create && d->destroy && d->encode && d->decode && d->plc);
        SG_CHECK(d->payload_type < 128);
        SG_CHECK(d->payload_type < 35 || d->payload_type >= 96);  /* static or dynamic range */
        SG_CHECK_EQ_INT(codec_create(&c, d, NULL), SG_OK);
        SG_CHECK_EQ_INT(c.rate, d->sample_rate);
        SG_CHECK_EQ_INT(c.frame_samples, d->sample_rate * d->frame_ms / 1000);
        codec_destroy(&c);
        codec_destroy(&c);  /* idempotent */
    }
}

SG_TEST(codec_exported_view)
{
    sg_codec_info_t info;
    sg_codec_opts_t o;
    int i;

    SG_CHECK_EQ_INT(sg_codec_count(), codec_table_count());
    i = sg_codec_find("G722", 8000);
    SG_CHECK(i >= 0);
    SG_CHECK_EQ_INT(sg_codec_info((uint32_t)i, &info, sizeof(info)), SG_OK);
    SG_CHECK(strcmp(info.name, "G722") == 0);
    SG_CHECK_EQ_INT(info.payload_type, 9);
    SG_CHECK_EQ_INT(info.clock_rate, 8000);
    SG_CHECK_EQ_INT(info.sample_rate, 16000);
    i = sg_codec_find("opus", 0);
    SG_CHECK_EQ_INT(sg_codec_info((uint32_t)i, &info, sizeof(info)), SG_OK);
    SG_CHECK_EQ_INT(info.channels, 2);
    SG_CHECK_EQ_INT(info.clock_rate, 48000);
    SG_CHECK(strstr(info.fmtp, "useinbandfec=1") != NULL);
    SG_CHECK_EQ_INT(sg_codec_find("nope", 0), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_codec_find(NULL, 0), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_codec_info(999, &info, sizeof(info)), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_codec_info(0, &info, 8), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_codec_info(0, NULL, sizeof(info)), SG_EINVAL);
    memset(&o, 0xAB, sizeof(o));
    sg_codec_opts_default(&o);
    SG_CHECK_EQ_INT(o.complexity, 0);
    sg_codec_opts_default(NULL);
}

SG_TEST(codec_create_rejects_bad_arguments)
{
    sg_codec c;
    sg_codec_opts_t o = { .frame_ms = 15 };

    SG_CHECK_EQ_INT(codec_create(NULL, &codec_pcmu, NULL), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_create(&c, NULL, NULL), SG_EINVAL);
    SG_CHECK_EQ_INT(codec_create(&c, &codec_pcmu, &o), SG_EINVAL);
    o.frame_ms = 70;
    SG_CHECK_EQ_INT(codec_create(&c, &codec_pcmu, &o), SG_EINVAL);
    /* 60 ms at 16 kHz is the largest frame */
    o = (sg_codec_opts_t){ .frame_ms = 60 };
    SG_CHECK_EQ_INT(codec_create(&c, &codec_l16_16k, &o), SG_OK);
    SG_CHECK_EQ_INT(c.frame_samples, CODEC_MAX_FRAME_SAMPLES);
    codec_destroy(&c);
    /* calls on a destroyed instance are refused, not crashes */
    int16_t pcm[160] = { 0 };
    uint8_t pay[320];
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 160, pay, sizeof(pay)), SG_ESTATE);
    SG_CHECK_EQ_INT(codec_decode(&c, pay, 160, pcm, 160), SG_ESTATE);
    SG_CHECK_EQ_INT(codec_plc(&c, pcm, 160), SG_ESTATE);
    SG_CHECK_EQ_INT(codec_rtp_ticks(&c, 160), 0);
}

/* L16 payload bytes, annotated: samples 0x0102, -2 (0xFFFE), 32767, -32768. */
SG_TEST(l16_network_byte_order)
{
    static const int16_t pcm[4] = { 0x0102, -2, 32767, -32768 };
    static const uint8_t wire[8] = { 0x01, 0x02, 0xFF, 0xFE, 0x7F, 0xFF, 0x80, 0x00 };
    uint8_t pay[8];
    int16_t back[4];
    sg_codec c;

    SG_CHECK_EQ_INT(codec_create(&c, &codec_l16_8k, NULL), SG_OK);
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 4, pay, sizeof(pay)), 8);
    SG_CHECK_MEM(pay, wire, 8);
    SG_CHECK_EQ_INT(codec_decode(&c, wire, 8, back, 4), 4);
    SG_CHECK_MEM(back, pcm, sizeof(pcm));
    SG_CHECK_EQ_INT(codec_decode(&c, wire, 7, back, 4), SG_EINVAL);  /* odd length */
    SG_CHECK_EQ_INT(codec_encode(&c, pcm, 4, pay, 7), SG_EBUSY);
    SG_CHECK_EQ_INT(codec_plc(&c, back, 4), SG_EINVAL);  /* spandsp PLC needs >= 40 */
    codec_destroy(&c);
}

/* Payloads come from the network: every decoder takes 2000 random payloads of random length
 * (0..1400 bytes, some beyond CODEC_MAX_PAYLOAD) without crashing, and returns either an error
 * code or a sample count that fits the buffer. Runs under ASan+UBSan as well. */
SG_TEST(codec_decoders_survive_random_payloads)
{
    static uint8_t pay[1400];
    static int16_t pcm[CODEC_MAX_FRAME_SAMPLES];
    sig_rng rng = { 77 };

    for (uint32_t i = 0; i < codec_table_count(); i++) {
        sg_codec c;
        int bad = 0;
        SG_CHECK_EQ_INT(codec_create(&c, codec_table_at(i), NULL), SG_OK);
        for (int k = 0; k < 2000; k++) {
            size_t len = (size_t)(sig_uniform(&rng) * sizeof(pay));
            int rc;
            for (size_t j = 0; j < len; j++)
                pay[j] = (uint8_t)(sig_uniform(&rng) * 256.0);
            rc = codec_decode(&c, pay, len, pcm, CODEC_MAX_FRAME_SAMPLES);
            if (rc > (int)CODEC_MAX_FRAME_SAMPLES || (rc < 0 && rc != SG_EINVAL && rc != SG_EBUSY))
                bad++;
            if (k % 7 == 0)
                codec_decode_fec(&c, pay, len, pcm, c.frame_samples);
        }
        SG_CHECK_EQ_INT(bad, 0);
        codec_destroy(&c);
    }
}
