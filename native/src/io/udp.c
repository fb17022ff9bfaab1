/* UDP socket setup for RTP endpoints. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "io/udp.h"
#include "spangate/spangate.h"

int udp_addr_parse(const char *ip, uint16_t port, sg_sockaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (ip == NULL || ip[0] == '\0')
        return -1;
    if (inet_pton(AF_INET, ip, &out->u.in4.sin_addr) == 1) {
        out->u.in4.sin_family = AF_INET;
        out->u.in4.sin_port = htons(port);
        out->len = sizeof(out->u.in4);
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &out->u.in6.sin6_addr) == 1) {
        out->u.in6.sin6_family = AF_INET6;
        out->u.in6.sin6_port = htons(port);
        out->len = sizeof(out->u.in6);
        return 0;
    }
    return -1;
}

int udp_addr_equal(const sg_sockaddr *a, const sg_sockaddr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return 0;
    if (a->u.sa.sa_family == AF_INET)
        return a->u.in4.sin_port == b->u.in4.sin_port && a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    if (a->u.sa.sa_family == AF_INET6)
        return a->u.in6.sin6_port == b->u.in6.sin6_port &&
               memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

int udp_addr_same_host(const sg_sockaddr *a, const sg_sockaddr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return 0;
    if (a->u.sa.sa_family == AF_INET)
        return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    if (a->u.sa.sa_family == AF_INET6)
        return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

uint16_t udp_addr_port(const sg_sockaddr *a)
{
    if (a->u.sa.sa_family == AF_INET)
        return ntohs(a->u.in4.sin_port);
    if (a->u.sa.sa_family == AF_INET6)
        return ntohs(a->u.in6.sin6_port);
    return 0;
}

void udp_addr_set_port(sg_sockaddr *a, uint16_t port)
{
    if (a->u.sa.sa_family == AF_INET)
        a->u.in4.sin_port = htons(port);
    else if (a->u.sa.sa_family == AF_INET6)
        a->u.in6.sin6_port = htons(port);
}

void udp_addr_format(const sg_sockaddr *a, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (a->u.sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &a->u.in4.sin_addr, buf, (socklen_t)cap);
    else if (a->u.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &a->u.in6.sin6_addr, buf, (socklen_t)cap);
}

static int open_bound(const sg_sockaddr *addr, int *fd_out)
{
    int fd = socket(addr->u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int buf = 256 * 1024;

    if (fd < 0)
        return SG_EIO;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    if (addr->u.sa.sa_family == AF_INET) {
        int tos = 0xb8;   /* DSCP EF for voice */
        (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    }
    if (bind(fd, &addr->u.sa, addr->len) < 0) {
        int e = errno;
        close(fd);
        return e == EADDRINUSE || e == EACCES ? SG_EBUSY : SG_EIO;
    }
    *fd_out = fd;
    return SG_OK;
}

static int bind_at(const sg_sockaddr *base, uint16_t port, int want_rtcp, int *rtp_fd, int *rtcp_fd)
{
    sg_sockaddr a = *base;
    int rc;

    udp_addr_set_port(&a, port);
    rc = open_bound(&a, rtp_fd);
    if (rc != SG_OK)
        return rc;
    *rtcp_fd = -1;
    if (want_rtcp) {
        udp_addr_set_port(&a, (uint16_t)(port + 1));
        rc = open_bound(&a, rtcp_fd);
        if (rc != SG_OK) {
            close(*rtp_fd);
            *rtp_fd = -1;
            return rc;
        }
    }
    return SG_OK;
}

int udp_bind_pair(const char *ip, uint16_t port, uint16_t port_min, uint16_t port_max, uint32_t *cursor,
                  int want_rtcp, int *rtp_fd, int *rtcp_fd, uint16_t *bound)
{
    sg_sockaddr base;
    uint32_t span, i;
    int rc;

    if (udp_addr_parse(ip, 0, &base) < 0)
        return SG_EINVAL;
    if (port != 0) {
        if (want_rtcp && port == 65535)
            return SG_EINVAL;
        rc = bind_at(&base, port, want_rtcp, rtp_fd, rtcp_fd);
        if (rc == SG_OK)
            *bound = port;
        return rc;
    }
    port_min = (uint16_t)((port_min + 1) & ~1u);      /* even RTP ports (RFC 3550 11) */
    if (port_max <= port_min)
        return SG_EINVAL;
    span = ((uint32_t)port_max - port_min + 1) / 2;
    for (i = 0; i < span; i++) {
        uint16_t p = (uint16_t)(port_min + 2 * ((*cursor + i) % span));
        if (want_rtcp && (uint32_t)p + 1 > port_max)
            continue;
        rc = bind_at(&base, p, want_rtcp, rtp_fd, rtcp_fd);
        if (rc == SG_OK) {
            *cursor += i + 1;
            *bound = p;
            return SG_OK;
        }
        if (rc != SG_EBUSY)
            return rc;
    }
    return SG_EBUSY;
}
