/* SPDX-License-Identifier: MIT */
/* The only malloc/free in the library: MHA_ALIGN-aligned workspace. */
#ifndef MHA_ALLOC_H
#define MHA_ALLOC_H

#include <stddef.h>

/* NULL on failure (or bytes == 0). */
void *mha_alloc(size_t bytes);
void mha_free(void *p);

#ifdef MHA_TESTING
/* Test-only seam (compiled into the internal test copy, never the shipped library): the n-th
 * mha_alloc() on this thread from now on (1-based) fails; 0 disarms. Returns how many allocations
 * this thread has made since the last call, so a test can sweep every allocation point. */
unsigned long mha_alloc_fail_nth(unsigned long n);
#endif

#endif
