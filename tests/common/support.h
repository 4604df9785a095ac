/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests, the fuzz target and the benchmarks: seeded random numbers, buffer
 * extents, medians and a monotonic clock. Standard headers only, no cmocka, so that the fuzz target
 * and bench/ can include it as well as the cmocka tests. */
#ifndef MHA_SUPPORT_H
#define MHA_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* xorshift64*: deterministic across platforms, so a failing seed reproduces anywhere and every
 * bench run measures the same data. The state must not be 0. */
typedef struct rng {
    uint64_t s;
} rng;

/* The multiply spreads small seeds (1, 2, 3) over the state; the +1 keeps it away from 0. */
static inline rng rng_seeded(uint64_t seed)
{
    return (rng){seed * 0x9E3779B97F4A7C15ull + 1};
}

static inline uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi): the top 53 bits, exactly one double's worth. */
static inline double rng_uniform(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi] (the modulo bias is irrelevant at test sizes). */
static inline size_t rng_range(rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(rng_next(r) % (hi - lo + 1));
}

/* Elements from the first to one past the last that `items` batch items, `stride` apart, of `rows`
 * rows, `ld` apart, of `width` elements touch: 0 when any of the three counts is 0. Unchecked:
 * callers pass sizes that fit. */
static inline size_t extent(size_t items, size_t stride, size_t rows, size_t ld, size_t width)
{
    if (items == 0 || rows == 0 || width == 0)
        return 0;
    return (items - 1) * stride + (rows - 1) * ld + width;
}

static inline int support_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n > 0 values, sorting v in place (callers read the minimum and maximum from it
 * too). An even count takes the mean of the middle two, the usual definition. */
static inline double median_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, support_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* clock_gettime is POSIX, not C11: the clock exists only where the includer asked for POSIX
 * (_POSIX_C_SOURCE >= 199309L before its first system header), so strict C11 files compile too. */
#ifdef CLOCK_MONOTONIC
/* Seconds on the monotonic clock (not wall time: immune to NTP steps). */
static inline double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
#endif

#endif
