/* spangate native engine: receive steering (one socket per media thread).
 *
 * When attached, a BPF sk_lookup program in the engine's network namespace delivers every UDP
 * datagram for an IPv4 RTP or RTCP port of an endpoint to ONE socket per media thread instead of
 * the endpoint's own socket. The media thread reads that socket with recvmmsg in batches of up
 * to 32 datagrams, either whenever it becomes readable (interval_us 0) or on a timer every
 * interval_us (up to 20 000: the thread then sleeps through the interval and wakes once for
 * every datagram that arrived meanwhile, trading that much added latency for fewer wake-ups),
 * and hands each datagram to its endpoint by the original destination port (IP_ORIGDSTADDR).
 * Sending is unchanged (each endpoint's own socket, batched with sendmmsg per socket), so the
 * source port is the endpoint's and symmetric RTP works as before. Endpoints keep their own
 * sockets (they hold the port and carry IPv6, packets that arrive before a port is steered,
 * and everything after a detach).
 *
 * Needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN, kernel 5.9+, and a library built with
 * libbpf and clang (SG_ENOSYS otherwise). Without them the engine reads each endpoint's socket
 * as before. */
#ifndef SPANGATE_STEER_H
#define SPANGATE_STEER_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_STEER_ERROR_MAX 160u
#define SG_STEER_MAX_INTERVAL_US 20000u

typedef struct sg_steer_status_t {
    uint32_t struct_size;        /* sizeof(sg_steer_status_t) */
    uint32_t attached;           /* 1 while steering */
    uint32_t interval_us;        /* 0 = read on readiness */
    uint32_t reserved;
    uint64_t ports;              /* RTP/RTCP ports steered now */
    uint64_t rx_packets;         /* datagrams read from the steering sockets */
    uint64_t rx_calls;           /* recvmmsg calls on them that returned data */
    uint64_t rx_unknown;         /* datagrams for a port no endpoint of the thread owns (dropped) */
    uint64_t not_steered;        /* endpoint ports left on their own socket (IPv6, clash, map full) */
    char error[SG_STEER_ERROR_MAX]; /* why the last sg_steer_attach failed, "" if it did not */
} sg_steer_status_t;

/* Main thread, engine running. Loads and attaches the program, creates the steering sockets and
 * steers every existing and future IPv4 endpoint. interval_us: 0 (read on readiness) up to
 * SG_STEER_MAX_INTERVAL_US. Returns SG_OK, SG_ENOSYS (built without libbpf), SG_EPERM (missing
 * CAP_BPF/CAP_NET_ADMIN), SG_EINVAL (interval), SG_ESTATE (engine not running, or already
 * attached), SG_EIO (the kernel refused). On failure sg_steer_status().error says why and the
 * engine keeps reading each endpoint's socket. */
SG_API int sg_steer_attach(uint32_t interval_us);

/* Main thread. Stops steering (datagrams already queued on a steering socket are still
 * delivered) and detaches the program. sg_engine_stop does this too. SG_OK or SG_ESTATE. */
SG_API int sg_steer_detach(void);

/* Any thread. Fills *out. SG_OK, SG_EINVAL (out NULL or size < sizeof(sg_steer_status_t)). */
SG_API int sg_steer_status(sg_steer_status_t *out, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif
