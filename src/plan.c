/* SPDX-License-Identifier: MIT */
/* Tile shape and workspace size for one attention call. */
#include "plan.h"

#include "blas.h"
#include "validate.h"

#include <limits.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Tile height. Every tile's two GEMMs repack K and V (the BLAS packs its B operand per call), so
 * taller tiles amortise that; a score tile of about L2 size (2 MiB/core here) keeps the softmax
 * pass in cache. Measured at (2048..8192, d_head 64) with 2 workers: 512 KiB / ≥32 rows reached
 * 36-47 % of sgemm peak, 2 MiB / ≥128 rows 60-90 %. 128 rows at seq_kv = 32768 is 16 MiB per
 * worker. */
#define TILE_TARGET_BYTES (2u * 1024u * 1024u)
#define TILE_MIN_ROWS 128u
#define TILE_MAX_ROWS 256u
/* Key-blocked tiles reread every K/V block once per tile, so taller ones read K and V fewer
 * times: at 32768 keys (d_model 512, 8 heads) 512 rows ran 213 GFLOP/s against 198 for 256, and
 * 207 against 193 at 16384 (the score block is 1 MiB, still inside L2). */
#define KEY_BLOCKED_MAX_ROWS 512u
/* Keys per block of the online softmax (FlashAttention-2's schedule on the BLAS), and the key
 * count above which it replaces the one-pass tile. 512 keys keep a 512-row score block at 1 MiB
 * (float) and its K and V blocks at 256 KiB (d_head 64): together inside the L2 of this machine's
 * cores (2 MiB), whatever seq_kv is. Measured with mha_bench, attention of
 * d_model 512, 8 heads, float, 2 workers (docs/PERFORMANCE.md): blocks of 256 / 512 / 1024 keys
 * ran 195 / 209 / 200 GFLOP/s at 2048 keys and 189 / 206 / 203 at 16384; one pass ran 198 at
 * 2048, 181 at 4096, 172 at 16384, against 211 and 214 blocked: blocks win from 2048 keys, so they
 * start above 1024 (two blocks). Tests override both (tests/meson.build). */
#ifndef MHA_KEY_BLOCK
#define MHA_KEY_BLOCK 512u
#endif
#ifndef MHA_KEY_BLOCKED_FROM
#define MHA_KEY_BLOCKED_FROM 1024u
#endif
/* Below this much work (flops) a call stays on one worker: waking a second thread costs more. */
#define PARALLEL_MIN_FLOPS 3.0e7

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static size_t query_block_rows(size_t seq_q, size_t row_bytes, size_t max_rows)
{
    size_t rows = row_bytes ? TILE_TARGET_BYTES / row_bytes : max_rows;
    rows = rows < TILE_MIN_ROWS ? TILE_MIN_ROWS : rows > max_rows ? max_rows : rows;
    rows = rows / 16 * 16;
    return seq_q < rows ? seq_q : rows;
}

size_t mha_plan_workers(size_t requested, size_t n_tiles, double flops)
{
#ifdef _OPENMP
    size_t limit = (size_t)omp_get_thread_limit();
    if (requested == 0)
        requested = mha_blas_threads() == 1 && flops >= PARALLEL_MIN_FLOPS
                        ? (size_t)omp_get_max_threads()
                        : 1;
    requested = requested < limit ? requested : limit;
#else
    (void)flops;
    requested = 1;
#endif
    return requested < n_tiles ? requested : n_tiles ? n_tiles : 1;
}

size_t mha_plan_team(size_t workers, size_t n_tiles)
{
#ifdef _OPENMP
    if (workers == 1 && n_tiles > 1 && omp_get_max_threads() > 1 && omp_get_thread_limit() > 1 &&
        mha_blas_serial_in_parallel())
        return 2;
#else
    (void)n_tiles;
#endif
    return workers;
}

bool mha_plan_attention(const mha_attention_desc *d, mha_dtype t, mha_plan *plan)
{
    size_t elem = mha_dtype_real_size(t); /* the score tile is in the arithmetic's type */
    size_t group = d->n_heads / d->n_kv_heads;
    /* Long key ranges are walked in blocks with an online softmax, so that the score tile (and
     * the workspace) stops growing with seq_kv; up to two blocks' worth take every key in one
     * pass, which is the same schedule with a single block. */
    plan->key_block = d->seq_kv > MHA_KEY_BLOCKED_FROM ? MHA_KEY_BLOCK : d->seq_kv;
    /* Score rows start on a cache line, unless the padding takes the stride (a BLAS ldc) past
     * INT_MAX: validation let through seq_kv <= INT_MAX, and that much always works unpadded. */
    size_t per_line = MHA_ALIGN / elem;
    plan->ld_s = round_up(plan->key_block, per_line);
    if (plan->ld_s > (size_t)INT_MAX)
        plan->ld_s = plan->key_block;

    size_t row_bytes;
    if (!mha_mul_ok(plan->ld_s, elem, &row_bytes))
        return false;
    /* Decode-like calls (fewer query rows than heads sharing a kv head) read each K/V panel once
     * per group by stacking the group's heads as the rows of one tile. */
    plan->stack_heads = group > 1 && d->seq_q < group;
    size_t blocks, per_item;
    if (plan->stack_heads) {
        plan->tile_rows = group;
        blocks = d->seq_q;
        per_item = d->n_kv_heads;
    } else {
        plan->tile_rows =
            query_block_rows(d->seq_q, row_bytes,
                             plan->key_block < d->seq_kv ? KEY_BLOCKED_MAX_ROWS : TILE_MAX_ROWS);
        blocks = plan->tile_rows ? (d->seq_q + plan->tile_rows - 1) / plan->tile_rows : 0;
        per_item = d->n_heads;
    }
    size_t tile_elems, stat_elems, tiles_per_item;
    if (!mha_mul_ok(plan->tile_rows, plan->ld_s, &tile_elems) ||
        !mha_mul_ok(plan->tile_rows, 2, &stat_elems) ||
        !mha_add_ok(tile_elems, round_up(stat_elems, per_line), &tile_elems) ||
        !mha_mul_ok(tile_elems, elem, &plan->tile_bytes) ||
        !mha_mul_ok(per_item, blocks, &tiles_per_item) ||
        !mha_mul_ok(tiles_per_item, d->batch, &plan->n_tiles))
        return false;
    double flops = 2.0 * (double)d->batch * (double)d->n_heads * (double)d->seq_q *
                   (double)d->seq_kv * (double)(d->d_head + d->d_v);
    plan->workers = mha_plan_workers(d->n_threads, plan->n_tiles, flops);
    plan->team = mha_plan_team(plan->workers, plan->n_tiles);
    if (!mha_mul_ok(plan->tile_bytes, plan->workers, &plan->ws_bytes) ||
        !mha_add_ok(plan->ws_bytes, MHA_ALIGN, &plan->ws_bytes))
        return false;
    return true;
}

bool mha_plan_fit_workspace(mha_plan *plan, size_t bytes)
{
    if (plan->ws_bytes == 0)
        return true;
    size_t tiles = bytes < MHA_ALIGN ? 0 : (bytes - MHA_ALIGN) / plan->tile_bytes;
    if (tiles == 0)
        return false;
    if (tiles < plan->workers) {
        plan->workers = tiles;
        plan->team = mha_plan_team(tiles, plan->n_tiles);
        plan->ws_bytes = tiles * plan->tile_bytes + MHA_ALIGN;
    }
    return true;
}
