/* SPDX-License-Identifier: MIT */
/* The table of softmax kernel sets (softmax_kernels.h): the one list that dispatch, the runtime
 * report and the kernel tests share. */
#include "softmax_kernels.h"

static bool runs_anywhere(void)
{
    return true;
}

const mha_softmax_isa mha_softmax_isas[] = {
#if defined(MHA_X86_BF16_KERNELS)
    /* AVX-512F's kernels again (double: the same ones), plus P written in bf16 in one pass. */
    {"avx512bf16", mha_cpu_has_avx512bf16, mha_softmax_row_avx512bf16_f32,
     mha_softmax_row_avx512_f64, mha_exp_avx512bf16_f32, mha_exp_avx512_f64,
     mha_softmax_row_to_bf16_avx512bf16_f32},
#endif
#if defined(MHA_X86_KERNELS)
    {"avx512f", mha_cpu_has_avx512f, mha_softmax_row_avx512_f32, mha_softmax_row_avx512_f64,
     mha_exp_avx512_f32, mha_exp_avx512_f64, NULL},
    {"avx2", mha_cpu_has_avx2_fma, mha_softmax_row_avx2_f32, mha_softmax_row_avx2_f64,
     mha_exp_avx2_f32, mha_exp_avx2_f64, NULL},
#endif
    {"scalar", runs_anywhere, mha_softmax_row_scalar_f32, mha_softmax_row_scalar_f64, NULL, NULL,
     NULL},
};

const size_t mha_softmax_isa_count = sizeof mha_softmax_isas / sizeof mha_softmax_isas[0];

MHA_DEFINE_PICK(mha_softmax_isa_best, mha_softmax_isa, mha_softmax_isas, runs)

mha_softmax_row_to_fn_bf16 *mha_softmax_pick_to_bf16(void)
{
    return mha_softmax_isa_best()->row_to_bf16;
}

mha_softmax_row_to_fn_f16 *mha_softmax_pick_to_f16(void)
{
    return NULL;
}
