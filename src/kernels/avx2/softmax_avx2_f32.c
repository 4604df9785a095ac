/* SPDX-License-Identifier: MIT */
/* The row softmax in float on AVX2+FMA, 8 lanes: the vector operations softmax_simd_impl.h is
 * written in. Built into every x86-64 library; runs only where mha_softmax_pick_f32 finds the
 * instructions. */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#include <immintrin.h>

#include "type_f32.h"
#define ISA(name) name##_avx2
#define EXP_F64 0
/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma")))

typedef __m256 vec;
#define W 8

static inline TARGET vec vset1(float a)
{
    return _mm256_set1_ps(a);
}

static inline TARGET vec vload(const float *p)
{
    return _mm256_loadu_ps(p);
}

static inline TARGET void vstore(float *p, vec v)
{
    _mm256_storeu_ps(p, v);
}

static inline TARGET vec vadd(vec a, vec b)
{
    return _mm256_add_ps(a, b);
}

static inline TARGET vec vsub(vec a, vec b)
{
    return _mm256_sub_ps(a, b);
}

static inline TARGET vec vmul(vec a, vec b)
{
    return _mm256_mul_ps(a, b);
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return _mm256_fmadd_ps(a, b, c);
}

static inline TARGET vec vmax(vec a, vec b)
{
    return _mm256_max_ps(a, b);
}

static inline TARGET vec vround(vec x)
{
    return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* 2^e for integer e in [−126, 0], built in the exponent field. */
static inline TARGET vec pow2(__m256i e)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}

/* k goes down to −151, past the smallest normal exponent (−126), so 2^k is applied in two halves
 * k1 = k >> 1, k2 = k − k1, each ≥ −76: p·2^k1 is exact (p ≥ 0.7, so it stays normal), and the
 * second product is the only rounding, into a subnormal when the result is one. */
static inline TARGET vec vscale2(vec p, vec k)
{
    const __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1);
    return vmul(vmul(p, pow2(k1)), pow2(_mm256_sub_epi32(ki, k1)));
}

/* All ones in lanes [0, n). */
static inline TARGET __m256i tail_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline TARGET vec vload_tail(const float *p, size_t n, float fill)
{
    const __m256i k = tail_mask(n);
    return _mm256_blendv_ps(vset1(fill), _mm256_maskload_ps(p, k), _mm256_castsi256_ps(k));
}

static inline TARGET void vstore_tail(float *p, size_t n, vec v)
{
    _mm256_maskstore_ps(p, tail_mask(n), v);
}

static inline TARGET float vhmax(vec v)
{
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}

static inline TARGET float vhadd(vec v)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

#include "softmax_simd_impl.h"

#endif
