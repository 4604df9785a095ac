/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX-512F, 16 float lanes: f32, bf16 and f16 caches, widened in registers
 * (bf16: zero-extend and shift into the top half of a float; f16: VCVTPH2PS). Built into every
 * x86-64 library; runs only where mha_decode_isa_best finds AVX-512F. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "convert.h"

#include <immintrin.h>

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx512f")))

typedef __m512 vec;
#define W 16
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 4 vectors (64 columns)
 * of the output, 16 of the 32 zmm registers, with 4 V vectors and a broadcast beside them. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 4
/* decode_isa_impl.h: the kernels' name suffix and the intrinsics' prefix. */
#define DECODE_ISA avx512
#define VEC_PREFIX _mm512

static inline TARGET float vsum(vec v)
{
    return _mm512_reduce_add_ps(v);
}

static inline TARGET vec vload_bf16(const mha_bf16 *p)
{
    const __m512i x = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
}

static inline TARGET vec vload_f16(const mha_f16 *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p));
}

#include "decode_isa_impl.h"
#endif
