/* spangate native engine: in-kernel forwarding of pass-through relay streams.
 *
 * When attached, a tc (cls_bpf) ingress program on the named interfaces forwards the packets
 * of pass-through relays in the kernel: the relay's media thread forwards the first packets of
 * a direction itself, and once the direction is stable (same SSRC, no DTMF being generated
 * toward the far side, no SRTP on either leg, IPv4) it hands the rewrite (addresses, ports,
 * payload type, SSRC, sequence and timestamp offsets) to the kernel. Any packet the kernel
 * does not take (another SSRC, a sequence jump, RFC 4733 or comfort noise, RTCP) reaches the
 * relay as before, which takes the direction back, handles it, and may offload it again.
 * Re-INVITEs (sg_rtp_update), DTMF generation, re-latching and relay teardown take a direction
 * back first. Statistics, RTCP reports and media timeouts include the kernel's packets (folded
 * in by the media thread every housekeeping round, ~0.5 s). Each offloaded direction holds a
 * lease the media thread renews; if the engine stops renewing it (crash, stall), the kernel
 * stops forwarding within SG_KFWD_LEASE_MS.
 *
 * Needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN, and a library built with libbpf and clang
 * (SG_ENOSYS otherwise). Without them everything works in user space as before. */
#ifndef SPANGATE_KFWD_H
#define SPANGATE_KFWD_H

#include <stdint.h>
#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_KFWD_LEASE_MS 3000u
#define SG_KFWD_ERROR_MAX 160u
#define SG_KFWD_MAX_IFACES 8u

typedef struct sg_kfwd_status_t {
    uint32_t struct_size;        /* sizeof(sg_kfwd_status_t) */
    uint32_t interfaces;         /* interfaces the program is attached to (0 = off) */
    uint64_t flows_active;       /* directions forwarded in the kernel now */
    uint64_t flows_installed;    /* offloads since attach */
    uint64_t flows_removed;      /* take-backs since attach */
    uint64_t fwd_packets;        /* packets forwarded by the kernel (exact, at the call) */
    uint64_t fwd_bytes;          /* their UDP payload bytes */
    uint64_t punted;             /* packets of offloaded directions left to the relay */
    uint64_t install_fail;       /* offloads refused (no route, map full, system call failed) */
    char error[SG_KFWD_ERROR_MAX]; /* why the last sg_kfwd_attach failed, "" if it did not */
} sg_kfwd_status_t;

/* Main thread, engine running. Loads the program and attaches it to the ingress of each
 * interface in `ifnames` (comma-separated, e.g. "eth0,lo": every interface the peers' packets
 * arrive on; loopback for peers on this host). Returns SG_OK, SG_ENOSYS (built without
 * libbpf), SG_EPERM (missing CAP_BPF/CAP_NET_ADMIN), SG_EINVAL (no such interface, empty or
 * too many names), SG_ESTATE (engine not running, or already attached), SG_EIO (the kernel
 * refused to load or attach it). On failure sg_kfwd_status().error says why and the engine
 * keeps relaying in user space. */
SG_API int sg_kfwd_attach(const char *ifnames);

/* Main thread. Detaches the program (the kernel stops forwarding at once; the relays take
 * their directions back as packets reach them). sg_engine_stop does this too. SG_OK, or
 * SG_ESTATE when not attached. */
SG_API int sg_kfwd_detach(void);

/* Any thread. Fills *out. SG_OK, SG_EINVAL (out NULL or size < sizeof(sg_kfwd_status_t)). */
SG_API int sg_kfwd_status(sg_kfwd_status_t *out, uint32_t size);

#ifdef __cplusplus
}
#endif
#endif
