/* DTMF receiver and generator on spandsp. The spandsp states are embedded (allocated once at
 * create) so that stopping a generated digit is a re-init in place, never an allocation.
 * spandsp builds its DTMF tone tables on the first dtmf_tx_init()/dtmf_rx_init() through an
 * unlocked "inited" flag; a constructor runs both once at library load so that channels
 * created later on different threads never race on it. */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>
#include "dsp/dtmf.h"

_Static_assert(sizeof(sg_dtmf_opts_t) == 4, "sg_dtmf_opts_t layout changed: bump SG_ABI_VERSION");
_Static_assert(sizeof(sg_dsp_dtmf_payload_t) == 8 && sizeof(sg_dsp_dtmf_payload_t) <= SG_EVENT_PAYLOAD,
               "sg_dsp_dtmf_payload_t layout changed: bump SG_ABI_VERSION");

struct dsp_dtmf_rx {
    dtmf_rx_state_t rx;
    uint32_t samples;       /* samples processed so far */
    uint32_t begin_sample;  /* sample counter at the current digit's begin */
    uint32_t block;         /* detector blocks (DTMF_BLOCK samples) completed so far */
    char current;           /* digit in progress, 0 when none */
    uint8_t held;           /* current's end was reported and is held over */
    uint32_t held_block;    /* block whose decision ended it */
    uint32_t held_sample;   /* sample stamp of that end */
    uint32_t hold_blocks;   /* hold-over in blocks (0: none) */
    uint32_t bridged;       /* dropouts bridged by the hold-over */
    dsp_dtmf_event *out;    /* caller's event array during dsp_dtmf_rx_process() */
    size_t out_cap;
    size_t out_len;
    uint32_t dropped;
};

struct dsp_dtmf_tx {
    dtmf_tx_state_t tx;
    int level_dbm0;
    int twist_db;
    int active;             /* something queued or sounding */
};

__attribute__((constructor)) static void dtmf_warm_tables(void)
{
    dtmf_tx_state_t tx;
    dtmf_rx_state_t rx;

    dtmf_tx_init(&tx);
    dtmf_rx_init(&rx, NULL, NULL);
}

int dsp_dtmf_digit_valid(char c)
{
    return c != '\0' && strchr("0123456789*#ABCD", c) != NULL;
}

/* spandsp's detector block: it decides hit/miss once per DTMF_BLOCK samples, from sample 0. */
#define DTMF_BLOCK 102u

static void rx_push(dsp_dtmf_rx *d, const dsp_dtmf_event *e)
{
    if (d->out != NULL && d->out_len < d->out_cap)
        d->out[d->out_len++] = *e;
    else
        d->dropped++;
}

static void rx_end(dsp_dtmf_rx *d, uint32_t sample)
{
    dsp_dtmf_event e;

    memset(&e, 0, sizeof(e));
    e.sample = sample;
    e.digit = d->current;
    e.begin = 0;
    e.duration = sample - d->begin_sample;
    rx_push(d, &e);
    d->current = 0;
    d->held = 0;
}

/* spandsp realtime report: code is the digit at its start, 0 at its end. Called at the end
 * of a detector block (chunks are block-aligned, so that is the end of the chunk). */
static void rx_report(void *user, int code, int level, int delay)
{
    dsp_dtmf_rx *d = user;
    dsp_dtmf_event e;

    if (code != 0) {
        if (d->held && d->current == (char)code) {
            /* the same digit back within the hold-over: a dropout inside one digit */
            d->held = 0;
            d->bridged++;
            return;
        }
        if (d->current != 0)    /* digit changed (with or without a gap): close the old one */
            rx_end(d, d->held ? d->held_sample : d->samples);
        memset(&e, 0, sizeof(e));
        e.sample = d->samples;
        d->current = (char)code;
        d->begin_sample = d->samples;
        e.digit = (char)code;
        e.begin = 1;
        e.duration = 0;
        e.level_dbm0 = (int8_t)(level < -128 ? -128 : (level > 127 ? 127 : level));
        rx_push(d, &e);
    } else if (d->current != 0 && !d->held) {
        if (d->hold_blocks == 0) {
            rx_end(d, d->samples);
        } else {
            d->held = 1;
            d->held_block = d->block;
            d->held_sample = d->samples;
        }
    }
}

/* Reports a held end once the hold-over has passed without the digit coming back. */
static void rx_hold_check(dsp_dtmf_rx *d)
{
    if (d->held && d->block - d->held_block > d->hold_blocks)
        rx_end(d, d->held_sample);
}

dsp_dtmf_rx *dsp_dtmf_rx_create(const sg_dtmf_opts_t *opts)
{
    static const sg_dtmf_opts_t defaults;
    dsp_dtmf_rx *d;

    if (opts == NULL)
        opts = &defaults;
    if (opts->threshold_dbm0 > 0 || opts->twist_db > 20 || opts->reverse_twist_db > 20 ||
        opts->filter_dialtone > 1)
        return NULL;
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    if (dtmf_rx_init(&d->rx, NULL, NULL) == NULL) {
        free(d);
        return NULL;
    }
    d->hold_blocks = DSP_DTMF_HOLD_BLOCKS;
    dtmf_rx_set_realtime_callback(&d->rx, rx_report, d);
    dtmf_rx_parms(&d->rx, opts->filter_dialtone, opts->twist_db != 0 ? opts->twist_db : -1,
                  opts->reverse_twist_db != 0 ? opts->reverse_twist_db : -1,
                  opts->threshold_dbm0 != 0 ? opts->threshold_dbm0 : -99);
    return d;
}

void dsp_dtmf_rx_destroy(dsp_dtmf_rx *d)
{
    free(d);
}

int dsp_dtmf_rx_process(dsp_dtmf_rx *d, const int16_t *pcm, size_t n, dsp_dtmf_event *ev, size_t cap)
{
    int got;

    d->out = ev;
    d->out_cap = cap;
    d->out_len = 0;
    while (n > 0) {
        /* spandsp works in blocks of DTMF_BLOCK samples; feed it up to the end of the current
         * block, so reports come at the end of a piece and the block count is exact */
        size_t left = DTMF_BLOCK - (size_t)d->rx.current_sample;
        size_t chunk = n > left ? left : n;
        if (chunk == left)
            d->block++;         /* this piece completes a block: its report (if any) counts there */
        dtmf_rx(&d->rx, pcm, (int)chunk);
        d->samples += (uint32_t)chunk;
        rx_hold_check(d);
        pcm += chunk;
        n -= chunk;
    }
    got = (int)d->out_len;
    d->out = NULL;
    d->out_cap = 0;
    return got;
}

void dsp_dtmf_rx_lost(dsp_dtmf_rx *d, size_t n)
{
    dtmf_rx_fillin(&d->rx, (int)n);
    d->samples += (uint32_t)n;
    d->block += (uint32_t)(n / DTMF_BLOCK);
    rx_hold_check(d);
}

void dsp_dtmf_rx_set_holdover(dsp_dtmf_rx *d, unsigned blocks)
{
    d->hold_blocks = blocks;
}

uint32_t dsp_dtmf_rx_bridged(const dsp_dtmf_rx *d)
{
    return d->bridged;
}

uint32_t dsp_dtmf_rx_dropped(const dsp_dtmf_rx *d)
{
    return d->dropped;
}

/* Generator. */

static void tx_reset(dsp_dtmf_tx *g)
{
    dtmf_tx_init(&g->tx);
    dtmf_tx_set_level(&g->tx, g->level_dbm0, g->twist_db);
    g->active = 0;
}

dsp_dtmf_tx *dsp_dtmf_tx_create(int level_dbm0, int twist_db)
{
    dsp_dtmf_tx *g;

    if (level_dbm0 > 0 || level_dbm0 < -50 || twist_db < 0 || twist_db > 10)
        return NULL;
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->level_dbm0 = level_dbm0 != 0 ? level_dbm0 : -10;
    g->twist_db = twist_db;
    tx_reset(g);
    return g;
}

void dsp_dtmf_tx_destroy(dsp_dtmf_tx *g)
{
    free(g);
}

int dsp_dtmf_tx_queue(dsp_dtmf_tx *g, const char *digits, int on_ms, int off_ms)
{
    size_t len;

    if (digits == NULL)
        return SG_EINVAL;
    len = strlen(digits);
    if (len == 0 || len > MAX_DTMF_DIGITS)
        return SG_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!dsp_dtmf_digit_valid(digits[i]))
            return SG_EINVAL;
    if (on_ms == 0 && off_ms == 0) {
        on_ms = 50;
        off_ms = 55;
    }
    if (on_ms < 20 || on_ms > 1000 || off_ms < 20 || off_ms > 1000)
        return SG_EINVAL;
    dtmf_tx_set_timing(&g->tx, on_ms, off_ms);
    if (dtmf_tx_put(&g->tx, digits, (int)len) != 0)
        return SG_EBUSY;
    g->active = 1;
    return SG_OK;
}

/* "Until stopped": an hour is longer than any RFC 4733 event the relay will see. */
#define DTMF_HOLD_MS 3600000

int dsp_dtmf_tx_start(dsp_dtmf_tx *g, char digit)
{
    char s[2] = { digit, '\0' };

    if (!dsp_dtmf_digit_valid(digit))
        return SG_EINVAL;
    tx_reset(g);
    dtmf_tx_set_timing(&g->tx, DTMF_HOLD_MS, 0);
    if (dtmf_tx_put(&g->tx, s, 1) != 0)
        return SG_EBUSY;
    g->active = 1;
    return SG_OK;
}

void dsp_dtmf_tx_stop(dsp_dtmf_tx *g)
{
    tx_reset(g);
}

int dsp_dtmf_tx_run(dsp_dtmf_tx *g, int16_t *pcm, size_t n)
{
    int got;

    if (!g->active) {
        memset(pcm, 0, n * sizeof(*pcm));
        return 0;
    }
    got = dtmf_tx(&g->tx, pcm, (int)n);
    if (got < 0)
        got = 0;
    if ((size_t)got < n) {
        memset(pcm + got, 0, (n - (size_t)got) * sizeof(*pcm));
        g->active = 0;
    }
    return got;
}

int dsp_dtmf_tx_busy(const dsp_dtmf_tx *g)
{
    return g->active;
}
