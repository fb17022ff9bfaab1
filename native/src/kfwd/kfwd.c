/* In-kernel forwarding of pass-through relay directions: loading and attaching the tc program
 * (bpf/kfwd.bpf.c, embedded in the library at build time), and the per-direction offload,
 * take-back and counter folding on the media threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/events.h"
#include "kfwd/kfwd.h"
#include "kfwd/kfwd_abi.h"
#include "spangate/engine.h"

atomic_int kfwd_live;

_Static_assert(sizeof(struct kf_flow) % 8 == 0, "array values are 8-byte multiples");
_Static_assert(sizeof(struct kf_key) == 8, "key has no padding");

#ifdef SG_HAVE_KFWD
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* The program object, compiled by clang at build time (Makefile), carried in .rodata. */
__asm__(".section .rodata\n"
        ".balign 8\n"
        ".type sg_kfwd_obj_start, @object\n"
        "sg_kfwd_obj_start:\n"
        ".incbin \"" SG_KFWD_OBJ "\"\n"
        "sg_kfwd_obj_end:\n"
        ".byte 0\n"
        ".previous\n");
extern const char sg_kfwd_obj_start[], sg_kfwd_obj_end[];

#define KF_HANDLE 0x5347u           /* "SG" */
/* BPF_TCX_INGRESS (kernel 6.6) postdates the uapi headers of Debian 12; it follows
 * BPF_LSM_CGROUP, BPF_STRUCT_OPS and BPF_NETFILTER in enum bpf_attach_type. */
#define KF_TCX_INGRESS ((enum bpf_attach_type)(BPF_LSM_CGROUP + 3))
#define KF_PRIO_BASE 0xc000u        /* first priority tried; the next free one is taken */
#define KF_PRIO_TRIES 256u
#endif

static struct {
    uint32_t max_slots;             /* endpoint pool size (engine running) or 0 */
    uint32_t nif;
#ifdef SG_HAVE_KFWD
    struct bpf_object *obj;
    int flows_fd, ctrs_fd;
    struct kf_flow *slots;
    size_t slots_len;
    int links[SG_KFWD_MAX_IFACES];      /* tcx link fd, or -1 for a clsact filter */
    struct bpf_tc_hook hooks[SG_KFWD_MAX_IFACES];
    struct bpf_tc_opts opts[SG_KFWD_MAX_IFACES];
#endif
    atomic_ullong installed, removed, install_fail;
    char error[SG_KFWD_ERROR_MAX];
} kf;

#ifdef SG_HAVE_KFWD
static void kf_error(const char *fmt, const char *a, int err)
{
    snprintf(kf.error, sizeof(kf.error), fmt, a, strerror(err));
}
#endif

/* ---------- control side ---------- */

int kfwd_engine_start(uint32_t max_endpoints)
{
    kf.max_slots = max_endpoints;
    kf.error[0] = '\0';
    atomic_store(&kf.installed, 0);
    atomic_store(&kf.removed, 0);
    atomic_store(&kf.install_fail, 0);
    return SG_OK;
}

#ifdef SG_HAVE_KFWD
static void kf_unload(void)
{
    uint32_t i;

    atomic_store(&kfwd_live, 0);
    for (i = 0; i < kf.nif; i++) {
        if (kf.links[i] >= 0) {
            close(kf.links[i]);         /* the last reference: the kernel detaches the link */
            kf.links[i] = -1;
            continue;
        }
        kf.opts[i].flags = 0;
        kf.opts[i].prog_fd = 0;
        kf.opts[i].prog_id = 0;
        (void)bpf_tc_detach(&kf.hooks[i], &kf.opts[i]);
    }
    kf.nif = 0;
}

static void kf_free(void)
{
    kf_unload();
    if (kf.slots != NULL)
        munmap(kf.slots, kf.slots_len);
    kf.slots = NULL;
    if (kf.obj != NULL)
        bpf_object__close(kf.obj);
    kf.obj = NULL;
    kf.flows_fd = kf.ctrs_fd = -1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    return 0;   /* errors are reported through sg_kfwd_status().error */
}

static int kf_load(void)
{
    LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "spangate_kfwd");
    struct bpf_map *slots;
    struct bpf_program *prog;
    long page = sysconf(_SC_PAGESIZE);
    int err;

    libbpf_set_print(libbpf_quiet);
    kf.obj = bpf_object__open_mem(sg_kfwd_obj_start, (size_t)(sg_kfwd_obj_end - sg_kfwd_obj_start), &oo);
    if (kf.obj == NULL) {
        kf_error("opening the embedded program%s: %s", "", errno);
        return SG_EIO;
    }
    slots = bpf_object__find_map_by_name(kf.obj, "sg_kf_slots");
    if (slots == NULL || bpf_map__set_max_entries(slots, kf.max_slots) != 0) {
        kf_error("sizing the slot map%s: %s", "", EINVAL);
        return SG_EIO;
    }
    err = bpf_object__load(kf.obj);
    if (err != 0) {
        err = -err;
        if (err == EPERM || err == EACCES) {
            kf_error("loading the BPF program%s: %s (needs CAP_BPF and CAP_NET_ADMIN, e.g. root or "
                     "AmbientCapabilities=CAP_BPF CAP_NET_ADMIN)", "", err);
            return SG_EPERM;
        }
        kf_error("loading the BPF program%s: %s (the kernel's verifier log is printed with "
                 "LIBBPF_LOG_LEVEL=debug)", "", err);
        return SG_EIO;
    }
    kf.flows_fd = bpf_object__find_map_fd_by_name(kf.obj, "sg_kf_flows");
    kf.ctrs_fd = bpf_object__find_map_fd_by_name(kf.obj, "sg_kf_ctrs");
    kf.slots_len = ((size_t)kf.max_slots * sizeof(struct kf_flow) + (size_t)page - 1) & ~((size_t)page - 1);
    kf.slots = mmap(NULL, kf.slots_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(slots), 0);
    if (kf.slots == MAP_FAILED) {
        kf.slots = NULL;
        kf_error("mapping the slot array%s: %s", "", errno);
        return SG_EIO;
    }
    prog = bpf_object__find_program_by_name(kf.obj, "sg_kfwd");
    if (prog == NULL || kf.flows_fd < 0 || kf.ctrs_fd < 0) {
        kf_error("the embedded object lacks its program or maps%s: %s", "", ENOENT);
        return SG_EIO;
    }
    return SG_OK;
}

static int kf_attach_one(const char *name, size_t len, int prog_fd)
{
    char ifname[IF_NAMESIZE];
    struct bpf_tc_hook *hook = &kf.hooks[kf.nif];
    struct bpf_tc_opts *o = &kf.opts[kf.nif];
    unsigned idx;
    uint32_t p;
    int err;

    if (len == 0 || len >= sizeof(ifname)) {
        snprintf(kf.error, sizeof(kf.error), "bad interface name in the list");
        return SG_EINVAL;
    }
    memcpy(ifname, name, len);
    ifname[len] = '\0';
    idx = if_nametoindex(ifname);
    if (idx == 0) {
        kf_error("interface %s: %s", ifname, errno);
        return SG_EINVAL;
    }
    /* Kernel 6.6+: a tcx link, owned by this process: the kernel detaches it when the process
     * exits, crash included. Older kernels: a filter on the clsact qdisc, which outlives the
     * process (harmless once its leases run out; `tc filter del dev IF ingress pref P` removes it). */
    kf.links[kf.nif] = bpf_link_create(prog_fd, (int)idx, KF_TCX_INGRESS, NULL);
    if (kf.links[kf.nif] >= 0) {
        kf.nif++;
        return SG_OK;
    }
    err = errno;
    if (err == EPERM || err == EACCES) {
        kf_error("attaching to the ingress of %s: %s", ifname, err);
        return SG_EPERM;
    }
    memset(hook, 0, sizeof(*hook));
    hook->sz = sizeof(*hook);
    hook->ifindex = (int)idx;
    hook->attach_point = BPF_TC_INGRESS;
    err = bpf_tc_hook_create(hook);      /* the clsact qdisc; shared with anyone else's filters */
    if (err != 0 && err != -EEXIST) {
        kf_error("creating the clsact qdisc on %s: %s", ifname, -err);
        return (err == -EPERM || err == -EACCES) ? SG_EPERM : SG_EIO;
    }
    /* Take the first free priority: several engines (or other tools) can share an interface,
     * since the program passes every packet it does not own on to the next filter. */
    for (p = 0; p < KF_PRIO_TRIES; p++) {
        memset(o, 0, sizeof(*o));
        o->sz = sizeof(*o);
        o->prog_fd = prog_fd;
        o->handle = KF_HANDLE;
        o->priority = KF_PRIO_BASE + p;
        err = bpf_tc_attach(hook, o);
        if (err != -EEXIST)
            break;
    }
    if (err != 0) {
        kf_error("attaching to the ingress of %s: %s", ifname, -err);
        return (err == -EPERM || err == -EACCES) ? SG_EPERM : SG_EIO;
    }
    kf.nif++;
    return SG_OK;
}
#endif

int sg_kfwd_attach(const char *ifnames)
{
    int rc;

    engine_ctl_lock();
    kf.error[0] = '\0';
    if (engine_get() == NULL || kf.max_slots == 0) {
        snprintf(kf.error, sizeof(kf.error), "the engine is not running");
        rc = SG_ESTATE;
        goto out;
    }
    if (kf.nif > 0) {
        snprintf(kf.error, sizeof(kf.error), "already attached");
        rc = SG_ESTATE;
        goto out;
    }
    if (ifnames == NULL || ifnames[0] == '\0') {
        snprintf(kf.error, sizeof(kf.error), "no interface named");
        rc = SG_EINVAL;
        goto out;
    }
#ifdef SG_HAVE_KFWD
    {
        const char *p = ifnames;
        if (kf.obj == NULL && (rc = kf_load()) != SG_OK) {
            kf_free();
            goto out;
        }
        rc = SG_OK;
        while (rc == SG_OK && *p) {
            size_t len = strcspn(p, ",");
            if (kf.nif == SG_KFWD_MAX_IFACES) {
                snprintf(kf.error, sizeof(kf.error), "more than %u interfaces", SG_KFWD_MAX_IFACES);
                rc = SG_EINVAL;
                break;
            }
            rc = kf_attach_one(p, len, bpf_program__fd(bpf_object__find_program_by_name(kf.obj, "sg_kfwd")));
            p += len;
            if (*p == ',')
                p++;
        }
        if (rc != SG_OK) {
            kf_unload();                /* maps stay until engine stop: media threads may hold slots */
            goto out;
        }
        atomic_store(&kfwd_live, 1);
    }
#else
    snprintf(kf.error, sizeof(kf.error), "built without libbpf/clang: kernel forwarding is not available");
    rc = SG_ENOSYS;
#endif
out:
    engine_ctl_unlock();
    return rc;
}

int sg_kfwd_detach(void)
{
    int rc = SG_ESTATE;

    engine_ctl_lock();
#ifdef SG_HAVE_KFWD
    if (kf.nif > 0) {
        kf_unload();
        rc = SG_OK;
    }
#endif
    engine_ctl_unlock();
    return rc;
}

void kfwd_engine_stop(void)
{
#ifdef SG_HAVE_KFWD
    kf_free();
#endif
    kf.max_slots = 0;
}

static void kf_read_ctrs(uint64_t v[KF_CTR_MAX])
{
    memset(v, 0, sizeof(uint64_t) * KF_CTR_MAX);
#ifdef SG_HAVE_KFWD
    if (kf.obj != NULL) {
        int ncpu = libbpf_num_possible_cpus(), c;
        uint32_t k;
        if (ncpu <= 0 || ncpu > 1024)
            return;
        for (k = 0; k < KF_CTR_MAX; k++) {
            uint64_t per[1024];
            if (bpf_map_lookup_elem(kf.ctrs_fd, &k, per) != 0)
                continue;
            for (c = 0; c < ncpu; c++)
                v[k] += per[c];
        }
    }
#endif
}

int sg_kfwd_status(sg_kfwd_status_t *out, uint32_t size)
{
    uint64_t v[KF_CTR_MAX];
    uint64_t ins, rem;

    if (out == NULL || size < sizeof(*out))
        return SG_EINVAL;
    engine_ctl_lock();
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    out->interfaces = kf.nif;
    ins = atomic_load(&kf.installed);
    rem = atomic_load(&kf.removed);
    out->flows_installed = ins;
    out->flows_removed = rem;
    out->flows_active = ins - rem;
    out->install_fail = atomic_load(&kf.install_fail);
    kf_read_ctrs(v);
    out->fwd_packets = v[KF_CTR_FWD_PACKETS];
    out->fwd_bytes = v[KF_CTR_FWD_BYTES];
    out->punted = v[KF_CTR_PUNT];
    memcpy(out->error, kf.error, sizeof(out->error));
    out->error[sizeof(out->error) - 1] = '\0';
    engine_ctl_unlock();
    return SG_OK;
}

/* Called from sg_counters_read with the control lock held. */
void kfwd_counters(sg_counters_t *c)
{
    uint64_t v[KF_CTR_MAX];

    kf_read_ctrs(v);
    c->kfwd_packets = v[KF_CTR_FWD_PACKETS];
    c->kfwd_bytes = v[KF_CTR_FWD_BYTES];
    c->kfwd_punted = v[KF_CTR_PUNT];
}

/* ---------- media thread ---------- */

#ifdef SG_HAVE_KFWD
/* Our IPv4 address and port of fd, as a packet to `toward` would carry them: the bound address,
 * or for a wildcard bind the source the routing table picks (a connected throwaway socket). */
static int local_v4(int fd, const sg_sockaddr *toward, uint32_t *addr, uint16_t *port)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);

    if (getsockname(fd, (struct sockaddr *)&sin, &sl) != 0 || sin.sin_family != AF_INET)
        return -1;
    *port = sin.sin_port;
    *addr = sin.sin_addr.s_addr;
    if (*addr == htonl(INADDR_ANY) && toward != NULL) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in r;
        socklen_t rl = sizeof(r);
        int ok;
        if (s < 0)
            return -1;
        ok = connect(s, &toward->u.sa, toward->len) == 0 && getsockname(s, (struct sockaddr *)&r, &rl) == 0;
        close(s);
        if (!ok)
            return -1;
        *addr = r.sin_addr.s_addr;
    }
    return 0;
}
#endif

#ifdef SG_HAVE_KFWD
/* How a packet to daddr leaves this host (RTM_GETROUTE, as `ip route get` asks): 0 = it is
 * one of our addresses (local delivery), > 0 = out of that interface, -1 = no usable route. */
static int route_of(uint32_t daddr)
{
    struct {
        struct nlmsghdr nh;
        struct rtmsg rt;
        struct rtattr a;
        uint32_t dst;
    } req;
    union {
        struct nlmsghdr nh;
        char buf[4096];
    } resp;
    struct sockaddr_nl sa;
    struct nlmsghdr *nh;
    struct rtmsg *rt;
    struct rtattr *a;
    int fd, len, oif = -1, attrlen;

    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_GETROUTE;
    req.nh.nlmsg_flags = NLM_F_REQUEST;
    req.nh.nlmsg_seq = 1;
    req.rt.rtm_family = AF_INET;
    req.rt.rtm_dst_len = 32;
    req.a.rta_type = RTA_DST;
    req.a.rta_len = RTA_LENGTH(sizeof(uint32_t));
    req.dst = daddr;
    memset(&sa, 0, sizeof(sa));
    sa.nl_family = AF_NETLINK;
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)sizeof(req)) {
        close(fd);
        return -1;
    }
    len = (int)recv(fd, &resp, sizeof(resp), 0);
    close(fd);
    for (nh = &resp.nh; len > 0 && NLMSG_OK(nh, (unsigned)len); nh = NLMSG_NEXT(nh, len)) {
        if (nh->nlmsg_type != RTM_NEWROUTE)
            return -1;                      /* NLMSG_ERROR: no route */
        rt = NLMSG_DATA(nh);
        if (rt->rtm_type == RTN_LOCAL)
            return 0;
        if (rt->rtm_type != RTN_UNICAST)
            return -1;                      /* blackhole, unreachable, broadcast, ... */
        attrlen = (int)RTM_PAYLOAD(nh);
        for (a = RTM_RTA(rt); RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen))
            if (a->rta_type == RTA_OIF)
                memcpy(&oif, RTA_DATA(a), sizeof(oif));
        return oif > 0 ? oif : -1;
    }
    return -1;
}
#endif

void kfwd_consider(media_thread *mt, rtp_ep *from, const rtp_header *h, const sg_sockaddr *src, int fresh,
                   uint64_t now)
{
#ifdef SG_HAVE_KFWD
    rtp_ep *to = from->peer;
    struct kf_flow *f;
    struct kf_key key;
    uint32_t slot = from->index;
    uint16_t port;
    int rt;

    if (from->kf_wait == 0)
        from->kf_wait = KFWD_STABLE_PACKETS;
    if (fresh || from->kf_on) {
        from->kf_count = 0;
        return;
    }
    if (++from->kf_count < from->kf_wait)
        return;
    from->kf_count = 0;
    if (kf.slots == NULL || slot >= kf.max_slots || to == NULL || from->srtp.suite || to->srtp.suite ||
        src->u.sa.sa_family != AF_INET || to->remote.u.sa.sa_family != AF_INET || !to->have_remote ||
        dtmf_tx_busy(&to->dtx) || !to->out.have_source || to->out.src_ssrc != h->ssrc)
        return;
    f = &kf.slots[slot];
    memset(f, 0, sizeof(*f));
    if (local_v4(from->rtp_fd, NULL, &f->match_daddr, &port) != 0 ||
        local_v4(to->rtp_fd, &to->remote, &f->out_saddr, &f->out_sport) != 0)
        goto refused;
    rt = route_of(to->remote.u.in4.sin_addr.s_addr);
    if (rt < 0)
        goto refused;
    f->out_ifindex = (uint32_t)rt;
    key.saddr = src->u.in4.sin_addr.s_addr;
    key.sport = src->u.in4.sin_port;
    key.dport = port;
    f->out_daddr = to->remote.u.in4.sin_addr.s_addr;
    f->out_dport = to->remote.u.in4.sin_port;
    f->in_pt = from->cfg.payload_type;
    f->out_pt = to->cfg.payload_type;
    f->seq_off = to->out.seq_off;
    f->ts_off = to->out.ts_off;
    f->in_ssrc = h->ssrc;
    f->out_ssrc = to->out.ssrc;
    f->clock_rate = from->cfg.clock_rate ? from->cfg.clock_rate : 8000u;
    f->lease_ns = now + (uint64_t)SG_KFWD_LEASE_MS * 1000000ull;
    f->max_seq = from->rx.max_seq;
    f->cycles = from->rx.cycles;
    f->transit = from->rx.transit;
    f->jitter_q4 = from->rx.jitter_q4;
    f->have_transit = from->rx.have_transit;
    f->last_out_ts = to->out.last_ts;
    f->last_ns = now;
    f->gen = 1;
    atomic_thread_fence(memory_order_release);
    if (bpf_map_update_elem(kf.flows_fd, &key, &slot, BPF_ANY) != 0) {
        f->gen = 0;
        goto refused;
    }
    from->kf_key_saddr = key.saddr;
    from->kf_key_ports = (uint32_t)key.sport | (uint32_t)key.dport << 16;
    from->kf_packets = from->kf_bytes = from->kf_octets = 0;
    from->kf_on = 1;
    from->kf_wait = KFWD_STABLE_PACKETS;
    mt->c.kfwd_installs++;
    mt->c.kfwd_active++;
    atomic_fetch_add(&kf.installed, 1);
    return;
refused:
    atomic_fetch_add(&kf.install_fail, 1);
    if (from->kf_wait < KFWD_BACKOFF_MAX)
        from->kf_wait *= 2;
#else
    (void)mt;
    (void)from;
    (void)h;
    (void)src;
    (void)fresh;
    (void)now;
#endif
}

#ifdef SG_HAVE_KFWD
/* Folds what the kernel did since the last fold into both endpoints and the thread counters. */
static void fold(media_thread *mt, rtp_ep *from, const volatile struct kf_flow *f)
{
    rtp_ep *to = from->peer;
    uint64_t pk = f->packets, by = f->bytes, oc = f->octets;
    uint64_t dp = pk - from->kf_packets, db = by - from->kf_bytes, doc = oc - from->kf_octets;

    from->kf_packets = pk;
    from->kf_bytes = by;
    from->kf_octets = oc;
    if (dp == 0)
        return;
    from->rx.max_seq = f->max_seq;
    from->rx.cycles = f->cycles;
    from->rx.received += dp;
    from->rx.transit = f->transit;
    from->rx.jitter_q4 = f->jitter_q4;
    from->rx.have_transit = (uint8_t)f->have_transit;
    from->st.rx_packets += dp;
    from->st.rx_bytes += db;
    from->st.rx_expected = rtp_stats_expected(&from->rx);
    from->st.rx_lost = rtp_stats_lost(&from->rx);
    if (from->cfg.clock_rate)
        from->st.jitter_us = (uint32_t)((uint64_t)rtp_stats_jitter(&from->rx) * 1000000ull / from->cfg.clock_rate);
    if (f->last_ns > from->last_rx_ns)
        from->last_rx_ns = f->last_ns;
    mt->c.rx_packets += dp;
    mt->c.rx_bytes += db;
    mt->c.relay_forwarded += dp;
    ep_kf_resumed(from);
    if (to != NULL) {
        uint16_t next = (uint16_t)(f->max_seq + to->out.seq_off + 1u);
        to->out.packets += dp;
        to->out.octets += doc;
        if (!to->out.have_last || (int32_t)(f->last_out_ts - to->out.last_ts) >= 0) {
            to->out.last_ts = f->last_out_ts;
            to->out.last_ns = f->last_ns;
        }
        to->out.have_last = 1;
        if ((int16_t)(f->max_seq - to->out.src_last_seq) > 0)
            to->out.src_last_seq = f->max_seq;
        if ((int16_t)(next - to->out.next_seq) > 0)
            to->out.next_seq = next;
        to->sent_since_report += (uint32_t)dp;
        to->st.tx_packets += dp;
        to->st.tx_bytes += db;
        mt->c.tx_packets += dp;
        mt->c.tx_bytes += db;
    }
}
#endif

void kfwd_take_back(media_thread *mt, rtp_ep *from)
{
#ifdef SG_HAVE_KFWD
    struct kf_key key;
    struct kf_flow *f;

    if (!from->kf_on)
        return;
    key.saddr = from->kf_key_saddr;
    key.sport = (uint16_t)from->kf_key_ports;
    key.dport = (uint16_t)(from->kf_key_ports >> 16);
    f = &kf.slots[from->index];
    /* After the delete no new packet finds the slot. A packet already inside the program on
     * another CPU (a window of well under a microsecond) may still land after the fold below:
     * its counts would be missed, nothing else. */
    (void)bpf_map_delete_elem(kf.flows_fd, &key);
    f->gen = 0;
    atomic_thread_fence(memory_order_acq_rel);
    fold(mt, from, f);
    from->kf_on = 0;
    from->kf_count = 0;
    mt->c.kfwd_removals++;
    mt->c.kfwd_active--;
    atomic_fetch_add(&kf.removed, 1);
#else
    (void)mt;
    (void)from;
#endif
}

void kfwd_on_punt(media_thread *mt, rtp_ep *from, const rtp_header *h, uint64_t now)
{
#ifdef SG_HAVE_KFWD
    const struct kf_flow *f = &kf.slots[from->index];
    uint16_t udelta = (uint16_t)(h->seq - f->max_seq);

    /* A packet queued before the offload is still this flow's: the relay forwards it with the
     * same offsets. Anything the kernel declined takes the direction back. */
    if (kfwd_on() && h->ssrc == f->in_ssrc && h->pt == f->in_pt && now < f->lease_ns &&
        (udelta < KF_MAX_DROPOUT || udelta > 65536u - KF_MAX_MISORDER))
        return;
    kfwd_take_back(mt, from);
#else
    (void)mt;
    (void)from;
    (void)h;
    (void)now;
#endif
}

void kfwd_sync(media_thread *mt, rtp_ep *from, uint64_t now)
{
#ifdef SG_HAVE_KFWD
    if (!from->kf_on)
        return;
    if (!kfwd_on()) {
        kfwd_take_back(mt, from);
        return;
    }
    fold(mt, from, &kf.slots[from->index]);
    kf.slots[from->index].lease_ns = now + (uint64_t)SG_KFWD_LEASE_MS * 1000000ull;
#else
    (void)mt;
    (void)from;
    (void)now;
#endif
}
