/* Feasibility probe: does SK_LOOKUP steer a port range into one UDP socket on this kernel?
 * Sends one datagram to each of 100 ports in 26000-26999 and counts what arrives on a socket
 * bound to 127.0.25.1:25500, with each datagram's original destination port (IP_ORIGDSTADDR).
 * Run by hand, as root, in a private network namespace (the program attaches to it):
 *   clang -O2 -g -target bpf -I/usr/include/$(cc -dumpmachine) -c bench/relay/sklookup_probe.bpf.c \
 *     -o /tmp/sklookup_probe.bpf.o && cc -O2 -o /tmp/sklookup_probe bench/relay/sklookup_probe.c -lbpf &&
 *   unshare -n sh -c 'ip link set lo up; cd /tmp && ./sklookup_probe'
 * Per-packet costs of receiving that way are in kcost.c (recvmmsg_x32_one_socket). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(25500) };
    struct bpf_object *o = bpf_object__open_file("sklookup_probe.bpf.o", NULL);
    struct bpf_link *link;
    int one = 1, s, tx, nsfd, got = 0, i;
    __u32 key = 0;
    __u64 val;

    if (o == NULL || bpf_object__load(o) != 0) {
        perror("loading sklookup_probe.bpf.o");
        return 1;
    }
    inet_pton(AF_INET, "127.0.25.1", &a.sin_addr);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(s, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("bind");
        return 1;
    }
    val = (__u64)s;
    if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(o, "one"), &key, &val, BPF_ANY) != 0) {
        perror("sockmap");
        return 1;
    }
    nsfd = open("/proc/self/ns/net", O_RDONLY);
    link = bpf_program__attach_netns(bpf_object__find_program_by_name(o, "steer"), nsfd);
    if (link == NULL) {
        perror("attach to the network namespace");
        return 1;
    }
    tx = socket(AF_INET, SOCK_DGRAM, 0);
    for (i = 0; i < 100; i++) {
        struct sockaddr_in d = a;
        d.sin_port = htons((uint16_t)(26000 + i * 7));
        sendto(tx, "x", 1, 0, (struct sockaddr *)&d, sizeof(d));
    }
    for (;;) {
        char buf[64], cbuf[128];
        struct iovec iov = { buf, sizeof(buf) };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *c;
        int port = -1;
        if (recvmsg(s, &m, MSG_DONTWAIT) < 0)
            break;
        for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR)
                port = ntohs(((struct sockaddr_in *)(void *)CMSG_DATA(c))->sin_port);
        if (got < 3 || got == 99)
            printf("datagram %d arrived on the one socket, original destination port %d\n", got, port);
        got++;
    }
    printf("SK_LOOKUP: %d of 100 datagrams to 100 ports in 26000-26999 steered into one socket bound to 25500\n", got);
    bpf_link__destroy(link);
    bpf_object__close(o);
    return got == 100 ? 0 : 1;
}
