/* Event socketpair: records arrive whole and in order; a full socket drops and counts. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sg_test.h"
#include "core/events.h"

SG_TEST(events_post_before_open_is_refused)
{
    if (events_write_fd() >= 0)
        return; /* another test opened it first; nothing to check */
    SG_CHECK_EQ_INT(events_post(SG_SUBSYS_CORE, 1, 0, NULL, 0), SG_ESTATE);
}

SG_TEST(events_roundtrip_in_order)
{
    int fd = sg_events_fd();
    sg_event_t ev;
    uint32_t i;
    const char msg[] = "hello";

    SG_CHECK(fd >= 0);
    SG_CHECK_EQ_INT(sg_events_fd(), fd);
    for (i = 0; i < 10; i++)
        SG_CHECK_EQ_INT(events_post(SG_SUBSYS_RTP, 7, i, msg, sizeof(msg)), SG_OK);
    for (i = 0; i < 10; i++) {
        ssize_t n = recv(fd, &ev, sizeof(ev), 0);
        SG_CHECK_EQ_INT(n, SG_EVENT_SIZE);
        SG_CHECK_EQ_INT(ev.subsys, SG_SUBSYS_RTP);
        SG_CHECK_EQ_INT(ev.type, 7);
        SG_CHECK_EQ_INT(ev.handle, i);
        SG_CHECK(ev.time_ns > 0);
        SG_CHECK_MEM(ev.payload, msg, sizeof(msg));
    }
}

SG_TEST(events_full_socket_drops_and_counts)
{
    int fd = sg_events_fd();
    uint64_t before = sg_events_dropped();
    int i, busy = 0;
    sg_event_t ev;
    uint8_t big[200];

    memset(big, 0xab, sizeof(big));
    for (i = 0; i < 200000 && !busy; i++)
        busy = events_post(SG_SUBSYS_CORE, 1, 0, big, sizeof(big)) == SG_EBUSY;
    SG_CHECK(busy);
    SG_CHECK(sg_events_dropped() > before);
    while (recv(fd, &ev, sizeof(ev), MSG_DONTWAIT) > 0)
        ;
}
