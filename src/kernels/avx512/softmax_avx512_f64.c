/* SPDX-License-Identifier: MIT */
/* The row softmax in double on AVX-512F, 8 lanes: the vector operations softmax_simd_impl.h is
 * written in. Built into every x86-64 library; runs only where mha_softmax_pick_f64 finds the
 * instructions. */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#include <immintrin.h>

#include "type_f64.h"
#define ISA(name) name##_avx512
#define EXP_F64 1
/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx512f")))

typedef __m512d vec;
#define W 8

static inline TARGET vec vset1(double a)
{
    return _mm512_set1_pd(a);
}

static inline TARGET vec vload(const double *p)
{
    return _mm512_loadu_pd(p);
}

static inline TARGET void vstore(double *p, vec v)
{
    _mm512_storeu_pd(p, v);
}

static inline TARGET vec vadd(vec a, vec b)
{
    return _mm512_add_pd(a, b);
}

static inline TARGET vec vsub(vec a, vec b)
{
    return _mm512_sub_pd(a, b);
}

static inline TARGET vec vmul(vec a, vec b)
{
    return _mm512_mul_pd(a, b);
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return _mm512_fmadd_pd(a, b, c);
}

static inline TARGET vec vmax(vec a, vec b)
{
    return _mm512_max_pd(a, b);
}

static inline TARGET vec vround(vec x)
{
    return _mm512_roundscale_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* VSCALEFPD writes k into the exponent in one instruction, subnormal results included, rounding
 * once: the same bits as the AVX2 kernel's two exact-then-rounded products. */
static inline TARGET vec vscale2(vec p, vec k)
{
    return _mm512_scalef_pd(p, k);
}

/* Lanes [0, n): the mask registers give tails without touching memory past the row. */
static inline TARGET __mmask8 tail_mask(size_t n)
{
    return (__mmask8)((1u << n) - 1);
}

static inline TARGET vec vload_tail(const double *p, size_t n, double fill)
{
    return _mm512_mask_loadu_pd(vset1(fill), tail_mask(n), p);
}

static inline TARGET void vstore_tail(double *p, size_t n, vec v)
{
    _mm512_mask_storeu_pd(p, tail_mask(n), v);
}

static inline TARGET double vhmax(vec v)
{
    return _mm512_reduce_max_pd(v);
}

static inline TARGET double vhadd(vec v)
{
    return _mm512_reduce_add_pd(v);
}

#include "softmax_simd_impl.h"

#endif
