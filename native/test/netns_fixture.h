/* Test support for cases that need a private network namespace (BPF programs attach to one):
 * each case body runs in a forked child that unshares its namespace, so nothing it attaches
 * ever sees another process's traffic. Used by test_kfwd.c and test_steer.c. */
#ifndef NETNS_FIXTURE_H
#define NETNS_FIXTURE_H

#include <stdio.h>

/* Exit status of a case body that skipped (printed why). */
#define SKIP_CODE 77

/* In the child: a fresh network namespace with loopback up. 0, or -1 (printed why: skip). */
int nf_private_netns(void);

/* Runs body in a forked child; returns its failure count (0 when it skipped), or -1 when the
 * child could not be forked or did not exit normally. */
int nf_run_child(int (*body)(void));

/* A check inside a case body (the child): counts into the body's local `fails`. */
#define CHILD_CHECK(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            fails++;                                                                   \
        }                                                                              \
    } while (0)

#endif
