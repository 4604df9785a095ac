/* SPDX-License-Identifier: MIT */
/* The table of softmax kernel sets (softmax_kernels.h): the one list that dispatch, the runtime
 * report and the kernel tests share. */
#include "softmax_kernels.h"

/* The row and exp kernels of both arithmetics: float's of one ISA, double's of another. */
#define REAL_COLUMNS(isa_f32, isa_f64)                                                             \
    .row = {[MHA_FORMAT_F32] =                                                                     \
                MHA_KERNEL(mha_softmax_row_fn_f32, mha_softmax_row_##isa_f32##_f32),               \
            [MHA_FORMAT_F64] =                                                                     \
                MHA_KERNEL(mha_softmax_row_fn_f64, mha_softmax_row_##isa_f64##_f64)},              \
    .exp = {[MHA_FORMAT_F32] = MHA_KERNEL(mha_exp_fn_f32, mha_exp_##isa_f32##_f32),                \
            [MHA_FORMAT_F64] = MHA_KERNEL(mha_exp_fn_f64, mha_exp_##isa_f64##_f64)}

const mha_softmax_isa mha_softmax_isas[] = {
#if defined(MHA_X86_BF16_KERNELS)
    /* AVX-512F's kernels again (double: the same ones), plus P written in bf16 in one pass. */
    {"avx512bf16", mha_cpu_has_avx512bf16, REAL_COLUMNS(avx512bf16, avx512),
     .row_to = {[MHA_FORMAT_BF16] = MHA_KERNEL(mha_softmax_row_to_fn_bf16,
                                               mha_softmax_row_to_bf16_avx512bf16_f32)}},
#endif
#if defined(MHA_X86_KERNELS)
    {"avx512f", mha_cpu_has_avx512f, REAL_COLUMNS(avx512, avx512)},
    {"avx2", mha_cpu_has_avx2_fma, REAL_COLUMNS(avx2, avx2)},
#endif
    {"scalar", mha_cpu_runs_anywhere,
     .row = {[MHA_FORMAT_F32] = MHA_KERNEL(mha_softmax_row_fn_f32, mha_softmax_row_scalar_f32),
             [MHA_FORMAT_F64] = MHA_KERNEL(mha_softmax_row_fn_f64, mha_softmax_row_scalar_f64)}},
};

const size_t mha_softmax_isa_count = sizeof mha_softmax_isas / sizeof mha_softmax_isas[0];

MHA_DEFINE_PICK(mha_softmax_isa_best, mha_softmax_isa, mha_softmax_isas)
