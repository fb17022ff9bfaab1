// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* spangate receive steering: a BPF_PROG_TYPE_SK_LOOKUP program, attached to the engine's
 * network namespace. For a UDP datagram to an IPv4 address and port one of the engine's RTP or
 * RTCP sockets is bound to (sg_st_ports, kept by the media threads), it selects the one
 * steering socket of the media thread that owns that endpoint (sg_st_socks) instead of the
 * endpoint's own socket. The media thread then reads all of its streams with a few large
 * recvmmsg calls per interval and tells them apart by the original destination (IP_ORIGDSTADDR).
 * Anything else (other ports, IPv6, TCP, a thread without a socket) takes the normal socket
 * lookup, which finds the endpoint's own socket: that is also the fallback when the program is
 * not attached. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "steer/steer_abi.h"

#ifndef AF_INET
#define AF_INET 2
#endif

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, ST_MAX_PORTS);
    __type(key, struct st_key);
    __type(value, __u32);
} sg_st_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, ST_MAX_THREADS);
    __type(key, __u32);
    __type(value, __u64);
} sg_st_socks SEC(".maps");

SEC("sk_lookup")
int sg_steer(struct bpf_sk_lookup *ctx)
{
    struct st_key k;
    struct bpf_sock *sk;
    __u32 *thread;
    long err;

    if (ctx->family != AF_INET || ctx->protocol != IPPROTO_UDP)
        return SK_PASS;
    k.addr = ctx->local_ip4;
    k.port = ctx->local_port;
    thread = bpf_map_lookup_elem(&sg_st_ports, &k);
    if (thread == NULL) {
        k.addr = 0;               /* an endpoint bound to the wildcard address */
        thread = bpf_map_lookup_elem(&sg_st_ports, &k);
        if (thread == NULL)
            return SK_PASS;
    }
    sk = bpf_map_lookup_elem(&sg_st_socks, thread);
    if (sk == NULL)
        return SK_PASS;
    /* Another program of the hook may have chosen a socket already (-EEXIST): keep its choice. */
    err = bpf_sk_assign(ctx, sk, 0);
    bpf_sk_release(sk);
    (void)err;
    return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
