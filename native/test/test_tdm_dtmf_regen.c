/* RFC 4733 -> in-band regeneration (tdm/dtmf_regen) under the delivery a starved or jittery
 * path produces: "73*0" keyed 100 ms on / 100 ms off is sent as RFC 4733 (a packet every
 * 20 ms, three end packets), delivered to the endpoint's receiver on time, all in one burst,
 * in 200 ms bursts, duplicated, with a digit's end packets lost, with only end packets, and
 * with the last digit's end lost and nothing after it; each frame the regenerator runs and the
 * generated line audio goes through the spandsp detector. Every schedule must come out as
 * exactly "73*0" (before, a burst collapsed the digits, cut them short or wiped them: "7"). */
#include <stdio.h>
#include <string.h>
#include "sg_test.h"
#include "dsp/dtmf.h"
#include "rtp/dtmf.h"
#include "tdm/dtmf_regen.h"

enum { FRAMES = 200, MAXPKT = 64, FRAME = 160 };

typedef struct pkt {
    uint32_t ts;
    dtmf_payload p;
    int send_frame;           /* when the sender sent it */
} pkt;

/* The sender: digit i starts at frame 10 i; packets every frame for 100 ms, then 3 ends. */
static int make_packets(pkt *out)
{
    static const uint8_t ev[4] = { 7, 3, 10, 0 };   /* 7 3 * 0 */
    int n = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t ts = 1000u + (uint32_t)i * 1600u;
        for (int j = 0; j < 5; j++)
            out[n++] = (pkt){ ts, { ev[i], 0, 10, (uint16_t)((j + 1) * 160) }, 10 * i + j };
        for (int j = 0; j < 3; j++)
            out[n++] = (pkt){ ts, { ev[i], 1, 10, 800 }, 10 * i + 5 + j };
    }
    return n;
}

/* Delivery schedules: the frame a packet reaches the receiver, or -1 (lost). */
enum { ON_TIME, ONE_BURST, BURSTS_200MS, DUPLICATED, LOST_END, ONLY_ENDS, LAST_END_LOST, SCHEDULES };
static const char *const names[SCHEDULES] = {
    "on time", "all in one burst at 300 ms", "200 ms bursts", "every packet twice",
    "digit 2's end packets lost", "only the end packets", "the last digit's end lost",
};

static int deliver(int sched, const pkt *k, int index_in_digit)
{
    int digit = k->send_frame / 10;
    switch (sched) {
    case ONE_BURST: return 15;
    case BURSTS_200MS: return (k->send_frame / 10 + 1) * 10;
    case LOST_END: return (digit == 1 && k->p.end) ? -1 : k->send_frame;
    case ONLY_ENDS: return k->p.end ? k->send_frame : -1;
    case LAST_END_LOST: return (digit == 3 && k->p.end) ? -1 : k->send_frame;
    default: (void)index_in_digit; return k->send_frame;
    }
}

/* Runs one schedule; writes the detected digits to got. */
static void run(int sched, char *got, size_t cap)
{
    pkt pk[MAXPKT];
    int n = make_packets(pk);
    dtmf_rx rx;
    dtmf_regen r;
    dsp_dtmf_tx *g = dsp_dtmf_tx_create(-10, 0);
    dsp_dtmf_rx *d = dsp_dtmf_rx_create(NULL);
    size_t len = 0;

    memset(&rx, 0, sizeof(rx));
    memset(&r, 0, sizeof(r));
    got[0] = '\0';
    if (g == NULL || d == NULL)
        goto out;
    dtmf_regen_attach(&r, &rx, g);
    for (int f = 0; f < FRAMES; f++) {
        int16_t pcm[FRAME];
        dsp_dtmf_event ev[8];
        int started, k;
        for (int i = 0; i < n; i++) {
            if (deliver(sched, &pk[i], i % 8) != f)
                continue;
            for (int c = 0; c < (sched == DUPLICATED ? 2 : 1); c++) {
                dtmf_rx prev;
                (void)dtmf_rx_packet(&rx, pk[i].ts, &pk[i].p, &prev);
            }
        }
        if (dtmf_regen_frame(&r, &rx, 8000, g, &started) || dsp_dtmf_tx_run(g, pcm, FRAME) <= 0)
            memset(pcm, 0, sizeof(pcm));
        k = dsp_dtmf_rx_process(d, pcm, FRAME, ev, 8);
        for (int j = 0; j < k; j++)
            if (ev[j].begin && len + 1 < cap) {
                got[len++] = ev[j].digit;
                got[len] = '\0';
            }
    }
out:
    dsp_dtmf_tx_destroy(g);
    dsp_dtmf_rx_destroy(d);
}

SG_TEST(tdm_dtmf_regen_plays_every_event_once_in_order_however_delivered)
{
    for (int s = 0; s < SCHEDULES; s++) {
        char got[32];
        run(s, got, sizeof(got));
        printf("  %-30s: \"%s\"\n", names[s], got);
        if (strcmp(got, "73*0") != 0)
            fprintf(stderr, "  schedule '%s' gave \"%s\"\n", names[s], got);
        SG_CHECK(strcmp(got, "73*0") == 0);
    }
}

SG_TEST(tdm_dtmf_regen_ignores_events_from_before_the_attach)
{
    dtmf_rx rx;
    dtmf_regen r;
    dtmf_rx prev;
    dtmf_payload p = { 5, 1, 10, 800 };
    dsp_dtmf_tx *g = dsp_dtmf_tx_create(-10, 0);
    int started = 0, sounding = 0;

    memset(&rx, 0, sizeof(rx));
    memset(&r, 0, sizeof(r));
    SG_CHECK(g != NULL);
    if (g == NULL)
        return;
    (void)dtmf_rx_packet(&rx, 100, &p, &prev);
    dtmf_regen_attach(&r, &rx, g);
    for (int f = 0; f < 20; f++) {
        int16_t pcm[FRAME];
        (void)dtmf_regen_frame(&r, &rx, 8000, g, &started);
        sounding += started + (dsp_dtmf_tx_run(g, pcm, FRAME) > 0);
    }
    SG_CHECK_EQ_INT(sounding, 0);
    /* A receiver reset (new stream) under a reader that was ahead: it starts over, no replay. */
    memset(&rx, 0, sizeof(rx));
    SG_CHECK_EQ_INT(dtmf_regen_frame(&r, &rx, 8000, g, &started), 0);
    SG_CHECK_EQ_INT(r.next, 0);
    SG_CHECK_EQ_INT(started, 0);
    dsp_dtmf_tx_destroy(g);
}
