/* Adaptive jitter buffer: ordering, loss concealment, late packets, comfort noise. */
#include "sg_test.h"
#include "rtp/jb.h"

static uint8_t frame[160];

SG_TEST(jb_reorders_and_conceals)
{
    jb b;
    const jb_slot *s;
    uint32_t ts0 = 1000;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 40, 200), 0);
    /* Arrive 0, 2, 1, (3 lost), 4 */
    frame[0] = 0;
    SG_CHECK_EQ_INT(jb_put(&b, ts0, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_NONE);          /* filling to the 40 ms target */
    frame[0] = 2;
    SG_CHECK_EQ_INT(jb_put(&b, ts0 + 320, 0, JB_AUDIO, frame, 160), 0);
    frame[0] = 1;
    SG_CHECK_EQ_INT(jb_put(&b, ts0 + 160, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(jb_put(&b, ts0 + 160, 0, JB_AUDIO, frame, 160), -1);  /* duplicate */
    frame[0] = 4;
    SG_CHECK_EQ_INT(jb_put(&b, ts0 + 640, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(s->data[0], 0);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(s->data[0], 1);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(s->data[0], 2);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_MISSING);       /* the PLC hook's turn */
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(s->data[0], 4);
    SG_CHECK_EQ_INT(b.concealed, 1);
    SG_CHECK_EQ_INT(b.played, 4);
    jb_free(&b);
}

SG_TEST(jb_late_packet_grows_target)
{
    jb b;
    const jb_slot *s;
    uint32_t before;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 20, 200), 0);
    SG_CHECK_EQ_INT(jb_put(&b, 0, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_MISSING);       /* ts 160 not there in time */
    before = b.target_units;
    SG_CHECK_EQ_INT(jb_put(&b, 160, 0, JB_AUDIO, frame, 160), -1);
    SG_CHECK_EQ_INT(b.late, 1);
    SG_CHECK_EQ_INT(b.target_units, before + 160);
    /* A low jitter estimate lets the target shrink back toward the minimum. */
    SG_CHECK_EQ_INT(jb_put(&b, 320, 0, JB_AUDIO, frame, 160), 0);
    (void)jb_pull(&b, 0, &s);
    SG_CHECK_EQ_INT(b.target_units, 160);
    jb_free(&b);
}

SG_TEST(jb_comfort_noise_period)
{
    jb b;
    const jb_slot *s;
    uint8_t cn = 45;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 20, 200), 0);
    SG_CHECK_EQ_INT(jb_put(&b, 0, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(jb_put(&b, 160, 13, JB_CN, &cn, 1), 0);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_AUDIO);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_CN);
    SG_CHECK_EQ_INT(b.cn_level, 45);
    /* DTX: nothing arrives, the noise continues instead of PLC. */
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_CN);
    SG_CHECK_EQ_INT(jb_pull(&b, 0, &s), JB_CN);
    SG_CHECK_EQ_INT(b.concealed, 0);
    /* Talk spurt resumes far ahead: the buffer resynchronises. */
    SG_CHECK_EQ_INT(jb_put(&b, 160 * 200, 0, JB_AUDIO, frame, 160), 0);
    SG_CHECK_EQ_INT(b.overflow, 1);
    SG_CHECK_EQ_INT(jb_put(&b, 0, 0, JB_AUDIO, frame, JB_SLOT_BYTES + 1), -1);
    jb_free(&b);
}

SG_TEST(jb_shrinks_when_too_deep)
{
    jb b;
    const jb_slot *s;
    uint32_t i, ts = 0;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 20, 400), 0);
    /* Queue 10 frames at once (a burst), then keep pace: depth stays ~ 10 frames > target. */
    for (i = 0; i < 10; i++, ts += 160)
        SG_CHECK_EQ_INT(jb_put(&b, ts, 0, JB_AUDIO, frame, 160), 0);
    for (i = 0; i < 120; i++, ts += 160) {
        (void)jb_put(&b, ts, 0, JB_AUDIO, frame, 160);
        (void)jb_pull(&b, 0, &s);
    }
    SG_CHECK(b.dropped_for_shrink >= 2);
    SG_CHECK(jb_depth(&b) < 10 * 160);
    jb_free(&b);
}

/* A sender 2 % slower than the media tick (a soft-timer phone, a drifting clock): playout
 * catches up with it, starves, and every packet after that would be late. The buffer must
 * restart around the stream and keep playing audio, not conceal for good. */
SG_TEST(jb_slow_sender_keeps_playing)
{
    jb b;
    const jb_slot *s;
    uint32_t ts = 5000, audio = 0;
    int tick;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 20, 200), 0);
    for (tick = 0; tick < 3000; tick++) {
        if (tick % 50 != 49) {                /* 49 packets per 50 ticks */
            (void)jb_put(&b, ts, 0, JB_AUDIO, frame, 160);
            ts += 160;
        }
        if (jb_pull(&b, 0, &s) == JB_AUDIO && tick >= 2500)
            audio++;
    }
    /* The last 10 s: nearly every tick plays audio (a restart costs a few frames). */
    SG_CHECK(audio >= 450);
    SG_CHECK(b.resyncs >= 1);
    jb_free(&b);
}

/* A sender that stalls and then catches up in a burst (late only within one tick): the late
 * frames are lost, playout goes on with the packets after them, no restart. */
SG_TEST(jb_catch_up_burst_does_not_restart)
{
    jb b;
    const jb_slot *s;
    uint32_t ts = 9000, audio = 0;
    int tick, k;

    SG_CHECK_EQ_INT(jb_init(&b, 8000, 20, 20, 200), 0);
    for (tick = 0; tick < 50; tick++) {
        (void)jb_put(&b, ts, 0, JB_AUDIO, frame, 160);
        ts += 160;
        (void)jb_pull(&b, 0, &s);
    }
    for (tick = 0; tick < 5; tick++)          /* 100 ms without packets */
        (void)jb_pull(&b, 0, &s);
    for (k = 0; k < 5; k++) {                 /* then all five at once, plus this tick's */
        (void)jb_put(&b, ts, 0, JB_AUDIO, frame, 160);
        ts += 160;
    }
    for (tick = 0; tick < 50; tick++) {
        (void)jb_put(&b, ts, 0, JB_AUDIO, frame, 160);
        ts += 160;
        if (jb_pull(&b, 0, &s) == JB_AUDIO)
            audio++;
    }
    SG_CHECK_EQ_INT(b.resyncs, 0);
    SG_CHECK(b.late >= 3);
    SG_CHECK(audio >= 48);
    jb_free(&b);
}
