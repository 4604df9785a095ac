/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16 on AVX2 and F16C, 8 lanes; the tails (n mod 8) on the scalar helpers, which
 * give the same bits. Built into every x86-64 library; runs only where mha_convert_pick finds the
 * instructions. */
#include "convert.h"

#if defined(MHA_X86_KERNELS)
#include <immintrin.h>

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,f16c")))

/* bf16 lanes widened to their float bits; a NaN gets its quiet bit first, as the scalar helper. */
static inline TARGET __m256i widen_bits(__m128i h)
{
    const __m256i x = _mm256_cvtepu16_epi32(h);
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFF)),
                                              _mm256_set1_epi32(0x7F80));
    const __m256i quiet = _mm256_and_si256(is_nan, _mm256_set1_epi32(0x0040));
    return _mm256_slli_epi32(_mm256_or_si256(x, quiet), 16);
}

TARGET void mha_widen_bf16_avx2(const mha_bf16 *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128((const __m128i *)(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), widen_bits(h));
    }
    for (; i < n; i++)
        dst[i] = mha_bf16_to_float(src[i]);
}

/* The scalar helper's integer rounding on 8 lanes (see mha_float_to_bf16); the result in the low
 * 16 bits of each lane. The signed compare is safe: both sides are below 2^31. */
static inline TARGET __m256i narrow_bits(__m256i x)
{
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(
        _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF)),
                                              _mm256_set1_epi32(0x7F800000));
    const __m256i nan = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x0040));
    return _mm256_blendv_epi8(rounded, nan, is_nan);
}

TARGET void mha_narrow_bf16_avx2(const float *src, mha_bf16 *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i r = narrow_bits(_mm256_loadu_si256((const __m256i *)(src + i)));
        /* Every lane is at most 0xFFFF, so the unsigned-saturating pack only packs. */
        const __m128i h =
            _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++)
        dst[i] = mha_float_to_bf16(src[i]);
}

/* VCVTPH2PS and VCVTPS2PH are exact IEEE conversions: subnormals both ways (neither flushes, FTZ
 * and DAZ are not consulted for these half values), overflow to ±Inf, NaN made quiet. The
 * rounding comes from the immediate, not from MXCSR. */
TARGET void mha_widen_f16_avx2(const mha_f16 *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = mha_f16_to_float(src[i]);
}

TARGET void mha_narrow_f16_avx2(const float *src, mha_f16 *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++)
        dst[i] = mha_float_to_f16(src[i]);
}

#endif
