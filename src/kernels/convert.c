/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16: the portable kernels, the table of variants and the choice among them. */
#include "convert.h"

/* The portable row kernels of one half format: the scalar helpers of convert.h on every element. */
#define SCALAR_ROWS(sfx, Half, to_float, from_float)                                               \
    void mha_widen_scalar##sfx(const void *src, float *dst, size_t n)                              \
    {                                                                                              \
        const Half *s = src;                                                                       \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[i] = to_float(s[i]);                                                               \
    }                                                                                              \
    void mha_narrow_scalar##sfx(const float *src, void *dst, size_t n)                             \
    {                                                                                              \
        Half *d = dst;                                                                             \
        for (size_t i = 0; i < n; i++)                                                             \
            d[i] = from_float(src[i]);                                                             \
    }

SCALAR_ROWS(_bf16, mha_bf16, mha_bf16_to_float, mha_float_to_bf16)
SCALAR_ROWS(_f16, mha_f16, mha_f16_to_float, mha_float_to_f16)

/* One variant's kernels, a column per half format. */
#define HALF_COLUMNS(isa)                                                                          \
    .widen =                                                                                       \
        {[MHA_FORMAT_BF16] = mha_widen_##isa##_bf16, [MHA_FORMAT_F16] = mha_widen_##isa##_f16},    \
    .narrow = {                                                                                    \
        [MHA_FORMAT_BF16] = mha_narrow_##isa##_bf16, [MHA_FORMAT_F16] = mha_narrow_##isa##_f16}

const mha_convert_isa mha_convert_isas[] = {
#if defined(MHA_X86_KERNELS)
    {"avx512f", mha_cpu_has_avx512_bw_vl, HALF_COLUMNS(avx512)},
    {"avx2", mha_cpu_has_avx2_f16c, HALF_COLUMNS(avx2)},
#endif
    {"scalar", mha_cpu_runs_anywhere, HALF_COLUMNS(scalar)},
};
const size_t mha_convert_isa_count = sizeof mha_convert_isas / sizeof mha_convert_isas[0];

/* Asked at every call, as the softmax is (softmax_impl.h): no global remembers the answer, so the
 * library keeps no mutable state. The first variant the CPU runs is the widest. */
MHA_DEFINE_PICK(mha_convert_isa_best, mha_convert_isa, mha_convert_isas)

void mha_widen_bf16(const mha_bf16 *src, float *dst, size_t n)
{
    mha_convert_isa_best()->widen[MHA_FORMAT_BF16](src, dst, n);
}

void mha_narrow_bf16(const float *src, mha_bf16 *dst, size_t n)
{
    mha_convert_isa_best()->narrow[MHA_FORMAT_BF16](src, dst, n);
}

void mha_widen_f16(const mha_f16 *src, float *dst, size_t n)
{
    mha_convert_isa_best()->widen[MHA_FORMAT_F16](src, dst, n);
}

void mha_narrow_f16(const float *src, mha_f16 *dst, size_t n)
{
    mha_convert_isa_best()->narrow[MHA_FORMAT_F16](src, dst, n);
}
