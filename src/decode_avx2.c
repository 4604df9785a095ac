/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX2 with FMA and F16C, 8 float lanes: f32, bf16 and f16 caches, widened in
 * registers (bf16: zero-extend and shift; f16: F16C's VCVTPH2PS). Built into every x86-64 library;
 * runs only where mha_decode_isa_best finds AVX2, FMA and F16C. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "convert.h"

#include <immintrin.h>

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma,f16c")))

typedef __m256 vec;
#define W 8
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 2 vectors (16 columns)
 * of the output, 8 of the 16 ymm registers, with 2 V vectors and a broadcast beside them. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 2

static inline TARGET vec vzero(void)
{
    return _mm256_setzero_ps();
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return _mm256_fmadd_ps(a, b, c);
}

static inline TARGET vec vloadf(const float *p)
{
    return _mm256_loadu_ps(p);
}

static inline TARGET void vstoref(float *p, vec v)
{
    _mm256_storeu_ps(p, v);
}

static inline TARGET vec vset1(float a)
{
    return _mm256_set1_ps(a);
}

static inline TARGET float vsum(vec v)
{
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}

static inline TARGET vec vload_f32(const float *p)
{
    return _mm256_loadu_ps(p);
}

static inline TARGET vec vload_bf16(const mha_bf16 *p)
{
    const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
}

static inline TARGET vec vload_f16(const mha_f16 *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

static inline float f32_to_f(float x)
{
    return x;
}

/* clang-format off */
#define KV float
#define KV_NAME(kind) mha_decode_##kind##_avx2_f32
#define vloadkv vload_f32
#define KV_TO_F f32_to_f
#include "decode_simd_impl.h"
#undef KV
#undef KV_NAME
#undef vloadkv
#undef KV_TO_F

#define KV mha_bf16
#define KV_NAME(kind) mha_decode_##kind##_avx2_bf16
#define vloadkv vload_bf16
#define KV_TO_F mha_bf16_to_float
#include "decode_simd_impl.h"
#undef KV
#undef KV_NAME
#undef vloadkv
#undef KV_TO_F

#define KV mha_f16
#define KV_NAME(kind) mha_decode_##kind##_avx2_f16
#define vloadkv vload_f16
#define KV_TO_F mha_f16_to_float
#include "decode_simd_impl.h"
/* clang-format on */
#endif
