/* Internal: the maps shared by the receive-steering program (bpf/steer.bpf.c) and its loader
 * (src/steer/steer.c). Included by both: kernel types only. */
#ifndef SG_STEER_ABI_H
#define SG_STEER_ABI_H

#include <linux/types.h>

/* One steered local port: the IPv4 address the endpoint's socket is bound to (network order;
 * 0 for a wildcard bind) and the port (host order, as bpf_sk_lookup.local_port has it). */
struct st_key {
    __u32 addr;
    __u32 port;
};

/* sg_st_ports: st_key -> index of the media thread (key into sg_st_socks). */
#define ST_MAX_PORTS 131072u
/* sg_st_socks: media thread index -> its steering socket. */
#define ST_MAX_THREADS 64u

#endif
