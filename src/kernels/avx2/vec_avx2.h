/* SPDX-License-Identifier: MIT */
/* The vector layer on AVX2 (vec.h lists the operations): float in 8 lanes, double in 4; the half
 * formats through F16C (f16) and integer rounding (bf16). FMA is the kernels' own (vfma is
 * VFMADD, in kernels that carry it); the functions here need AVX2 alone, or AVX2 and F16C. Include
 * under MHA_X86_KERNELS. */
#ifndef MHA_VEC_AVX2_H
#define MHA_VEC_AVX2_H

#include "convert.h"
#include "vec.h"

#define VEC_ISA _avx2
#define VEC_PREFIX _mm256
#define VEC_BYTES 32
typedef __m256 vec_float;
typedef __m256d vec_double;
/* No vhadd16: 8-lane vectors leave too few registers for 16 accumulators. */
#define VEC_HADD16 0

#define VEC_FN static inline __attribute__((always_inline, target("avx2")))
#define VEC_F16C_FN static inline __attribute__((always_inline, target("avx2,f16c")))

VEC_FN __m256 vround_f32(__m256 x)
{
    return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

VEC_FN __m256d vround_f64(__m256d x)
{
    return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* 2^e for integer e in [−126, 0], built in the exponent field. */
VEC_FN __m256 vpow2_f32(__m256i e)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}

/* k goes down to −151, past the smallest normal exponent (−126), so 2^k is applied in two halves
 * k1 = k >> 1, k2 = k − k1, each ≥ −76: p·2^k1 is exact (p ≥ 0.7, so it stays normal), and the
 * second product is the only rounding, into a subnormal when the result is one. */
VEC_FN __m256 vscale2_f32(__m256 p, __m256 k)
{
    const __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, vpow2_f32(k1)), vpow2_f32(_mm256_sub_epi32(ki, k1)));
}

/* 2^k for integral k in [−1022, 0], built in the exponent field. AVX2 has no double → int64
 * conversion, so k + 1.5·2^52 (exact) leaves k in the low mantissa bits; the constant's low 12
 * bits are zero, so adding the bias and shifting by 52 keeps exactly k + 1023. */
VEC_FN __m256d vpow2_f64(__m256d k)
{
    const __m256i bits = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(0x1.8p52)));
    const __m256i e = _mm256_add_epi64(bits, _mm256_set1_epi64x(1023));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}

/* k goes down to −1076, past the smallest normal exponent (−1022), so 2^k is applied in two halves
 * k1 = round(k/2), k2 = k − k1, each ≥ −538: p·2^k1 is exact (p ≥ 0.7, so it stays normal), and
 * the second product is the only rounding, into a subnormal when the result is one. */
VEC_FN __m256d vscale2_f64(__m256d p, __m256d k)
{
    const __m256d k1 = vround_f64(_mm256_mul_pd(k, _mm256_set1_pd(0.5)));
    return _mm256_mul_pd(_mm256_mul_pd(p, vpow2_f64(k1)), vpow2_f64(_mm256_sub_pd(k, k1)));
}

/* All ones in lanes [0, n). */
VEC_FN __m256i vtail_f32(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

VEC_FN __m256i vtail_f64(size_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), _mm256_setr_epi64x(0, 1, 2, 3));
}

VEC_FN __m256 vload_tail_f32(const float *p, size_t n, float fill)
{
    const __m256i k = vtail_f32(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, k), _mm256_castsi256_ps(k));
}

VEC_FN __m256d vload_tail_f64(const double *p, size_t n, double fill)
{
    const __m256i k = vtail_f64(n);
    return _mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, k), _mm256_castsi256_pd(k));
}

VEC_FN void vstore_tail_f32(float *p, size_t n, __m256 v)
{
    _mm256_maskstore_ps(p, vtail_f32(n), v);
}

VEC_FN void vstore_tail_f64(double *p, size_t n, __m256d v)
{
    _mm256_maskstore_pd(p, vtail_f64(n), v);
}

/* The horizontal max and sum: the two halves combined, then pairs, then the last two lanes. */
#define VEC_HREDUCE(name, op)                                                                      \
    VEC_FN float name##_f32(__m256 v)                                                              \
    {                                                                                              \
        __m128 h = op##_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));                \
        h = op##_ps(h, _mm_movehl_ps(h, h));                                                       \
        return _mm_cvtss_f32(op##_ss(h, _mm_movehdup_ps(h)));                                      \
    }                                                                                              \
    VEC_FN double name##_f64(__m256d v)                                                            \
    {                                                                                              \
        const __m128d h = op##_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));         \
        return _mm_cvtsd_f64(op##_sd(h, _mm_unpackhi_pd(h, h)));                                   \
    }
VEC_HREDUCE(vhmax, _mm_max)
VEC_HREDUCE(vhadd, _mm_add)

/* An 8 × 8 float tile: pairs of rows interleaved by element (unpack), by pairs (shuffle), then the
 * 128-bit halves exchanged (permute2f128). */
VEC_FN void vtranspose_f32(const float *src, size_t lds, float *dst, size_t ldd)
{
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++)
        r[i] = _mm256_loadu_ps(src + (size_t)i * lds);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    /* r[4b + c], 128-bit half L: column 4L + c of rows 4b .. 4b + 3. */
    for (int b = 0; b < 8; b += 4) {
        r[b] = _mm256_shuffle_ps(t[b], t[b + 2], 0x44);
        r[b + 1] = _mm256_shuffle_ps(t[b], t[b + 2], 0xee);
        r[b + 2] = _mm256_shuffle_ps(t[b + 1], t[b + 3], 0x44);
        r[b + 3] = _mm256_shuffle_ps(t[b + 1], t[b + 3], 0xee);
    }
    for (int c = 0; c < 4; c++) {
        _mm256_storeu_ps(dst + (size_t)c * ldd, _mm256_permute2f128_ps(r[c], r[c + 4], 0x20));
        _mm256_storeu_ps(dst + (size_t)(c + 4) * ldd, _mm256_permute2f128_ps(r[c], r[c + 4], 0x31));
    }
}

/* A 4 × 4 double tile: pairs of rows interleaved by element (unpack), then the 128-bit halves
 * exchanged (permute2f128). */
VEC_FN void vtranspose_f64(const double *src, size_t lds, double *dst, size_t ldd)
{
    const __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + lds);
    const __m256d r2 = _mm256_loadu_pd(src + 2 * lds), r3 = _mm256_loadu_pd(src + 3 * lds);
    /* lo01, 128-bit half L: column 2L of rows 0, 1; hi01 column 2L + 1; likewise rows 2, 3. */
    const __m256d lo01 = _mm256_unpacklo_pd(r0, r1), hi01 = _mm256_unpackhi_pd(r0, r1);
    const __m256d lo23 = _mm256_unpacklo_pd(r2, r3), hi23 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(lo01, lo23, 0x20));
    _mm256_storeu_pd(dst + ldd, _mm256_permute2f128_pd(hi01, hi23, 0x20));
    _mm256_storeu_pd(dst + 2 * ldd, _mm256_permute2f128_pd(lo01, lo23, 0x31));
    _mm256_storeu_pd(dst + 3 * ldd, _mm256_permute2f128_pd(hi01, hi23, 0x31));
}

/* bf16 widened in registers for the arithmetic: a zero-extend and a shift. */
VEC_FN __m256 vload_bf16(const mha_bf16 *p)
{
    const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
}

/* The conversions. bf16 lanes widened to their float bits; a NaN gets its quiet bit first, as
 * the scalar helper. */
VEC_FN __m256 vwiden_bf16(const mha_bf16 *p)
{
    const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFF)),
                                              _mm256_set1_epi32(0x7F80));
    const __m256i quiet = _mm256_and_si256(is_nan, _mm256_set1_epi32(0x0040));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_or_si256(x, quiet), 16));
}

/* The scalar helper's integer rounding on 8 lanes (see mha_float_to_bf16). The signed compare is
 * safe: both sides are below 2^31. Every lane ends at most 0xFFFF, so the unsigned-saturating
 * pack only packs. */
VEC_FN void vnarrow_bf16(mha_bf16 *p, __m256 v)
{
    const __m256i x = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(
        _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF)),
                                              _mm256_set1_epi32(0x7F800000));
    const __m256i nan = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x0040));
    const __m256i r = _mm256_blendv_epi8(rounded, nan, is_nan);
    _mm_storeu_si128((__m128i *)(void *)p,
                     _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
}

/* VCVTPH2PS and VCVTPS2PH are exact IEEE conversions: subnormals both ways (neither flushes, FTZ
 * and DAZ are not consulted for these half values), overflow to ±Inf, NaN made quiet. The
 * rounding comes from the immediate, not from MXCSR. */
VEC_F16C_FN __m256 vwiden_f16(const mha_f16 *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

VEC_F16C_FN void vnarrow_f16(mha_f16 *p, __m256 v)
{
    _mm_storeu_si128((__m128i *)(void *)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

/* AVX2 has no 16-bit masked loads and stores: the tails take the scalar helpers, which give the
 * same bits. */
#define VEC_SCALAR_TAIL(name, From, To, convert)                                                   \
    VEC_FN void name(const From *src, To *dst, size_t n)                                           \
    {                                                                                              \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[i] = convert(src[i]);                                                              \
    }
VEC_SCALAR_TAIL(vwiden_tail_bf16, mha_bf16, float, mha_bf16_to_float)
VEC_SCALAR_TAIL(vwiden_tail_f16, mha_f16, float, mha_f16_to_float)
VEC_SCALAR_TAIL(vnarrow_tail_bf16, float, mha_bf16, mha_float_to_bf16)
VEC_SCALAR_TAIL(vnarrow_tail_f16, float, mha_f16, mha_float_to_f16)

#endif
