/* SPDX-License-Identifier: MIT */
/* One instruction set's decode kernels, for the four cache types: f32, bf16 and f16 in float
 * arithmetic, f64 in double. Included by decode_avx2.c and decode_avx512.c, which define first:
 * TARGET, SCORE_ROWS, PV_ROWS, PV_VECS, DECODE_ISA (the kernels' name suffix), VEC_PREFIX (the
 * intrinsics' prefix, _mm256 or _mm512), vload_bf16 and vload_f16 (to floats), and for each
 * arithmetic, suffixed _ps (float) or _pd (double) as the intrinsics are: the vector type vec,
 * its W lanes, the lanes kernel's blocking LANE_VECS and LANE_ACC, vsum and vtranspose (W × W).
 * The plain operations follow from VEC_PREFIX and the arithmetic in force. */
#include "convert.h"
#include "dtype.h"

#include <string.h>

/* The arithmetic in force (ARITH: _ps or _pd) picks the template's names: `vec` stands for vec_ps
 * or vec_pd, and so on (a macro's own name inside its expansion is left alone, then pasted). */
#define ARITH_NAME(name) MHA_CAT(name, ARITH)
#define real ARITH_NAME(real)
#define vec ARITH_NAME(vec)
#define W ARITH_NAME(W)
#define LANE_VECS ARITH_NAME(LANE_VECS)
#define LANE_ACC ARITH_NAME(LANE_ACC)
#define vsum ARITH_NAME(vsum)
#define vtranspose ARITH_NAME(vtranspose)
#define VSUM16 ARITH_NAME(vsum16)
#define HAVE_VSUM16 ARITH_NAME(HAVE_VSUM16) /* 1 where the ISA sums 16 vectors at once */
typedef float real_ps;
typedef double real_pd;

/* _mm512_fmadd_pd and the like, expanded where they are used, under the ARITH in force there. */
#define INTRINSIC(name) MHA_CAT(VEC_PREFIX, ARITH_NAME(name))
#define vzero() INTRINSIC(_setzero)()
#define vfma(a, b, c) INTRINSIC(_fmadd)(a, b, c) /* a·b + c */
#define vload(p) INTRINSIC(_loadu)(p)
#define vstore(p, v) INTRINSIC(_storeu)(p, v)
#define vmul(a, b) INTRINSIC(_mul)(a, b)
#define vset1(a) INTRINSIC(_set1)(a)

/* A prefetch walk over `rows` rows of `bytes` bytes, ld bytes apart, one line per step: the
 * lanes kernel takes a step per column (its block's V rows), pv one per key of its tiles (the
 * caller's mha_decode_ahead), spreading the lines over the arithmetic, where a burst of prefetches
 * would stall on the line fill buffers. */
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

/* Each instantiation names its cache type KV, its kernels' type suffix KV_SFX, and whether KV is
 * the arithmetic's own type (KV_IS_REAL: loaded and broadcast in place); a narrower KV also names
 * vloadkv (W elements widened) and KV_TO_REAL (one element). The template undefines them. */
#define KV_NAME(kind) MHA_CAT(mha_decode_##kind##_, MHA_CAT(DECODE_ISA, KV_SFX))

/* clang-format off */
#define ARITH _ps
#define KV float
#define KV_SFX _f32
#define KV_IS_REAL 1
#include "decode_simd_impl.h"

#define KV mha_bf16
#define KV_SFX _bf16
#define KV_IS_REAL 0
#define vloadkv vload_bf16
#define KV_TO_REAL mha_bf16_to_float
#include "decode_simd_impl.h"

#define KV mha_f16
#define KV_SFX _f16
#define KV_IS_REAL 0
#define vloadkv vload_f16
#define KV_TO_REAL mha_f16_to_float
#include "decode_simd_impl.h"
#undef ARITH

#define ARITH _pd
#define KV double
#define KV_SFX _f64
#define KV_IS_REAL 1
#include "decode_simd_impl.h"
#undef ARITH
/* clang-format on */

#undef KV_NAME
#undef vzero
#undef vfma
#undef vload
#undef vstore
#undef vmul
#undef vset1
#undef INTRINSIC
#undef real
#undef vec
#undef W
#undef LANE_VECS
#undef LANE_ACC
#undef vsum
#undef vtranspose
#undef VSUM16
#undef HAVE_VSUM16
#undef ARITH_NAME
