/* SPDX-License-Identifier: MIT */
/* The table of decode kernel sets (decode_kernels.h): dispatch, and the tests' list of variants. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
/* FMA for the arithmetic, F16C for the f16 widening. */
static bool runs_avx2(void)
{
    return mha_cpu_has_avx2_fma() && mha_cpu_has_avx2_f16c();
}
#endif

/* The kernels `kind` of one kernel set, a column per cache format. */
#define FORMATS(kind, isa)                                                                         \
    {                                                                                              \
        [MHA_FORMAT_F32] =                                                                         \
            MHA_KERNEL(mha_decode_##kind##_fn_f32, mha_decode_##kind##_##isa##_f32),               \
        [MHA_FORMAT_F64] =                                                                         \
            MHA_KERNEL(mha_decode_##kind##_fn_f64, mha_decode_##kind##_##isa##_f64),               \
        [MHA_FORMAT_BF16] =                                                                        \
            MHA_KERNEL(mha_decode_##kind##_fn_bf16, mha_decode_##kind##_##isa##_bf16),             \
        [MHA_FORMAT_F16] =                                                                         \
            MHA_KERNEL(mha_decode_##kind##_fn_f16, mha_decode_##kind##_##isa##_f16),               \
    }

const mha_decode_isa mha_decode_isas[] = {
#if defined(MHA_X86_KERNELS)
    {"avx512f", mha_cpu_has_avx512f, FORMATS(scores, avx512), FORMATS(lanes, avx512),
     FORMATS(pv, avx512)},
    {"avx2", runs_avx2, FORMATS(scores, avx2), FORMATS(lanes, avx2), FORMATS(pv, avx2)},
#endif
    {"scalar", mha_cpu_runs_anywhere, .scores = FORMATS(scores, scalar), .pv = FORMATS(pv, scalar)},
};

const size_t mha_decode_isa_count = sizeof mha_decode_isas / sizeof mha_decode_isas[0];

MHA_DEFINE_PICK(mha_decode_isa_best, mha_decode_isa, mha_decode_isas)
