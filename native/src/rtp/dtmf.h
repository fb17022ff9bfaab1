/* Internal: RFC 4733 telephone-events: payload parse/build, a receiver that turns the packet
 * stream (with its retransmitted end packets) into one start and one end per event, and a
 * sender that paces queued digits on the media tick. Plain structs; owning thread only. */
#ifndef SG_RTP_DTMF_H
#define SG_RTP_DTMF_H

#include <stddef.h>
#include <stdint.h>

#define DTMF_PAYLOAD_LEN 4u
#define DTMF_MAX_EVENT 16u        /* 0-9 * # A-D flash (RFC 4733 3.2 table) */
#define DTMF_TX_QUEUE 16u
#define DTMF_END_REPEATS 3u       /* RFC 4733 2.5.1.4: the end packet is sent three times */

typedef struct dtmf_payload {
    uint8_t event;
    uint8_t end;
    uint8_t volume;
    uint16_t duration;        /* RTP units since the event timestamp */
} dtmf_payload;

/* 0 on success, -1 when len < 4 or the reserved bit is set with an impossible volume. */
int dtmf_parse(const uint8_t *buf, size_t len, dtmf_payload *out);
size_t dtmf_write(uint8_t *buf, const dtmf_payload *p);

/* Receive side. */
#define DTMF_RX_LOG 16u

/* One distinct event (RTP timestamp) as received so far. */
typedef struct dtmf_rx_entry {
    uint32_t ts;
    uint16_t duration;        /* longest seen, RTP units */
    uint16_t updates;         /* packets applied (wraps) */
    uint8_t event;
    uint8_t ended;            /* its end packet arrived, or a newer event began */
} dtmf_rx_entry;

typedef struct dtmf_rx {
    uint32_t ts;              /* timestamp of the current event */
    uint8_t active;           /* started, end not yet seen */
    uint8_t have;             /* ts is valid */
    uint8_t event;
    uint8_t volume;
    uint16_t duration;
    /* Every distinct event in arrival order, however bunched the packets came: entry n is
     * log[n % DTMF_RX_LOG]; `logged` counts entries ever made (a reader keeps its own next
     * index and plays what it has not seen, in order). */
    dtmf_rx_entry log[DTMF_RX_LOG];
    uint32_t logged;
} dtmf_rx;

#define DTMF_RX_START 1       /* a new event began: report it */
#define DTMF_RX_END 2         /* the current event ended: report it (once) */
#define DTMF_RX_LOST_END 4    /* the previous event never showed its end; it is reported ended */

/* Feeds one packet; returns a mask of DTMF_RX_*. *prev receives the previous event when
 * DTMF_RX_LOST_END is set. */
int dtmf_rx_packet(dtmf_rx *rx, uint32_t ts, const dtmf_payload *p, dtmf_rx *prev);

/* Send side. */
typedef struct dtmf_tx_item {
    uint8_t event;
    uint8_t volume;
    uint16_t duration_ms;
} dtmf_tx_item;

typedef struct dtmf_tx {
    dtmf_tx_item q[DTMF_TX_QUEUE];
    uint8_t head;
    uint8_t count;
    uint8_t active;
    uint8_t ends_sent;
    uint8_t gap_ticks;
    dtmf_tx_item cur;
    uint32_t total;           /* RTP units */
    uint32_t elapsed;         /* RTP units */
} dtmf_tx;

/* 0, or -1 when the queue is full or the event/duration is out of range. */
int dtmf_tx_queue(dtmf_tx *t, uint8_t event, uint16_t duration_ms, uint8_t volume);

#define DTMF_TX_NONE 0
#define DTMF_TX_PACKET 1      /* payload filled; send it */
/* Flags alongside DTMF_TX_PACKET */
#define DTMF_TX_FIRST 2       /* first packet of an event: new timestamp, marker bit */
#define DTMF_TX_LAST 4        /* last retransmission of the end packet: event finished */

/* Runs one tick of `tick_units` RTP units (clock_rate * ptime). Returns a DTMF_TX_* mask. */
int dtmf_tx_tick(dtmf_tx *t, uint32_t tick_units, uint32_t clock_rate, uint8_t payload[DTMF_PAYLOAD_LEN]);

/* Any event in progress or queued. */
static inline int dtmf_tx_busy(const dtmf_tx *t) { return t->active || t->count > 0 || t->gap_ticks > 0; }

#endif
