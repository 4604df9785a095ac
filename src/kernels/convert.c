/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16: the portable kernels and the choice among the variants. */
#include "convert.h"

#include "cpu.h"

/* A portable row kernel: the scalar helper of convert.h on every element. */
#define SCALAR_ROW(name, Src, Dst, convert)                                                        \
    void name(const Src *src, Dst *dst, size_t n)                                                  \
    {                                                                                              \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[i] = convert(src[i]);                                                              \
    }

SCALAR_ROW(mha_widen_bf16_scalar, mha_bf16, float, mha_bf16_to_float)
SCALAR_ROW(mha_narrow_bf16_scalar, float, mha_bf16, mha_float_to_bf16)
SCALAR_ROW(mha_widen_f16_scalar, mha_f16, float, mha_f16_to_float)
SCALAR_ROW(mha_narrow_f16_scalar, float, mha_f16, mha_float_to_f16)

static bool always(void)
{
    return true;
}

const mha_convert_kernels mha_convert_variants[] = {
#if defined(MHA_X86_KERNELS)
    {"avx512", mha_cpu_has_avx512_bw_vl, mha_widen_bf16_avx512, mha_narrow_bf16_avx512,
     mha_widen_f16_avx512, mha_narrow_f16_avx512},
    {"avx2", mha_cpu_has_avx2_f16c, mha_widen_bf16_avx2, mha_narrow_bf16_avx2, mha_widen_f16_avx2,
     mha_narrow_f16_avx2},
#endif
    {"scalar", always, mha_widen_bf16_scalar, mha_narrow_bf16_scalar, mha_widen_f16_scalar,
     mha_narrow_f16_scalar},
};
const size_t mha_convert_n_variants = sizeof mha_convert_variants / sizeof mha_convert_variants[0];

/* Asked at every call, as the softmax is (softmax_impl.h): no global remembers the answer, so the
 * library keeps no mutable state. The first variant the CPU runs is the widest. */
MHA_DEFINE_PICK(mha_convert_pick, mha_convert_kernels, mha_convert_variants, have)

void mha_widen_bf16(const mha_bf16 *src, float *dst, size_t n)
{
    mha_convert_pick()->widen_bf16(src, dst, n);
}

void mha_narrow_bf16(const float *src, mha_bf16 *dst, size_t n)
{
    mha_convert_pick()->narrow_bf16(src, dst, n);
}

void mha_widen_f16(const mha_f16 *src, float *dst, size_t n)
{
    mha_convert_pick()->widen_f16(src, dst, n);
}

void mha_narrow_f16(const float *src, mha_f16 *dst, size_t n)
{
    mha_convert_pick()->narrow_f16(src, dst, n);
}
