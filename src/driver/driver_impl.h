/* SPDX-License-Identifier: MIT */
/* The attention driver, written once over a type's traits (type_f32.h: STORE for the caller's
 * matrices, REAL for the arithmetic); driver_<type>.c include it. Half types (WIDEN defined) keep
 * their output in a float accumulator, multiply natively or widened (plan->half_native), and
 * round each output once.
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
#include "convert.h"
#include "decode_kernels.h"
#include "driver.h"
#include "gemm.h"
#include "mha_assert.h"
#include "plan.h"
#include "softmax.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define GEMM RSFX(mha_gemm)
#define SOFTMAX_ROW_FN RSFX(mha_softmax_row_fn)
#define SOFTMAX_PICK RSFX(mha_softmax_pick)

#ifndef MHA_WORKER_INDEX_DEFINED
#define MHA_WORKER_INDEX_DEFINED
/* Which workspace this thread owns; every worker calls it first. With `serial` (a call of several
 * items), the GEMMs this worker makes run on it alone: the OpenMP OpenBLAS and oneDNN give a GEMM
 * omp_get_max_threads() threads outside an active region, and a region of one worker is not
 * active, while a GEMM threaded may round differently. Setting this worker's nthreads-var to 1 (an
 * ICV of its own implicit task, gone with the region: nothing of the caller's changes) keeps a
 * region of one worker as serial as one of several, so the bits do not depend on their number. A
 * call of one item keeps the BLAS's threads. */
static size_t begin_worker(bool serial)
{
#ifdef _OPENMP
    if (serial)
        omp_set_num_threads(1);
    return (size_t)omp_get_thread_num();
#else
    (void)serial;
    return 0;
#endif
}

/* The next tile nobody has taken: dynamic scheduling by hand. */
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

#ifndef WIDEN
void SFX(mha_project)(const mha_project_plan *pp, const STORE *X, size_t seq_len, size_t d_model,
                      const STORE *const W[], STORE *const out[], size_t count, size_t cols,
                      void *scratch)
{
    /* On the BLAS: over a single-threaded BLAS the rows are split across workers, one block
     * each, otherwise one GEMM per weight and the BLAS's threads split it; either way every output
     * element is the same dot product in the same order. On oneDNN, whose blocking may follow the
     * shape: blocks of a fixed height, so that the cut never depends on the workers. */
    (void)scratch;
    size_t block = pp->block_rows, blocks = (seq_len + block - 1) / block, items = count * blocks;
    size_t next = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)pp->workers) if (pp->workers > 1 || pp->gemm != MHA_GEMM_BLAS)
#endif
    {
        begin_worker(pp->gemm != MHA_GEMM_BLAS && items > 1);
        for (size_t item; (item = claim_tile(&next)) < items;) {
            size_t p = item / blocks, r0 = item % blocks * block;
            size_t m = seq_len - r0 < block ? seq_len - r0 : block;
            GEMM(pp->gemm, false, m, cols, d_model, 1, X + r0 * d_model, d_model, W[p], cols, 0,
                 out[p] + r0 * cols, cols);
        }
    }
}
#else
/* Every block of every weight, on the native backend (native) or widened to float, where wide_w
 * holds the weights already widened. Returns whether the backend declined a block (its own
 * allocation failing): the caller then runs them all again widened, so that every output comes
 * from one path. */
static bool project_blocks(const mha_project_plan *pp, bool native, const STORE *X, size_t seq_len,
                           size_t d_model, const STORE *const W[], const REAL *wide_w,
                           STORE *const out[], size_t count, size_t cols, unsigned char *base)
{
    size_t blocks = (seq_len + pp->block_rows - 1) / pp->block_rows, next = 0;
    int declined = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)pp->workers)
#endif
    {
        size_t worker = begin_worker(blocks * count > 1), item;
        unsigned char *own = base + pp->worker_at + worker * pp->worker_bytes;
        REAL *x_wide = (REAL *)own, *o_wide = x_wide + pp->block_rows * d_model;
        mha_gemm_bf16_cache *cache = native ? mha_gemm_bf16_cache_init(own + pp->cache_at) : NULL;
        while ((item = claim_tile(&next)) < blocks * count) {
            size_t p = item / blocks, r0 = item % blocks * pp->block_rows;
            size_t m = seq_len - r0 < pp->block_rows ? seq_len - r0 : pp->block_rows;
            const STORE *x = X + r0 * d_model;
            STORE *o = out[p] + r0 * cols;
            if (native) {
                if (!HALF_GEMM_OUT(cache, false, m, cols, d_model, 1, x, d_model, W[p], cols, o,
                                   cols)) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
                    declined = 1;
                }
                continue;
            }
            WIDEN(x, x_wide, m * d_model);
            GEMM(pp->gemm, false, m, cols, d_model, 1, x_wide, d_model, wide_w + p * d_model * cols,
                 cols, 0, o_wide, cols);
            NARROW(o_wide, o, m * cols);
        }
        mha_gemm_bf16_cache_fini(cache);
    }
    return declined != 0;
}

/* Half types: out[p] = X · W[p] with float accumulation, each output rounded once. Blocks of
 * pp->block_rows rows, the same cut for any number of workers. The native backend takes the
 * halves and rounds; else (or if it declined any block) the weights are widened once, and each
 * block widened, multiplied in float and rounded here. */
void SFX(mha_project)(const mha_project_plan *pp, const STORE *X, size_t seq_len, size_t d_model,
                      const STORE *const W[], STORE *const out[], size_t count, size_t cols,
                      void *scratch)
{
    unsigned char *base =
        (unsigned char *)(((uintptr_t)scratch + MHA_ALIGN - 1) & ~(uintptr_t)(MHA_ALIGN - 1));
    REAL *wide_w = (REAL *)(base + pp->wide_w_at);
    if (pp->half_native &&
        !project_blocks(pp, true, X, seq_len, d_model, W, NULL, out, count, cols, base))
        return;
    for (size_t p = 0; p < count; p++)
        WIDEN(W[p], wide_w + p * d_model * cols, d_model * cols);
    project_blocks(pp, false, X, seq_len, d_model, W, wide_w, out, count, cols, base);
}
#endif

/* One tile: `m` query rows sharing the K/V head at k, v. Row r of the tile reads q + r·ld_q,
 * writes out + r·ld_out and lse[r·lse_step], adds mask + r·mask_step, and is query index
 * first_i + r·i_step (i_step is 0 when a tile stacks heads of one query row). */
typedef struct tile {
    const STORE *q, *k, *v;
    const REAL *mask;
    STORE *out;
    REAL *lse;
    size_t m, ld_q, ld_out, lse_step, mask_step, first_i, i_step;
    size_t n_kv; /* the batch item's keys: kv_lens[b], or seq_kv */
} tile;

#ifndef MHA_ITEM_KEYS_DEFINED
#define MHA_ITEM_KEYS_DEFINED
/* Keys of batch item b: its kv_lens entry (a ragged batch), else seq_kv. */
static size_t item_keys(const mha_attention_desc *d, size_t b)
{
    return d->kv_lens ? d->kv_lens[b] : d->seq_kv;
}

/* Keys query i of an item with n_kv keys may see: all, or with the bottom-right causal mask,
 * j ≤ i + n_kv − seq_q (the alignment follows the item's own length). */
static size_t visible_keys(const mha_attention_desc *d, size_t n_kv, size_t i)
{
    if (!(d->flags & MHA_CAUSAL))
        return n_kv;
    if (i + 1 + n_kv <= d->seq_q) /* n_kv ≤ seq_kv: validated not to overflow */
        return 0;
    size_t n = i + 1 + n_kv - d->seq_q;
    return n < n_kv ? n : n_kv;
}
#endif

/* An empty buffer may be NULL and its strides mean nothing (mha.h), and in C even NULL + 0, an
 * offset that wraps, or memset(NULL, 0, 0) is undefined: offset and clear only non-empty ones. */
#define AT(p, nonempty, offset) ((nonempty) ? (p) + (offset) : (p))

static void zero_row(REAL *row, size_t n)
{
    /* row may be NULL when n == 0, and memset(NULL, 0, 0) is undefined */
    if (n != 0)
        memset(row, 0, n * sizeof *row);
}

/* One tile's workspace (plan.h), and the accumulator of its output: dense, in REAL, divided (and,
 * for half types, rounded) into the caller's out once, at the end. */
typedef struct tile_work {
    REAL *S, *row_max, *row_sum, *acc;
    size_t ld_s, ld_acc; /* ld_s: the score rows' stride in the current key block */
#ifdef WIDEN
    /* Operands widened to float, when the GEMMs cannot take halves: the tile's Q, and the key
     * block's K and V. */
    REAL *a_wide, *k_wide, *v_wide;
    /* When they can (plan->half_native): P rounded to STORE, the tile's Q and the key block's K
     * and V packed dense, and the worker's cache of GEMM primitives. */
    STORE *P, *q_pack, *k_pack, *v_pack;
    mha_gemm_bf16_cache *cache;
#endif
} tile_work;

static tile_work work_of(const mha_attention_desc *d, const mha_plan *plan, unsigned char *base,
                         void *cache)
{
    tile_work w;
    w.S = (REAL *)base;
    w.ld_s = plan->ld_s;
    w.row_max = (REAL *)(base + plan->stats_at);
    w.row_sum = w.row_max + plan->tile_rows;
    w.acc = (REAL *)(base + plan->acc_at);
    w.ld_acc = d->d_v;
#ifdef WIDEN
    w.a_wide = (REAL *)(base + plan->a_wide_at);
    w.k_wide = (REAL *)(base + plan->b_wide_at);
    w.v_wide = w.k_wide + plan->key_block * d->d_head;
    w.P = (STORE *)(base + plan->p_at);
    w.q_pack = (STORE *)(base + plan->q_pack_at);
    w.k_pack = (STORE *)(base + plan->kv_pack_at);
    w.v_pack = w.k_pack + plan->key_block * d->d_head;
    w.cache = cache;
#else
    (void)cache;
#endif
    return w;
}

/* One row's running sum after a block whose exps sum to `sum` (the online softmax): when the
 * block raised the row's max from old_max to new_max, the sum and the output o accumulated from
 * earlier blocks (NULL: none yet) shrink by exp(old − new) first, so that every block's weights
 * share one reference. Shared by the tiles and the decode path. */
static void add_block_sum(REAL old_max, REAL new_max, REAL sum, REAL *row_sum, REAL *o, size_t d_v)
{
    if (new_max > old_max) {                  /* false for NaN: the sum carries it */
        REAL shrink = EXP(old_max - new_max); /* 0 when nothing was seen yet */
        *row_sum *= shrink;
        for (size_t c = 0; o != NULL && c < d_v; c++)
            o[c] *= shrink;
    }
    *row_sum += sum;
}

/* A row's log-sum-exp from its running max and sum: −inf for a row that saw no key. Shared by the
 * tiles and the decode path. */
static REAL row_lse(REAL row_max, REAL row_sum)
{
    return row_sum == 0 ? -(REAL)INFINITY : row_max + LOG(row_sum);
}

/* dst = acc / row_sum over d_v columns (dst may be acc), or zeros for a row that saw no key (never
 * NaN: 0·inf in V could otherwise leak in). Shared by the tiles and the decode path. */
static void normalise_row(const REAL *acc, REAL *dst, size_t d_v, REAL row_sum)
{
    if (row_sum == 0) {
        zero_row(dst, d_v);
        return;
    }
    REAL inv = 1 / row_sum;
    for (size_t c = 0; c < d_v; c++)
        dst[c] = acc[c] * inv;
}

/* Softmax every row of the score block S (keys [k0, k0 + n_keys)) in place, the mask added on
 * the way, against each row's running max and sum (the online softmax): when a row's max grows,
 * its sum and the output rows accumulated from earlier blocks (k0 > 0) shrink by
 * exp(old max − new max), so that every block's weights share one reference. With native half
 * GEMMs the row is also written, rounded, to P while it is still in L1. */
static void softmax_block(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                          const tile_work *w, size_t k0, size_t n_keys)
{
    /* Ask the CPU once per block, not once per row (softmax.h). */
    SOFTMAX_ROW_FN *const softmax_row = SOFTMAX_PICK();
#ifndef WIDEN
    (void)plan;
#else
    /* Native half GEMMs take P in STORE: the kernel that writes it as it goes, if there is one. */
    SFX(mha_softmax_row_to_fn) *const to_store =
        plan->half_native ? SFX(mha_softmax_pick_to)() : NULL;
#endif
    for (size_t r = 0; r < t->m; r++) {
        REAL *row = w->S + r * w->ld_s;
        size_t visible = visible_keys(d, t->n_kv, t->first_i + r * t->i_step);
        size_t n_vis = visible <= k0 ? 0 : visible - k0 < n_keys ? visible - k0 : n_keys;
        const REAL *mrow = t->mask ? t->mask + r * t->mask_step + k0 : NULL;
        REAL old_max = w->row_max[r];
        /* The output accumulated from earlier blocks, which a larger max rescales. */
        REAL *earlier = k0 != 0 && d->d_v != 0 ? w->acc + r * w->ld_acc : NULL;
#ifdef WIDEN
        if (to_store) {
            STORE *p = w->P + r * w->ld_s;
            REAL sum = to_store(row, mrow, n_vis, &w->row_max[r], p);
            add_block_sum(old_max, w->row_max[r], sum, &w->row_sum[r], earlier, d->d_v);
            /* Causal: keys beyond the row's last weigh nothing (all-zero bits are +0 in STORE). */
            if (n_keys != n_vis)
                memset(p + n_vis, 0, (n_keys - n_vis) * sizeof *p);
            continue;
        }
#endif
        REAL sum = softmax_row(row, mrow, n_vis, &w->row_max[r]);
        add_block_sum(old_max, w->row_max[r], sum, &w->row_sum[r], earlier, d->d_v);
        /* Causal: the part of the block beyond this row's last key must weigh nothing in P·V. */
        zero_row(row + n_vis, n_keys - n_vis);
#ifdef WIDEN
        if (plan->half_native && n_keys != 0)
            NARROW(row, w->P + r * w->ld_s, n_keys);
#endif
    }
}

/* Each output row divided by its sum into the caller's out, once (rows that saw no key become
 * zeros, never NaN: 0·inf in V could otherwise leak in), and its lse where asked (−inf for such a
 * row). Half types divide in the accumulator, then round each row into out. */
static void normalise_tile(const mha_attention_desc *d, const tile *t, const tile_work *w)
{
    for (size_t r = 0; r < t->m; r++) {
        const REAL *acc = AT(w->acc, d->d_v != 0, r * w->ld_acc);
#ifdef WIDEN
        REAL *dst = (REAL *)acc;
#else
        REAL *dst = AT(t->out, d->d_v != 0, r * t->ld_out);
#endif
        normalise_row(acc, dst, d->d_v, w->row_sum[r]);
        if (t->lse)
            t->lse[r * t->lse_step] = row_lse(w->row_max[r], w->row_sum[r]);
    }
#ifdef WIDEN
    /* A second pass: narrowing a row right after its scalar stores made the vector loads wait
     * on store forwarding. The kernel is picked once for the tile's rows, not once per short
     * row. */
    void (*const narrow)(const float *, STORE *, size_t) =
        mha_convert_pick()->MHA_CAT(narrow_, TYPE_NAME);
    for (size_t r = 0; r < t->m && d->d_v != 0; r++)
        narrow(w->acc + r * w->ld_acc, t->out + r * t->ld_out, d->d_v);
#endif
}

#ifdef WIDEN
/* rows × cols of a stored matrix (row stride ld) → packed REAL rows. */
static void widen_rows(const STORE *src, size_t ld, size_t rows, size_t cols, REAL *dst)
{
    if (cols != 0)
        for (size_t r = 0; r < rows; r++)
            WIDEN(src + r * ld, dst + r * cols, cols);
}

/* rows × cols of a strided stored matrix, copied dense. */
static void pack_rows(const STORE *src, size_t ld, size_t rows, size_t cols, STORE *dst)
{
    if (cols != 0)
        for (size_t r = 0; r < rows; r++)
            memcpy(dst + r * cols, src + r * ld, cols * sizeof *dst);
}

/* The key block's K and V rows, packed dense for the native backend (its AMX kernels take
 * nothing else) or widened to float: once per block for all the score blocks of the tile. */
static void prepare_block(const mha_attention_desc *d, const mha_plan *plan, const tile_work *w,
                          const STORE *k, const STORE *v, size_t n)
{
    if (plan->half_native) {
        pack_rows(k, d->ld_k, n, d->d_head, w->k_pack);
        pack_rows(v, d->ld_v, n, d->d_v, w->v_pack);
    } else {
        widen_rows(k, d->ld_k, n, d->d_head, w->k_wide);
        widen_rows(v, d->ld_v, n, d->d_v, w->v_wide);
    }
}

/* S = scale · Q_rows · K_blockᵀ on the stored halves: natively, or widened. The tile's Q is
 * packed or widened once, in run_tile; only a declined native GEMM widens its operands here. */
static void scores_gemm(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                        const tile_work *w, const STORE *k, size_t n)
{
    float scale = (float)d->scale;
    if (plan->half_native) {
        if (HALF_GEMM(w->cache, true, t->m, n, d->d_head, scale, w->q_pack, d->d_head, w->k_pack,
                      d->d_head, 0, w->S, w->ld_s))
            return;
        widen_rows(t->q, t->ld_q, t->m, d->d_head, w->a_wide);
        widen_rows(k, d->ld_k, n, d->d_head, w->k_wide);
    }
    GEMM(plan->gemm, true, t->m, n, d->d_head, scale, w->a_wide, d->d_head, w->k_wide, d->d_head, 0,
         w->S, w->ld_s);
}

/* acc (+)= P · V_block: P in STORE by the native backend, else the float P in S times V widened. */
static void output_gemm(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                        const tile_work *w, const STORE *v, size_t n, float beta)
{
    if (plan->half_native) {
        if (HALF_GEMM(w->cache, false, t->m, d->d_v, n, 1, w->P, w->ld_s, w->v_pack, d->d_v, beta,
                      w->acc, w->ld_acc))
            return;
        widen_rows(w->P, w->ld_s, t->m, n, w->S); /* the rounded P, as the backend would */
        widen_rows(v, d->ld_v, n, d->d_v, w->v_wide);
    }
    GEMM(plan->gemm, false, t->m, d->d_v, n, 1, w->S, w->ld_s, w->v_wide, d->d_v, beta, w->acc,
         w->ld_acc);
}
#else
static void scores_gemm(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                        const tile_work *w, const STORE *k, size_t n)
{
    GEMM(plan->gemm, true, t->m, n, d->d_head, (REAL)d->scale, t->q, t->ld_q, k, d->ld_k, 0, w->S,
         w->ld_s);
}

static void output_gemm(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                        const tile_work *w, const STORE *v, size_t n, REAL beta)
{
    GEMM(plan->gemm, false, t->m, d->d_v, n, 1, w->S, w->ld_s, v, d->ld_v, beta, w->acc, w->ld_acc);
}
#endif

/* Rows [s0, s0 + sub) of tile t (score_rows of them at most), as a tile of their own; Q and out
 * are offset where they have columns, as tile_at offsets them. */
static tile sub_tile(const mha_attention_desc *d, const tile *t, size_t s0, size_t sub)
{
    tile s = *t;
    s.m = t->m - s0 < sub ? t->m - s0 : sub;
    s.first_i = t->first_i + s0 * t->i_step;
    s.q = AT(t->q, d->d_head != 0, s0 * t->ld_q);
    s.out = AT(t->out, d->d_v != 0, s0 * t->ld_out);
    s.lse = AT(t->lse, t->lse != NULL, s0 * t->lse_step);
    s.mask = AT(t->mask, t->mask != NULL, s0 * t->mask_step);
    return s;
}

/* The workspace of those rows: their statistics, output rows and Q rows. */
static tile_work sub_work(const mha_attention_desc *d, const tile_work *w, size_t s0)
{
    tile_work s = *w;
    s.row_max += s0;
    s.row_sum += s0;
    s.acc = AT(w->acc, d->d_v != 0, s0 * w->ld_acc);
#ifdef WIDEN
    s.a_wide += s0 * d->d_head;
    s.q_pack += s0 * d->d_head;
#endif
    return s;
}

/* The tile's out rows, fetched for writing while its GEMMs run: they are written once, at the end,
 * and a cold row otherwise stalls the last pass on every line (rows of a batch too big for the
 * caches, a stride of n_heads·d_v apart). */
static void prefetch_out(const mha_attention_desc *d, const tile *t)
{
    for (size_t r = 0; r < t->m && d->d_v != 0; r++)
        for (size_t c = 0; c < d->d_v * sizeof(STORE); c += MHA_ALIGN)
            __builtin_prefetch((const char *)(t->out + r * t->ld_out) + c, 1, 1);
}

/* The tile's keys in blocks of plan->key_block, in order (one block when it covers them all);
 * per block, each score block of plan->score_rows rows in turn:
 *   S = scale · Q_rows · K_blockᵀ, the online softmax of S, out (+)= S · V_block,
 * the first block writing out (beta 0), the others adding to it, then the normalisation. */
static void run_tile(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                     unsigned char *workspace, void *cache)
{
    tile_work w = work_of(d, plan, workspace, cache);
#ifdef WIDEN
    if (plan->half_native)
        pack_rows(t->q, t->ld_q, t->m, d->d_head, w.q_pack);
    else
        widen_rows(t->q, t->ld_q, t->m, d->d_head, w.a_wide);
#endif
    prefetch_out(d, t);
    for (size_t r = 0; r < t->m; r++) {
        w.row_max[r] = -(REAL)INFINITY;
        w.row_sum[r] = 0;
    }
    /* Causal: no row of the tile sees past the last row's horizon, so those blocks are skipped. */
    size_t n_keys = visible_keys(d, t->n_kv, t->first_i + (t->m - 1) * t->i_step);
    size_t block = plan->key_block ? plan->key_block : 1, sub = plan->score_rows;
    /* n_keys == 0 (every row in the causal future) still runs one empty block, which writes
     * zeros: k == 0 gives beta·C. */
    for (size_t k0 = 0; k0 == 0 || k0 < n_keys; k0 += block) {
        size_t n = n_keys - k0 < block ? n_keys - k0 : block;
        const STORE *k = AT(t->k, k0 != 0 && d->d_head != 0, k0 * d->ld_k);
        const STORE *v = AT(t->v, k0 != 0 && d->d_v != 0, k0 * d->ld_v);
#ifdef WIDEN
        prepare_block(d, plan, &w, k, v, n);
#endif
        for (size_t s0 = 0; s0 < t->m; s0 += sub) {
            tile ts = sub_tile(d, t, s0, sub);
            tile_work ws = sub_work(d, &w, s0);
            /* These rows' own horizon: a block past it adds nothing to them (but the first
             * block always runs, to write their output). */
            size_t horizon = visible_keys(d, ts.n_kv, ts.first_i + (ts.m - 1) * ts.i_step);
            size_t ns = horizon <= k0 ? 0 : horizon - k0 < n ? horizon - k0 : n;
            if (k0 != 0 && ns == 0)
                continue;
#ifdef WIDEN
            if (plan->half_native) /* score rows dense too, for the same reason as the operands */
                ws.ld_s = ns != 0 ? ns : 1;
#endif
            scores_gemm(d, plan, &ts, &ws, k, ns);
            softmax_block(d, plan, &ts, &ws, k0, ns);
            output_gemm(d, plan, &ts, &ws, v, ns, k0 == 0 ? 0 : 1);
        }
    }
    normalise_tile(d, t, &w);
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
    t.n_kv = item_keys(d, b);
    bool keys = d->seq_kv != 0;
    t.q = AT(Q, d->d_head != 0, b * d->batch_stride_q + i0 * d->ld_q + h * d->d_head);
    t.k = AT(K, keys && d->d_head != 0, b * d->batch_stride_k + g * d->d_head);
    t.v = AT(V, keys && d->d_v != 0, b * d->batch_stride_v + g * d->d_v);
    t.out = AT(out, d->d_v != 0, b * d->batch_stride_out + i0 * d->ld_out + h * d->d_v);
    t.mask = mask && keys ? mask + b * d->batch_stride_mask + i0 * d->ld_mask : NULL;
    t.lse = lse ? lse + (b * d->n_heads + h) * d->seq_q + i0 : NULL;
    return t;
}

#include "decode_impl.h"
#include "zero_scores_impl.h"

void SFX(mha_attend)(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                     const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                     void *workspace)
{
    uintptr_t aligned = ((uintptr_t)workspace + MHA_ALIGN - 1) & ~(uintptr_t)(MHA_ALIGN - 1);
    if (plan->zero_scores) {
        zero_scores_attend(d, plan, V, mask, out, lse, (unsigned char *)aligned);
        return;
    }
    if (plan->decode) {
        decode_attend(d, plan, Q, K, V, mask, out, lse, (unsigned char *)aligned);
        return;
    }
    /* Tiles are independent: any worker may run any tile, and each tile's result does not
     * depend on which worker ran it or how many there are. Dynamic scheduling evens out the
     * causal tiles, whose cost grows with the query index. */
    size_t next = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)plan->workers)
#endif
    {
        size_t worker = begin_worker(plan->n_tiles > 1);
        unsigned char *own = (unsigned char *)(aligned + worker * plan->tile_bytes);
        /* Native half GEMMs: this worker's primitives, kept for the call (NULL: built per GEMM). */
        mha_gemm_bf16_cache *cache = NULL;
#ifdef WIDEN
        if (plan->half_native)
            cache = mha_gemm_bf16_cache_init(own + plan->cache_at);
#endif
        for (size_t index; (index = claim_tile(&next)) < plan->n_tiles;) {
            tile t = tile_at(d, plan, index, Q, K, V, mask, out, lse);
            run_tile(d, plan, &t, own, cache);
        }
        mha_gemm_bf16_cache_fini(cache);
    }
}

#ifndef WIDEN /* partial results are merged in float or double only (mha.h) */
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
#endif
