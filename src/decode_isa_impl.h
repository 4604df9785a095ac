/* SPDX-License-Identifier: MIT */
/* One instruction set's decode kernels, for the three cache types (f32, bf16, f16). Included by
 * decode_avx2.c and decode_avx512.c, which define first: TARGET, vec, W, SCORE_ROWS, PV_ROWS,
 * PV_VECS, LANE_VECS, LANE_ACC, DECODE_ISA (the kernels' name suffix), VEC_PREFIX (the
 * intrinsics' prefix, _mm256 or _mm512), and vsum, vload_bf16, vload_f16, vtranspose (W × W
 * floats). The plain float operations follow from VEC_PREFIX. */
#include "convert.h"
#include "dtype.h"

#include <string.h>

#define INTRINSIC(name) MHA_CAT(VEC_PREFIX, name)

static inline TARGET vec vzero(void)
{
    return INTRINSIC(_setzero_ps)();
}

static inline TARGET vec vfma(vec a, vec b, vec c)
{
    return INTRINSIC(_fmadd_ps)(a, b, c);
}

static inline TARGET vec vloadf(const float *p)
{
    return INTRINSIC(_loadu_ps)(p);
}

static inline TARGET void vstoref(float *p, vec v)
{
    INTRINSIC(_storeu_ps)(p, v);
}

static inline TARGET vec vmul(vec a, vec b)
{
    return INTRINSIC(_mul_ps)(a, b);
}

static inline TARGET vec vset1(float a)
{
    return INTRINSIC(_set1_ps)(a);
}

/* A prefetch walk over `rows` rows of `bytes` bytes, ld bytes apart, one line per step: the
 * lanes kernel takes a step per column, spreading a block's V rows (and the K rows ahead) over
 * its arithmetic, where a burst of prefetches would stall on the line fill buffers. */
typedef struct lane_prefetch {
    const char *row;
    size_t at, bytes, ld, rows;
} lane_prefetch;

static inline void lane_prefetch_step(lane_prefetch *p)
{
    if (p->rows == 0)
        return;
    _mm_prefetch(p->row + p->at, _MM_HINT_T0);
    p->at += 64;
    if (p->at >= p->bytes) {
        p->at = 0;
        p->row += p->ld;
        p->rows--;
    }
}

static inline float f32_to_f(float x)
{
    return x;
}

/* clang-format off */
#define KV float
#define KV_IS_FLOAT 1
#define KV_NAME(kind) MHA_CAT(mha_decode_##kind##_, MHA_CAT(DECODE_ISA, _f32))
#define vloadkv vloadf
#define KV_TO_F f32_to_f
#include "decode_simd_impl.h"
#undef KV_IS_FLOAT
#undef KV
#undef KV_NAME
#undef vloadkv
#undef KV_TO_F

#define KV mha_bf16
#define KV_IS_FLOAT 0
#define KV_NAME(kind) MHA_CAT(mha_decode_##kind##_, MHA_CAT(DECODE_ISA, _bf16))
#define vloadkv vload_bf16
#define KV_TO_F mha_bf16_to_float
#include "decode_simd_impl.h"
#undef KV_IS_FLOAT
#undef KV
#undef KV_NAME
#undef vloadkv
#undef KV_TO_F

#define KV mha_f16
#define KV_IS_FLOAT 0
#define KV_NAME(kind) MHA_CAT(mha_decode_##kind##_, MHA_CAT(DECODE_ISA, _f16))
#define vloadkv vload_f16
#define KV_TO_F mha_f16_to_float
#include "decode_simd_impl.h"
#undef KV_IS_FLOAT
#undef KV
#undef KV_NAME
#undef vloadkv
#undef KV_TO_F
/* clang-format on */
#undef INTRINSIC
