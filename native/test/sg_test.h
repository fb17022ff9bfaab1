/* Minimal C test framework for native/: each test file registers cases with SG_TEST;
 * the runner (runner.c) runs them all and prints "native: N passed, N failed". */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*sg_test_fn)(int *failed);

typedef struct sg_test_case {
    const char *name;
    const char *file;
    sg_test_fn fn;
} sg_test_case;

void sg_test_register(const sg_test_case *tc);

#define SG_TEST(name_)                                                              \
    static void name_(int *sg_failed_);                                             \
    __attribute__((constructor)) static void name_##_register(void)                 \
    {                                                                               \
        static const sg_test_case tc = { #name_, __FILE__, name_ };                 \
        sg_test_register(&tc);                                                      \
    }                                                                               \
    static void name_(int *sg_failed_)

#define SG_CHECK(cond)                                                              \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            (*sg_failed_)++;                                                        \
        }                                                                           \
    } while (0)

#define SG_CHECK_EQ_INT(a, b)                                                       \
    do {                                                                            \
        long long sg_a_ = (long long)(a), sg_b_ = (long long)(b);                   \
        if (sg_a_ != sg_b_) {                                                       \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,   \
                    __LINE__, #a, #b, sg_a_, sg_b_);                                \
            (*sg_failed_)++;                                                        \
        }                                                                           \
    } while (0)

#define SG_CHECK_MEM(a, b, n)                                                       \
    do {                                                                            \
        if (memcmp((a), (b), (n)) != 0) {                                           \
            fprintf(stderr, "  %s:%d: memory %s != %s (%zu bytes)\n", __FILE__,     \
                    __LINE__, #a, #b, (size_t)(n));                                 \
            (*sg_failed_)++;                                                        \
        }                                                                           \
    } while (0)

#endif
