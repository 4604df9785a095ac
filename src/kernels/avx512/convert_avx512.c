/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16 on AVX-512, 16 lanes; the tails (n mod 16) through masked loads and stores,
 * which touch no memory past the row. Built into every x86-64 library; runs only where
 * mha_convert_pick finds the instructions. */
#include "convert.h"

#if defined(MHA_X86_KERNELS)
#include <immintrin.h>

#include "bf16_avx512.h"

/* F for the arithmetic; BW and VL for masked loads and stores of 16 16-bit lanes. */
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define W 16

/* Lanes [0, n), n < 16. */
static inline TARGET __mmask16 tail_mask(size_t n)
{
    return (__mmask16)((1u << n) - 1);
}

/* bf16 lanes widened to their float bits; a NaN gets its quiet bit first, as the scalar helper. */
static inline TARGET __m512 widen_bf16(__m256i h)
{
    const __m512i x = _mm512_cvtepu16_epi32(h);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFF)),
                                                     _mm512_set1_epi32(0x7F80));
    const __m512i quiet = _mm512_mask_or_epi32(x, is_nan, x, _mm512_set1_epi32(0x0040));
    return _mm512_castsi512_ps(_mm512_slli_epi32(quiet, 16));
}

/* Rounded as the scalar helper rounds (bf16_avx512.h), narrowed to 16 bits. */
static inline TARGET __m256i narrow_bf16(__m512 x)
{
    return _mm512_cvtepi32_epi16(mha_bf16_round_avx512(_mm512_castps_si512(x)));
}

/* VCVTPH2PS and VCVTPS2PH are exact IEEE conversions: subnormals both ways, overflow to ±Inf, NaN
 * made quiet. The rounding comes from the immediate (nearest even), not from MXCSR. */
static inline TARGET __m512 widen_f16(__m256i h)
{
    return _mm512_cvtph_ps(h);
}

static inline TARGET __m256i narrow_f16(__m512 x)
{
    return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* The row kernels: 16 lanes at a time, the tail through masked loads and stores. */
#define WIDEN_ROW(name, Half, widen)                                                               \
    TARGET void name(const Half *src, float *dst, size_t n)                                        \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + W <= n; i += W)                                                                 \
            _mm512_storeu_ps(dst + i, widen(_mm256_loadu_si256((const __m256i *)(src + i))));      \
        if (i < n) {                                                                               \
            const __mmask16 m = tail_mask(n - i);                                                  \
            _mm512_mask_storeu_ps(dst + i, m, widen(_mm256_maskz_loadu_epi16(m, src + i)));        \
        }                                                                                          \
    }

#define NARROW_ROW(name, Half, narrow)                                                             \
    TARGET void name(const float *src, Half *dst, size_t n)                                        \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + W <= n; i += W)                                                                 \
            _mm256_storeu_si256((__m256i *)(dst + i), narrow(_mm512_loadu_ps(src + i)));           \
        if (i < n) {                                                                               \
            const __mmask16 m = tail_mask(n - i);                                                  \
            _mm256_mask_storeu_epi16(dst + i, m, narrow(_mm512_maskz_loadu_ps(m, src + i)));       \
        }                                                                                          \
    }

WIDEN_ROW(mha_widen_bf16_avx512, mha_bf16, widen_bf16)
NARROW_ROW(mha_narrow_bf16_avx512, mha_bf16, narrow_bf16)
WIDEN_ROW(mha_widen_f16_avx512, mha_f16, widen_f16)
NARROW_ROW(mha_narrow_f16_avx512, mha_f16, narrow_f16)

#endif
