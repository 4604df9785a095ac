/* SPDX-License-Identifier: MIT */
/* Shared test helpers: the cmocka prelude, sentinel fills, tolerance checks. The seeded RNG comes
 * from support.h, with the rest that the fuzz target and bench/ share. */
#ifndef MHA_TEST_UTIL_H
#define MHA_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    assert_non_null(p);
    return p;
}

static inline void fill_uniform_f64(rng *r, double *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(r, lo, hi);
}

/* Random float data and its exact double copy, for comparing the f32 path with the reference. */
static inline void fill_uniform_f32(rng *r, float *x, double *x64, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)rng_uniform(r, lo, hi);
        x64[i] = (double)x[i];
    }
}

/* A byte pattern no computation produces, to prove that an output was not written. */
#define SENTINEL_BYTE 0xA5

static inline void fill_sentinel(void *p, size_t bytes)
{
    memset(p, SENTINEL_BYTE, bytes);
}

static inline bool is_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < bytes; i++)
        if (c[i] != SENTINEL_BYTE)
            return false;
    return true;
}

/* |got − want| ≤ atol + rtol·|want| for all n, with matching NaN and infinity patterns. Prints the
 * worst offender on failure. */
static inline bool close_enough(const char *what, const double *got, const double *want, size_t n,
                                double atol, double rtol)
{
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        bool ok = isnan(w) ? isnan(g) : isinf(w) ? g == w : fabs(g - w) <= atol + rtol * fabs(w);
        if (!ok) {
            print_error("%s: element %zu is %.17g, reference %.17g (atol %g, rtol %g)\n", what, i,
                        g, w, atol, rtol);
            return false;
        }
    }
    return true;
}

static inline bool close_enough_f32(const char *what, const float *got, const double *want,
                                    size_t n, double atol, double rtol)
{
    double *g = xcalloc(n, sizeof *g);
    for (size_t i = 0; i < n; i++)
        g[i] = (double)got[i];
    bool ok = close_enough(what, g, want, n, atol, rtol);
    free(g);
    return ok;
}

#endif
