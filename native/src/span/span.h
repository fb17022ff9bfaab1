/* Internal: the span driver interface and the span registry.
 * A driver is a small operation table; the registry owns the handles and the span thread
 * that drives every span's line I/O (sockets and clock). The PRI layer meets a span only
 * through the D-channel operations below. */
#ifndef SG_SPAN_SPAN_H
#define SG_SPAN_SPAN_H

#include <stdatomic.h>
#include <stdint.h>
#include "spangate/span.h"

/* Longest D-channel frame (Q.921 header + N201 = 260 octets of information). */
#define SPAN_DCHAN_MAX_FRAME 272

typedef struct span span_t;

typedef struct span_ops {
    const char *name;
    /* Caller thread, before the span is visible to anyone: set up driver state. */
    int (*open)(span_t *s, const sg_span_config_t *cfg);
    /* Caller thread, after the span thread has dropped the span: free driver state. */
    void (*close)(span_t *s);
    /* B-channel samples; one thread per direction. */
    int (*read)(span_t *s, int ts, uint8_t *buf, int n);
    int (*write)(span_t *s, int ts, const uint8_t *buf, int n);
    /* Optional (NULL when the driver cannot tell): idle samples the line has sent on timeslot
     * ts so far because its transmit ring was empty (wraps). Any thread. Lets the TDM media
     * path drop as many samples after a late tick, so its delay toward the line (and the echo
     * path its canceller models) stays the same. */
    uint32_t (*tx_idle)(span_t *s, int ts);
    /* Optional, with tx_idle: samples written to timeslot ts the line has not taken yet. */
    int (*tx_queued)(span_t *s, int ts);
    /* D-channel frames (no FCS); the PRI thread. dchan_recv returns the frame length,
     * 0 when none is waiting; dchan_fd becomes readable when frames are waiting. */
    int (*dchan_send)(span_t *s, const uint8_t *frame, int len);
    int (*dchan_recv)(span_t *s, uint8_t *frame, int cap);
    int (*dchan_fd)(span_t *s);
    /* Any thread. */
    uint32_t (*alarms)(span_t *s);
    void (*stats)(span_t *s, sg_span_stats_t *out);
    int (*set_ais)(span_t *s, int on);
    /* Span thread: the fd it watches, its handler, and the clock. on_timer returns the
     * next absolute CLOCK_MONOTONIC deadline in ns. */
    int (*io_fd)(span_t *s);
    void (*on_readable)(span_t *s, uint64_t now_ns);
    uint64_t (*on_timer)(span_t *s, uint64_t now_ns);
} span_ops;

struct span {
    const span_ops *ops;
    int handle;
    int kind;             /* sg_span_kind */
    int role;             /* sg_span_role */
    int timeslots;        /* 31 or 24 */
    int dchan_ts;         /* 16 or 24 */
    atomic_int users;     /* attached signalling layers; close refuses while > 0 */
    uint64_t deadline_ns; /* next on_timer; span thread only */
    void *drv;
};

extern const span_ops vspan_ops;

/* Monotonic clock in ns. */
uint64_t span_now_ns(void);

/* Any thread. Looks a span up and pins it (users + 1) so it cannot be closed; NULL when
 * unknown. Undo with span_detach. Used by the PRI layer for the life of its D-channel. */
span_t *span_attach(int handle);
void span_detach(span_t *s);

/* Alarm changes are reported to one listener (the PRI layer) from the span thread, in
 * addition to the SG_SPAN_EV_ALARM event. The listener must not block. */
typedef void (*span_alarm_fn)(int handle, uint32_t alarms, uint32_t previous);
void span_set_alarm_listener(span_alarm_fn fn);

/* Span thread (drivers): report an alarm change; posts the event and tells the listener. */
void span_alarm_changed(span_t *s, uint32_t alarms, uint32_t previous);

/* Whether ts is a B-channel timeslot of the span (not the D-channel, in range). */
int span_is_bchan(const span_t *s, int ts);

#endif
