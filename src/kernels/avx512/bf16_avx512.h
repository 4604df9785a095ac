/* SPDX-License-Identifier: MIT */
/* Float → bf16 rounding on 16 AVX-512 lanes, shared by the conversion kernels and the softmax that
 * writes P in bf16. Include after <immintrin.h>, under MHA_X86_KERNELS. */
#ifndef MHA_BF16_AVX512_H
#define MHA_BF16_AVX512_H

#include <immintrin.h>

/* The float bits x rounded to bf16 in the low 16 bits of each lane, as the scalar helper does
 * (mha_float_to_bf16): integer round to nearest even, a NaN kept with its quiet bit set. Not
 * VCVTNEPS2BF16: it flushes subnormal inputs to zero. */
static inline __attribute__((target("avx512f"))) __m512i mha_bf16_round_avx512(__m512i x)
{
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(
        _mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    const __m512i nan = _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x0040));
    return _mm512_mask_mov_epi32(rounded, is_nan, nan);
}

#endif
