/* spangate native engine: ISDN PRI signalling (libpri) on spans.
 * One signalling thread runs every D-channel. Commands are synchronous calls that validate,
 * queue and wake that thread; what happens next comes back as SG_SUBSYS_PRI events.
 * A PRI is addressed by its span handle; a call by a call handle (> 0, never reused for a
 * long time), valid from the call's RING event (or sg_pri_call's return) to its HANGUP
 * event. Strings longer than an event's payload are fetched with sg_pri_call_info(). */
#ifndef SPANGATE_PRI_H
#define SPANGATE_PRI_H

#include "spangate/spangate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sg_pri_switch {
    SG_PRI_SW_NI2 = 1,       /* National ISDN 2 ("national") */
    SG_PRI_SW_DMS100 = 2,
    SG_PRI_SW_4ESS = 3,
    SG_PRI_SW_5ESS = 4,
    SG_PRI_SW_EUROISDN = 5,  /* ETSI (E1 spans) */
    SG_PRI_SW_QSIG = 6
} sg_pri_switch;

typedef enum sg_pri_side {
    SG_PRI_USER = 1,         /* CPE */
    SG_PRI_NETWORK = 2
} sg_pri_side;

typedef struct sg_pri_config_t {
    uint32_t struct_size;        /* sizeof(sg_pri_config_t) */
    uint32_t switchtype;         /* sg_pri_switch */
    uint32_t side;               /* sg_pri_side */
    uint32_t overlap;            /* 1: collect digits after SETUP ACK (overlap receiving) */
    uint32_t digit_timeout_ms;   /* overlap: number complete after this silence; default 5000 */
    uint32_t t200_ms;            /* Q.921 timers; 0 = libpri default (1000 / 10000) */
    uint32_t t203_ms;
    uint32_t service_messages;   /* 1: send/accept SERVICE (NI2, 4ESS, 5ESS only) */
    uint32_t alarm_clear_ms;     /* red-alarm integration: a span alarm (LOS/AIS) must last this
                                  * long before the span's calls are cleared with 38; one that
                                  * clears sooner leaves them up. 0 = 2500 (ANSI T1.231 2.5 s) */
    uint32_t t309_ms;            /* Q.931 T309: active calls survive a D-channel (Q.921) loss
                                  * this long; 0 = libpri's default (6000) */
} sg_pri_config_t;

/* Type of number (high nibble of libpri's plan) and numbering plan (low nibble). */
#define SG_PRI_TON_UNKNOWN 0u
#define SG_PRI_TON_INTERNATIONAL 1u
#define SG_PRI_TON_NATIONAL 2u
#define SG_PRI_TON_NETWORK 3u
#define SG_PRI_TON_SUBSCRIBER 4u
#define SG_PRI_TON_ABBREVIATED 6u
#define SG_PRI_NPI_UNKNOWN 0u
#define SG_PRI_NPI_E164 1u
#define SG_PRI_NPI_PRIVATE 9u
/* Presentation octet (Q.931 octet 3a): restriction | screening. */
#define SG_PRI_PRES_ALLOWED 0x00u
#define SG_PRI_PRES_RESTRICTED 0x20u
#define SG_PRI_PRES_UNAVAILABLE 0x40u
#define SG_PRI_SCREEN_USER_NOT_SCREENED 0x00u
#define SG_PRI_SCREEN_USER_PASSED 0x01u
#define SG_PRI_SCREEN_USER_FAILED 0x02u
#define SG_PRI_SCREEN_NETWORK 0x03u

typedef struct sg_pri_party_t {
    char number[32];             /* digits, NUL-terminated */
    char name[48];               /* calling name where the switchtype carries it */
    uint8_t ton;                 /* SG_PRI_TON_* */
    uint8_t npi;                 /* SG_PRI_NPI_* */
    uint8_t pres;                /* SG_PRI_PRES_* | SG_PRI_SCREEN_* */
    uint8_t reserved;
} sg_pri_party_t;

typedef struct sg_pri_setup_t {
    uint32_t struct_size;        /* sizeof(sg_pri_setup_t) */
    int32_t channel;             /* B-channel (timeslot); 0 = any free */
    uint32_t exclusive;          /* 1: only that channel (else the far end may choose) */
    uint32_t bearer;             /* 0 speech, 1 3.1 kHz audio */
    uint32_t complete;           /* 1: number complete (Sending Complete); 0: overlap sending */
    sg_pri_party_t called;
    sg_pri_party_t calling;
} sg_pri_setup_t;

typedef enum sg_pri_call_state {
    SG_PRI_CS_SETUP = 1,         /* outgoing SETUP sent */
    SG_PRI_CS_OVERLAP = 2,       /* incoming, collecting digits */
    SG_PRI_CS_RINGING_IN = 3,    /* incoming, offered to the upper layer */
    SG_PRI_CS_PROCEEDING = 4,
    SG_PRI_CS_ALERTING = 5,
    SG_PRI_CS_ACTIVE = 6,
    SG_PRI_CS_RELEASING = 7
} sg_pri_call_state;

typedef struct sg_pri_call_info_t {
    uint32_t struct_size;
    int32_t span;
    int32_t channel;             /* 0 while not yet chosen */
    uint32_t direction;          /* 1 incoming, 2 outgoing */
    uint32_t state;              /* sg_pri_call_state */
    uint32_t exclusive;
    uint32_t complete;           /* Sending Complete seen (incoming) */
    uint32_t bearer;             /* Q.931 transfer capability as received */
    uint32_t layer1;             /* user layer 1: 0x22 mu-law, 0x23 A-law */
    uint32_t progress;           /* last progress indicator mask (SG_PRI_PROG_*) */
    uint32_t cause;              /* last Q.850 cause seen */
    sg_pri_party_t calling;
    sg_pri_party_t called;
} sg_pri_call_info_t;

typedef struct sg_pri_status_t {
    uint32_t struct_size;
    uint32_t open;               /* 1 while the PRI runs on the span */
    uint32_t dchan_up;           /* as SG_PRI_EV_DCHAN_UP/DOWN report it */
    uint32_t alarms;             /* the span's SG_SPAN_ALARM_* as last reported */
    uint32_t calls;              /* calls holding a B-channel */
    uint32_t channels;           /* B-channels on the span */
    uint32_t out_of_service;     /* B-channels taken out of service */
    uint32_t reserved;
    uint64_t protocol_errors;    /* libpri error reports (malformed Q.921/Q.931 among them) */
    uint64_t calls_in;
    uint64_t calls_out;
    uint64_t rejected;           /* incoming SETUPs refused here (no channel, out of service) */
    char last_error[96];         /* the last libpri error text, NUL-terminated */
} sg_pri_status_t;

/* Progress indicator mask bits (as libpri reports them). */
#define SG_PRI_PROG_NOT_E2E_ISDN 0x01u
#define SG_PRI_PROG_CALLED_NOT_ISDN 0x02u
#define SG_PRI_PROG_CALLER_NOT_ISDN 0x04u
#define SG_PRI_PROG_INBAND 0x08u

/* Events, SG_SUBSYS_PRI. `handle` is the call handle for call events, the span handle for
 * span events (DCHAN_*, RESTART*, ALARM, SERVICE). Payload: sg_pri_ev_t. */
typedef enum sg_pri_event_type {
    SG_PRI_EV_DCHAN_UP = 1,      /* calls can be placed: Q.921 is established at BOTH ends (not
                                  * only ours, which is all libpri's DCHAN_UP says) and the line
                                  * has no LOS/AIS; a SETUP sent now is accepted */
    SG_PRI_EV_DCHAN_DOWN = 2,    /* after a DCHAN_UP: Q.921 is down at our end */
    SG_PRI_EV_RING = 3,          /* incoming call; digits = called number */
    SG_PRI_EV_PROCEEDING = 4,    /* channel = the channel the far end chose */
    SG_PRI_EV_RINGING = 5,       /* ALERTING; flags INBAND when early media is on the channel */
    SG_PRI_EV_PROGRESS = 6,      /* cause: the cause IE when the PROGRESS carried one */
    SG_PRI_EV_ANSWER = 7,
    SG_PRI_EV_HANGUP = 8,        /* the call is gone; cause = Q.850 cause; handle now invalid */
    SG_PRI_EV_RESTART = 9,       /* channel (0 = all) restarted; aux 1 = we asked, 0 = far end */
    SG_PRI_EV_RESTART_ACK = 10,
    SG_PRI_EV_DIGITS = 11,       /* digits received during the call (INFORMATION/keypad) */
    SG_PRI_EV_SETUP_ACK = 12,    /* outgoing: the far end asks for more digits */
    SG_PRI_EV_ALARM = 13,        /* aux = the span's SG_SPAN_ALARM_* (0 = cleared) */
    SG_PRI_EV_SERVICE = 14       /* far end changed a channel's service state; aux 0 in, 2 out */
} sg_pri_event_type;

#define SG_PRI_F_INBAND 0x01u     /* in-band information (tones/announcements) available */
#define SG_PRI_F_EXCLUSIVE 0x02u
#define SG_PRI_F_COMPLETE 0x04u   /* called number complete */
#define SG_PRI_F_LOCAL 0x08u      /* caused by this side (our hangup, our restart, our alarm) */

typedef struct sg_pri_ev_t {
    uint16_t span;
    uint16_t channel;            /* B-channel, 0 = none/unknown/all */
    uint8_t cause;               /* Q.850 cause (HANGUP) */
    uint8_t flags;               /* SG_PRI_F_* */
    uint16_t progress;           /* progress indicator mask */
    uint32_t aux;                /* per event, see above */
    char digits[36];             /* called number or digits, NUL-terminated, may be cut */
} sg_pri_ev_t;

/* Any thread. Starts PRI signalling on an open span (the signalling thread starts on first
 * use). SG_EINVAL bad config, SG_ENOENT no such span, SG_EBUSY already running. */
SG_API int sg_pri_span_open(int span, const sg_pri_config_t *cfg);

/* Any thread. Stops signalling on the span: its calls are dropped without messages (the
 * far end sees the D-channel go), and the span can then be closed. libpri cannot free a
 * controller, so its memory stays allocated until the process exits. */
SG_API int sg_pri_span_close(int span);

/* Any thread. Places a call; returns the call handle (> 0) or a negative sg_err. Failures
 * found later (no channel, D-channel down) arrive as SG_PRI_EV_HANGUP with a cause. */
SG_API int sg_pri_call(int span, const sg_pri_setup_t *setup);

/* Any thread. Incoming call progress: CALL PROCEEDING, ALERTING, PROGRESS (inband = 1 when
 * tones or announcements are on the B-channel), CONNECT. */
SG_API int sg_pri_proceeding(uint32_t call, int inband);
SG_API int sg_pri_alerting(uint32_t call, int inband);
SG_API int sg_pri_progress(uint32_t call);
SG_API int sg_pri_answer(uint32_t call);

/* Any thread. Incoming call refused with in-band information: PROGRESS with progress
 * indicator 8 (in-band information available) and a cause IE, so the caller hears the tone
 * or announcement played on the B-channel before the call clears (sg_pri_hangup later, or
 * the caller's own DISCONNECT). SG_EINVAL for a cause outside 1..127. */
SG_API int sg_pri_progress_cause(uint32_t call, int cause);

/* Any thread. Clears a call with a Q.850 cause (1..127). SG_PRI_EV_HANGUP follows. */
SG_API int sg_pri_hangup(uint32_t call, int cause);

/* Any thread. Sends digits in INFORMATION (overlap sending, or during the call). */
SG_API int sg_pri_digits(uint32_t call, const char *digits);

/* Any thread. Sends RESTART for one B-channel, or for every B-channel when channel is 0;
 * the calls on them are cleared (SG_PRI_EV_HANGUP cause 41) at once. */
SG_API int sg_pri_restart(int span, int channel);

/* Any thread. Takes a B-channel in (1) or out (0) of service: no new calls use it; a
 * SERVICE message goes to the far end when the config enables service messages. */
SG_API int sg_pri_service(int span, int channel, int in_service);

/* Any thread. Copies what is known of a call (numbers, names, channel, state). */
SG_API int sg_pri_call_info(uint32_t call, sg_pri_call_info_t *out, uint32_t size);

/* Any thread. Span signalling status and counters. */
SG_API int sg_pri_status(int span, sg_pri_status_t *out, uint32_t size);

#ifdef __cplusplus
}
#endif
#endif
