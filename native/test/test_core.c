/* Engine core: the MPSC command queue, engine lifecycle, counters. */
#include <pthread.h>
#include <stdatomic.h>
#include "sg_test.h"
#include "core/queue.h"
#include "spangate/engine.h"

typedef struct item {
    uint32_t producer;
    uint32_t seq;
    uint8_t pad[56];
} item;

SG_TEST(queue_fifo_and_full)
{
    cmdq q;
    item it, out;
    uint32_t i;

    SG_CHECK_EQ_INT(cmdq_init(&q, 3, sizeof(item)), -1);     /* not a power of two */
    SG_CHECK_EQ_INT(cmdq_init(&q, 8, sizeof(item)), 0);
    SG_CHECK_EQ_INT(cmdq_pop(&q, &out), 0);
    memset(&it, 0, sizeof(it));
    for (i = 0; i < 8; i++) {
        it.seq = i;
        SG_CHECK_EQ_INT(cmdq_push(&q, &it), 0);
    }
    SG_CHECK_EQ_INT(cmdq_push(&q, &it), -1);                 /* full */
    for (i = 0; i < 8; i++) {
        SG_CHECK_EQ_INT(cmdq_pop(&q, &out), 1);
        SG_CHECK_EQ_INT(out.seq, i);
    }
    SG_CHECK_EQ_INT(cmdq_pop(&q, &out), 0);
    cmdq_free(&q);
}

#define PER_PRODUCER 50000u

typedef struct prod_arg {
    cmdq *q;
    uint32_t id;
} prod_arg;

static void *producer(void *arg)
{
    prod_arg *a = arg;
    item it;
    uint32_t i;

    memset(&it, 0, sizeof(it));
    it.producer = a->id;
    for (i = 0; i < PER_PRODUCER; i++) {
        it.seq = i;
        while (cmdq_push(a->q, &it) < 0)
            ;
    }
    return NULL;
}

SG_TEST(queue_two_producers_keep_per_producer_order)
{
    cmdq q;
    pthread_t t[2];
    prod_arg a[2];
    uint32_t next[2] = { 0, 0 }, got = 0, bad = 0, i;
    item out;

    SG_CHECK_EQ_INT(cmdq_init(&q, 64, sizeof(item)), 0);
    for (i = 0; i < 2; i++) {
        a[i].q = &q;
        a[i].id = i;
        pthread_create(&t[i], NULL, producer, &a[i]);
    }
    while (got < 2 * PER_PRODUCER) {
        if (!cmdq_pop(&q, &out))
            continue;
        if (out.producer > 1 || out.seq != next[out.producer])
            bad++;
        else
            next[out.producer]++;
        got++;
    }
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    SG_CHECK_EQ_INT(bad, 0);
    SG_CHECK_EQ_INT(next[0], PER_PRODUCER);
    SG_CHECK_EQ_INT(next[1], PER_PRODUCER);
    cmdq_free(&q);
}

SG_TEST(engine_lifecycle_and_counters)
{
    sg_engine_config_t cfg;
    sg_counters_t c;
    int tid;

    memset(&cfg, 0, sizeof(cfg));
    SG_CHECK_EQ_INT(sg_engine_start(&cfg), SG_EINVAL);           /* struct_size missing */
    cfg.struct_size = sizeof(cfg);
    cfg.tick_ms = 15;
    SG_CHECK_EQ_INT(sg_engine_start(&cfg), SG_EINVAL);
    cfg.tick_ms = 10;
    cfg.media_threads = 2;
    cfg.max_endpoints = 16;
    cfg.port_min = 47000;
    cfg.port_max = 47099;
    SG_CHECK_EQ_INT(sg_counters_read(&c, sizeof(c)), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_engine_start(&cfg), SG_OK);
    SG_CHECK_EQ_INT(sg_engine_running(), 1);
    SG_CHECK_EQ_INT(sg_engine_start(&cfg), SG_ESTATE);
    tid = sg_engine_thread_tid(1);
    SG_CHECK(tid > 0);
    SG_CHECK_EQ_INT(sg_engine_thread_tid(2), SG_ENOENT);
    SG_CHECK_EQ_INT(sg_counters_read(&c, sizeof(c) - 8), SG_EINVAL);
    SG_CHECK_EQ_INT(sg_counters_read(&c, sizeof(c)), SG_OK);
    SG_CHECK_EQ_INT(c.endpoints_active, 0);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    SG_CHECK_EQ_INT(sg_engine_running(), 0);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_ESTATE);
}
