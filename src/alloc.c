/* SPDX-License-Identifier: MIT */
/* Aligned workspace allocation, with a failure-injection seam in the test build only. */
#include "alloc.h"

#include "plan.h"

#include <stdint.h>
#include <stdlib.h>

#ifdef MHA_TESTING
/* Thread-local so that concurrent tests do not disturb each other; test build only. */
static _Thread_local unsigned long fail_at, made;

unsigned long mha_alloc_fail_nth(unsigned long n)
{
    unsigned long previous = made;
    fail_at = n;
    made = 0;
    return previous;
}

static int injected_failure(void)
{
    made++;
    return fail_at != 0 && made == fail_at;
}
#else
static int injected_failure(void)
{
    return 0;
}
#endif

void *mha_alloc(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - MHA_ALIGN || injected_failure())
        return NULL;
    /* aligned_alloc wants a multiple of the alignment; callers' sizes are overflow-checked with
     * MHA_ALIGN bytes of slack, so rounding up cannot wrap. */
    return aligned_alloc(MHA_ALIGN, (bytes + MHA_ALIGN - 1) / MHA_ALIGN * MHA_ALIGN);
}

void mha_free(void *p)
{
    free(p);
}
