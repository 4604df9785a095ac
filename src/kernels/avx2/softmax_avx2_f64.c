/* SPDX-License-Identifier: MIT */
/* The row softmax in double on AVX2+FMA, 4 lanes: the vector operations softmax_simd_impl.h is
 * written in. Built into every x86-64 library; runs only where mha_softmax_pick_f64 finds the
 * instructions. */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#include <immintrin.h>

#include "type_f64.h"
#define ISA(name) name##_avx2
#define EXP_F64 1
/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma")))

typedef __m256d vec;
#define W 4

static inline TARGET vec vset1(double a)
{
    return _mm256_set1_pd(a);
}

static inline TARGET vec vload(const double *p)
{
    return _mm256_loadu_pd(p);
}

static inline TARGET void vstore(double *p, vec v)
{
    _mm256_storeu_pd(p, v);
}

static inline TARGET vec vadd(vec a, vec b)
{
    return _mm256_add_pd(a, b);
}

static inline TARGET vec vsub(vec a, vec b)
{
    return _mm256_sub_pd(a, b);
}

static inline TARGET vec vmul(vec a, vec b)
{
    return _mm256_mul_pd(a, b);
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return _mm256_fmadd_pd(a, b, c);
}

static inline TARGET vec vmax(vec a, vec b)
{
    return _mm256_max_pd(a, b);
}

static inline TARGET vec vround(vec x)
{
    return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* 2^k for integral k in [−1022, 0], built in the exponent field. AVX2 has no double → int64
 * conversion, so k + 1.5·2^52 (exact) leaves k in the low mantissa bits; the constant's low 12
 * bits are zero, so adding the bias and shifting by 52 keeps exactly k + 1023. */
static inline TARGET vec pow2(vec k)
{
    const __m256i bits = _mm256_castpd_si256(_mm256_add_pd(k, vset1(0x1.8p52)));
    const __m256i e = _mm256_add_epi64(bits, _mm256_set1_epi64x(1023));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}

/* k goes down to −1076, past the smallest normal exponent (−1022), so 2^k is applied in two halves
 * k1 = round(k/2), k2 = k − k1, each ≥ −538: p·2^k1 is exact (p ≥ 0.7, so it stays normal), and
 * the second product is the only rounding, into a subnormal when the result is one. */
static inline TARGET vec vscale2(vec p, vec k)
{
    const vec k1 = vround(vmul(k, vset1(0.5)));
    return vmul(vmul(p, pow2(k1)), pow2(vsub(k, k1)));
}

/* All ones in lanes [0, n). */
static inline TARGET __m256i tail_mask(size_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), _mm256_setr_epi64x(0, 1, 2, 3));
}

static inline TARGET vec vload_tail(const double *p, size_t n, double fill)
{
    const __m256i k = tail_mask(n);
    return _mm256_blendv_pd(vset1(fill), _mm256_maskload_pd(p, k), _mm256_castsi256_pd(k));
}

static inline TARGET void vstore_tail(double *p, size_t n, vec v)
{
    _mm256_maskstore_pd(p, tail_mask(n), v);
}

static inline TARGET double vhmax(vec v)
{
    const __m128d h = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(h, _mm_unpackhi_pd(h, h)));
}

static inline TARGET double vhadd(vec v)
{
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

#include "softmax_simd_impl.h"

#endif
