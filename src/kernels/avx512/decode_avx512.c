/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX-512F: f32, bf16 and f16 caches in 16 float lanes, widened in registers
 * (bf16: zero-extend and shift into the top half of a float; f16: VCVTPH2PS), f64 caches in 8
 * double lanes. Built into every x86-64 library; runs only where mha_decode_isa_best finds
 * AVX-512F. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "convert.h"

#include <immintrin.h>

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx512f")))

typedef __m512 vec_ps;
typedef __m512d vec_pd;
#define W_ps 16
#define W_pd 8
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 4 vectors (64 floats or
 * 32 doubles) of the output, 16 of the 32 zmm registers, with 4 V vectors and a broadcast. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 4
/* The lanes kernel: 16 accumulators, with the query vectors and a broadcast; per column 10 loads
 * feed 16 FMAs. Floats: up to 2 vectors of rows (32) × 8 keys, or 16 rows × 16 keys. Doubles: 2
 * vectors of rows (16) × 8 keys, a group's 16 rows at a time: 5 % faster than 4 vectors (32 rows)
 * × 4 keys with 8 loads a column (one core, 32 rows × 128 against 64-key blocks in L2: 450
 * against 476 µs a 4096-key pass, the K block read from L1 again for the second 16 rows). */
#define LANE_VECS_ps 2
#define LANE_ACC_ps 16
#define LANE_VECS_pd 2
#define LANE_ACC_pd 16
/* decode_isa_impl.h: the kernels' name suffix and the intrinsics' prefix. */
#define DECODE_ISA avx512
#define VEC_PREFIX _mm512

static inline TARGET float vsum_ps(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

/* Element i = the sum of v[i]'s lanes, for 16 vectors at once: pairs interleaved and added
 * (unpack), then pairs of pairs (64-bit unpack), then 128-bit lanes exchanged twice
 * (shuffle_f32x4), 45 operations where 16 separate sums take about 128. */
#define HAVE_VSUM16_ps 1
#define HAVE_VSUM16_pd 0
static inline TARGET __m512 vsum16_ps(const __m512 v[16])
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

static inline TARGET double vsum_pd(__m512d v)
{
    return _mm512_reduce_add_pd(v);
}

static inline TARGET __m512 vload_bf16(const mha_bf16 *p)
{
    const __m512i x = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
}

static inline TARGET __m512 vload_f16(const mha_f16 *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p));
}

/* The last steps of both transposes below: n vectors of 4 128-bit lanes (16 float rows or 8
 * double rows) in 4 quarters of n/4, lane L of x[q·n/4 + c] holding the piece of output row
 * L·n/4 + c that comes from the input rows of quarter q. The 4 × 4 grid (quarter, lane) is
 * transposed by exchanging lanes twice (shuffle_f64x2 moves whole lanes, so floats take it too);
 * output row i goes to dst + i·ld bytes. */
static inline TARGET void vlanes_store(const __m512d *x, int n, char *dst, size_t ld)
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

/* dst[i·ldd + j] = src[j·lds + i] for a 16 × 16 tile: pairs of rows interleaved by element
 * (unpack), by pairs (shuffle), then 128-bit lanes exchanged twice (vlanes_store). */
static inline TARGET void vtranspose_ps(const float *src, size_t lds, float *dst, size_t ldd)
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

/* dst[i·ldd + j] = src[j·lds + i] for an 8 × 8 tile of doubles: pairs of rows interleaved by
 * element (unpack), then 128-bit lanes exchanged twice (vlanes_store). */
static inline TARGET void vtranspose_pd(const double *src, size_t lds, double *dst, size_t ldd)
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

#include "decode_isa_impl.h"
#endif
