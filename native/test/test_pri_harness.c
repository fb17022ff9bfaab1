/* Test support for PRI tests (see test_pri_harness.h). */
#include <string.h>
#include <time.h>
#include "test_pri_harness.h"

int hp_open(h_pair *p, int kind, int sw, int overlap)
{
    sg_pri_config_t c;

    h_events_reset();
    if (h_pair_open(p, kind, 8, 300) != 0)
        return -1;
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.switchtype = (uint32_t)sw;
    c.overlap = (uint32_t)overlap;
    c.digit_timeout_ms = 500;
    c.t203_ms = 2000; /* quicker link supervision, so a dead line is noticed in seconds */
    c.side = SG_PRI_NETWORK;
    if (sg_pri_span_open(p->net, &c) != SG_OK)
        return -1;
    c.side = SG_PRI_USER;
    if (sg_pri_span_open(p->user, &c) != SG_OK)
        return -1;
    if (!h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p->net, 0, H_WAIT_MS, NULL, NULL))
        return -1;
    if (!h_wait_pri(SG_PRI_EV_DCHAN_UP, (uint32_t)p->user, 0, H_WAIT_MS, NULL, NULL))
        return -1;
    if (!h_wait_alarms(p->net, 0, H_WAIT_MS) || !h_wait_alarms(p->user, 0, H_WAIT_MS))
        return -1;
    return 0;
}

static void close_span(int span)
{
    struct timespec ts = { 0, 5000000 };
    int i;

    /* sg_pri_span_close is queued; the span stays pinned until the PRI thread lets go. */
    for (i = 0; i < 2000 && sg_span_close(span) == SG_EBUSY; i++)
        nanosleep(&ts, NULL);
}

void hp_close(h_pair *p)
{
    sg_pri_span_close(p->net);
    sg_pri_span_close(p->user);
    close_span(p->net);
    close_span(p->user);
    p->net = p->user = 0;
    h_pair_close(p);
}

uint32_t hp_call(int span, int channel, int exclusive, const char *called, const char *calling, const char *name)
{
    sg_pri_setup_t s;
    int h;

    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    s.channel = channel;
    s.exclusive = (uint32_t)exclusive;
    s.complete = 1;
    strcpy(s.called.number, called);
    s.called.ton = SG_PRI_TON_NATIONAL;
    s.called.npi = SG_PRI_NPI_E164;
    strcpy(s.calling.number, calling);
    strcpy(s.calling.name, name);
    s.calling.ton = SG_PRI_TON_NATIONAL;
    s.calling.npi = SG_PRI_NPI_E164;
    s.calling.pres = SG_PRI_PRES_ALLOWED | SG_PRI_SCREEN_USER_PASSED;
    h = sg_pri_call(span, &s);
    return h > 0 ? (uint32_t)h : 0;
}
