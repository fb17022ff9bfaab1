/* PRI public API: validate, queue for the signalling thread, return at once. Any thread. */
#include <stdlib.h>
#include <string.h>
#include "pri/pri_int.h"
#include "spangate/pri.h"

/* ---- public API (any thread) ---- */

int sg_pri_span_open(int span, const sg_pri_config_t *cfg)
{
    pri_span_t *ps;
    pri_cmd_t c;
    int rc;

    if (cfg == NULL || cfg->struct_size != sizeof(*cfg))
        return SG_EINVAL;
    if (cfg->side != SG_PRI_USER && cfg->side != SG_PRI_NETWORK)
        return SG_EINVAL;
    if (sgpri_switch_to_pri(cfg->switchtype, 1) < 0 || cfg->overlap > 1 || cfg->service_messages > 1)
        return SG_EINVAL;
    if (cfg->alarm_clear_ms > 600000 || cfg->t309_ms > 600000)
        return SG_EINVAL;
    if (span < 1 || span > (int)SG_SPAN_MAX)
        return SG_ENOENT;
    rc = sgpri_ensure_thread();
    if (rc != SG_OK)
        return rc;
    ps = calloc(1, sizeof(*ps));
    if (ps == NULL)
        return SG_ENOMEM;
    ps->span = span_attach(span);
    if (ps->span == NULL) {
        free(ps);
        return SG_ENOENT;
    }
    ps->handle = span;
    ps->cfg = *cfg;
    if (ps->cfg.digit_timeout_ms == 0)
        ps->cfg.digit_timeout_ms = 5000;
    if (ps->cfg.alarm_clear_ms == 0)
        ps->cfg.alarm_clear_ms = 2500;
    ps->layer1 = ps->span->kind == SG_SPAN_E1 ? PRI_LAYER_1_ALAW : PRI_LAYER_1_ULAW;
    ps->alarms = ps->span->ops->alarms(ps->span);
    atomic_init(&ps->protocol_errors, 0);
    pthread_mutex_lock(&sgpri_tbl_lock);
    if (sgpri_spans[span] != NULL) {
        pthread_mutex_unlock(&sgpri_tbl_lock);
        span_detach(ps->span);
        free(ps);
        return SG_EBUSY;
    }
    sgpri_spans[span] = ps;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    memset(&c, 0, sizeof(c));
    c.op = PRI_CMD_OPEN;
    c.span = span;
    return sgpri_cmd_push(&c);
}

static int span_cmd(int op, int span, int arg1, int arg2)
{
    pri_cmd_t c;
    int open;

    if (span < 1 || span > (int)SG_SPAN_MAX)
        return SG_ENOENT;
    pthread_mutex_lock(&sgpri_tbl_lock);
    open = sgpri_spans[span] != NULL;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (!open)
        return SG_ENOENT;
    memset(&c, 0, sizeof(c));
    c.op = op;
    c.span = span;
    c.arg1 = arg1;
    c.arg2 = arg2;
    return sgpri_cmd_push(&c);
}

int sg_pri_span_close(int span)
{
    return span_cmd(PRI_CMD_CLOSE, span, 0, 0);
}

int sg_pri_restart(int span, int channel)
{
    if (channel < 0 || channel > 31)
        return SG_EINVAL;
    return span_cmd(PRI_CMD_RESTART, span, channel, 0);
}

int sg_pri_service(int span, int channel, int in_service)
{
    span_t *s;
    int ok;

    s = span_attach(span);
    if (s == NULL)
        return SG_ENOENT;
    ok = span_is_bchan(s, channel);
    span_detach(s);
    if (!ok)
        return SG_EINVAL;
    return span_cmd(PRI_CMD_SERVICE, span, channel, in_service ? 1 : 0);
}

static int party_valid(const sg_pri_party_t *p)
{
    size_t i, n = strnlen(p->number, sizeof(p->number));

    if (n == sizeof(p->number) || strnlen(p->name, sizeof(p->name)) == sizeof(p->name))
        return 0;
    for (i = 0; i < n; i++)
        if (strchr("0123456789*#", p->number[i]) == NULL)
            return 0;
    return p->ton <= 7 && p->npi <= 15 && p->pres <= 0x7f;
}

int sg_pri_call(int span, const sg_pri_setup_t *setup)
{
    pri_span_t *ps;
    pri_call_t *pc = NULL;
    pri_cmd_t c;
    uint32_t h;
    int rc;

    if (setup == NULL || setup->struct_size != sizeof(*setup) || setup->channel < 0 || setup->channel > 31 ||
        setup->bearer > 1 || !party_valid(&setup->called) || !party_valid(&setup->calling))
        return SG_EINVAL;
    if (span < 1 || span > (int)SG_SPAN_MAX)
        return SG_ENOENT;
    if (setup->channel > 0) {
        span_t *s = span_attach(span);
        int ok = s != NULL && span_is_bchan(s, setup->channel);
        span_detach(s);
        if (s == NULL)
            return SG_ENOENT;
        if (!ok)
            return SG_EINVAL; /* the D-channel or out of range */
    }
    pthread_mutex_lock(&sgpri_tbl_lock);
    ps = sgpri_spans[span];
    if (ps != NULL)
        pc = sgpri_call_alloc_locked(ps, 2);
    if (pc != NULL) {
        pc->info.channel = 0;
        pc->info.state = SG_PRI_CS_SETUP;
        pc->info.exclusive = setup->exclusive ? 1 : 0;
        pc->info.complete = setup->complete ? 1 : 0;
        pc->info.bearer = setup->bearer;
        pc->info.calling = setup->calling;
        pc->info.called = setup->called;
        /* The requested channel rides in `channel` until the PRI thread decides. */
        pc->info.channel = setup->channel;
    }
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (ps == NULL)
        return SG_ENOENT;
    if (pc == NULL)
        return SG_EBUSY;
    h = atomic_load(&pc->handle);
    memset(&c, 0, sizeof(c));
    c.op = PRI_CMD_SETUP;
    c.call = h;
    rc = sgpri_cmd_push(&c);
    if (rc != SG_OK) {
        pthread_mutex_lock(&sgpri_tbl_lock);
        atomic_store(&pc->handle, 0);
        pthread_mutex_unlock(&sgpri_tbl_lock);
        return rc;
    }
    return (int)h;
}

static int call_cmd(int op, uint32_t call, int arg1, const char *digits)
{
    pri_cmd_t c;
    int known;

    pthread_mutex_lock(&sgpri_tbl_lock);
    known = sgpri_call_by_handle_locked(call) != NULL;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    if (!known)
        return SG_ENOENT;
    memset(&c, 0, sizeof(c));
    c.op = op;
    c.call = call;
    c.arg1 = arg1;
    if (digits != NULL)
        sgpri_copy_str(c.digits, sizeof(c.digits), digits);
    return sgpri_cmd_push(&c);
}

int sg_pri_proceeding(uint32_t call, int inband)
{
    return call_cmd(PRI_CMD_PROCEEDING, call, inband ? 1 : 0, NULL);
}

int sg_pri_alerting(uint32_t call, int inband)
{
    return call_cmd(PRI_CMD_ALERTING, call, inband ? 1 : 0, NULL);
}

int sg_pri_progress(uint32_t call)
{
    return call_cmd(PRI_CMD_PROGRESS, call, 0, NULL);
}

int sg_pri_progress_cause(uint32_t call, int cause)
{
    if (cause < 1 || cause > 127)
        return SG_EINVAL;
    return call_cmd(PRI_CMD_PROGRESS, call, cause, NULL);
}

int sg_pri_answer(uint32_t call)
{
    return call_cmd(PRI_CMD_ANSWER, call, 0, NULL);
}

int sg_pri_hangup(uint32_t call, int cause)
{
    if (cause < 1 || cause > 127)
        return SG_EINVAL;
    return call_cmd(PRI_CMD_HANGUP, call, cause, NULL);
}

int sg_pri_digits(uint32_t call, const char *digits)
{
    size_t i, n;

    if (digits == NULL || (n = strnlen(digits, 32)) == 0 || n == 32)
        return SG_EINVAL;
    for (i = 0; i < n; i++)
        if (strchr("0123456789*#", digits[i]) == NULL)
            return SG_EINVAL;
    return call_cmd(PRI_CMD_DIGITS, call, 0, digits);
}

int sg_pri_call_info(uint32_t call, sg_pri_call_info_t *out, uint32_t size)
{
    pri_call_t *pc;
    int rc = SG_OK;

    if (out == NULL || size != sizeof(*out))
        return SG_EINVAL;
    pthread_mutex_lock(&sgpri_tbl_lock);
    pc = sgpri_call_by_handle_locked(call);
    if (pc == NULL)
        rc = SG_ENOENT;
    else
        *out = pc->info;
    pthread_mutex_unlock(&sgpri_tbl_lock);
    return rc;
}

int sg_pri_status(int span, sg_pri_status_t *out, uint32_t size)
{
    pri_span_t *ps;
    int ch, rc = SG_OK;

    if (out == NULL || size != sizeof(*out))
        return SG_EINVAL;
    if (span < 1 || span > (int)SG_SPAN_MAX)
        return SG_ENOENT;
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    pthread_mutex_lock(&sgpri_tbl_lock);
    ps = sgpri_spans[span];
    if (ps == NULL) {
        rc = SG_ENOENT;
        goto out;
    }
    out->open = (uint32_t)atomic_load(&ps->running);
    out->dchan_up = (uint32_t)atomic_load(&ps->dchan_up);
    out->alarms = atomic_load(&ps->alarms);
    for (ch = 1; ch <= ps->span->timeslots; ch++) {
        if (!span_is_bchan(ps->span, ch))
            continue;
        out->channels++;
        out->calls += ps->chan_call[ch] != NULL;
        out->out_of_service += ps->chan_oos[ch];
    }
    out->protocol_errors = atomic_load(&ps->protocol_errors);
    out->calls_in = atomic_load(&ps->calls_in);
    out->calls_out = atomic_load(&ps->calls_out);
    out->rejected = atomic_load(&ps->rejected);
    sgpri_copy_str(out->last_error, sizeof(out->last_error), ps->last_error);
out:
    pthread_mutex_unlock(&sgpri_tbl_lock);
    return rc;
}
