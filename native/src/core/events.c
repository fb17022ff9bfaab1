/* Event socketpair: native threads write fixed-size records, TypeScript reads them.
 * SOCK_STREAM, not SOCK_SEQPACKET: libuv's uv_guess_handle() only knows stream (named pipe)
 * and datagram sockets, so Node's net.Socket({ fd }) throws ERR_INVALID_FD_TYPE on a
 * SEQPACKET fd (checked with Node 20). Records stay whole on the stream because each is one
 * 64-byte send(): an AF_UNIX stream send that small is queued as one skb or refused with
 * EAGAIN, never split, and concurrent writers append whole skbs. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "core/events.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int read_fd = -1;
static atomic_int write_fd = -1;
static atomic_uint_fast64_t dropped;

int sg_events_fd(void)
{
    int sv[2];
    int rc;
    int sndbuf = 1 << 20;

    pthread_mutex_lock(&init_lock);
    if (atomic_load(&read_fd) >= 0) {
        rc = atomic_load(&read_fd);
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = SG_EIO;
        goto out;
    }
    /* A deep buffer rides out a busy JS event loop; past it events are dropped and counted. */
    (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    atomic_store(&write_fd, sv[1]);
    atomic_store(&read_fd, sv[0]);
    rc = sv[0];
out:
    pthread_mutex_unlock(&init_lock);
    return rc;
}

uint64_t sg_events_dropped(void)
{
    return atomic_load(&dropped);
}

int events_write_fd(void)
{
    return atomic_load(&write_fd);
}

int events_post(uint16_t subsys, uint16_t type, uint32_t handle, const void *payload, size_t len)
{
    sg_event_t ev;
    struct timespec ts;
    int fd = atomic_load(&write_fd);
    ssize_t n;

    if (fd < 0)
        return SG_ESTATE;
    memset(&ev, 0, sizeof(ev));
    ev.subsys = subsys;
    ev.type = type;
    ev.handle = handle;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ev.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (payload != NULL && len > 0)
        memcpy(ev.payload, payload, len < SG_EVENT_PAYLOAD ? len : SG_EVENT_PAYLOAD);
    do {
        n = send(fd, &ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(ev)) {
        /* A partial write would desynchronise the reader; it cannot happen for a 64-byte
         * record on AF_UNIX (see above), but finish it rather than corrupt the stream. */
        if (n > 0) {
            size_t done = (size_t)n;
            unsigned spins = 0;
            while (done < sizeof(ev) && spins++ < 1000000u) {
                n = send(fd, (const uint8_t *)&ev + done, sizeof(ev) - done, MSG_NOSIGNAL);
                if (n < 0 && errno != EINTR && errno != EAGAIN)
                    break;
                if (n > 0)
                    done += (size_t)n;
            }
            return SG_OK;
        }
        atomic_fetch_add(&dropped, 1);
        return SG_EBUSY;
    }
    return SG_OK;
}
