/* SPDX-License-Identifier: MIT */
/* bf16 GEMM ceiling (bench_bf16_peak.h); run alone, prints it: bench_bf16_peak [reps]. */
#include "bench_bf16_peak.h"

#include "bench_util.h"
#include "blas.h"

#include <stdio.h>
#include <stdlib.h>

enum { SIZE = 2048 };

double bench_bf16_gemm_peak(int reps)
{
    if (!mha_gemm_bf16_native())
        return 0;
    if (reps < 1)
        reps = 1;
    if (reps > BENCH_MAX_REPS)
        reps = BENCH_MAX_REPS;
    const size_t n = (size_t)SIZE * SIZE;
    mha_bf16 *A = bench_alloc(n * sizeof *A), *B = bench_alloc(n * sizeof *B);
    float *C = bench_alloc(n * sizeof *C);
    rng r = rng_seeded(1);
    for (size_t i = 0; i < n; i++) {
        /* small integers times 2⁻⁴: exact in bf16, and the sums stay finite */
        A[i].bits = (uint16_t)(0x3d80 + (int)rng_uniform(&r, 0, 64));
        B[i].bits = (uint16_t)(0x3d80 + (int)rng_uniform(&r, 0, 64));
    }
    mha_gemm_bf16_cache *cache = mha_gemm_bf16_cache_create();
    double times[BENCH_MAX_REPS], rate = 0;
    bool ok = mha_gemm_bf16_cached(cache, false, SIZE, SIZE, SIZE, 1, A, SIZE, B, SIZE, 0, C, SIZE);
    for (int i = 0; ok && i < reps; i++) {
        double t0 = bench_now();
        ok = mha_gemm_bf16_cached(cache, false, SIZE, SIZE, SIZE, 1, A, SIZE, B, SIZE, 0, C, SIZE);
        times[i] = bench_now() - t0;
    }
    if (ok)
        rate = bench_rate_g(2.0 * SIZE * SIZE * SIZE, bench_stats_of(times, reps).median);
    mha_gemm_bf16_cache_destroy(cache);
    bench_free(A), bench_free(B), bench_free(C);
    return rate;
}

#ifdef MHA_BENCH_BF16_PEAK_MAIN
int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    double rate = bench_bf16_gemm_peak(reps);
    if (rate == 0)
        printf("bf16 GEMM 2048^3: no native bf16 GEMM in this build or on this CPU\n");
    else
        printf("bf16 GEMM 2048^3 (oneDNN, median of %d): %.1f GFLOP/s\n", reps, rate);
    return 0;
}
#endif
