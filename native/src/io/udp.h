/* Internal: UDP sockets for RTP/RTCP: address parsing and formatting, binding an even/odd
 * port pair inside a range, socket options. Control thread (setup) except udp_addr_equal
 * and udp_addr_format, which any thread may call. */
#ifndef SG_IO_UDP_H
#define SG_IO_UDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sg_sockaddr {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
    socklen_t len;           /* 0 = unset */
} sg_sockaddr;

/* 0, or -1 for a bad literal. */
int udp_addr_parse(const char *ip, uint16_t port, sg_sockaddr *out);
int udp_addr_equal(const sg_sockaddr *a, const sg_sockaddr *b);
/* Same family and IP address, any port. */
int udp_addr_same_host(const sg_sockaddr *a, const sg_sockaddr *b);
uint16_t udp_addr_port(const sg_sockaddr *a);
void udp_addr_set_port(sg_sockaddr *a, uint16_t port);
/* Writes the textual address (no port) into buf. */
void udp_addr_format(const sg_sockaddr *a, char *buf, size_t cap);

/* Binds RTP (and, when want_rtcp, RTCP on port + 1). port 0 picks the next free even port in
 * [port_min, port_max] starting at *cursor (advanced). Returns 0 with the fds and *bound set,
 * SG_EINVAL (bad address), SG_EBUSY (range exhausted) or SG_EIO. */
int udp_bind_pair(const char *ip, uint16_t port, uint16_t port_min, uint16_t port_max, uint32_t *cursor,
                  int want_rtcp, int *rtp_fd, int *rtcp_fd, uint16_t *bound);

#endif
