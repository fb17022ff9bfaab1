/* spangate native engine: the public ABI.
 * This header set (include/spangate/) is the only contract between libspangate.so and
 * TypeScript (src/ffi/). Bump SG_ABI_VERSION on any incompatible change; the loader
 * refuses a library whose version or struct sizes differ from what it was written for. */
#ifndef SPANGATE_H
#define SPANGATE_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_ABI_VERSION 1u

/* Marks the exported symbols; everything else in the library is hidden. */
#define SG_API __attribute__((visibility("default")))

/* Negative return codes of every sg_ function that can fail. */
typedef enum sg_err {
    SG_OK = 0,
    SG_EINVAL = -1,   /* bad argument */
    SG_ENOMEM = -2,   /* allocation failed (never on the packet path) */
    SG_ENOENT = -3,   /* no such handle */
    SG_EBUSY = -4,    /* queue full or resource in use */
    SG_EIO = -5,      /* system call failed; errno-level detail in the event log */
    SG_ESTATE = -6,   /* not allowed in the current state */
    SG_ENOSYS = -7,   /* not built in */
    SG_EPERM = -8     /* the process lacks a privilege (capability) it needs */
} sg_err;

/* Describes the library to the loader. Filled by sg_abi_info(). */
typedef struct sg_abi_info_t {
    uint32_t abi_version;      /* SG_ABI_VERSION the library was built with */
    uint32_t struct_size;      /* sizeof(sg_abi_info_t) */
    char version[32];          /* library version string, NUL-terminated */
} sg_abi_info_t;

/* Any thread. Returns SG_ABI_VERSION of the library. */
SG_API uint32_t sg_abi_version(void);

/* Any thread. Fills *out; returns SG_OK, or SG_EINVAL when out is NULL or
 * size is smaller than the library's sizeof(sg_abi_info_t). */
SG_API int sg_abi_info(sg_abi_info_t *out, uint32_t size);

/* Any thread. Size in bytes of the named public struct, or 0 when unknown.
 * Lets the loader check every struct it mirrors. It lists every struct of the public headers
 * (include/spangate/): sg_abi_info_t, sg_event_t, the engine/RTP/relay structs, the span
 * and PRI structs, sg_codec_info_t/sg_codec_opts_t, the DSP structs and the TDM structs. */
SG_API uint32_t sg_struct_size(const char *name);

/* Any thread. Static string for an sg_err code. */
SG_API const char *sg_strerror(int err);

/* Events: every native thread reports to TypeScript through fixed-size records on one
 * AF_UNIX SOCK_STREAM socketpair (SG_EVENT_SIZE bytes each, never split; SEQPACKET cannot be
 * read by libuv). TypeScript reads the other end with net.Socket({ fd }).
 * Subsystems own a range of `type` values; the payload layout is defined next to each
 * subsystem's API (e.g. spangate/rtp.h, spangate/pri.h). */
#define SG_EVENT_SIZE 64u
#define SG_EVENT_PAYLOAD 48u

typedef enum sg_subsys {
    SG_SUBSYS_CORE = 0,
    SG_SUBSYS_RTP = 1,
    SG_SUBSYS_RELAY = 2,
    SG_SUBSYS_SPAN = 3,
    SG_SUBSYS_PRI = 4,
    SG_SUBSYS_DSP = 5
} sg_subsys;

typedef struct sg_event_t {
    uint16_t subsys;       /* sg_subsys */
    uint16_t type;         /* subsystem-specific event type */
    uint32_t handle;       /* object the event is about (0 = the subsystem itself) */
    uint64_t time_ns;      /* CLOCK_MONOTONIC when posted */
    uint8_t payload[SG_EVENT_PAYLOAD];
} sg_event_t;

/* Main (JS) thread. Creates the event socketpair once and returns the fd TypeScript reads
 * (non-blocking). Calling it again returns the same fd. Negative sg_err on failure. */
SG_API int sg_events_fd(void);

/* Any thread. Number of events dropped because the socket buffer was full. */
SG_API uint64_t sg_events_dropped(void);

#ifdef __cplusplus
}
#endif
#endif
