/* SPDX-License-Identifier: MIT */
/* Tile shape and workspace size for one attention call. */
#include "plan.h"

#include "decode_kernels.h"
#include "gemm.h"
#include "validate.h"

#include <limits.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Tile height. Every tile's two GEMMs repack K and V (the BLAS packs its B operand per call), so
 * taller tiles amortise that; a score tile of about a core's L2 keeps the softmax pass in cache.
 * The sizes here and below were chosen by measurement (docs/EXPERIMENTS.md has the runs). */
#define TILE_TARGET_BYTES (2u * 1024u * 1024u)
#define TILE_MIN_ROWS 128u
#define TILE_MAX_ROWS 256u
/* Key-blocked tiles reread every K/V block once per tile, so taller ones read K and V fewer
 * times, while the score block (1 MiB at 512 rows of 512 keys) stays inside L2. */
#define KEY_BLOCKED_MAX_ROWS 512u
/* Keys per block of the online softmax (FlashAttention-2's schedule on the BLAS), and the key
 * count above which it replaces the one-pass tile. 512 keys keep a 512-row score block at 1 MiB
 * (float) and its K and V blocks at 256 KiB (d_head 64): together inside a 2 MiB L2, whatever
 * seq_kv is; smaller and larger blocks ran slower, and blocks overtake the one-pass tile from two
 * blocks on. Tests override both (tests/meson.build). */
#ifndef MHA_KEY_BLOCK
#define MHA_KEY_BLOCK 512u
#endif
#ifndef MHA_KEY_BLOCKED_FROM
#define MHA_KEY_BLOCKED_FROM 1024u
#endif
/* Rows per projection GEMM: on the BLAS, float and double split the rows among the workers, one
 * block each, but at least this many per block, so each GEMM still runs near its peak. Half types,
 * and float on oneDNN, use blocks of a fixed PROJECT_FIXED_ROWS, so that the cut (and the bits of
 * the result) never depends on the number of workers whatever the backend does inside one GEMM. */
#define PROJECT_MIN_ROWS 64u
#define PROJECT_FIXED_ROWS 256u
/* The decode path (decode_impl.h) takes calls of at most this many query rows per kv group
 * (seq_q × n_heads / n_kv_heads): decode (1 row × the group) and speculative decoding. Its kernels
 * hold up to 32 rows in registers against each K element (decode_kernels.h), so the cache still
 * streams once up to here, where the stacked-heads GEMM rereads it per row (mha_bench's decode
 * rows). Tests override the three sizes (tests/meson.build). */
#ifndef MHA_DECODE_MAX_ROWS
#define MHA_DECODE_MAX_ROWS 32u
#endif
/* Keys per block of the decode's online softmax: the block's scores (rows × 64 floats) and its V
 * rows (64 × d_v, 32 KiB at 128 floats) stay in L1 between the passes over K and over V. */
#ifndef MHA_DECODE_BLOCK
#define MHA_DECODE_BLOCK 64u
#endif
/* Split-KV (FlashDecoding): a call with fewer than DECODE_SPLIT_BELOW (batch item, kv-group
 * block) pairs cuts each cache into chunks, so that there are about DECODE_SPLIT_ITEMS work items
 * to spread over the workers, each chunk at least MHA_DECODE_CHUNK keys (a multiple of the key
 * block) and at most DECODE_MAX_CHUNKS of them (longer caches get longer chunks, so the partial
 * results stop growing with seq_kv); a cache of MHA_DECODE_CHUNK keys or more is cut in two at
 * least (a shorter one is faster in one chunk). The chunks' partial results are merged in chunk
 * order. About 32 items even out whichever worker a shared machine slows down, where a few long
 * chunks leave a call on one worker.
 * Every size here comes from the shape alone, never from the workers: so the result has the
 * same bits for any number of workers (mha.h). */
#ifndef MHA_DECODE_CHUNK
#define MHA_DECODE_CHUNK 1024u
#endif
#define DECODE_SPLIT_BELOW 16u
#define DECODE_SPLIT_ITEMS 32u
#define DECODE_MAX_CHUNKS 64u
/* Below this much work (flops) a call stays on one worker: waking a second thread costs more. */
#define PARALLEL_MIN_FLOPS 3.0e7
/* A decode call is worth two workers from this many bytes of K and V: streaming that much from
 * memory takes a few hundred microseconds, where waking a worker costs tens. */
#define DECODE_PARALLEL_MIN_BYTES (4.0 * 1024 * 1024)

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static size_t query_block_rows(size_t seq_q, size_t row_bytes, size_t max_rows)
{
    size_t rows = row_bytes ? TILE_TARGET_BYTES / row_bytes : max_rows;
    rows = rows < TILE_MIN_ROWS ? TILE_MIN_ROWS : rows > max_rows ? max_rows : rows;
#ifdef MHA_SCORE_ROWS_MAX /* tests: score blocks of a few rows, several per tile */
    rows = rows < MHA_SCORE_ROWS_MAX ? rows : MHA_SCORE_ROWS_MAX;
#endif
    rows = rows / 16 * 16;
    return seq_q < rows ? seq_q : rows;
}

/* Score blocks per tile for the half types: a tile packs (native) or widens each K and V block
 * once for all its rows, and taller tiles do that less often. Up to
 * HALF_TILE_BLOCKS of a head's blocks per tile, fewer while that would leave fewer than
 * HALF_TILE_MIN_TILES tiles to share among the workers. The shape alone decides; the blocks, and
 * so the bits, are the same for any count (only which tile packs them changes).
 * With the copies shared, a native (bf16) score block can shrink until it sits in L2 beside
 * everything else (the float scores of 128 rows × 512 keys are 256 KiB; 64 rows were slower
 * again). Widened halves multiply on the BLAS, which wants taller blocks, so they keep the float
 * sizes. */
#define NATIVE_SCORE_MAX_ROWS 128u
#define HALF_TILE_BLOCKS 16u
#define HALF_TILE_MIN_TILES 8u
static size_t half_tile_blocks(const mha_attention_desc *d, size_t blocks)
{
    size_t heads, tiles, g = HALF_TILE_BLOCKS;
    bool many_heads = !mha_mul_ok(d->batch, d->n_heads, &heads);
    while (g > 1 &&
           (g > blocks || (!many_heads && mha_mul_ok(heads, (blocks + g - 1) / g, &tiles) &&
                           tiles < HALF_TILE_MIN_TILES)))
        g /= 2;
    return g;
}

mha_gemm_backend mha_plan_gemm(mha_dtype t)
{
    bool threaded = mha_blas_threads() != 1;
    return threaded && mha_dtype_real_size(t) == sizeof(float) && mha_gemm_onednn_sgemm()
               ? MHA_GEMM_ONEDNN
               : MHA_GEMM_BLAS;
}

/* Can GEMMs on `gemm` run on several workers at once, each on one core? oneDNN can (serial inside
 * a parallel region); the BLAS when it runs single-threaded there. Nesting a threaded BLAS inside
 * the workers oversubscribes the cores. */
static bool gemms_fit_workers(mha_gemm_backend gemm)
{
    return gemm == MHA_GEMM_ONEDNN || mha_blas_threads() == 1;
}

size_t mha_plan_cores(void)
{
#ifdef _OPENMP
    const char *env = getenv("OMP_NUM_THREADS");
    char *end = NULL;
    unsigned long n = env ? strtoul(env, &end, 10) : 0;
    if (n > 0 && end != env && (*end == '\0' || *end == ','))
        return n;
    int procs = omp_get_num_procs();
    return procs > 0 ? (size_t)procs : 1;
#else
    return 1;
#endif
}

/* Workers for n_tiles items when the caller asked for `requested` (0: decide): mha_plan_cores()
 * when the call is `big` enough to wake them and its GEMMs (if any) `fit` workers, else one. */
static size_t plan_workers(size_t requested, size_t n_tiles, bool big, bool fit)
{
#ifdef _OPENMP
    size_t limit = (size_t)omp_get_thread_limit();
    if (requested == 0)
        requested = fit && big ? mha_plan_cores() : 1;
    requested = requested < limit ? requested : limit;
#else
    (void)big, (void)fit;
    requested = 1;
#endif
    return requested < n_tiles ? requested : n_tiles ? n_tiles : 1;
}

size_t mha_plan_workers(mha_dtype t, size_t requested, size_t n_tiles, double flops)
{
    return plan_workers(requested, n_tiles, flops >= PARALLEL_MIN_FLOPS,
                        gemms_fit_workers(mha_plan_gemm(t)));
}

/* Appends a region of `elems` elements of `elem` bytes to a tile's workspace of *bytes, on a
 * cache line; *at gets its offset. */
static bool add_region(size_t *bytes, size_t elems, size_t elem, size_t *at)
{
    size_t size;
    *at = *bytes;
    return mha_mul_ok(elems, elem, &size) && mha_add_ok(size, MHA_ALIGN - 1, &size) &&
           mha_add_ok(*bytes, size / MHA_ALIGN * MHA_ALIGN, bytes);
}

/* One tile's workspace: one score block (score_rows rows of row_bytes), the row maxima and sums,
 * and the output accumulator (tile_rows × d_v in REAL, dense: the GEMMs add each key block into it
 * in cache, and the caller's rows are written once, normalised); for half types also room to widen
 * the tile's Q and a key block's K and V, and P in the stored type when the GEMMs take halves. */
static bool tile_layout(const mha_attention_desc *d, mha_dtype t, size_t row_bytes, mha_plan *plan)
{
    mha_tiles_plan *tp = &plan->tiles;
    size_t real = mha_dtype_real_size(t), store = mha_dtype_store_size(t), rows = tp->tile_rows;
    size_t bytes = 0, scores, scores_at, acc_elems;
    if (!mha_mul_ok(tp->score_rows, row_bytes, &scores) ||
        !add_region(&bytes, scores, 1, &scores_at) ||
        !add_region(&bytes, 2 * rows, real, &tp->stats_at) ||
        !mha_mul_ok(rows, d->d_v, &acc_elems) || !add_region(&bytes, acc_elems, real, &tp->acc_at))
        return false;
    if (store != real) {
        size_t a_elems, kv_cols, b_elems, p_elems;
        if (!mha_mul_ok(rows, d->d_head, &a_elems) || !mha_add_ok(d->d_head, d->d_v, &kv_cols) ||
            !mha_mul_ok(tp->key_block, kv_cols, &b_elems) ||
            !mha_mul_ok(tp->half_native ? tp->score_rows : 0, tp->ld_s, &p_elems) ||
            !add_region(&bytes, a_elems, real, &tp->a_wide_at) ||
            !add_region(&bytes, b_elems, real, &tp->b_wide_at) ||
            !add_region(&bytes, p_elems, store, &tp->p_at) ||
            !add_region(&bytes, tp->half_native ? a_elems : 0, store, &tp->q_pack_at) ||
            !add_region(&bytes, tp->half_native ? b_elems : 0, store, &tp->kv_pack_at) ||
            !add_region(&bytes, tp->half_native ? mha_gemm_half_cache_bytes() : 0, 1,
                        &tp->cache_at))
            return false;
    }
    plan->tile_bytes = bytes;
    return true;
}

/* The decode path's plan: tiles are (batch item, kv group, chunk) work items of group·seq_q
 * rows; each worker's workspace holds the rows' widened queries, one block of scores, the row
 * statistics and the output accumulator; split-KV adds the chunks' partial results, shared. */
static bool plan_decode(const mha_attention_desc *d, mha_dtype t, size_t rows, mha_plan *plan)
{
    size_t real = mha_dtype_real_size(t), pairs, bytes = 0, scores_at;
    mha_decode_plan *dp = &plan->decode;
    plan->schedule = MHA_SCHEDULE_DECODE;
    /* Several kv groups per item when their rows fit MHA_DECODE_MAX_ROWS together: a packed
     * cache stores the kv heads of one key side by side (n_kv_heads·d_head per row), so an item
     * of all groups reads whole rows, which the hardware streams, where one group's slice of
     * each row is a short stride apart (docs/PERFORMANCE.md, Decode). */
    dp->group_rows = rows;
    dp->item_groups =
        MHA_DECODE_MAX_ROWS / rows < d->n_kv_heads ? MHA_DECODE_MAX_ROWS / rows : d->n_kv_heads;
    dp->n_gblocks = (d->n_kv_heads + dp->item_groups - 1) / dp->item_groups;
    rows *= dp->item_groups;
    dp->rows = rows;
    /* A short cache needs no more than its own keys' scores. */
    dp->key_block = d->seq_kv < MHA_DECODE_BLOCK ? (d->seq_kv ? d->seq_kv : 1) : MHA_DECODE_BLOCK;
    dp->ld_s = round_up(dp->key_block, MHA_ALIGN / real);
    dp->n_chunks = 1;
    dp->chunk_keys = d->seq_kv;
    if (!mha_mul_ok(d->batch, dp->n_gblocks, &pairs))
        return false;
    if (pairs < DECODE_SPLIT_BELOW && d->seq_kv >= MHA_DECODE_CHUNK) {
        size_t want = (DECODE_SPLIT_ITEMS + pairs - 1) / pairs; /* chunks per pair */
        size_t per = (d->seq_kv + want - 1) / want, half = (d->seq_kv + 1) / 2;
        /* Keys a chunk takes at least: enough for at most DECODE_MAX_CHUNKS chunks, and
         * MHA_DECODE_CHUNK, or half the cache where that is less (two chunks at least). */
        size_t few = (d->seq_kv + DECODE_MAX_CHUNKS - 1) / DECODE_MAX_CHUNKS,
               least = MHA_DECODE_CHUNK < half ? MHA_DECODE_CHUNK : half;
        least = least > few ? least : few;
        dp->chunk_keys = round_up(per > least ? per : least, MHA_DECODE_BLOCK);
        dp->n_chunks = (d->seq_kv + dp->chunk_keys - 1) / dp->chunk_keys;
    }
    size_t q_elems, s_elems, o_elems, qt_elems = 0, part, shared = 0;
    /* The lanes kernels take groups of MHA_DECODE_LANE_ROWS rows. */
    const bool lanes = dp->group_rows >= MHA_DECODE_LANE_ROWS;
    if (!mha_mul_ok(rows, d->d_head, &q_elems) || !mha_mul_ok(rows, dp->ld_s, &s_elems) ||
        !mha_mul_ok(rows, d->d_v, &o_elems) ||
        (lanes && !mha_mul_ok(dp->item_groups * mha_decode_lane_pad(dp->group_rows), d->d_head,
                              &qt_elems)) ||
        !add_region(&bytes, s_elems, real, &scores_at) ||
        !add_region(&bytes, 2 * rows, real, &dp->stats_at) ||
        !add_region(&bytes, o_elems, real, &dp->acc_at) ||
        !add_region(&bytes, q_elems, real, &dp->q_at) ||
        !add_region(&bytes, qt_elems, real, &dp->qt_at) ||
        !mha_mul_ok(pairs, dp->n_chunks, &plan->n_tiles))
        return false;
    plan->tile_bytes = bytes;
    if (dp->n_chunks > 1 &&
        (!mha_add_ok(o_elems, 2 * rows, &part) || !mha_mul_ok(part, plan->n_tiles, &part) ||
         !add_region(&shared, part, real, &scores_at)))
        return false;
    plan->shared_bytes = shared;
    /* Two workers pay when the flops are many (MQA, speculative decoding) or the bytes of K and
     * V (decode: bound by them). */
    double flops = 2.0 * (double)d->batch * (double)d->n_heads * (double)d->seq_q *
                   (double)d->seq_kv * (double)(d->d_head + d->d_v);
    double kv_bytes = (double)d->batch * (double)d->n_kv_heads * (double)d->seq_kv *
                      (double)(d->d_head + d->d_v) * (double)mha_dtype_store_size(t);
    /* No GEMM: whatever the BLAS's threading, the items can take every worker. */
    plan->workers =
        plan_workers(d->n_threads, plan->n_tiles,
                     flops >= PARALLEL_MIN_FLOPS || kv_bytes >= DECODE_PARALLEL_MIN_BYTES, true);
    return mha_mul_ok(plan->tile_bytes, plan->workers, &plan->ws_bytes) &&
           mha_add_ok(plan->ws_bytes, shared + MHA_ALIGN, &plan->ws_bytes);
}

/* Query rows per tile of the zero-score schedule. Without a mask a tile reads the V rows its
 * rows see once, in key order, and writes n_heads·d_v elements per row: taller tiles read V fewer
 * times. */
#define ZERO_SCORES_ROWS 256u

/* The zero-score schedule's plan (d_head == 0, zero_scores_impl.h): tiles of up to
 * ZERO_SCORES_ROWS query rows of one batch item, all heads at once. A tile's workspace is two
 * rows of every kv group's output, n_kv_heads·d_v REAL each: nothing in it grows with seq_kv. */
static bool plan_zero_scores(const mha_attention_desc *d, mha_dtype t, mha_plan *plan)
{
    size_t real = mha_dtype_real_size(t), rows = ZERO_SCORES_ROWS, width, bytes = 0;
#ifdef MHA_SCORE_ROWS_MAX /* tests: tiles of a few rows */
    rows = rows < MHA_SCORE_ROWS_MAX ? rows : MHA_SCORE_ROWS_MAX;
#endif
    mha_zero_scores_plan *zp = &plan->zero;
    plan->schedule = MHA_SCHEDULE_ZERO_SCORES;
    zp->tile_rows = d->seq_q < rows ? d->seq_q : rows;
    if (!mha_mul_ok(d->n_kv_heads, d->d_v, &width) ||
        !add_region(&bytes, width, real, &zp->acc_at) ||
        !add_region(&bytes, width, real, &zp->row_at) ||
        !mha_mul_ok(d->batch, (d->seq_q + zp->tile_rows - 1) / zp->tile_rows, &plan->n_tiles))
        return false;
    /* d_v == 0 needs no room, but a worker's share is never empty: mha_plan_fit_workspace counts
     * workers by it, and mha_alloc refuses 0 bytes. */
    plan->tile_bytes = bytes != 0 ? bytes : MHA_ALIGN;
    /* The work of a masked call, which the plan cannot tell from one without a mask: per query
     * row, each visible key's mask entry and its V row of every group, and the row written to
     * every head. */
    double work =
        (double)d->batch * (double)d->seq_q *
        ((double)d->seq_kv * (1 + 2 * (double)width) + (double)d->n_heads * (double)(d->d_v + 1));
    /* No GEMM: whatever the BLAS's threading, the tiles can take every worker. */
    plan->workers = plan_workers(d->n_threads, plan->n_tiles, work >= PARALLEL_MIN_FLOPS, true);
    return mha_mul_ok(plan->tile_bytes, plan->workers, &plan->ws_bytes) &&
           mha_add_ok(plan->ws_bytes, MHA_ALIGN, &plan->ws_bytes);
}

bool mha_plan_attention(const mha_attention_desc *d, mha_dtype t, mha_plan *plan)
{
    size_t elem = mha_dtype_real_size(t); /* the score tile is in the arithmetic's type */
    size_t group = d->n_heads / d->n_kv_heads, decode_rows;
    /* Empty dot products: no product of Q and K to compute, whatever the shape. */
    if (d->d_head == 0)
        return plan_zero_scores(d, t, plan);
    if (mha_mul_ok(d->seq_q, group, &decode_rows) && decode_rows <= MHA_DECODE_MAX_ROWS)
        return plan_decode(d, t, decode_rows, plan);
    mha_tiles_plan *tp = &plan->tiles;
    plan->schedule = MHA_SCHEDULE_TILES;
    /* Long key ranges are walked in blocks with an online softmax, so that the score tile (and
     * the workspace) stops growing with seq_kv; up to two blocks' worth take every key in one
     * pass, which is the same schedule with a single block. */
    tp->key_block = d->seq_kv > MHA_KEY_BLOCKED_FROM ? MHA_KEY_BLOCK : d->seq_kv;
    /* Score rows start on a cache line, unless the padding takes the stride (a BLAS ldc) past
     * INT_MAX: validation let through seq_kv <= INT_MAX, and that much always works unpadded. */
    size_t per_line = MHA_ALIGN / elem;
    tp->ld_s = round_up(tp->key_block, per_line);
    if (tp->ld_s > (size_t)INT_MAX)
        tp->ld_s = tp->key_block;

    size_t row_bytes;
    if (!mha_mul_ok(tp->ld_s, elem, &row_bytes))
        return false;
    /* Decode-like calls (fewer query rows than heads sharing a kv head) read each K/V panel once
     * per group by stacking the group's heads as the rows of one tile. */
    tp->stack_heads = group > 1 && d->seq_q < group;
    const bool half = mha_dtype_store_size(t) != elem;
    tp->half_native = half && mha_gemm_half_native(t);
    size_t blocks, per_item;
    if (tp->stack_heads) {
        tp->tile_rows = tp->score_rows = group;
        blocks = d->seq_q;
        per_item = d->n_kv_heads;
    } else {
        size_t max_rows = tp->key_block < d->seq_kv ? KEY_BLOCKED_MAX_ROWS : TILE_MAX_ROWS;
        if (tp->half_native && max_rows > NATIVE_SCORE_MAX_ROWS)
            max_rows = NATIVE_SCORE_MAX_ROWS;
        tp->score_rows = query_block_rows(d->seq_q, row_bytes, max_rows);
        blocks = tp->score_rows ? (d->seq_q + tp->score_rows - 1) / tp->score_rows : 0;
        size_t group_of = half ? half_tile_blocks(d, blocks) : 1;
        tp->tile_rows = tp->score_rows * group_of;
        blocks = (blocks + group_of - 1) / group_of;
        per_item = d->n_heads;
    }
    size_t tiles_per_item;
    if (!tile_layout(d, t, row_bytes, plan) || !mha_mul_ok(per_item, blocks, &tiles_per_item) ||
        !mha_mul_ok(tiles_per_item, d->batch, &plan->n_tiles))
        return false;
    double flops = 2.0 * (double)d->batch * (double)d->n_heads * (double)d->seq_q *
                   (double)d->seq_kv * (double)(d->d_head + d->d_v);
    plan->gemm = mha_plan_gemm(t);
    plan->workers = plan_workers(d->n_threads, plan->n_tiles, flops >= PARALLEL_MIN_FLOPS,
                                 gemms_fit_workers(plan->gemm));
    if (!mha_mul_ok(plan->tile_bytes, plan->workers, &plan->ws_bytes) ||
        !mha_add_ok(plan->ws_bytes, MHA_ALIGN, &plan->ws_bytes))
        return false;
    return true;
}

bool mha_plan_project(mha_dtype t, size_t seq_len, size_t d_model, size_t count, size_t cols,
                      mha_project_plan *p)
{
    const bool big = 2.0 * (double)seq_len * (double)d_model * (double)cols * (double)count >=
                     PARALLEL_MIN_FLOPS;
    *p = (mha_project_plan){0};
    p->gemm = mha_plan_gemm(t);
    const bool fit = gemms_fit_workers(p->gemm);
    if (mha_dtype_store_size(t) == mha_dtype_real_size(t) && p->gemm == MHA_GEMM_BLAS) {
        p->workers = plan_workers(0, (seq_len + PROJECT_MIN_ROWS - 1) / PROJECT_MIN_ROWS, big, fit);
        p->block_rows = (seq_len + p->workers - 1) / p->workers;
        return true;
    }
    size_t blocks = (seq_len + PROJECT_FIXED_ROWS - 1) / PROJECT_FIXED_ROWS;
    size_t rows = seq_len < PROJECT_FIXED_ROWS ? seq_len : PROJECT_FIXED_ROWS;
    p->block_rows = rows;
    p->half_native = mha_gemm_half_native(t);
    p->workers = plan_workers(0, blocks * count, big, fit);
    if (mha_dtype_store_size(t) == mha_dtype_real_size(t))
        return true;
    size_t real = mha_dtype_real_size(t), w_elems, x_elems, o_elems;
    /* The widened operands are always reserved, even when the backend takes halves: it may still
     * decline a GEMM (its own allocation failing), and the projection then runs again widened.
     * Pages never touched cost no memory. */
    size_t bytes = 0, all_workers;
    if (!mha_mul_ok(d_model, cols, &w_elems) || !mha_mul_ok(w_elems, count, &w_elems) ||
        !mha_mul_ok(rows, d_model, &x_elems) || !mha_mul_ok(rows, cols, &o_elems) ||
        !add_region(&bytes, w_elems, real, &p->wide_w_at))
        return false;
    p->worker_at = bytes;
    size_t x_at, o_at, one = 0;
    if (!add_region(&one, x_elems, real, &x_at) || !add_region(&one, o_elems, real, &o_at) ||
        !add_region(&one, p->half_native ? mha_gemm_half_cache_bytes() : 0, 1, &p->cache_at) ||
        !mha_mul_ok(one, p->workers, &all_workers) || !mha_add_ok(bytes, all_workers, &bytes) ||
        !mha_add_ok(bytes, MHA_ALIGN, &p->scratch_bytes))
        return false;
    p->worker_bytes = one;
    return true;
}

bool mha_plan_fit_workspace(mha_plan *plan, size_t bytes)
{
    if (plan->ws_bytes == 0)
        return true;
    size_t fixed = MHA_ALIGN + plan->shared_bytes;
    size_t tiles = bytes < fixed ? 0 : (bytes - fixed) / plan->tile_bytes;
    if (tiles == 0)
        return false;
    if (tiles < plan->workers) {
        plan->workers = tiles;
        plan->ws_bytes = tiles * plan->tile_bytes + fixed;
    }
    return true;
}
