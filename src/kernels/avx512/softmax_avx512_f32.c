/* SPDX-License-Identifier: MIT */
/* The row softmax in float on AVX-512F, 16 lanes: the vector operations softmax_simd_impl.h is
 * written in. Built into every x86-64 library; runs only where the kernel table finds the
 * instructions. softmax_avx512bf16_f32.c compiles this file again for AVX512-BF16, defining
 * first:
 *   AVX512_FEATURES  the target attribute's string; AVX512_ISA(name)  the kernels' name suffix
 *   WITH_BF16_P      1: also the row kernel that writes P in bf16 (VCVTNE2PS2BF16) */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#ifndef AVX512_FEATURES
#define AVX512_FEATURES "avx512f"
#define AVX512_ISA(name) name##_avx512
#define WITH_BF16_P 0
#endif

#include <immintrin.h>

#include "convert.h"

#include "type_f32.h"
#define ISA(name) AVX512_ISA(name)
#define EXP_F64 0
/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target(AVX512_FEATURES)))

typedef __m512 vec;
#define W 16

static inline TARGET vec vset1(float a)
{
    return _mm512_set1_ps(a);
}

static inline TARGET vec vload(const float *p)
{
    return _mm512_loadu_ps(p);
}

static inline TARGET void vstore(float *p, vec v)
{
    _mm512_storeu_ps(p, v);
}

static inline TARGET vec vadd(vec a, vec b)
{
    return _mm512_add_ps(a, b);
}

static inline TARGET vec vsub(vec a, vec b)
{
    return _mm512_sub_ps(a, b);
}

static inline TARGET vec vmul(vec a, vec b)
{
    return _mm512_mul_ps(a, b);
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return _mm512_fmadd_ps(a, b, c);
}

static inline TARGET vec vmax(vec a, vec b)
{
    return _mm512_max_ps(a, b);
}

static inline TARGET vec vround(vec x)
{
    return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* VSCALEFPS writes k into the exponent in one instruction, subnormal results included, rounding
 * once: the same bits as the AVX2 kernel's two exact-then-rounded products. */
static inline TARGET vec vscale2(vec p, vec k)
{
    return _mm512_scalef_ps(p, k);
}

/* Lanes [0, n): the mask registers give tails without touching memory past the row. */
static inline TARGET __mmask16 tail_mask(size_t n)
{
    return (__mmask16)((1u << n) - 1);
}

static inline TARGET vec vload_tail(const float *p, size_t n, float fill)
{
    return _mm512_mask_loadu_ps(vset1(fill), tail_mask(n), p);
}

static inline TARGET void vstore_tail(float *p, size_t n, vec v)
{
    _mm512_mask_storeu_ps(p, tail_mask(n), v);
}

static inline TARGET float vhmax(vec v)
{
    return _mm512_reduce_max_ps(v);
}

static inline TARGET float vhadd(vec v)
{
    return _mm512_reduce_add_ps(v);
}

#if WITH_BF16_P
/* P in bf16 for the native bf16 P·V: VCVTNE2PS2BF16 rounds 32 floats to nearest even in one
 * instruction (the integer rounding of bf16_avx512.h takes ten per 16). It reads float subnormals
 * as zero: a probability below 2^−126 becomes 0 (mha.h). */
static inline TARGET void vstore_bf16_pair(mha_bf16 *p, vec lo, vec hi)
{
    _mm512_storeu_si512(p, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

static inline TARGET void vstore_bf16_tail(mha_bf16 *p, size_t n, vec v)
{
    _mm256_mask_storeu_epi16(p, tail_mask(n), (__m256i)_mm512_cvtneps_pbh(v));
}
#define VSTORE_BF16_PAIR vstore_bf16_pair
#define VSTORE_BF16(p, v) vstore_bf16_tail(p, W, v)
#define VSTORE_BF16_TAIL vstore_bf16_tail
#endif

#include "softmax_simd_impl.h"

#endif
