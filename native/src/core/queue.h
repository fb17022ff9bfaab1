/* Internal: bounded lock-free multi-producer single-consumer queue of fixed-size commands
 * (D. Vyukov's bounded queue: one sequence number per cell, producers claim a cell with a
 * CAS on the tail). Producers: any thread. Consumer: the owning media thread. Storage is
 * allocated once by cmdq_init. */
#ifndef SG_CORE_QUEUE_H
#define SG_CORE_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cmdq {
    uint8_t *cells;                /* depth cells of (seq, payload) */
    size_t cell_size;
    size_t item_size;
    uint32_t mask;
    _Alignas(64) atomic_size_t tail;   /* producers */
    _Alignas(64) atomic_size_t head;   /* consumer */
} cmdq;

/* depth: power of two >= 2. 0, or -1 (bad depth, no memory). */
int cmdq_init(cmdq *q, uint32_t depth, size_t item_size);
void cmdq_free(cmdq *q);
/* Any thread. 0, or -1 when full. Never blocks. */
int cmdq_push(cmdq *q, const void *item);
/* Any thread. 1 while items pushed before this call may still be unconsumed (approximate:
 * compares the producers' tail with the consumer's head). */
int cmdq_pending(cmdq *q);
/* Consumer only. 1 with *item filled, 0 when empty. */
int cmdq_pop(cmdq *q, void *item);

#endif
