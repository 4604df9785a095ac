/* SPDX-License-Identifier: MIT */
/* The attention driver, written once over a type's traits (type_f32.h: STORE for the caller's
 * matrices, REAL for the arithmetic); driver_f32.c and driver_f64.c include it.
 *
 * A call is cut into tiles. A tile is a set of query rows that share one K/V head: either a block
 * of consecutive query rows of one head, or (decode, plan->stack_heads) the heads of one kv group
 * at one query row. Both are "m rows, a row stride" for the BLAS, so one routine runs them:
 *
 * for each block of plan->key_block keys (all of them in one block up to 1024 keys):
 *   S = scale · Q_tile · K_blockᵀ         one GEMM, the scale folded into alpha  (m × block)
 *   S += mask; row softmax without 1/sum  one kernel pass per row, mask add fused, in place,
 *                                         against the row's running max; when that grows, the
 *                                         sum and O so far shrink by exp(old max − new max)
 *   O (+)= S · V_block                    one GEMM straight into the caller's out (m × d_v)
 * then O_r /= sum_r; lse_r = max_r + log(sum_r).
 *
 * The normalisation is deferred to O because O has d_v columns where S has seq_kv. Blocks keep
 * the score tile and the workspace independent of seq_kv (FlashAttention-2's schedule). */
#include "blas.h"
#include "driver.h"
#include "mha_assert.h"
#include "plan.h"
#include "softmax.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define GEMM SFX(mha_gemm)
#define SOFTMAX_ROW_FN SFX(mha_softmax_row_fn)
#define SOFTMAX_PICK SFX(mha_softmax_pick)

/* Rows per projection block: enough that each GEMM still runs near its peak. */
#define PROJECT_MIN_ROWS 64

void SFX(mha_project)(const STORE *X, size_t seq_len, size_t d_model, const STORE *const W[],
                      STORE *const out[], size_t count, size_t cols)
{
    /* Over a single-threaded BLAS the rows are split across workers, one block each; otherwise
     * one GEMM per weight and the BLAS's threads split it. Either way every output element is
     * the same dot product in the same order, so the result does not depend on the split. */
    double flops = 2.0 * (double)seq_len * (double)d_model * (double)cols * (double)count;
    size_t workers =
        mha_plan_workers(0, (seq_len + PROJECT_MIN_ROWS - 1) / PROJECT_MIN_ROWS, flops);
    size_t block = (seq_len + workers - 1) / workers, items = count * workers;
#ifdef _OPENMP
#pragma omp parallel for num_threads((int)workers) if (workers > 1) schedule(static)
#endif
    for (size_t item = 0; item < items; item++) {
        size_t p = item / workers, r0 = item % workers * block;
        if (r0 < seq_len) {
            size_t m = seq_len - r0 < block ? seq_len - r0 : block;
            GEMM(false, m, cols, d_model, 1, X + r0 * d_model, d_model, W[p], cols, 0,
                 out[p] + r0 * cols, cols);
        }
    }
}

/* One tile: `m` query rows sharing the K/V head at k, v. Row r of the tile reads q + r·ld_q,
 * writes out + r·ld_out and lse[r·lse_step], adds mask + r·mask_step, and is query index
 * first_i + r·i_step (i_step is 0 when a tile stacks heads of one query row). */
typedef struct tile {
    const STORE *q, *k, *v;
    const REAL *mask;
    STORE *out;
    REAL *lse;
    size_t m, ld_q, ld_out, lse_step, mask_step, first_i, i_step;
} tile;

/* Keys query i may see: all, or with the bottom-right causal mask, j ≤ i + seq_kv − seq_q. */
static size_t visible_keys(const mha_attention_desc *d, size_t i)
{
    if (!(d->flags & MHA_CAUSAL))
        return d->seq_kv;
    if (i + 1 + d->seq_kv <= d->seq_q) /* validated not to overflow */
        return 0;
    size_t n = i + 1 + d->seq_kv - d->seq_q;
    return n < d->seq_kv ? n : d->seq_kv;
}

/* An empty buffer may be NULL and its strides mean nothing (mha.h), and in C even NULL + 0, an
 * offset that wraps, or memset(NULL, 0, 0) is undefined: offset and clear only non-empty ones. */
#define AT(p, nonempty, offset) ((nonempty) ? (p) + (offset) : (p))

static void zero_row(REAL *row, size_t n)
{
    /* row may be NULL when n == 0, and memset(NULL, 0, 0) is undefined */
    if (n != 0)
        memset(row, 0, n * sizeof *row);
}

/* Softmax every row of the score block S (keys [k0, k0 + n_keys)) in place, the mask added on
 * the way, against each row's running max and sum (the online softmax): when a row's max grows,
 * its sum and the output rows accumulated from earlier blocks (k0 > 0) shrink by
 * exp(old max − new max), so that every block's weights share one reference. */
static void softmax_block(const mha_attention_desc *d, const tile *t, REAL *S, size_t ld_s,
                          size_t k0, size_t n_keys, REAL *row_max, REAL *row_sum)
{
    /* Ask the CPU once per block, not once per row (softmax.h). */
    SOFTMAX_ROW_FN *const softmax_row = SOFTMAX_PICK();
    for (size_t r = 0; r < t->m; r++) {
        REAL *row = S + r * ld_s;
        size_t visible = visible_keys(d, t->first_i + r * t->i_step);
        size_t n_vis = visible <= k0 ? 0 : visible - k0 < n_keys ? visible - k0 : n_keys;
        const REAL *mrow = t->mask ? t->mask + r * t->mask_step + k0 : NULL;
        REAL old_max = row_max[r];
        REAL sum = softmax_row(row, mrow, n_vis, &row_max[r]);
        if (row_max[r] > old_max) {                  /* false for NaN: the sum below carries it */
            REAL shrink = EXP(old_max - row_max[r]); /* 0 when nothing was seen yet */
            row_sum[r] *= shrink;
            if (k0 != 0)
                for (size_t c = 0; c < d->d_v; c++)
                    t->out[r * t->ld_out + c] *= shrink;
        }
        row_sum[r] += sum;
        /* Causal: the part of the block beyond this row's last key must weigh nothing in P·V. */
        zero_row(row + n_vis, n_keys - n_vis);
    }
}

/* Divide each output row by its sum; rows that saw no key become zeros (never NaN: 0·inf in V
 * could otherwise leak in), with lse = −inf. */
static void normalise_tile(const mha_attention_desc *d, const tile *t, const REAL *row_max,
                           const REAL *row_sum)
{
    for (size_t r = 0; r < t->m; r++) {
        REAL *o = AT(t->out, d->d_v != 0, r * t->ld_out);
        if (row_sum[r] == 0) {
            zero_row(o, d->d_v);
        } else {
            REAL inv = 1 / row_sum[r];
            for (size_t c = 0; c < d->d_v; c++)
                o[c] *= inv;
        }
        if (t->lse)
            t->lse[r * t->lse_step] =
                row_sum[r] == 0 ? -(REAL)INFINITY : row_max[r] + LOG(row_sum[r]);
    }
}

/* The tile's keys in blocks of plan->key_block, in order (one block when it covers them all):
 *   S = scale · Q_tile · K_blockᵀ, the online softmax of S, out (+)= S · V_block,
 * the first block writing out (beta 0), the others adding to it, then the normalisation. */
static void run_tile(const mha_attention_desc *d, const mha_plan *plan, const tile *t, REAL *S)
{
    REAL *row_max = S + plan->tile_rows * plan->ld_s, *row_sum = row_max + plan->tile_rows;
    for (size_t r = 0; r < t->m; r++) {
        row_max[r] = -(REAL)INFINITY;
        row_sum[r] = 0;
    }
    /* Causal: no row of the tile sees past the last row's horizon, so those blocks are skipped. */
    size_t n_keys = visible_keys(d, t->first_i + (t->m - 1) * t->i_step);
    size_t block = plan->key_block ? plan->key_block : 1;
    /* n_keys == 0 (every row in the causal future) still runs one empty block, which writes
     * zeros: k == 0 gives beta·C. */
    for (size_t k0 = 0; k0 == 0 || k0 < n_keys; k0 += block) {
        size_t n = n_keys - k0 < block ? n_keys - k0 : block;
        const STORE *k = AT(t->k, k0 != 0 && d->d_head != 0, k0 * d->ld_k);
        const STORE *v = AT(t->v, k0 != 0 && d->d_v != 0, k0 * d->ld_v);
        GEMM(true, t->m, n, d->d_head, (REAL)d->scale, t->q, t->ld_q, k, d->ld_k, 0, S, plan->ld_s);
        softmax_block(d, t, S, plan->ld_s, k0, n, row_max, row_sum);
        GEMM(false, t->m, d->d_v, n, 1, S, plan->ld_s, v, d->ld_v, k0 == 0 ? 0 : 1, t->out,
             t->ld_out);
    }
    normalise_tile(d, t, row_max, row_sum);
}

/* The tile with index `index` in the call's fixed order (batch, then head or group, then block). */
static tile tile_at(const mha_attention_desc *d, const mha_plan *plan, size_t index, const STORE *Q,
                    const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse)
{
    size_t group = d->n_heads / d->n_kv_heads;
    size_t per_item = plan->n_tiles / d->batch;
    size_t b = index / per_item, rest = index % per_item;
    size_t h, i0, m;
    tile t;
    if (plan->stack_heads) { /* rest = g·seq_q + i: all heads of group g at query row i */
        size_t g = rest / d->seq_q;
        i0 = rest % d->seq_q;
        h = g * group;
        m = group;
        t.ld_q = d->d_head;
        t.ld_out = d->d_v;
        t.lse_step = d->seq_q;
        t.mask_step = 0;
        t.i_step = 0;
    } else { /* rest = h·blocks + blk: rows [blk·tile_rows, +m) of head h */
        size_t blocks = per_item / d->n_heads;
        h = rest / blocks;
        i0 = rest % blocks * plan->tile_rows;
        m = d->seq_q - i0 < plan->tile_rows ? d->seq_q - i0 : plan->tile_rows;
        t.ld_q = d->ld_q;
        t.ld_out = d->ld_out;
        t.lse_step = 1;
        t.mask_step = d->ld_mask;
        t.i_step = 1;
    }
    size_t g = h / group;
    t.m = m;
    t.first_i = i0;
    bool keys = d->seq_kv != 0;
    t.q = AT(Q, d->d_head != 0, b * d->batch_stride_q + i0 * d->ld_q + h * d->d_head);
    t.k = AT(K, keys && d->d_head != 0, b * d->batch_stride_k + g * d->d_head);
    t.v = AT(V, keys && d->d_v != 0, b * d->batch_stride_v + g * d->d_v);
    t.out = AT(out, d->d_v != 0, b * d->batch_stride_out + i0 * d->ld_out + h * d->d_v);
    t.mask = mask && keys ? mask + b * d->batch_stride_mask + i0 * d->ld_mask : NULL;
    t.lse = lse ? lse + (b * d->n_heads + h) * d->seq_q + i0 : NULL;
    return t;
}

#ifndef MHA_WORKER_INDEX_DEFINED
#define MHA_WORKER_INDEX_DEFINED
/* Which tile workspace this thread owns. */
static size_t worker_index(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

/* The next tile nobody has taken: dynamic scheduling by hand, over the workers only (the
 * region's team may hold one more thread, plan.h). */
static size_t claim_tile(size_t *next)
{
    size_t index;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
    index = (*next)++;
    return index;
}
#endif

void SFX(mha_attend)(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                     const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                     void *workspace)
{
    uintptr_t aligned = ((uintptr_t)workspace + MHA_ALIGN - 1) & ~(uintptr_t)(MHA_ALIGN - 1);
    /* Tiles are independent: any worker may run any tile, and each tile's result does not
     * depend on which worker ran it or how many there are. Dynamic scheduling evens out the
     * causal tiles, whose cost grows with the query index. */
    size_t next = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)plan->team) if (plan->team > 1)
#endif
    {
        size_t worker = worker_index();
        REAL *S = (REAL *)(aligned + worker * plan->tile_bytes);
        for (size_t index; worker < plan->workers && (index = claim_tile(&next)) < plan->n_tiles;) {
            tile t = tile_at(d, plan, index, Q, K, V, mask, out, lse);
            run_tile(d, plan, &t, S);
        }
    }
}

void SFX(mha_merge)(size_t rows, size_t n_heads, size_t d_v, size_t ld, const REAL *out_a,
                    const REAL *lse_a, const REAL *out_b, const REAL *lse_b, REAL *out, REAL *lse)
{
    for (size_t h = 0; h < n_heads; h++) {
        for (size_t i = 0; i < rows; i++) {
            REAL la = lse_a[h * rows + i], lb = lse_b[h * rows + i];
            REAL m = la > lb ? la : lb;
            size_t at = i * ld + h * d_v;
            if (m == -(REAL)INFINITY) { /* neither side saw a key */
                /* out may be NULL when d_v == 0 */
                if (d_v != 0)
                    zero_row(out + at, d_v);
                lse[h * rows + i] = m;
                continue;
            }
            /* Weights relative to the larger lse: one is 1, the other ≤ 1, so nothing overflows. */
            REAL wa = EXP(la - m), wb = EXP(lb - m), inv = 1 / (wa + wb);
            for (size_t c = 0; c < d_v; c++)
                out[at + c] = (wa * out_a[at + c] + wb * out_b[at + c]) * inv;
            lse[h * rows + i] = m + LOG(wa + wb);
        }
    }
}
