/* Comfort noise (RFC 3389) and outbound stream continuity across source changes. */
#include <math.h>
#include "sg_test.h"
#include "rtp/cn.h"
#include "rtp/rewrite.h"

SG_TEST(cn_parse_and_level)
{
    /* level 40 -dBov, then two reflection coefficients */
    const uint8_t cn[] = { 0x28, 0x80, 0x7f };
    cn_payload p;
    cn_gen g;
    int16_t pcm[1600];
    uint8_t lvl;

    SG_CHECK_EQ_INT(cn_parse(cn, sizeof(cn), &p), 0);
    SG_CHECK_EQ_INT(p.level, 40);
    SG_CHECK_EQ_INT(p.ncoeffs, 2);
    SG_CHECK_EQ_INT(cn_parse(cn, 0, &p), -1);
    cn_gen_init(&g, 7);
    cn_gen_set_level(&g, 40);
    cn_gen_fill(&g, pcm, 1600);
    lvl = cn_level_of(pcm, 1600);
    SG_CHECK(lvl >= 39 && lvl <= 41);            /* generated noise measures at its level */
    memset(pcm, 0, sizeof(pcm));
    SG_CHECK_EQ_INT(cn_level_of(pcm, 160), 127);
}

SG_TEST(out_stream_continuity_across_sources)
{
    rtp_out_stream o;
    uint16_t seq;
    uint32_t ts;
    uint64_t now = 1000000000ull;
    int fresh, i;

    out_stream_init(&o, 0x5555, 1000, 50000, 8000);
    /* Source A: seq 10.., ts 160 steps. */
    for (i = 0; i < 5; i++, now += 20000000ull) {
        fresh = out_stream_map(&o, 0xa, (uint16_t)(10 + i), 160u * (uint32_t)i, now, &seq, &ts);
        SG_CHECK_EQ_INT(fresh, i == 0);
        SG_CHECK_EQ_INT(seq, 1000 + i);
        SG_CHECK_EQ_INT(ts, 50000 + 160 * i);
        out_stream_sent(&o, ts, now, 160);
    }
    /* 100 ms later source B appears with unrelated numbers: continue seq, ts + 100 ms. */
    now += 80000000ull;
    fresh = out_stream_map(&o, 0xb, 60000, 999999, now, &seq, &ts);
    SG_CHECK_EQ_INT(fresh, 1);
    SG_CHECK_EQ_INT(seq, 1005);
    SG_CHECK_EQ_INT(ts, 50000 + 160 * 4 + 800);
    out_stream_sent(&o, ts, now, 160);
    /* B's next packet wraps its seq: ours just continues. */
    fresh = out_stream_map(&o, 0xb, 60001, 999999 + 160, now + 20000000ull, &seq, &ts);
    SG_CHECK_EQ_INT(fresh, 0);
    SG_CHECK_EQ_INT(seq, 1006);
    /* A locally generated packet takes the next number and shifts the mapping. */
    out_stream_local(&o, now + 30000000ull, &seq, &ts);
    SG_CHECK_EQ_INT(seq, 1007);
    fresh = out_stream_map(&o, 0xb, 60002, 999999 + 320, now + 40000000ull, &seq, &ts);
    SG_CHECK_EQ_INT(seq, 1008);
    /* Same SSRC, sequence jump (restart): treated as a new source. */
    fresh = out_stream_map(&o, 0xb, 20000, 5, now + 60000000ull, &seq, &ts);
    SG_CHECK_EQ_INT(fresh, 1);
    SG_CHECK_EQ_INT(seq, 1009);
}
