/* Internal: state shared by the PRI signalling thread (pri.c) and the public API
 * (pri_api.c). The thread owns every struct pri and q931_call; the tables below are
 * guarded by sgpri_tbl_lock where noted. */
#ifndef SG_PRI_PRI_INT_H
#define SG_PRI_PRI_INT_H

#include <libpri.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "span/span.h"
#include "spangate/pri.h"

#define PRI_MAX_CALLS 2048u /* power of two; handles carry the index in their low 11 bits */

typedef struct pri_span_s pri_span_t;

typedef struct pri_call_s {
    _Atomic uint32_t handle;      /* 0 = free slot; written under sgpri_tbl_lock */
    pri_span_t *ps;
    q931_call *call;              /* PRI thread only */
    uint64_t digit_deadline_ns;   /* overlap receiving: when the number counts as complete */
    int proceeding_sent;          /* incoming: CALL PROCEEDING is out */
    sg_pri_call_info_t info;      /* guarded by sgpri_tbl_lock */
} pri_call_t;

struct pri_span_s {
    int handle;
    span_t *span;                 /* attached: cannot be closed under us */
    struct pri *pri;              /* PRI thread only after open */
    sg_pri_config_t cfg;
    int got_data;                 /* io_read saw a frame during this pri_check_event */
    /* Written by the PRI thread, read by sg_pri_status from any thread. */
    atomic_int running;
    atomic_int dchan_up;          /* reported up: calls can be placed (see link_update in pri.c) */
    /* D-channel readiness; PRI thread only. */
    int l2_up;                    /* libpri: Q.921 multiple-frame established at our end */
    int peer_ready;               /* seen: the far end's Q.921 is established too */
    uint64_t probe_at_ns;         /* next RR enquiry while waiting for that, 0 = none */
    _Atomic uint32_t alarms;
    uint64_t alarm_deadline_ns;   /* PRI thread: calls clear at this time unless the alarm goes */
    int layer1;                   /* PRI_LAYER_1_ULAW / ALAW */
    pri_call_t *chan_call[32];    /* guarded by sgpri_tbl_lock */
    uint8_t chan_oos[32];         /* out of service; guarded by sgpri_tbl_lock */
    _Atomic uint64_t protocol_errors;
    _Atomic uint64_t calls_in, calls_out, rejected;
    char last_error[96];          /* guarded by sgpri_tbl_lock */
};

typedef enum pri_cmd_op {
    PRI_CMD_SETUP = 1,
    PRI_CMD_PROCEEDING,
    PRI_CMD_ALERTING,
    PRI_CMD_PROGRESS,
    PRI_CMD_ANSWER,
    PRI_CMD_HANGUP,
    PRI_CMD_DIGITS,
    PRI_CMD_RESTART,
    PRI_CMD_SERVICE,
    PRI_CMD_ALARM,
    PRI_CMD_OPEN,
    PRI_CMD_CLOSE
} pri_cmd_op;

typedef struct pri_cmd_s {
    int op;
    int span;
    uint32_t call;
    int arg1, arg2;
    char digits[32];
} pri_cmd_t;

extern pthread_mutex_t sgpri_tbl_lock;
extern pri_span_t *sgpri_spans[SG_SPAN_MAX + 1]; /* guarded by sgpri_tbl_lock */
extern pri_call_t sgpri_calls[PRI_MAX_CALLS];

/* Any thread. Copies at most cap-1 bytes and terminates. */
void sgpri_copy_str(char *dst, size_t cap, const char *src);
/* Caller holds sgpri_tbl_lock. */
pri_call_t *sgpri_call_by_handle_locked(uint32_t h);
pri_call_t *sgpri_call_alloc_locked(pri_span_t *ps, int direction);
/* Any thread: queue a command for the PRI thread and wake it. */
int sgpri_cmd_push(const pri_cmd_t *c);
/* Any thread: start the PRI thread once. */
int sgpri_ensure_thread(void);
/* libpri switchtype for ours, or -1. */
int sgpri_switch_to_pri(uint32_t sw, int e1);

#endif
