/* Test support for span and PRI tests: event waits with deadlines, span pairs over
 * loopback (127.0.5.0/24, ephemeral ports) through a fault-injecting UDP proxy, tones. */
#ifndef TEST_SPAN_HARNESS_H
#define TEST_SPAN_HARNESS_H

#include <stdint.h>
#include "spangate/pri.h"
#include "spangate/span.h"

/* Generous deadlines: the machine is shared. */
#define H_WAIT_MS 15000

/* Opens the event socket and forgets any stale events. */
void h_events_reset(void);

/* Waits for an event of subsys/type; handle 0 matches any; span > 0 also requires the
 * PRI payload's span. Events that do not match stay queued for later waits. Returns 1 and
 * fills *out (may be NULL) when found before timeout_ms, else 0. */
int h_wait(uint16_t subsys, uint16_t type, uint32_t handle, int span, int timeout_ms, sg_event_t *out);

/* Same, for a PRI event, copying the payload. */
int h_wait_pri(uint16_t type, uint32_t handle, int span, int timeout_ms, uint32_t *handle_out, sg_pri_ev_t *ev);

/* A proxy between two spans that can drop traffic or inject packets. */
typedef struct h_proxy h_proxy;

typedef struct h_pair {
    int net;          /* network-side span (clock master) */
    int user;         /* user-side span */
    h_proxy *proxy;
} h_pair;

/* Opens a network span and a user span joined through a proxy. 0 on success. */
int h_pair_open(h_pair *p, int kind, int frames_per_packet, int los_ms);
void h_pair_close(h_pair *p);

/* Proxy faults: drop the traffic of the given directions, or damage it (0 = forward
 * everything as it comes). */
#define H_DROP_TO_NET 1
#define H_DROP_TO_USER 2
#define H_LOSSY 4     /* drop every 37th packet toward the network span */
#define H_REORDER 8   /* swap packets in pairs toward the network span */
#define H_BURST_LOSS 16 /* drop H_BURST_LEN packets in a row of every H_BURST_EVERY toward the
                         * network span (at 8 frames a packet: a 10 ms hole every 70 ms) */
#define H_BURST_LEN 10
#define H_BURST_EVERY 70
void h_proxy_drop(h_proxy *x, int dirs);
/* Sends raw bytes to the network span from the proxy's address (the span's learnt peer). */
int h_proxy_inject_to_net(h_proxy *x, const void *buf, int len);
/* Packets forwarded so far, each way. */
uint64_t h_proxy_forwarded(h_proxy *x);

/* Waits until the span's alarms equal `want`. */
int h_wait_alarms(int span, uint32_t want, int timeout_ms);

/* Goertzel power of freq in 8 kHz linear samples relative to the total power (0..1): the
 * median over 50 ms windows. */
double h_tone_ratio(const int16_t *x, int n, double freq);

/* Streams a tone of freq Hz into span a timeslot ta while collecting n samples from span b
 * timeslot tb (G.711 law by span kind), skipping the first `skip` received samples.
 * Returns the number of linear samples collected into out. */
int h_tone_through(int a, int ta, int b, int tb, int kind, double freq, int16_t *out, int n, int skip,
                   int timeout_ms);

#endif
