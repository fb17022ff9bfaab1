/* Runs every SG_TEST case linked into the binary; an optional argument filters by
 * substring of the case name. Exit code 1 when any case failed. */
#include <stdlib.h>
#include "sg_test.h"

#define SG_MAX_TESTS 4096

static const sg_test_case *cases[SG_MAX_TESTS];
static int ncases;

void sg_test_register(const sg_test_case *tc)
{
    if (ncases < SG_MAX_TESTS)
        cases[ncases++] = tc;
}

static int by_file_then_name(const void *a, const void *b)
{
    const sg_test_case *x = *(const sg_test_case *const *)a;
    const sg_test_case *y = *(const sg_test_case *const *)b;
    int c = strcmp(x->file, y->file);
    return c != 0 ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, i;
    const char *filter = argc > 1 ? argv[1] : NULL;

    qsort(cases, (size_t)ncases, sizeof(cases[0]), by_file_then_name);
    for (i = 0; i < ncases; i++) {
        int f = 0;
        if (filter != NULL && strstr(cases[i]->name, filter) == NULL)
            continue;
        cases[i]->fn(&f);
        printf("%s %s (%s)\n", f == 0 ? "ok" : "not ok", cases[i]->name, cases[i]->file);
        if (f == 0)
            passed++;
        else
            failed++;
    }
    printf("native: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
