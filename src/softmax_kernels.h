/* SPDX-License-Identifier: MIT */
/* Every row-softmax kernel by name, the vector exps under them and the CPU tests that choose among
 * them: shared by the softmax sources and by tests/test_softmax.c, which runs each variant the CPU
 * has. The driver sees only softmax.h. */
#ifndef MHA_SOFTMAX_KERNELS_H
#define MHA_SOFTMAX_KERNELS_H

#include "softmax.h"

#include <stdbool.h>
#include <stddef.h>

/* Portable C with libm's exp; the reference the vector kernels are held to, and the fallback. */
mha_softmax_row_fn_f32 mha_softmax_row_scalar_f32;
mha_softmax_row_fn_f64 mha_softmax_row_scalar_f64;

/* The end of every kernel for a row whose max is −inf (all −inf or NaN, or n == 0): zeros, −inf
 * and sum 0 — or, if a NaN hides among the −inf (max passes may skip NaN), NaN everywhere. */
float mha_softmax_unseen_row_f32(float *row, size_t n, float *row_max);
double mha_softmax_unseen_row_f64(double *row, size_t n, double *row_max);

/* MHA_X86_KERNELS is defined by the build when the compiler takes per-function target attributes
 * and __builtin_cpu_supports (GCC, clang on x86-64). Without it only the portable kernel exists. */
#if defined(MHA_X86_KERNELS)

mha_softmax_row_fn_f32 mha_softmax_row_avx2_f32, mha_softmax_row_avx512_f32;
mha_softmax_row_fn_f64 mha_softmax_row_avx2_f64, mha_softmax_row_avx512_f64;

/* y[j] = exp(x[j]) for x[j] ≤ 0, −inf or NaN (larger x is outside the contract): a few ulp,
 * gradual underflow, exactly 0 below the underflow threshold and at −inf, NaN for NaN, exactly
 * 1 at 0. The AVX2 and AVX-512 variants give the same bits. Exposed for the tests. */
void mha_exp_avx2_f32(float *y, const float *x, size_t n);
void mha_exp_avx512_f32(float *y, const float *x, size_t n);
void mha_exp_avx2_f64(double *y, const double *x, size_t n);
void mha_exp_avx512_f64(double *y, const double *x, size_t n);

/* __builtin_cpu_supports reads flags that libgcc's start-up constructor filled from CPUID and
 * XGETBV (so "avx512f" also means the OS saves the zmm registers): a load and a bit test. */
static inline bool mha_cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline bool mha_cpu_has_avx512f(void)
{
    return __builtin_cpu_supports("avx512f");
}

#endif

#endif
