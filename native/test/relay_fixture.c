/* Test support shared by the relay tests: see relay_fixture.h. Defines no SG_TEST cases. */
#include "relay_fixture.h"
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int rf_udp_socket(const char *addr, uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&a, &len);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    *port = ntohs(a.sin_port);
    return fd;
}

void rf_send(int fd, const char *addr, uint16_t port, const uint8_t *buf, size_t len)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, addr, &a.sin_addr);
    (void)sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a));
}

void rf_rtp_cfg(sg_rtp_config_t *c, const char *addr, uint16_t remote_port)
{
    memset(c, 0, sizeof(*c));
    c->struct_size = sizeof(*c);
    strcpy(c->local_addr, addr);
    if (remote_port) {
        strcpy(c->remote_addr, addr);
        c->remote_port = remote_port;
    }
    c->payload_type = 0;
    c->flags = SG_RTP_F_NO_RTCP;
    strcpy(c->codec, "PCMU");
}
