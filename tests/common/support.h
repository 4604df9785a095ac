/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests, the fuzz target and the benchmarks: seeded random numbers and
 * buffer extents. Standard headers only, no cmocka, so that the fuzz target and bench/ can include
 * it as well as the cmocka tests. */
#ifndef MHA_SUPPORT_H
#define MHA_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* xorshift64*: deterministic across platforms, so a failing seed reproduces anywhere. The state
 * must not be 0. */
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

#endif
