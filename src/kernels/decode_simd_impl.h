/* SPDX-License-Identifier: MIT */
/* The vector decode kernels (formulas in decode_kernels.h), written once over the vector layer
 * (vec.h) and the type traits: K and V rows in the cache's STORE, widened in registers (vload),
 * the arithmetic in REAL. Included by decode_avx2.c and decode_avx512.c once per cache format
 * (each_type_impl.h), after their vector layer, TARGET and register blocking: SCORE_ROWS,
 * PV_ROWS, PV_VECS, and the lanes kernel's LANE_VECS and LANE_ACC.
 *
 * Bandwidth is the whole game: every K and V row of the work item is read from memory exactly
 * once, for all its query rows. K rows of one kv head sit ld_k elements apart (n_kv_heads · d_head
 * in a packed cache: a page apart for 32 heads of 128), which defeats the hardware's in-page
 * streamer, so the kernels prefetch PF_ROWS rows ahead themselves, and the scores pass prefetches
 * the V rows of the same keys, which pv reads next (a key block's V rows stay in L1/L2). The
 * 16-accumulator blocks (dot_block) spread those prefetches over their columns, two lines of K
 * and two of V per step: issued as a burst before the arithmetic they stalled on the line fill
 * buffers (one line each per step was slower, three no faster). */

#ifndef MHA_DECODE_SIMD_ONCE
#define MHA_DECODE_SIMD_ONCE
#include "convert.h"
#include "decode_kernels.h"

#include <string.h>

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
#endif

#define INLINE static inline __attribute__((always_inline)) TARGET
/* Rows prefetched ahead: 16 of an f32 cache; 8 of an f64 cache's rows of twice the bytes (as many
 * bytes ahead as f32's, faster than 16); 4 of a half cache's, whose arithmetic takes a larger
 * share of the time: the lines then wait in L1 for less long (2 or 3 rows no better than 4; f32
 * the same at 8 rows, slower at 4). */
#define PF_ROWS (sizeof(STORE) > 4 ? 8 : sizeof(STORE) < 4 ? 4 : 16)

/* Prefetch `bytes` bytes from p, one line at a time. */
INLINE void KSFX(prefetch)(const STORE *p, size_t bytes)
{
    for (size_t b = 0; b < bytes; b += 64)
        _mm_prefetch((const char *)p + b, _MM_HINT_T0);
}

/* s[r·ld_s] = scale · q_r · k for RB query rows (q row stride d): the K row's vectors are
 * loaded once and multiplied into RB accumulators held in registers; each sums across lanes at
 * the end, the d % W tail in scalars. */
INLINE void KSFX(dot_rows)(const REAL *q, size_t d, size_t dv, const STORE *kr, REAL scale, REAL *s,
                           size_t ld_s, const int RB)
{
    vec acc[SCORE_ROWS];
#pragma GCC unroll 8
    for (int r = 0; r < RB; r++)
        acc[r] = vset1((REAL)0);
    for (size_t c = 0; c < dv; c += W) {
        const vec kv = vload(kr + c);
#pragma GCC unroll 8
        for (int r = 0; r < RB; r++)
            acc[r] = vfma(vload(q + (size_t)r * d + c), kv, acc[r]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < RB; r++) {
        REAL t = vhadd(acc[r]);
        for (size_t c = dv; c < d; c++)
            t += q[(size_t)r * d + c] * TO_REAL(kr[c]);
        s[(size_t)r * ld_s] = scale * t;
    }
}

/* One group's rows against one key row. */
INLINE void KSFX(key_rows)(const REAL *q, size_t rows, size_t d, size_t dv, const STORE *kr,
                           REAL scale, REAL *S, size_t ld_s, size_t j)
{
    {
        size_t r0 = 0;
        for (; r0 + SCORE_ROWS <= rows; r0 += SCORE_ROWS)
            KSFX(dot_rows)(q + r0 * d, d, dv, kr, scale, S + r0 * ld_s + j, ld_s, SCORE_ROWS);
        const REAL *qr = q + r0 * d;
        REAL *sr = S + r0 * ld_s + j;
        /* The last rows % SCORE_ROWS, each count its own unrolled copy. */
#define TAIL_ROWS(n)                                                                               \
    case n:                                                                                        \
        KSFX(dot_rows)(qr, d, dv, kr, scale, sr, ld_s, n);                                         \
        break;
        switch (rows - r0) {
            TAIL_ROWS(1)
            TAIL_ROWS(2)
            TAIL_ROWS(3)
            TAIL_ROWS(4)
            TAIL_ROWS(5)
            TAIL_ROWS(6)
            TAIL_ROWS(7)
        default:
            break;
        }
#undef TAIL_ROWS
    }
}

#if VEC_HADD16 && REAL_BYTES == 4 /* the 16-accumulator blocks (vhadd16) */
/* RB rows × KB keys (RB·KB = 16) in one pass over d (a multiple of W), 16 accumulators summed
 * across their lanes together (vhadd16): with a few rows per kv group (GQA's 4) the per-row sums
 * of dot_rows cost more than its FMAs. s[r·ld_s + kb] = scale · q_r · k_kb. */
INLINE void KSFX(dot_block)(const REAL *q, size_t d, const STORE *kr, size_t ld_k, REAL scale,
                            REAL *s, size_t ld_s, lane_prefetch *pf, const int RB, const int KB)
{
    vec acc[16];
#pragma GCC unroll 16
    for (int a = 0; a < 16; a++)
        acc[a] = vset1((REAL)0);
    for (size_t c = 0; c < d; c += W) {
        /* K rows ahead and this block's V rows: a few lines per step, never a burst. */
        lane_prefetch_step(&pf[0]);
        lane_prefetch_step(&pf[0]);
        lane_prefetch_step(&pf[1]);
        lane_prefetch_step(&pf[1]);
        vec kv[8];
#pragma GCC unroll 8
        for (int kb = 0; kb < KB; kb++)
            kv[kb] = vload(kr + (size_t)kb * ld_k + c);
#pragma GCC unroll 8
        for (int r = 0; r < RB; r++) {
            const vec qv = vload(q + (size_t)r * d + c);
#pragma GCC unroll 8
            for (int kb = 0; kb < KB; kb++)
                acc[r * KB + kb] = vfma(qv, kv[kb], acc[r * KB + kb]);
        }
    }
    REAL sums[16];
    vstore(sums, vmul(vhadd16(acc), vset1(scale)));
#pragma GCC unroll 8
    for (int r = 0; r < RB; r++)
        memcpy(s + (size_t)r * ld_s, sums + r * KB, (size_t)KB * sizeof *sums);
}

/* Keys [j, j + KB) of every group, RB rows at a time: rows a multiple of 4 (KB = 4) or of 2
 * (KB = 8). */
INLINE void KSFX(key_blocks)(const REAL *q, size_t rows, size_t groups, size_t d, const STORE *kr,
                             size_t ld_k, REAL scale, REAL *S, size_t ld_s, lane_prefetch *pf,
                             const int RB)
{
    for (size_t gi = 0; gi < groups; gi++)
        for (size_t r0 = 0; r0 < rows; r0 += (size_t)RB)
            KSFX(dot_block)
    (q + (gi * rows + r0) * d, d, kr + gi * d, ld_k, scale, S + (gi * rows + r0) * ld_s, ld_s, pf,
     RB, 16 / RB);
}
#endif

TARGET void KSFX(mha_decode_scores)(const REAL *q, size_t rows, size_t groups, size_t d,
                                    const STORE *k, size_t ld_k, size_t n, REAL scale, REAL *S,
                                    size_t ld_s, const STORE *v, size_t ld_v, size_t d_v)
{
    const size_t dv = d / W * W;
#if VEC_HADD16 && REAL_BYTES == 4
    /* The 16-accumulator blocks: rows by 4 (or 2) at a time, d whole vectors. */
    const int rb = rows % 4 == 0 ? 4 : rows % 2 == 0 ? 2 : 0, kb = rb ? 16 / rb : 0;
    const bool blocks = rb != 0 && d != 0 && dv == d;
#endif
    for (size_t j = 0; j < n; j++) {
        const STORE *kr = d ? k + j * ld_k : k;
#if VEC_HADD16 && REAL_BYTES == 4
        if (blocks && j + (size_t)kb <= n) {
            const size_t ahead = j + PF_ROWS < n ? n - j - PF_ROWS : 0;
            /* Pointers only into rows that exist (v may be NULL when d_v is 0). */
            lane_prefetch pf[2] = {{ahead ? (const char *)(k + (j + PF_ROWS) * ld_k) : NULL, 0,
                                    groups * d * sizeof(STORE), ld_k * sizeof(STORE),
                                    ahead < (size_t)kb ? ahead : (size_t)kb},
                                   {d_v ? (const char *)(v + j * ld_v) : NULL, 0,
                                    groups * d_v * sizeof(STORE), ld_v * sizeof(STORE),
                                    d_v ? (size_t)kb : 0}};
            if (rb == 4)
                KSFX(key_blocks)(q, rows, groups, d, kr, ld_k, scale, S + j, ld_s, pf, 4);
            else
                KSFX(key_blocks)(q, rows, groups, d, kr, ld_k, scale, S + j, ld_s, pf, 2);
            j += (size_t)kb - 1;
            continue;
        }
#endif
        if (d && j + PF_ROWS < n)
            KSFX(prefetch)(kr + PF_ROWS * ld_k, groups * d * sizeof(STORE));
        if (d_v)
            KSFX(prefetch)(v + j * ld_v, groups * d_v * sizeof(STORE));
        for (size_t gi = 0; gi < groups; gi++) {
            const STORE *kg = d ? kr + gi * d : kr;
            KSFX(key_rows)
            (q + gi * rows * d, rows, d, dv, kg, scale, S + gi * rows * ld_s, ld_s, j);
        }
    }
}

/* The lanes kernel. scores sums each row's dot product across the lanes at the end, and with
 * many rows per K row (MQA's 32) those sums cost as much as the 8 FMAs of a 128-wide row. With
 * the rows in the lanes instead (qt, d × rp) each K element is broadcast once and multiplied
 * into RV vectors of W rows: the sums stay in their lanes, and only the finished scores, W keys
 * at a time, are transposed into S. Half caches are widened LANE_CHUNK columns at a time into
 * a small REAL buffer first, as a broadcast cannot widen; f32 and f64 caches are broadcast in
 * place.
 * The K rows are left to the hardware's streamer (software prefetch of K measured no faster);
 * the block's V rows are prefetched a line per column (lane_prefetch), faster for MQA's 32 rows
 * (mha_bench dec_mqa). */
#define LANE_CHUNK 64
/* The lanes kernel's row blocks of LANE_VECS vectors meet qt's padding: all of a block's vectors,
 * half of them, or (W = MHA_DECODE_LANE_ROWS) one. */
_Static_assert(LANE_VECS *W == MHA_DECODE_LANE_ROWS || LANE_VECS * W == 2 * MHA_DECODE_LANE_ROWS,
               "lanes row blocks");

/* st[kb·ld_st + rv·W ..] = scale · (rows of qt) · k_kb for KS keys (rows of k, stride ld_k) and
 * RV vectors of rows: RV·KS ≤ LANE_ACC accumulators held in registers over all d columns. */
INLINE void KSFX(lane_keys)(const REAL *qt, size_t rp, size_t d, const STORE *k, size_t ld_k,
                            REAL scale, REAL *st, size_t ld_st, lane_prefetch *pf, const int RV,
                            const int KS)
{
    vec acc[LANE_ACC][LANE_VECS];
#pragma GCC unroll 16
    for (int kb = 0; kb < KS; kb++)
#pragma GCC unroll 4
        for (int rv = 0; rv < RV; rv++)
            acc[kb][rv] = vset1((REAL)0);
    for (size_t c0 = 0; c0 < d; c0 += LANE_CHUNK) {
        const size_t dc = d - c0 < LANE_CHUNK ? d - c0 : LANE_CHUNK;
#ifndef WIDEN
        const REAL *kc = k + c0;
        const size_t ld_c = ld_k;
#else
        REAL kc[LANE_ACC * LANE_CHUNK];
        const size_t ld_c = LANE_CHUNK;
        for (int kb = 0; kb < KS; kb++) {
            const STORE *kr = k + (size_t)kb * ld_k + c0;
            size_t c = 0;
            for (; c + W <= dc; c += W)
                vstore(kc + (size_t)kb * ld_c + c, vload(kr + c));
            for (; c < dc; c++)
                kc[(size_t)kb * ld_c + c] = TO_REAL(kr[c]);
        }
#endif
#pragma GCC unroll 4
        for (size_t c = 0; c < dc; c++) {
            lane_prefetch_step(pf);
            vec qv[LANE_VECS];
#pragma GCC unroll 4
            for (int rv = 0; rv < RV; rv++)
                qv[rv] = vload(qt + (c0 + c) * rp + (size_t)rv * W);
#pragma GCC unroll 16
            for (int kb = 0; kb < KS; kb++) {
                const vec kk = vset1(kc[(size_t)kb * ld_c + c]);
#pragma GCC unroll 4
                for (int rv = 0; rv < RV; rv++)
                    acc[kb][rv] = vfma(qv[rv], kk, acc[kb][rv]);
            }
        }
    }
    const vec s = vset1(scale);
#pragma GCC unroll 16
    for (int kb = 0; kb < KS; kb++)
#pragma GCC unroll 4
        for (int rv = 0; rv < RV; rv++)
            vstore(st + (size_t)kb * ld_st + (size_t)rv * W, vmul(acc[kb][rv], s));
}

/* Keys [0, nk ≤ W) against RV vectors of rows, LANE_ACC / RV keys at a time (the last few 4,
 * then 1 at a time), into st; each column steps the prefetch walk pf. */
INLINE void KSFX(lane_block)(const REAL *qt, size_t rp, size_t d, const STORE *k, size_t ld_k,
                             size_t nk, REAL scale, REAL *st, size_t ld_st, lane_prefetch *pf,
                             const int RV)
{
    size_t j = 0;
    for (; j + LANE_ACC / RV <= nk; j += LANE_ACC / RV)
        KSFX(lane_keys)
    (qt, rp, d, k + j * ld_k, ld_k, scale, st + j * ld_st, ld_st, pf, RV, LANE_ACC / RV);
    for (; j + 4 <= nk; j += 4)
        KSFX(lane_keys)(qt, rp, d, k + j * ld_k, ld_k, scale, st + j * ld_st, ld_st, pf, RV, 4);
    for (; j < nk; j++)
        KSFX(lane_keys)(qt, rp, d, k + j * ld_k, ld_k, scale, st + j * ld_st, ld_st, pf, RV, 1);
}

/* st (nk keys × the rows [r0, r0 + nr), row stride ld_st) transposed into S's columns
 * [j0, j0 + nk): W × W at a time, through a buffer where the tile is cut. */
INLINE void KSFX(lane_store)(const REAL *st, size_t ld_st, size_t r0, size_t nr, size_t nk, REAL *S,
                             size_t ld_s, size_t j0)
{
    for (size_t r = 0; r < nr; r += W) {
        REAL *dst = S + (r0 + r) * ld_s + j0;
        if (nr - r >= W && nk == W) {
            vtranspose(st + r, ld_st, dst, ld_s);
            continue;
        }
        REAL cut[W * W];
        vtranspose(st + r, ld_st, cut, W);
        for (size_t i = 0; i < W && r + i < nr; i++)
            memcpy(dst + i * ld_s, cut + i * W, nk * sizeof *cut);
    }
}

TARGET void KSFX(mha_decode_lanes)(const REAL *qt, size_t rows, size_t groups, size_t d,
                                   const STORE *k, size_t ld_k, size_t n, REAL scale, REAL *S,
                                   size_t ld_s, const STORE *v, size_t ld_v, size_t d_v)
{
    const size_t rp = mha_decode_lane_pad(rows), ld_st = LANE_VECS * W;
    REAL st[W * LANE_VECS * W];
    if (d == 0) { /* empty dot products (K may be NULL) */
        for (size_t r = 0; r < groups * rows; r++)
            memset(S + r * ld_s, 0, n * sizeof *S);
        return;
    }
    for (size_t gi = 0; gi < groups; gi++) {
        const REAL *qg = qt + gi * d * rp;
        const STORE *kg = k + gi * d;
        REAL *Sg = S + gi * rows * ld_s;
        for (size_t j0 = 0; j0 < n; j0 += W) {
            const size_t nk = n - j0 < W ? n - j0 : W;
            const STORE *kb = kg + j0 * ld_k;
            /* The V rows of these keys, all groups, fetched while the first group computes. */
            const bool pf_v = gi == 0 && d_v != 0; /* v may be NULL when d_v is 0 */
            lane_prefetch pf = {pf_v ? (const char *)(v + j0 * ld_v) : NULL, 0,
                                groups * d_v * sizeof(STORE), ld_v * sizeof(STORE), pf_v ? nk : 0};
            /* LANE_VECS vectors of rows at a time (the rows past `rows` are qt's zero padding). */
            for (size_t r0 = 0; r0 < rows; r0 += LANE_VECS * W) {
                const size_t nv = (rp - r0) / W < LANE_VECS ? (rp - r0) / W : LANE_VECS;
                const REAL *q0 = qg + r0;
                if (nv == LANE_VECS)
                    KSFX(lane_block)(q0, rp, d, kb, ld_k, nk, scale, st, ld_st, &pf, LANE_VECS);
                else if (nv == LANE_VECS / 2)
                    KSFX(lane_block)
                (q0, rp, d, kb, ld_k, nk, scale, st, ld_st, &pf, LANE_VECS / 2);
                else KSFX(lane_block)(q0, rp, d, kb, ld_k, nk, scale, st, ld_st, &pf, 1);
                const size_t nr = rows - r0 < LANE_VECS * W ? rows - r0 : LANE_VECS * W;
                KSFX(lane_store)(st, ld_st, r0, nr, nk, Sg, ld_s, j0);
            }
        }
    }
}

/* O[r][c..c + CB·W) += Σ_j P[r][j]·v_j[c..] for RB rows: RB × CB accumulators in registers over
 * all n keys, each V vector loaded once per RB rows. */
INLINE void KSFX(pv_tile)(const REAL *P, size_t ld_p, size_t n, const STORE *v, size_t ld_v,
                          REAL *O, size_t d_v, lane_prefetch *pf, const int RB, const int CB)
{
    vec acc[PV_ROWS][PV_VECS];
#pragma GCC unroll 8
    for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
        for (int c = 0; c < CB; c++)
            acc[r][c] = vload(O + (size_t)r * d_v + (size_t)c * W);
    for (size_t j = 0; j < n; j++) {
        lane_prefetch_step(pf);
        vec vv[PV_VECS];
#pragma GCC unroll 8
        for (int c = 0; c < CB; c++)
            vv[c] = vload(v + j * ld_v + (size_t)c * W);
#pragma GCC unroll 8
        for (int r = 0; r < RB; r++) {
            const vec p = vset1(P[(size_t)r * ld_p + j]);
#pragma GCC unroll 8
            for (int c = 0; c < CB; c++)
                acc[r][c] = vfma(p, vv[c], acc[r][c]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
        for (int c = 0; c < CB; c++)
            vstore(O + (size_t)r * d_v + (size_t)c * W, acc[r][c]);
}

/* RB rows of pv_tile's, with CB = PV_VECS or 1 (the last vectors of a row). */
INLINE void KSFX(pv_rows)(const REAL *P, size_t ld_p, size_t n, const STORE *v, size_t ld_v,
                          REAL *O, size_t d_v, lane_prefetch *pf, const int RB, bool wide)
{
    if (wide)
        KSFX(pv_tile)(P, ld_p, n, v, ld_v, O, d_v, pf, RB, PV_VECS);
    else
        KSFX(pv_tile)(P, ld_p, n, v, ld_v, O, d_v, pf, RB, 1);
}

TARGET void KSFX(mha_decode_pv)(const REAL *P, size_t ld_p, size_t rows, size_t n, const STORE *v,
                                size_t ld_v, size_t d_v, REAL *O, const mha_decode_ahead *ahead)
{
    if (d_v == 0 || n == 0)
        return;
    /* The caller's next reads, a line per key of the tiles (with MQA's 32 rows the K rows of the
     * next block arrive in the first tiles, which is faster). */
    lane_prefetch pf = {NULL, 0, 64, 0, 0};
    if (ahead && ahead->rows && ahead->bytes)
        pf = (lane_prefetch){(const char *)ahead->at, 0, ahead->bytes, ahead->ld, ahead->rows};
    const size_t dv = d_v / W * W;
    for (size_t c0 = 0; c0 < dv;) {
        const bool wide = c0 + (size_t)PV_VECS * W <= dv;
        size_t r0 = 0;
        for (; r0 + PV_ROWS <= rows; r0 += PV_ROWS) {
            const REAL *pb = P + r0 * ld_p;
            KSFX(pv_rows)(pb, ld_p, n, v + c0, ld_v, O + r0 * d_v + c0, d_v, &pf, PV_ROWS, wide);
        }
        const REAL *pr = P + r0 * ld_p;
        REAL *orow = O + r0 * d_v + c0;
        switch (rows - r0) {
        case 1:
            KSFX(pv_rows)(pr, ld_p, n, v + c0, ld_v, orow, d_v, &pf, 1, wide);
            break;
        case 2:
            KSFX(pv_rows)(pr, ld_p, n, v + c0, ld_v, orow, d_v, &pf, 2, wide);
            break;
        case 3:
            KSFX(pv_rows)(pr, ld_p, n, v + c0, ld_v, orow, d_v, &pf, 3, wide);
            break;
        default:
            break;
        }
        c0 += wide ? (size_t)PV_VECS * W : W;
    }
    /* The d_v % W last columns, in scalars. */
    for (size_t j = 0; j < n && dv < d_v; j++)
        for (size_t r = 0; r < rows; r++) {
            const REAL p = P[r * ld_p + j];
            for (size_t c = dv; c < d_v; c++)
                O[r * d_v + c] += p * TO_REAL(v[j * ld_v + c]);
        }
}

#undef INLINE
#undef PF_ROWS
#undef LANE_CHUNK
