/* SPDX-License-Identifier: MIT */
/* The CPU's FMA register peak: chains of fused multiply-adds that touch no memory, on the widest
 * vector unit the CPU has (AVX-512, else AVX2 with FMA), on a given number of threads. A BLAS on
 * the wrong kernels makes its own sgemm a flattering yardstick; this one does not depend on it. */
#ifndef MHA_BENCH_FMA_H
#define MHA_BENCH_FMA_H

#include "mha.h"

#include <stdbool.h>

typedef struct bench_fma {
    bool f64;
    int threads;
    long iters;      /* loop trips per thread and run */
    const char *isa; /* "avx512f", "avx2", or NULL: no FMA unit this bench knows */
    bool wide;       /* 512-bit registers */
} bench_fma;

/* Picks the unit; false (isa NULL) when the CPU has neither AVX-512 nor AVX2+FMA. */
bool bench_fma_init(bench_fma *f, bool f64, int threads);

/* Floating-point operations of one run (an FMA counts two). */
double bench_fma_flop(const bench_fma *f);

/* One run: every thread runs its chains; ctx is a bench_fma. */
mha_status bench_fma_run(const void *ctx);

#endif
