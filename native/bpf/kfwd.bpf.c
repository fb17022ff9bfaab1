// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* spangate in-kernel RTP forwarder: a tc (cls_bpf, direct-action) ingress program.
 *
 * For a packet of an offloaded pass-through relay direction (see src/kfwd/kfwd_abi.h) it does
 * what the user-space relay does (relay/relay.c relay_forward, rtp/rewrite.c): rewrites the
 * addresses and ports to the far leg, payload type, sequence number, timestamp and SSRC with
 * the stream's offsets, keeps the RFC 3550 receive state (highest sequence, wraps, jitter) and
 * counters, fixes the IP and UDP checksums, and sends the packet on: delivered locally when the
 * far peer is an address of this host (the rewritten packet continues up the stack), else
 * redirected out of the interface the engine's route lookup named at offload time
 * (bpf_redirect_neigh resolves the next hop). Not bpf_fib_lookup: it refuses to answer on a
 * host with IP forwarding off, which a media gateway has no reason to turn on.
 * Anything it does not fully understand is left untouched for user space (TC_ACT_UNSPEC: the
 * next filter on the hook, or the stack, gets it, so other tc programs can share the hook):
 * non-IPv4, IP options or fragments, RTCP, another SSRC or payload type, a sequence jump,
 * an expired lease (the engine stopped refreshing it). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "kfwd/kfwd_abi.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#define KF_MAX_FLOWS 65536

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, KF_MAX_FLOWS);
    __type(key, struct kf_key);
    __type(value, __u32);
} sg_kf_flows SEC(".maps");

/* Resized by the loader to the engine's endpoint pool before load. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct kf_flow);
} sg_kf_slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, KF_CTR_MAX);
    __type(key, __u32);
    __type(value, __u64);
} sg_kf_ctrs SEC(".maps");

#define ETH_OFF 0
#define IP_OFF (ETH_OFF + (int)sizeof(struct ethhdr))
#define UDP_OFF (IP_OFF + (int)sizeof(struct iphdr))
#define RTP_OFF (UDP_OFF + (int)sizeof(struct udphdr))
#define IP_CSUM_OFF (IP_OFF + (int)__builtin_offsetof(struct iphdr, check))
#define UDP_CSUM_OFF (UDP_OFF + (int)__builtin_offsetof(struct udphdr, check))

static __always_inline void count(__u32 idx, __u64 n)
{
    __u64 *v = bpf_map_lookup_elem(&sg_kf_ctrs, &idx);
    if (v)
        *v += n;
}

/* The RTP fixed header as 3 words, network order. */
struct rtp_words {
    __u32 w0;   /* V P X CC | M PT | sequence */
    __u32 ts;
    __u32 ssrc;
};

SEC("tc")
int sg_kfwd(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip;
    struct udphdr *udp;
    struct rtp_words *rtp, nw, ow;
    struct kf_key key;
    struct kf_flow *f;
    __u32 *slot, w0, seq, pt, udelta, ext_len = 0;
    __u16 uplen, hlen;
    __u64 now;
    __s64 csum;
    __be32 old_addr[2], new_addr[2], old_ports, new_ports;

    /* Direct access needs the headers in the linear part (always so on lo and for small UDP). */
    if (data + RTP_OFF + (int)sizeof(struct rtp_words) > end)
        return TC_ACT_UNSPEC;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_UNSPEC;
    ip = data + IP_OFF;
    if (ip->ihl != 5 || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
        (ip->frag_off & bpf_htons(0x3fff)) != 0)
        return TC_ACT_UNSPEC;
    udp = data + UDP_OFF;
    key.saddr = ip->saddr;
    key.sport = udp->source;
    key.dport = udp->dest;
    slot = bpf_map_lookup_elem(&sg_kf_flows, &key);
    if (slot == NULL)
        return TC_ACT_UNSPEC;
    f = bpf_map_lookup_elem(&sg_kf_slots, slot);
    if (f == NULL || f->gen == 0)
        return TC_ACT_UNSPEC;
    rtp = data + RTP_OFF;
    w0 = bpf_ntohl(rtp->w0);
    pt = (w0 >> 16) & 0x7f;
    seq = w0 & 0xffff;
    now = bpf_ktime_get_ns();
    uplen = bpf_ntohs(udp->len);
    if ((w0 >> 30) != 2 || pt != f->in_pt || bpf_ntohl(rtp->ssrc) != f->in_ssrc ||
        (f->match_daddr != 0 && ip->daddr != f->match_daddr) || now >= f->lease_ns ||
        uplen < sizeof(struct udphdr) + sizeof(struct rtp_words)) {
        count(KF_CTR_PUNT, 1);
        return TC_ACT_UNSPEC;
    }
    /* RFC 3550 A.1 as rtp_stats_update_seq and out_stream_map do: a jump is user space's
     * (it re-bases the outbound stream); late and duplicate packets are forwarded. */
    udelta = (seq - f->max_seq) & 0xffff;
    if (udelta >= KF_MAX_DROPOUT && udelta <= 65536u - KF_MAX_MISORDER) {
        count(KF_CTR_PUNT, 1);
        return TC_ACT_UNSPEC;
    }
    /* Receive state and counters (the engine folds them into the endpoints). */
    if (udelta != 0 && udelta < KF_MAX_DROPOUT) {
        if (seq < f->max_seq)
            f->cycles += 65536u;
        f->max_seq = (__u16)seq;
    }
    {
        __u32 arrival = (__u32)((now / 1000ull) * f->clock_rate / 1000000ull);
        __u32 transit = arrival - bpf_ntohl(rtp->ts), diff, ad;
        if (f->have_transit) {
            diff = transit - f->transit;
            ad = (diff & 0x80000000u) ? 0u - diff : diff;
            if (ad > KF_JITTER_CAP)
                ad = KF_JITTER_CAP;
            f->jitter_q4 += ad - ((f->jitter_q4 + 8) >> 4);
        }
        f->transit = transit;
        f->have_transit = 1;
    }
    hlen = sizeof(struct rtp_words) + 4 * ((w0 >> 24) & 0x0f);
    if (w0 & 0x10000000u) {
        __u16 *xl;
        if (hlen > 72)
            hlen = 72;   /* bounded for the verifier; CC is at most 15 (60 bytes) */
        xl = data + RTP_OFF + hlen + 2;
        if ((void *)(xl + 1) <= end)
            ext_len = 4 + 4u * bpf_ntohs(*xl);
    }
    nw.w0 = bpf_htonl((w0 & 0xff800000u) | ((__u32)f->out_pt << 16) | ((seq + f->seq_off) & 0xffff));
    nw.ts = bpf_htonl(bpf_ntohl(rtp->ts) + f->ts_off);
    nw.ssrc = bpf_htonl(f->out_ssrc);
    if ((__s32)(bpf_ntohl(nw.ts) - f->last_out_ts) >= 0 || f->packets == 0)
        f->last_out_ts = bpf_ntohl(nw.ts);
    f->last_ns = now;
    __sync_fetch_and_add(&f->packets, 1);
    __sync_fetch_and_add(&f->bytes, uplen - sizeof(struct udphdr));
    if (uplen >= sizeof(struct udphdr) + hlen + ext_len)
        __sync_fetch_and_add(&f->octets, uplen - sizeof(struct udphdr) - hlen - ext_len);

    ow = *rtp;
    old_addr[0] = ip->saddr;
    old_addr[1] = ip->daddr;
    new_addr[0] = f->out_saddr;
    new_addr[1] = f->out_daddr;
    old_ports = *(__be32 *)&udp->source;
    new_ports = ((__be32)f->out_dport << 16) | f->out_sport;   /* little-endian host: source first in memory */
    count(KF_CTR_FWD_PACKETS, 1);
    count(KF_CTR_FWD_BYTES, uplen - sizeof(struct udphdr));

    /* The headers, written in place (tc programs that write packet data get the verifier's
     * unclone prologue, so the head is private to us). */
    ip->saddr = new_addr[0];
    ip->daddr = new_addr[1];
    *(__be32 *)&udp->source = new_ports;
    *rtp = nw;
    /* Checksums: the IP header over the addresses; UDP over the pseudo header (addresses) and
     * the ports + RTP words. The helpers handle CHECKSUM_PARTIAL (only the pseudo part is in
     * the field then) and a zero UDP checksum (left zero). */
    csum = bpf_csum_diff(old_addr, sizeof(old_addr), new_addr, sizeof(new_addr), 0);
    if (csum < 0)
        return TC_ACT_SHOT;
    if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, 0, (__u32)csum, 0) < 0)
        return TC_ACT_SHOT;
    if (bpf_l4_csum_replace(skb, UDP_CSUM_OFF, 0, (__u32)csum, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) < 0)
        return TC_ACT_SHOT;
    {
        __u32 o[4] = { old_ports, ow.w0, ow.ts, ow.ssrc };
        __u32 n[4] = { new_ports, nw.w0, nw.ts, nw.ssrc };
        csum = bpf_csum_diff(o, sizeof(o), n, sizeof(n), 0);
        if (csum < 0)
            return TC_ACT_SHOT;
        if (bpf_l4_csum_replace(skb, UDP_CSUM_OFF, 0, (__u32)csum, BPF_F_MARK_MANGLED_0) < 0)
            return TC_ACT_SHOT;
    }

    if (f->out_ifindex == 0)
        return TC_ACT_OK;                 /* the far peer is on this host: deliver locally */
    /* Out of the interface the engine's route lookup named; the kernel resolves the next hop. */
    return bpf_redirect_neigh(f->out_ifindex, NULL, 0, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
