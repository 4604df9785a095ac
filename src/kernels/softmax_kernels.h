/* SPDX-License-Identifier: MIT */
/* Every row-softmax kernel by name, the vector exps under them, and their table: shared by the
 * softmax sources, the runtime report and tests/test_softmax.c, which runs each variant the CPU
 * has. The driver sees only softmax.h. */
#ifndef MHA_SOFTMAX_KERNELS_H
#define MHA_SOFTMAX_KERNELS_H

#include "cpu.h"
#include "dtype.h"
#include "softmax.h"

#include <stdbool.h>
#include <stddef.h>

/* y[j] = exp(x[j]) for x[j] ≤ 0, −inf or NaN (larger x is outside the contract): a few ulp,
 * gradual underflow, exactly 0 below the underflow threshold and at −inf, NaN for NaN, exactly
 * 1 at 0. The AVX2 and AVX-512 variants give the same bits. Exposed for the tests. */
typedef void mha_exp_fn_f32(float *y, const float *x, size_t n);
typedef void mha_exp_fn_f64(double *y, const double *x, size_t n);

/* Portable C with libm's exp; the reference the vector kernels are held to, and the fallback. */
mha_softmax_row_fn_f32 mha_softmax_row_scalar_f32;
mha_softmax_row_fn_f64 mha_softmax_row_scalar_f64;

/* The end of every kernel for a row whose max is −inf (all −inf or NaN, or n == 0): zeros, −inf
 * and sum 0 — or, if a NaN hides among the −inf (max passes may skip NaN), NaN everywhere. */
float mha_softmax_unseen_row_f32(float *row, size_t n, float *row_max);
double mha_softmax_unseen_row_f64(double *row, size_t n, double *row_max);

/* The vector kernels exist where cpu.h's tests do (MHA_X86_KERNELS). */
#if defined(MHA_X86_KERNELS)
mha_softmax_row_fn_f32 mha_softmax_row_avx2_f32, mha_softmax_row_avx512_f32;
mha_softmax_row_fn_f64 mha_softmax_row_avx2_f64, mha_softmax_row_avx512_f64;
mha_exp_fn_f32 mha_exp_avx2_f32, mha_exp_avx512_f32;
mha_exp_fn_f64 mha_exp_avx2_f64, mha_exp_avx512_f64;
#if defined(MHA_X86_BF16_KERNELS)
mha_softmax_row_fn_f32 mha_softmax_row_avx512bf16_f32;
mha_exp_fn_f32 mha_exp_avx512bf16_f32;
mha_softmax_row_to_fn_bf16 mha_softmax_row_to_bf16_avx512bf16_f32;
#endif
#endif

/* One instruction set's kernels (cpu.h). The library, the runtime report and tests/test_softmax.c
 * all walk this table, so a new ISA is one more row here and is dispatched, reported and tested
 * from then on. */
typedef struct mha_softmax_isa {
    const char *name;   /* as mha_runtime.softmax_isa reports it */
    bool (*runs)(void); /* does this CPU (and its OS) run them */
    /* By the arithmetic's format (f32, f64): the row kernel (mha_softmax_row_fn_<format>), and the
     * vector exp under it (mha_exp_fn_<format>; NULL for the scalar row, which calls libm). */
    mha_kernel_fn *row[MHA_FORMAT_COUNT];
    mha_kernel_fn *exp[MHA_FORMAT_COUNT];
    /* By P's format: the float row kernel that also writes P in it (mha_softmax_row_to_fn_<format>;
     * NULL: none for this ISA). */
    mha_kernel_fn *row_to[MHA_FORMAT_COUNT];
} mha_softmax_isa;

/* Every kernel set of this build, the fastest first; the last, the portable one, runs anywhere. */
extern const mha_softmax_isa mha_softmax_isas[];
extern const size_t mha_softmax_isa_count;

/* The first row of mha_softmax_isas this CPU runs: a few loads and bit tests, no state kept. */
const mha_softmax_isa *mha_softmax_isa_best(void);

#endif
