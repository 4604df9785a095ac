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
/* decode_isa_impl.h: the kernels' name suffix and the intrinsics' prefix. */
#define DECODE_ISA avx2
#define VEC_PREFIX _mm256

static inline TARGET float vsum(vec v)
{
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
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

#include "decode_isa_impl.h"
#endif
