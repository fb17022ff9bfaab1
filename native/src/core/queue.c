/* Bounded MPSC command queue (per-cell sequence numbers). */
#include <stdlib.h>
#include <string.h>
#include "core/queue.h"

typedef struct cell_hdr {
    atomic_size_t seq;
} cell_hdr;

#define HDR_SIZE 64u   /* keep payloads cache-line aligned */

static cell_hdr *cell_at(cmdq *q, size_t pos)
{
    return (cell_hdr *)(void *)(q->cells + (pos & q->mask) * q->cell_size);
}

int cmdq_init(cmdq *q, uint32_t depth, size_t item_size)
{
    uint32_t i;

    memset(q, 0, sizeof(*q));
    if (depth < 2 || (depth & (depth - 1)) != 0 || item_size == 0)
        return -1;
    q->item_size = item_size;
    q->cell_size = HDR_SIZE + ((item_size + 63u) & ~(size_t)63u);
    q->mask = depth - 1;
    q->cells = aligned_alloc(64, q->cell_size * depth);
    if (q->cells == NULL)
        return -1;
    memset(q->cells, 0, q->cell_size * depth);
    for (i = 0; i < depth; i++)
        atomic_init(&cell_at(q, i)->seq, i);
    atomic_init(&q->tail, 0);
    atomic_init(&q->head, 0);
    return 0;
}

void cmdq_free(cmdq *q)
{
    free(q->cells);
    q->cells = NULL;
}

int cmdq_push(cmdq *q, const void *item)
{
    size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    cell_hdr *c;

    for (;;) {
        size_t seq;
        intptr_t diff;
        c = cell_at(q, pos);
        seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        diff = (intptr_t)seq - (intptr_t)pos;
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1,
                                                      memory_order_relaxed, memory_order_relaxed))
                break;
        } else if (diff < 0) {
            return -1;                        /* full */
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
    memcpy((uint8_t *)c + HDR_SIZE, item, q->item_size);
    atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
    return 0;
}

int cmdq_pending(cmdq *q)
{
    return atomic_load_explicit(&q->tail, memory_order_acquire) !=
           atomic_load_explicit(&q->head, memory_order_acquire);
}

int cmdq_pop(cmdq *q, void *item)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    cell_hdr *c = cell_at(q, head);
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);

    if ((intptr_t)seq - (intptr_t)(head + 1) < 0)
        return 0;                             /* empty (or a producer is mid-write) */
    memcpy(item, (uint8_t *)c + HDR_SIZE, q->item_size);
    atomic_store_explicit(&c->seq, head + q->mask + 1, memory_order_release);
    atomic_store_explicit(&q->head, head + 1, memory_order_release);
    return 1;
}
