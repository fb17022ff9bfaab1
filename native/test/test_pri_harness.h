/* Test support for PRI tests: two PRI stacks (network and user side) on a vspan pair. */
#ifndef TEST_PRI_HARNESS_H
#define TEST_PRI_HARNESS_H

#include "test_span_harness.h"

/* Opens a span pair and runs libpri on both ends (network on p->net, user on p->user);
 * waits for both D-channels. 0 on success. */
int hp_open(h_pair *p, int kind, int switchtype, int overlap);

/* Stops PRI on both spans and closes them. */
void hp_close(h_pair *p);

/* Places a call from span with the given numbers; returns the call handle. */
uint32_t hp_call(int span, int channel, int exclusive, const char *called, const char *calling,
                 const char *name);

#endif
