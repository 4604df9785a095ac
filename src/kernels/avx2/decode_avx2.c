/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX2 with FMA and F16C: f32, bf16 and f16 caches in 8 float lanes, widened
 * in registers (bf16: zero-extend and shift; f16: F16C's VCVTPH2PS), f64 caches in 4 double lanes.
 * Built into every x86-64 library; runs only where mha_decode_isa_best finds AVX2, FMA and F16C. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "convert.h"

#include <immintrin.h>

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma,f16c")))

typedef __m256 vec_ps;
typedef __m256d vec_pd;
#define W_ps 8
#define W_pd 4
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 2 vectors (16 floats or
 * 8 doubles) of the output, 8 of the 16 ymm registers, with 2 V vectors and a broadcast. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 2
/* The lanes kernel: 8 accumulators, with 4 query vectors and a broadcast, 13 of the 16 ymm
 * registers. Floats: up to 4 vectors of rows (32) × 2 keys, or 16 rows × 4 keys. Doubles: 4
 * vectors of rows (16) × 2 keys, a group's 16 rows at a time. */
#define LANE_VECS_ps 4
#define LANE_ACC_ps 8
#define LANE_VECS_pd 4
#define LANE_ACC_pd 8
/* decode_isa_impl.h: the kernels' name suffix and the intrinsics' prefix. */
#define DECODE_ISA avx2
#define VEC_PREFIX _mm256

/* No 16-vector sum here: 8-lane vectors leave too few registers for 16 accumulators. */
#define HAVE_VSUM16_ps 0
#define HAVE_VSUM16_pd 0

static inline TARGET float vsum_ps(__m256 v)
{
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}

static inline TARGET double vsum_pd(__m256d v)
{
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

static inline TARGET __m256 vload_bf16(const mha_bf16 *p)
{
    const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
}

static inline TARGET __m256 vload_f16(const mha_f16 *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* dst[i·ldd + j] = src[j·lds + i] for an 8 × 8 tile: pairs of rows interleaved by element
 * (unpack), by pairs (shuffle), then the 128-bit halves exchanged (permute2f128). */
static inline TARGET void vtranspose_ps(const float *src, size_t lds, float *dst, size_t ldd)
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

/* dst[i·ldd + j] = src[j·lds + i] for a 4 × 4 tile of doubles: pairs of rows interleaved by
 * element (unpack), then the 128-bit halves exchanged (permute2f128). */
static inline TARGET void vtranspose_pd(const double *src, size_t lds, double *dst, size_t ldd)
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

#include "decode_isa_impl.h"
#endif
