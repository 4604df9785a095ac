/* SPDX-License-Identifier: MIT */
/* The vector layer on AVX-512F (vec.h lists the operations): float in 16 lanes, double in 8; the
 * conversions' masked 16-bit tails (BW, VL), and P written in bf16 by AVX512-BF16 for the
 * softmax that has it. Include under MHA_X86_KERNELS. */
#ifndef MHA_VEC_AVX512_H
#define MHA_VEC_AVX512_H

#include "vec.h"

#define VEC_ISA _avx512
#define VEC_PREFIX _mm512
#define VEC_BYTES 64
typedef __m512 vec_float;
typedef __m512d vec_double;

#define VEC_FN static inline __attribute__((always_inline, target("avx512f")))
/* The masked loads and stores of 16-bit lanes. */
#define VEC_BW_FN static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl")))

/* VSCALEF writes k into the exponent in one instruction, subnormal results included, rounding
 * once: the same bits as the AVX2 layer's two exact-then-rounded products. */
#define vscale2_f32 _mm512_scalef_ps
#define vscale2_f64 _mm512_scalef_pd
#define vhmax_f32 _mm512_reduce_max_ps
#define vhmax_f64 _mm512_reduce_max_pd
#define vhadd_f32 _mm512_reduce_add_ps
#define vhadd_f64 _mm512_reduce_add_pd

VEC_FN __m512 vround_f32(__m512 x)
{
    return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

VEC_FN __m512d vround_f64(__m512d x)
{
    return _mm512_roundscale_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* Lanes [0, n): the mask registers give tails without touching memory past the row. */
VEC_FN __mmask16 vtail16(size_t n)
{
    return (__mmask16)((1u << n) - 1);
}

VEC_FN __mmask8 vtail8(size_t n)
{
    return (__mmask8)((1u << n) - 1);
}

VEC_FN __m512 vload_tail_f32(const float *p, size_t n, float fill)
{
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), vtail16(n), p);
}

VEC_FN __m512d vload_tail_f64(const double *p, size_t n, double fill)
{
    return _mm512_mask_loadu_pd(_mm512_set1_pd(fill), vtail8(n), p);
}

VEC_FN void vstore_tail_f32(float *p, size_t n, __m512 v)
{
    _mm512_mask_storeu_ps(p, vtail16(n), v);
}

VEC_FN void vstore_tail_f64(double *p, size_t n, __m512d v)
{
    _mm512_mask_storeu_pd(p, vtail8(n), v);
}

/* Element i = the sum of v[i]'s lanes, for 16 float vectors at once: pairs interleaved and added
 * (unpack), then pairs of pairs (64-bit unpack), then 128-bit lanes exchanged twice
 * (shuffle_f32x4), 45 operations where 16 separate sums take about 128. Float only
 * (VEC_HADD16: the layer has it for 16-lane floats). */
#define VEC_HADD16 1
VEC_FN __m512 vhadd16(const __m512 v[16])
{
    __m512 t[8], u[4], x[2];
    for (int i = 0; i < 8; i++) /* lane L: v2i[0+2], v2i+1[0+2], v2i[1+3], v2i+1[1+3] */
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                             _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int m = 0; m < 4; m++) { /* lane L: the lane's sums of v4m .. v4m+3 */
        const __m512d a = _mm512_castps_pd(t[2 * m]), b = _mm512_castps_pd(t[2 * m + 1]);
        u[m] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                             _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    for (int p = 0; p < 2; p++) /* lanes 0, 1: v8p..8p+3 by halves; lanes 2, 3: v8p+4..8p+7 */
        x[p] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * p], u[2 * p + 1], 0x88),
                             _mm512_shuffle_f32x4(u[2 * p], u[2 * p + 1], 0xdd));
    return _mm512_add_ps(_mm512_shuffle_f32x4(x[0], x[1], 0x88),
                         _mm512_shuffle_f32x4(x[0], x[1], 0xdd));
}

/* The last steps of both transposes below: n vectors of 4 128-bit lanes (16 float rows or 8
 * double rows) in 4 quarters of n/4, lane L of x[q·n/4 + c] holding the piece of output row
 * L·n/4 + c that comes from the input rows of quarter q. The 4 × 4 grid (quarter, lane) is
 * transposed by exchanging lanes twice (shuffle_f64x2 moves whole lanes, so floats take it too);
 * output row i goes to dst + i·ld bytes. */
VEC_FN void vlanes_store(const __m512d *x, int n, char *dst, size_t ld)
{
    __m512d y[16];
    const int s = n / 4;
    for (int h = 0; h < n; h += 2 * s)
        for (int c = 0; c < s; c++) {
            y[h + c] = _mm512_shuffle_f64x2(x[h + c], x[h + s + c], 0x88);
            y[h + s + c] = _mm512_shuffle_f64x2(x[h + c], x[h + s + c], 0xdd);
        }
    for (int i = 0; i < 2 * s; i++) {
        _mm512_storeu_pd(dst + (size_t)i * ld, _mm512_shuffle_f64x2(y[i], y[i + 2 * s], 0x88));
        _mm512_storeu_pd(dst + (size_t)(i + 2 * s) * ld,
                         _mm512_shuffle_f64x2(y[i], y[i + 2 * s], 0xdd));
    }
}

/* A 16 × 16 float tile: pairs of rows interleaved by element (unpack), by pairs (shuffle), then
 * 128-bit lanes exchanged twice (vlanes_store). */
VEC_FN void vtranspose_f32(const float *src, size_t lds, float *dst, size_t ldd)
{
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++)
        r[i] = _mm512_loadu_ps(src + (size_t)i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* r[4b + c], 128-bit lane L: column 4L + c of rows 4b .. 4b + 3. */
    for (int b = 0; b < 16; b += 4) {
        r[b] = _mm512_shuffle_ps(t[b], t[b + 2], 0x44);
        r[b + 1] = _mm512_shuffle_ps(t[b], t[b + 2], 0xee);
        r[b + 2] = _mm512_shuffle_ps(t[b + 1], t[b + 3], 0x44);
        r[b + 3] = _mm512_shuffle_ps(t[b + 1], t[b + 3], 0xee);
    }
    __m512d x[16];
    for (int i = 0; i < 16; i++)
        x[i] = _mm512_castps_pd(r[i]);
    vlanes_store(x, 16, (char *)dst, ldd * sizeof *dst);
}

/* An 8 × 8 double tile: pairs of rows interleaved by element (unpack), then 128-bit lanes
 * exchanged twice (vlanes_store). */
VEC_FN void vtranspose_f64(const double *src, size_t lds, double *dst, size_t ldd)
{
    __m512d t[8];
    for (int i = 0; i < 8; i += 2) {
        const __m512d a = _mm512_loadu_pd(src + (size_t)i * lds);
        const __m512d b = _mm512_loadu_pd(src + (size_t)(i + 1) * lds);
        t[i] = _mm512_unpacklo_pd(a, b);
        t[i + 1] = _mm512_unpackhi_pd(a, b);
    }
    /* t[2k + p], 128-bit lane L: column 2L + p of rows 2k, 2k + 1. */
    vlanes_store(t, 8, (char *)dst, ldd * sizeof *dst);
}

/* bf16 widened in registers for the arithmetic: a zero-extend and a shift into the top half of a
 * float. */
VEC_FN __m512 vload_bf16(const mha_bf16 *p)
{
    const __m512i x = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
}

/* The conversions. bf16 lanes widened to their float bits; a NaN gets its quiet bit first, as
 * the scalar helper. */
VEC_FN __m512 vwiden_bf16_bits(__m256i h)
{
    const __m512i x = _mm512_cvtepu16_epi32(h);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFF)),
                                                     _mm512_set1_epi32(0x7F80));
    const __m512i quiet = _mm512_mask_or_epi32(x, is_nan, x, _mm512_set1_epi32(0x0040));
    return _mm512_castsi512_ps(_mm512_slli_epi32(quiet, 16));
}

/* The float bits x rounded to bf16 in the low 16 bits of each lane, as the scalar helper does
 * (mha_float_to_bf16): integer round to nearest even, a NaN kept with its quiet bit set. Not
 * VCVTNEPS2BF16: it flushes subnormal inputs to zero. */
VEC_FN __m256i vnarrow_bf16_bits(__m512 v)
{
    const __m512i x = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(
        _mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    const __m512i nan = _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x0040));
    return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, is_nan, nan));
}

/* VCVTPH2PS and VCVTPS2PH are exact IEEE conversions: subnormals both ways, overflow to ±Inf, NaN
 * made quiet. The rounding comes from the immediate (nearest even), not from MXCSR. */
VEC_FN __m256i vnarrow_f16_bits(__m512 v)
{
    return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

VEC_FN __m512 vwiden_bf16(const mha_bf16 *p)
{
    return vwiden_bf16_bits(_mm256_loadu_si256((const __m256i *)(const void *)p));
}

VEC_FN __m512 vwiden_f16(const mha_f16 *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p));
}

VEC_FN void vnarrow_bf16(mha_bf16 *p, __m512 v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, vnarrow_bf16_bits(v));
}

VEC_FN void vnarrow_f16(mha_f16 *p, __m512 v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, vnarrow_f16_bits(v));
}

/* The tails: masked loads and stores, which touch no memory past the row. */
#define VEC_TAILS(sfx, Half, widen_bits, narrow_bits)                                              \
    VEC_BW_FN void vwiden_tail##sfx(const Half *src, float *dst, size_t n)                         \
    {                                                                                              \
        const __mmask16 m = vtail16(n);                                                            \
        _mm512_mask_storeu_ps(dst, m, widen_bits(_mm256_maskz_loadu_epi16(m, src)));               \
    }                                                                                              \
    VEC_BW_FN void vnarrow_tail##sfx(const float *src, Half *dst, size_t n)                        \
    {                                                                                              \
        const __mmask16 m = vtail16(n);                                                            \
        _mm256_mask_storeu_epi16(dst, m, narrow_bits(_mm512_maskz_loadu_ps(m, src)));              \
    }
VEC_TAILS(_bf16, mha_bf16, vwiden_bf16_bits, vnarrow_bf16_bits)
VEC_TAILS(_f16, mha_f16, _mm512_cvtph_ps, vnarrow_f16_bits)

#if defined(MHA_X86_BF16_KERNELS)
/* P in bf16 for the native bf16 P·V: VCVTNE2PS2BF16 rounds 32 floats to nearest even in one
 * instruction (vnarrow_bf16_bits takes ten per 16). It reads float subnormals as zero: a
 * probability below 2^−126 becomes 0 (mha.h). */
#define VEC_BF16_FN                                                                                \
    static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512bf16")))
VEC_BF16_FN void vstore_p_bf16_pair(mha_bf16 *p, __m512 lo, __m512 hi)
{
    _mm512_storeu_si512(p, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

VEC_BF16_FN void vstore_p_bf16_tail(mha_bf16 *p, size_t n, __m512 v)
{
    _mm256_mask_storeu_epi16(p, vtail16(n), (__m256i)_mm512_cvtneps_pbh(v));
}
#endif

#endif
