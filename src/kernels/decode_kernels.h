/* SPDX-License-Identifier: MIT */
/* The decode kernels (few query rows against a long KV cache) by name, and the table that
 * dispatches them: shared by the driver (decode_impl.h) and tests/test_decode_kernels.c. Two
 * kernels per cache format, both streaming the cache once:
 *   scores: S[r·ld_s + j] = scale · q_r · k_j      each K row loaded once for every query row
 *   pv:     O[r·d_v + c] += Σ_j S[r·ld_s + j]·v_j[c] each V row loaded once for every query row
 * q (rows × d, packed), S and O are in the arithmetic's type (float for f32, bf16, f16; double for
 * f64); K and V rows stay in the caller's storage and are converted in registers as they stream,
 * so a half cache reads half the bytes. */
#ifndef MHA_DECODE_KERNELS_H
#define MHA_DECODE_KERNELS_H

#include "cpu.h"
#include "dtype.h"
#include "mha.h"

#include <stdbool.h>
#include <stddef.h>

/* The lanes kernel takes groups of at least MHA_DECODE_LANE_ROWS query rows (MQA's 32, wide
 * GQA, speculative decoding): it computes what scores does, from qt, the rows transposed and
 * padded to a multiple of MHA_DECODE_LANE_ROWS with zero rows. */
#define MHA_DECODE_LANE_ROWS 16u

/* scores: `groups` kv groups side by side, of `rows` query rows each: group gi's rows are q rows
 * [gi·rows, (gi + 1)·rows) and S rows likewise, its keys k + gi·d (row stride ld_k, d wide), so
 * key j of every group is one contiguous stretch of groups·d elements: the kernel walks the keys
 * in order, all groups of one key before the next key, a plain stream for the hardware. v, ld_v,
 * d_v name the V rows of the same keys (all groups, groups·d_v wide), which the vector kernels
 * prefetch while K streams, so that pv finds them in cache (v may be NULL when d_v is 0).
 * pv: one group, P is rows × n (row stride ld_p). rows, groups ≥ 1; n, d, d_v may be 0. Empty
 * operands may be NULL.
 * lanes: scores with each K element broadcast against the rows in the vector lanes, no sums
 * across lanes (decode_simd_impl.h says why); qt holds group gi's rows at qt + gi·d·rp, element
 * (r, c) at c·rp + r, rp = mha_decode_lane_pad(rows), rows ≥ MHA_DECODE_LANE_ROWS. */
/* Memory the caller reads next, which a pv kernel may prefetch a line per key as it computes:
 * `rows` rows of `bytes` bytes, `ld` bytes apart, from `at` (the lanes path passes its next key
 * block's K rows, which the lanes kernel then finds in cache). NULL or rows 0: nothing. */
typedef struct mha_decode_ahead {
    const void *at;
    size_t bytes, ld, rows;
} mha_decode_ahead;

/* The kernels' types, one set per cache format (the sfx of its traits): K and V in the format's
 * storage, the rest in its arithmetic. */
#define MHA_DECODE_FN_TYPES(sfx, store, real)                                                      \
    typedef void mha_decode_scores_fn##sfx(                                                        \
        const real *q, size_t rows, size_t groups, size_t d, const store *k, size_t ld_k,          \
        size_t n, real scale, real *S, size_t ld_s, const store *v, size_t ld_v, size_t d_v);      \
    typedef mha_decode_scores_fn##sfx mha_decode_lanes_fn##sfx;                                    \
    typedef void mha_decode_pv_fn##sfx(const real *P, size_t ld_p, size_t rows, size_t n,          \
                                       const store *v, size_t ld_v, size_t d_v, real *O,           \
                                       const mha_decode_ahead *ahead);

MHA_DECODE_FN_TYPES(_f32, float, float)
MHA_DECODE_FN_TYPES(_f64, double, double)
MHA_DECODE_FN_TYPES(_bf16, mha_bf16, float)
MHA_DECODE_FN_TYPES(_f16, mha_f16, float)

/* The kernels `kind` (scores, lanes, pv) of one kernel set, every cache format: named
 * mha_decode_<kind>_<isa>_<format>, as decode_simd_impl.h and decode_scalar_impl.h name them. */
#define MHA_DECODE_DECLARE(kind, isa)                                                              \
    mha_decode_##kind##_fn_f32 mha_decode_##kind##_##isa##_f32;                                    \
    mha_decode_##kind##_fn_f64 mha_decode_##kind##_##isa##_f64;                                    \
    mha_decode_##kind##_fn_bf16 mha_decode_##kind##_##isa##_bf16;                                  \
    mha_decode_##kind##_fn_f16 mha_decode_##kind##_##isa##_f16;

/* Portable C: the fallback on CPUs without the vector kernels (and the tests' reference). Without
 * vector lanes it has no lanes kernels: its scores kernels take every group. */
MHA_DECODE_DECLARE(scores, scalar)
MHA_DECODE_DECLARE(pv, scalar)

#if defined(MHA_X86_KERNELS)
MHA_DECODE_DECLARE(scores, avx512)
MHA_DECODE_DECLARE(lanes, avx512)
MHA_DECODE_DECLARE(pv, avx512)
MHA_DECODE_DECLARE(scores, avx2)
MHA_DECODE_DECLARE(lanes, avx2)
MHA_DECODE_DECLARE(pv, avx2)
#endif

/* One instruction set's decode kernels (cpu.h), by the cache's format: the library and the tests
 * walk this one table. An entry of format F has type mha_decode_<kind>_fn_<F>; lanes NULL: no
 * lanes kernel, scores takes every group. */
typedef struct mha_decode_isa {
    const char *name;   /* "avx512f", "avx2" or "scalar" */
    bool (*runs)(void); /* does this CPU (and its OS) run them */
    mha_kernel_fn *scores[MHA_FORMAT_COUNT];
    mha_kernel_fn *lanes[MHA_FORMAT_COUNT];
    mha_kernel_fn *pv[MHA_FORMAT_COUNT];
} mha_decode_isa;

/* Every kernel set of this build, fastest first; the last (portable) runs anywhere. */
extern const mha_decode_isa mha_decode_isas[];
extern const size_t mha_decode_isa_count;

/* Rows of one group in qt: rows rounded up to a multiple of MHA_DECODE_LANE_ROWS. */
static inline size_t mha_decode_lane_pad(size_t rows)
{
    return (rows + MHA_DECODE_LANE_ROWS - 1) / MHA_DECODE_LANE_ROWS * MHA_DECODE_LANE_ROWS;
}

/* The first row this CPU runs: a few flag tests, no state kept (ask once per work item). */
const mha_decode_isa *mha_decode_isa_best(void);

#endif
