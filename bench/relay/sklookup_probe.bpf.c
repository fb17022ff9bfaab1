// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Feasibility probe (bench/RESULTS.md "Kernel forwarding"): a BPF_PROG_TYPE_SK_LOOKUP program
 * that steers every UDP datagram for ports 26000-26999 into the one socket in `one`, the way a
 * transcoding media thread could receive all of its streams on one socket. Built and run by
 * sklookup_probe.c. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} one SEC(".maps");

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
    struct bpf_sock *sk;
    __u32 key = 0;
    long err;

    if (ctx->protocol != IPPROTO_UDP || ctx->local_port < 26000 || ctx->local_port > 26999)
        return SK_PASS;           /* not ours: the normal socket lookup */
    sk = bpf_map_lookup_elem(&one, &key);
    if (sk == NULL)
        return SK_PASS;
    err = bpf_sk_assign(ctx, sk, 0);
    bpf_sk_release(sk);
    return err ? SK_DROP : SK_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
