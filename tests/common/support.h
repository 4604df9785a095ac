/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests, the fuzz target and the benchmarks: seeded random numbers. Standard
 * headers only, no cmocka, so that the fuzz target and bench/ can include it as well as the cmocka
 * tests. */
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

#endif
