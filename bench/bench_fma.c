/* SPDX-License-Identifier: MIT */
/* FMA register peak (bench_fma.h). CHAINS independent accumulators hide the FMA latency (4 cycles
 * at 2 per cycle needs 8); the result is reduced and kept so the loop cannot be dropped. */
#include "bench_fma.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { CHAINS = 12 };

/* 0.05 s or so per thread and run at 2 FMAs per cycle near 3 GHz. */
#define ITERS 40000000L

static volatile double sink;

#if defined(__x86_64__)
/* One kernel per unit and precision: VEC the register type, FMA/SET1/ADD its intrinsics. */
#define CHAIN_KERNEL(name, isa, VEC, SET1, FMA, ADD, REDUCE)                                       \
    __attribute__((target(isa))) static double name(long iters)                                    \
    {                                                                                              \
        VEC acc[CHAINS];                                                                           \
        for (int k = 0; k < CHAINS; k++)                                                           \
            acc[k] = SET1(1e-3 * k);                                                               \
        const VEC a = SET1(0.999999), b = SET1(1e-7);                                              \
        for (long i = 0; i < iters; i++) {                                                         \
            /* unrolled, so that every chain lives in a register */                                \
            _Pragma("GCC unroll 16") for (int k = 0; k < CHAINS; k++) acc[k] = FMA(acc[k], a, b);  \
        }                                                                                          \
        for (int k = 1; k < CHAINS; k++)                                                           \
            acc[0] = ADD(acc[0], acc[k]);                                                          \
        return REDUCE(acc[0]);                                                                     \
    }

/* Two lanes of an AVX2 result: enough to keep every chain's work live. */
static inline __attribute__((target("avx"))) double two_lanes_ps(__m256 v)
{
    float f[8];
    _mm256_storeu_ps(f, v);
    return (double)f[0] + (double)f[7];
}

static inline __attribute__((target("avx"))) double two_lanes_pd(__m256d v)
{
    double d[4];
    _mm256_storeu_pd(d, v);
    return d[0] + d[3];
}

#define SET512_PS(x) _mm512_set1_ps((float)(x))
#define SET256_PS(x) _mm256_set1_ps((float)(x))
#define REDUCE512_PS(v) ((double)_mm512_reduce_add_ps(v))
CHAIN_KERNEL(chains_avx512_ps, "avx512f", __m512, SET512_PS, _mm512_fmadd_ps, _mm512_add_ps,
             REDUCE512_PS)
CHAIN_KERNEL(chains_avx512_pd, "avx512f", __m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd,
             _mm512_reduce_add_pd)
CHAIN_KERNEL(chains_avx2_ps, "avx2,fma", __m256, SET256_PS, _mm256_fmadd_ps, _mm256_add_ps,
             two_lanes_ps)
CHAIN_KERNEL(chains_avx2_pd, "avx2,fma", __m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd,
             two_lanes_pd)
#endif

bool bench_fma_init(bench_fma *f, bool f64, int threads)
{
    *f = (bench_fma){f64, threads > 0 ? threads : 1, ITERS, NULL, false};
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f"))
        f->isa = "avx512f", f->wide = true;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        f->isa = "avx2";
#endif
#ifndef _OPENMP
    f->threads = 1;
#endif
    return f->isa != NULL;
}

double bench_fma_flop(const bench_fma *f)
{
    double lanes = (f->wide ? 64.0 : 32.0) / (f->f64 ? 8 : 4);
    return 2.0 * CHAINS * lanes * (double)f->iters * f->threads;
}

static double one_thread(const bench_fma *f)
{
#if defined(__x86_64__)
    if (f->f64)
        return f->wide ? chains_avx512_pd(f->iters) : chains_avx2_pd(f->iters);
    return f->wide ? chains_avx512_ps(f->iters) : chains_avx2_ps(f->iters);
#else
    (void)f;
    return 0;
#endif
}

mha_status bench_fma_run(const void *ctx)
{
    const bench_fma *f = ctx;
    double total = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(f->threads) reduction(+ : total)
#endif
    total += one_thread(f);
    sink = total;
    return MHA_OK;
}
