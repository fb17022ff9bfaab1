/* Internal: the layout shared by the in-kernel forwarder (bpf/kfwd.bpf.c, compiled by clang
 * for the BPF target) and its loader (kfwd.c). Plain fixed-width types only: this header is
 * included by both compilers. Multi-byte address/port fields are in network order, RTP fields
 * in host order.
 *
 * A pass-through relay direction (endpoint `from` -> its peer `to`) is offloaded as:
 *   flows (hash)  key {peer source IP, peer source port, our port}  ->  slot (= from's endpoint index)
 *   slots (array, mmapped by the engine) slot -> kf_flow: what to rewrite and where to send it,
 *                                         plus the counters and RFC 3550 state the kernel keeps.
 * A packet that does not match every condition of its slot (SSRC, payload type, sequence within
 * the dropout window, lease not expired) is left untouched for the user-space relay. */
#ifndef SG_KFWD_ABI_H
#define SG_KFWD_ABI_H

#define KF_MAX_DROPOUT 3000u        /* = RTP_MAX_DROPOUT (rtp/packet.h) */
#define KF_MAX_MISORDER 100u        /* = RTP_MAX_MISORDER */
#define KF_JITTER_CAP (1u << 26)    /* = RTP_JITTER_CAP */

/* Global counters (per-CPU array, summed at scrape time). */
enum {
    KF_CTR_FWD_PACKETS = 0,         /* packets rewritten and sent on in the kernel */
    KF_CTR_FWD_BYTES,               /* their UDP payload bytes */
    KF_CTR_PUNT,                    /* packets of an offloaded flow left to user space (SSRC, PT, seq jump, lease) */
    KF_CTR_MAX
};

struct kf_key {
    unsigned int saddr;             /* peer's IPv4 address (network order) */
    unsigned short sport;           /* peer's port (network order) */
    unsigned short dport;           /* our endpoint's port (network order) */
};

struct kf_flow {
    /* Written by the engine before the flow's key is inserted; changed only while no key
     * points at the slot (except lease_ns, refreshed in place). */
    unsigned int gen;               /* != 0 while the slot is in use */
    unsigned int match_daddr;       /* our address the packet must be sent to, 0 = any */
    unsigned int out_saddr;         /* rewritten packet: our address on the far side ... */
    unsigned int out_daddr;         /* ... the far peer */
    unsigned short out_sport;
    unsigned short out_dport;
    unsigned char in_pt;            /* only this payload type is forwarded ... */
    unsigned char out_pt;           /* ... and it leaves with this one */
    unsigned short seq_off;         /* out seq = in seq + seq_off (rtp/rewrite.h) */
    unsigned int in_ssrc;
    unsigned int out_ssrc;
    unsigned int ts_off;            /* out ts = in ts + ts_off */
    unsigned int clock_rate;        /* for the jitter estimate */
    unsigned int out_ifindex;       /* 0: the far peer is local (deliver up the stack), else redirect out of it */
    unsigned long long lease_ns;    /* CLOCK_MONOTONIC: forward only before this time */
    /* Written by the kernel per packet (read racily by the engine). */
    unsigned int cycles;            /* RFC 3550 A.1, shifted count of wraps */
    unsigned short max_seq;         /* highest inbound sequence number */
    unsigned short pad1;
    unsigned int transit;           /* RFC 3550 A.8 */
    unsigned int jitter_q4;
    unsigned int have_transit;
    unsigned int last_out_ts;       /* timestamp of the newest packet sent */
    unsigned long long last_ns;     /* arrival time of the newest packet */
    unsigned long long packets;     /* packets forwarded */
    unsigned long long bytes;       /* their UDP payload bytes (RTP header included) */
    unsigned long long octets;      /* their RTP payload bytes (for the SR) */
};

#endif
