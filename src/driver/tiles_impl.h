/* SPDX-License-Identifier: MIT */
/* The tile schedule (plan->schedule == MHA_SCHEDULE_TILES), written once over a type's traits and
 * included by driver_impl.h after core_impl.h and the type's staging (stage_*_impl.h).
 *
 * A tile is a set of query rows that share one K/V head: either a block of consecutive query rows
 * of one head, or (plan->tiles.stack_heads) the heads of one kv group at one query row. Both are
 * "m rows, a row stride" for the GEMMs, so one routine runs them:
 *
 * for each block of key_block keys (all of them in one block up to 1024 keys):
 *   S = scale · Q_tile · K_blockᵀ         one GEMM, the scale folded into alpha  (m × block)
 *   S += mask; row softmax without 1/sum  one kernel pass per row, mask add fused, in place,
 *                                         against the row's running max (core_impl.h)
 *   O (+)= S · V_block                    one GEMM into the tile's accumulator (m × d_v)
 * then out_r = O_r / sum_r; lse_r = max_r + log(sum_r).
 *
 * The normalisation is deferred to O because O has d_v columns where S has seq_kv. Blocks keep
 * the score tile and the workspace independent of seq_kv (FlashAttention-2's schedule). */

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

/* One tile's workspace (plan.h): the score block, the rows' running maxima and sums, the dense
 * REAL accumulator of the output, and the type's staging buffers. */
typedef struct tile_work {
    REAL *S, *row_max, *row_sum, *acc;
    size_t ld_acc;
    stage_work stage;
} tile_work;

static tile_work tile_work_of(const mha_attention_desc *d, const mha_plan *plan,
                              unsigned char *base, mha_gemm_half_cache *cache)
{
    const mha_tiles_plan *tp = &plan->tiles;
    tile_work w;
    w.S = (REAL *)base;
    w.row_max = (REAL *)(base + tp->stats_at);
    w.row_sum = w.row_max + tp->tile_rows;
    w.acc = (REAL *)(base + tp->acc_at);
    w.ld_acc = d->d_v;
    w.stage = stage_work_of(d, plan, base, cache);
    return w;
}

/* Softmax every row of the score block S (keys [k0, k0 + n_keys), row stride ld_s) in place, the
 * mask added on the way, against each row's running max and sum (core_impl.h): when a row's max
 * grows, its sum and the output accumulated from earlier blocks (k0 > 0) shrink first. */
static void softmax_block(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                          const tile_work *w, size_t ld_s, size_t k0, size_t n_keys)
{
    const stage_softmax kernels = stage_softmax_pick(plan); /* once per block, not per row */
    for (size_t r = 0; r < t->m; r++) {
        size_t visible = visible_keys(d, t->n_kv, t->first_i + r * t->i_step);
        size_t n_vis = visible <= k0 ? 0 : visible - k0 < n_keys ? visible - k0 : n_keys;
        const REAL *mrow = t->mask ? t->mask + r * t->mask_step + k0 : NULL;
        REAL old_max = w->row_max[r];
        /* The output accumulated from earlier blocks, which a larger max rescales. */
        REAL *earlier = k0 != 0 && d->d_v != 0 ? w->acc + r * w->ld_acc : NULL;
        REAL sum = stage_softmax_row(&kernels, &w->stage, r, ld_s, w->S + r * ld_s, mrow, n_vis,
                                     n_keys, &w->row_max[r]);
        add_block_sum(old_max, w->row_max[r], sum, &w->row_sum[r], earlier, d->d_v);
    }
}

/* Each output row divided by its sum into the caller's out, once (rows that saw no key become
 * zeros), and its lse where asked (−inf for such a row). */
static void normalise_tile(const mha_attention_desc *d, const tile *t, const tile_work *w)
{
    for (size_t r = 0; t->lse != NULL && r < t->m; r++)
        t->lse[r * t->lse_step] = row_lse(w->row_max[r], w->row_sum[r]);
    stage_store_rows(d, t->m, w->acc, w->ld_acc, w->row_sum, t->out, t->ld_out);
}

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

/* The workspace of those rows: their statistics, accumulator rows and staged Q rows. */
static tile_work sub_work(const mha_attention_desc *d, const tile_work *w, size_t s0)
{
    tile_work s = *w;
    s.row_max += s0;
    s.row_sum += s0;
    s.acc = AT(w->acc, d->d_v != 0, s0 * w->ld_acc);
    s.stage = stage_sub(d, &w->stage, s0);
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

/* The tile's keys in blocks of key_block, in order (one block when it covers them all); per
 * block, each score block of score_rows rows in turn:
 *   S = scale · Q_rows · K_blockᵀ, the online softmax of S, acc (+)= S · V_block,
 * the first block writing acc (beta 0), the others adding to it, then the normalisation. */
static void run_tile(const mha_attention_desc *d, const mha_plan *plan, const tile *t,
                     unsigned char *workspace, mha_gemm_half_cache *cache)
{
    const mha_tiles_plan *tp = &plan->tiles;
    tile_work w = tile_work_of(d, plan, workspace, cache);
    stage_q(d, plan, &w.stage, t->q, t->ld_q, t->m);
    prefetch_out(d, t);
    for (size_t r = 0; r < t->m; r++) {
        w.row_max[r] = -(REAL)INFINITY;
        w.row_sum[r] = 0;
    }
    /* Causal: no row of the tile sees past the last row's horizon, so those blocks are skipped. */
    size_t n_keys = visible_keys(d, t->n_kv, t->first_i + (t->m - 1) * t->i_step);
    size_t block = tp->key_block ? tp->key_block : 1, sub = tp->score_rows;
    /* n_keys == 0 (every row in the causal future) still runs one empty block, which writes
     * zeros: k == 0 gives beta·C. */
    for (size_t k0 = 0; k0 == 0 || k0 < n_keys; k0 += block) {
        size_t n = n_keys - k0 < block ? n_keys - k0 : block;
        const STORE *k = AT(t->k, k0 != 0 && d->d_head != 0, k0 * d->ld_k);
        const STORE *v = AT(t->v, k0 != 0 && d->d_v != 0, k0 * d->ld_v);
        stage_kv(d, plan, &w.stage, k, v, n);
        for (size_t s0 = 0; s0 < t->m; s0 += sub) {
            tile ts = sub_tile(d, t, s0, sub);
            tile_work ws = sub_work(d, &w, s0);
            /* These rows' own horizon: a block past it adds nothing to them (but the first
             * block always runs, to write their output). */
            size_t horizon = visible_keys(d, ts.n_kv, ts.first_i + (ts.m - 1) * ts.i_step);
            size_t ns = horizon <= k0 ? 0 : horizon - k0 < n ? horizon - k0 : n;
            if (k0 != 0 && ns == 0)
                continue;
            size_t ld_s = stage_ld_s(plan, ns);
            stage_scores_gemm(d, plan, &ws.stage, ts.q, ts.ld_q, ts.m, k, ns, ws.S, ld_s);
            softmax_block(d, plan, &ts, &ws, ld_s, k0, ns);
            stage_output_gemm(d, plan, &ws.stage, ts.m, ws.S, ld_s, v, ns, k0 == 0 ? 0 : 1, ws.acc,
                              ws.ld_acc);
        }
    }
    normalise_tile(d, t, &w);
}

/* The tile with index `index` in the call's fixed order (batch, then head or group, then block). */
static tile tile_at(const mha_attention_desc *d, const mha_plan *plan, size_t index, const STORE *Q,
                    const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse)
{
    const mha_tiles_plan *tp = &plan->tiles;
    size_t group = d->n_heads / d->n_kv_heads;
    size_t per_item = plan->n_tiles / d->batch;
    size_t b = index / per_item, rest = index % per_item;
    size_t h, i0, m;
    tile t;
    if (tp->stack_heads) { /* rest = g·seq_q + i: all heads of group g at query row i */
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
        i0 = rest % blocks * tp->tile_rows;
        m = d->seq_q - i0 < tp->tile_rows ? d->seq_q - i0 : tp->tile_rows;
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

/* Tiles are independent: any worker may run any tile, and each tile's result does not depend on
 * which worker ran it or how many there are. Dynamic scheduling evens out the causal tiles, whose
 * cost grows with the query index. */
static void tiles_attend(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                         const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                         unsigned char *base)
{
    size_t next = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)plan->workers)
#endif
    {
        size_t worker = begin_worker(plan->n_tiles > 1);
        unsigned char *own = base + worker * plan->tile_bytes;
        /* Native half GEMMs: this worker's primitives, kept for the call (NULL: built per GEMM). */
        mha_gemm_half_cache *cache =
            plan->tiles.half_native ? mha_gemm_half_cache_init(own + plan->tiles.cache_at) : NULL;
        for (size_t index; (index = claim_item(&next)) < plan->n_tiles;) {
            tile t = tile_at(d, plan, index, Q, K, V, mask, out, lse);
            run_tile(d, plan, &t, own, cache);
        }
        mha_gemm_half_cache_fini(cache);
    }
}
