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
/* The lanes kernel: up to 2 vectors of rows (32) × 8 keys, or 16 rows × 16 keys: 16
 * accumulators, with the 2 query vectors and a broadcast; per column 10 loads feed 16 FMAs. */
#define LANE_VECS 2
#define LANE_ACC 16
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

/* dst[i·ldd + j] = src[j·lds + i] for a 16 × 16 tile: pairs of rows interleaved by element
 * (unpack), by pairs (shuffle), then 128-bit lanes exchanged twice (shuffle_f32x4). */
static inline TARGET void vtranspose(const float *src, size_t lds, float *dst, size_t ldd)
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
    for (int h = 0; h < 16; h += 8)
        for (int c = 0; c < 4; c++) {
            t[h + c] = _mm512_shuffle_f32x4(r[h + c], r[h + 4 + c], 0x88);
            t[h + 4 + c] = _mm512_shuffle_f32x4(r[h + c], r[h + 4 + c], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        _mm512_storeu_ps(dst + (size_t)i * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88));
        _mm512_storeu_ps(dst + (size_t)(i + 8) * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd));
    }
}

#include "decode_isa_impl.h"
#endif
