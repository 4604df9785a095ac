/* SPDX-License-Identifier: MIT */
/* Small tools of the benchmark: clock, repetition policy, medians, rates, memory. */
#define _DEFAULT_SOURCE /* clock_gettime (now_seconds), madvise, sysconf's cache sizes */
#include "bench_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

double bench_now(void)
{
    return now_seconds();
}

bool bench_reps_begin(const bench_reps *policy, double first_s, bench_reps *eff)
{
    *eff = *policy;
    if (policy->long_s <= 0 || first_s < policy->long_s)
        return false;
    eff->min = 1;
    return true;
}

bool bench_reps_more(const bench_reps *policy, int done, double spent_s)
{
    if (done >= policy->max || done >= BENCH_MAX_REPS)
        return false;
    return done < policy->min || spent_s < policy->budget_s;
}

bench_stats bench_stats_of(double *v, int n)
{
    double median = median_sort(v, (size_t)n); /* sorted now: the ends are min and max */
    return (bench_stats){median, v[0], v[n - 1], n};
}

double bench_rate_g(double amount, double seconds)
{
    return seconds > 0 ? amount / seconds * 1e-9 : 0;
}

size_t bench_max_rss(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (size_t)u.ru_maxrss * 1024; /* Linux reports kilobytes */
}

void *bench_alloc(size_t bytes)
{
    void *p = NULL;
    /* 64 is a cache line and a full AVX-512 vector, so no kernel sees a split load at the start
     * of a buffer; big buffers start on a huge page. aligned_alloc wants a multiple of it. */
    const size_t align = bytes >= BENCH_HUGE_PAGE ? BENCH_HUGE_PAGE : 64;
    size_t rounded = bytes ? (bytes + align - 1) / align * align : align;
    if (rounded < bytes || (p = aligned_alloc(align, rounded)) == NULL)
        bench_die("out of memory allocating %zu bytes", bytes);
#ifdef MADV_HUGEPAGE
    if (align == BENCH_HUGE_PAGE)
        (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice: without THP, small pages */
#endif
    /* Touching every page here keeps first-touch page faults out of the timed calls. */
    memset(p, 0, rounded);
    return p;
}

size_t bench_evict_size(void)
{
    const size_t floor = (size_t)1 << 30;
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE); /* 0 or -1 where unknown */
    return l3 > 0 && 2 * (size_t)l3 > floor ? 2 * (size_t)l3 : floor;
}

bench_evict bench_evict_make(size_t size)
{
    return (bench_evict){bench_alloc(size), size};
}

/* Where bench_evict_run's sum goes, so that its loads stay. */
static volatile unsigned char evict_sink;

void bench_evict_run(const bench_evict *e)
{
    unsigned char sum = 0;
    for (size_t i = 0; i < e->size; i += 64) /* a load per line */
        sum = (unsigned char)(sum + e->bytes[i]);
    evict_sink = sum;
}

void bench_free(void *p)
{
    free(p);
}

size_t bench_mul(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        bench_die("size %zu x %zu overflows", a, b);
    return r;
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("mha_bench: ", stderr);
    va_start(ap, fmt);
    /* va_start above: clang 14's analyzer misses it on x86-64 (valist.Uninitialized). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}
