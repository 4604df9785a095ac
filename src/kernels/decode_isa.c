/* SPDX-License-Identifier: MIT */
/* The table of decode kernel sets (decode_kernels.h): dispatch, and the tests' list of variants. */
#include "decode_kernels.h"

#include "convert.h"

static bool runs_anywhere(void)
{
    return true;
}

#if defined(MHA_X86_KERNELS)
/* FMA for the arithmetic, F16C for the f16 widening. */
static bool runs_avx2(void)
{
    return mha_cpu_has_avx2_fma() && mha_cpu_has_avx2_f16c();
}
#endif

#define VECTOR_ROW(name, runs, isa)                                                                \
    {                                                                                              \
        name, runs, mha_decode_scores_##isa##_f32, mha_decode_lanes_##isa##_f32,                   \
            mha_decode_pv_##isa##_f32, mha_decode_scores_##isa##_f64,                              \
            mha_decode_lanes_##isa##_f64, mha_decode_pv_##isa##_f64,                               \
            mha_decode_scores_##isa##_bf16, mha_decode_lanes_##isa##_bf16,                         \
            mha_decode_pv_##isa##_bf16, mha_decode_scores_##isa##_f16,                             \
            mha_decode_lanes_##isa##_f16, mha_decode_pv_##isa##_f16                                \
    }

const mha_decode_isa mha_decode_isas[] = {
#if defined(MHA_X86_KERNELS)
    VECTOR_ROW("avx512f", mha_cpu_has_avx512f, avx512),
    VECTOR_ROW("avx2", runs_avx2, avx2),
#endif
    {"scalar", runs_anywhere, mha_decode_scores_scalar_f32, NULL, mha_decode_pv_scalar_f32,
     mha_decode_scores_scalar_f64, NULL, mha_decode_pv_scalar_f64, mha_decode_scores_scalar_bf16,
     NULL, mha_decode_pv_scalar_bf16, mha_decode_scores_scalar_f16, NULL, mha_decode_pv_scalar_f16},
};

const size_t mha_decode_isa_count = sizeof mha_decode_isas / sizeof mha_decode_isas[0];

MHA_DEFINE_PICK(mha_decode_isa_best, mha_decode_isa, mha_decode_isas, runs)
