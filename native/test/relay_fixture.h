/* Test support shared by the relay tests (test_relay*.c): loopback UDP peers and a plain
 * PCMU endpoint config. Each test passes its own loopback address. */
#ifndef RELAY_FIXTURE_H
#define RELAY_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/rtp.h"

/* A UDP socket bound to addr on an ephemeral port (stored in *port) with a 5 s receive
 * timeout. Returns the fd, or -1 if it cannot be created or bound. */
int rf_udp_socket(const char *addr, uint16_t *port);

/* Sends buf to addr:port from fd; errors are ignored (the receiving side's checks fail). */
void rf_send(int fd, const char *addr, uint16_t port, const uint8_t *buf, size_t len);

/* Zeroed config for a PCMU (PT 0) endpoint on addr without RTCP; the remote is addr:remote_port,
 * or none when remote_port is 0. */
void rf_rtp_cfg(sg_rtp_config_t *c, const char *addr, uint16_t remote_port);

#endif
