/* Internal: posting events to the TypeScript event socket. */
#ifndef SG_CORE_EVENTS_H
#define SG_CORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "spangate/spangate.h"

/* Any thread; never blocks, never allocates. Copies at most SG_EVENT_PAYLOAD bytes of
 * payload. Returns SG_OK, SG_ESTATE when sg_events_fd() was never called, or SG_EBUSY
 * when the socket is full (the event is dropped and counted). */
int events_post(uint16_t subsys, uint16_t type, uint32_t handle, const void *payload, size_t len);

/* Internal, for tests: the write end, or -1. */
int events_write_fd(void);

#endif
