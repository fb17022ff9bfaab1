/* Media-thread hooks: an fd in the media loop and a tick callback, attached and detached
 * from the control thread (the path span I/O for TDM legs takes). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sg_test.h"
#include "core/engine.h"

static atomic_int bytes_seen, ticks_seen, wrong_thread;
static _Thread_local int on_media;

static void io_cb(media_thread *mt, void *ctx, uint32_t events, uint64_t now)
{
    char buf[64];
    ssize_t n = read(*(int *)ctx, buf, sizeof(buf));

    (void)events;
    (void)now;
    if (mt->index != 0)
        atomic_fetch_add(&wrong_thread, 1);
    on_media = 1;
    if (n > 0)
        atomic_fetch_add(&bytes_seen, (int)n);
}

static void tick_cb(media_thread *mt, void *ctx, uint64_t now)
{
    (void)mt;
    (void)ctx;
    (void)now;
    atomic_fetch_add(&ticks_seen, 1);
}

static int wait_for(atomic_int *v, int want)
{
    int i;
    for (i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    return atomic_load(v) >= want;
}

SG_TEST(hooks_run_on_the_media_thread_until_detached)
{
    sg_engine_config_t ec;
    int sv[2], io_hook, tick_hook, before;

    memset(&ec, 0, sizeof(ec));
    ec.struct_size = sizeof(ec);
    ec.max_endpoints = 4;
    ec.port_min = 47500;
    ec.port_max = 47599;
    SG_CHECK_EQ_INT(engine_hook_add(0, -1, NULL, tick_cb, NULL), SG_ESTATE);
    SG_CHECK_EQ_INT(sg_engine_start(&ec), SG_OK);
    SG_CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    SG_CHECK_EQ_INT(engine_hook_add(0, sv[0], NULL, NULL, NULL), SG_EINVAL);   /* fd without io */
    SG_CHECK_EQ_INT(engine_hook_add(5, -1, NULL, tick_cb, NULL), SG_EINVAL);   /* no such thread */
    io_hook = engine_hook_add(0, sv[0], io_cb, NULL, &sv[0]);
    tick_hook = engine_hook_add(0, -1, NULL, tick_cb, NULL);
    SG_CHECK(io_hook >= 0 && tick_hook >= 0 && io_hook != tick_hook);
    SG_CHECK_EQ_INT(write(sv[1], "hello", 5), 5);
    SG_CHECK(wait_for(&bytes_seen, 5));
    SG_CHECK(wait_for(&ticks_seen, 3));
    SG_CHECK_EQ_INT(atomic_load(&wrong_thread), 0);
    SG_CHECK_EQ_INT(on_media, 0);                       /* never ran on this thread */
    SG_CHECK_EQ_INT(engine_hook_del(0, io_hook), SG_OK);
    SG_CHECK_EQ_INT(engine_hook_del(0, io_hook), SG_ENOENT);
    SG_CHECK_EQ_INT(engine_hook_del(0, tick_hook), SG_OK);
    /* Detached: nothing runs any more. */
    before = atomic_load(&ticks_seen);
    SG_CHECK_EQ_INT(write(sv[1], "again", 5), 5);
    usleep(100000);
    SG_CHECK_EQ_INT(atomic_load(&bytes_seen), 5);
    SG_CHECK_EQ_INT(atomic_load(&ticks_seen), before);
    SG_CHECK_EQ_INT(sg_engine_stop(), SG_OK);
    close(sv[0]);
    close(sv[1]);
}
