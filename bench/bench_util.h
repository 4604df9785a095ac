/* SPDX-License-Identifier: MIT */
/* Small tools of the benchmark: monotonic clock, repetition policy and medians, GFLOP/s, memory
 * (allocation that never fails silently, max RSS). The seeded RNG, the median and the clock itself
 * come from tests/common/support.h, shared with the tests and the fuzz target. */
#ifndef MHA_BENCH_UTIL_H
#define MHA_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/support.h"

/* More repetitions than this are never kept: a median of 101 is as good as it gets. */
#define BENCH_MAX_REPS 101

/* now_seconds() of support.h, out of line: only bench_util.c asks for POSIX, the bench's other
 * files stay strict C11. */
double bench_now(void);

/* How many timed repetitions to run after the untimed (checked) first run. A call is repeated
 * at least `min` and at most `max` times, and stops after `min` once `budget_s` seconds have been
 * spent on it: small shapes get the median of many runs, big ones of a few.
 *
 * A call whose first run took at least `long_s` seconds (0: never) is not repeated just to
 * reach `min`: that first run counts as a sample, since the warm-up it provides (page faults,
 * BLAS thread start, caches) is worth milliseconds, far below the run-to-run noise of a call
 * that long, and the default grid must finish in a minute. */
typedef struct bench_reps {
    int min, max;
    double budget_s, long_s;
} bench_reps;

/* True when the first run (of `first_s` seconds) counts as a sample; *eff is then the policy for
 * the runs that follow it (min 1), else *policy unchanged. */
bool bench_reps_begin(const bench_reps *policy, double first_s, bench_reps *eff);
bool bench_reps_more(const bench_reps *policy, int done, double spent_s);

/* Median, minimum and maximum of n > 0 samples (v is sorted in place). */
typedef struct bench_stats {
    double median, min, max;
    int n;
} bench_stats;

bench_stats bench_stats_of(double *v, int n);

/* flop / seconds in GFLOP/s (and bytes / seconds in GB/s: the same division). */
double bench_rate_g(double amount, double seconds);

/* The process's peak resident set size so far, in bytes (getrusage). */
size_t bench_max_rss(void);

/* 64-byte aligned, zero-filled (every page touched), never NULL: exits with a message. A buffer
 * of BENCH_HUGE_PAGE bytes or more starts on a 2 MiB boundary and is offered to the kernel's
 * transparent huge pages (madvise MADV_HUGEPAGE; where THP is off it keeps 4 KiB pages), as a
 * program should keep its KV caches: a decode call that streams a 256 MiB cache walks 65536 small
 * pages (cold, 6-15 % slower on them: docs/PERFORMANCE.md, Decode). */
#define BENCH_HUGE_PAGE ((size_t)2 << 20)
void *bench_alloc(size_t bytes);
void bench_free(void *p);

/* A buffer to read through before each timed run of a memory-bound call, so that the call finds
 * its operands in memory and not in the last-level cache: as a model's layer does, the other
 * layers' KV caches having streamed through since its previous call. */
typedef struct bench_evict {
    const unsigned char *bytes; /* NULL (size 0): nothing to read */
    size_t size;
} bench_evict;

/* Enough to flush: twice the L3 that sysconf reports, at least 1 GiB (the L3 of a VM can be
 * hundreds of MiB: 480 on ours). */
size_t bench_evict_size(void);
bench_evict bench_evict_make(size_t size);
/* Reads every line of e's buffer (none when its size is 0). */
void bench_evict_run(const bench_evict *e);

/* a·b, exiting with a message on overflow (sizes come from the command line). */
size_t bench_mul(size_t a, size_t b);

/* Prints "mha_bench: <message>" to stderr and exits with status 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
