/* Test support for TDM channel tests: the far end of a B-channel (a test-driven vspan
 * timeslot: tone or DTMF generator, optional synthetic hybrid echo, capture, DTMF receiver)
 * and a plain UDP socket playing the SIP side of an RTP endpoint (PCMU tone or noise out,
 * RFC 4733 out, decoded PCMU and RFC 4733 events in). One pump loop drives both. */
#ifndef TEST_TDM_HARNESS_H
#define TEST_TDM_HARNESS_H

#include <stdint.h>
#include <netinet/in.h>
#include "test_span_harness.h"

#define TH_LOOP "127.0.9.1"       /* this worktree's loopback block */
#define TH_PORT_MIN 60000
#define TH_PORT_MAX 60999

/* Far end of span/timeslot: loop-timed by what it receives (one sample out per sample in). */
typedef struct th_far {
    int span, ts, kind;
    double freq, amp;            /* tone out (freq 0 = silence) */
    long phase;
    const char *digits;          /* in-band DTMF out (spandsp generator) when non-NULL */
    void *dtx;
    int echo;                    /* 1 = add a filtered, attenuated copy of what arrives */
    double hist[32];
    unsigned hpos;
    int16_t *cap;                /* capture of what arrives, after `skip` samples */
    int ncap, capn, skip, skipped;
    void *drx;                   /* spandsp DTMF receiver on what arrives */
    char got_digits[64];
    int primed;
    int cushion;                 /* samples queued ahead of the line at the start (0: 40, 5 ms):
                                  * a stall of the test thread up to this long sends no idle */
    uint32_t idle_seen, debt;    /* idle the span sent for us, samples still to drop */
} th_far;

/* The SIP side of an endpoint. */
typedef struct th_rtp {
    int fd;
    uint16_t port;               /* our port */
    struct sockaddr_in to;       /* the endpoint */
    double freq, amp;            /* PCMU tone out; noise > 0: white noise of that RMS instead */
    double noise;
    uint32_t seed;
    long phase;
    int send;                    /* 0 = send nothing */
    uint16_t seq;
    uint32_t ts;
    int64_t next_ms;
    const char *dtmf;            /* RFC 4733 digits to send (PT 101), 100 ms each, 100 ms gaps */
    int dpos, dstep;
    uint32_t dts;
    int16_t *cap;                /* decoded PCMU that arrives, after `skip` samples */
    int ncap, capn, skip, skipped;
    char events[64];             /* RFC 4733 events that arrived, one char per event */
    uint32_t last_ev_ts;
    int have_ev;
} th_rtp;

int th_far_init(th_far *f, int span, int ts, int kind);
void th_far_free(th_far *f);
int th_rtp_init(th_rtp *r);
void th_rtp_free(th_rtp *r);
/* Creates a PCMU jitter-buffer endpoint (dtmf PT 101) sending to r; returns its handle. */
int th_rtp_endpoint(th_rtp *r, const char *codec, int shard);

/* Starts an engine with its ports in this worktree's block. */
int th_engine_start(int threads);

/* Pumps the far ends and the RTP socket for up to ms, or until every capture (cap != NULL)
 * is full when until_full is set. */
void th_pump(th_far **far, int nfar, th_rtp *r, int ms, int until_full);

double th_rms(const int16_t *x, int n);

#endif
