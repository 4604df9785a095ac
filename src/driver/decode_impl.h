/* SPDX-License-Identifier: MIT */
/* The decode schedule (plan->schedule == MHA_SCHEDULE_DECODE, sizes in plan->decode), written once
 * over a type's traits and included by driver_impl.h after core_impl.h and the type's staging.
 * For calls with few query rows per kv head (decode, speculative decoding: seq_q · n_heads /
 * n_kv_heads ≤ MHA_DECODE_MAX_ROWS) the GEMMs would have a handful of rows and the call is bound by
 * the bytes of K and V it reads. So a work item takes every query row of a few neighbouring kv
 * groups at once (item_groups of them, up to 32 rows: whole K rows of a packed cache) — row r =
 * (head h0 + r / seq_q, query r % seq_q), group_rows = group · seq_q rows per kv group — and
 * streams each K row and each V row of its keys exactly once:
 *
 * for each block of key_block keys:
 *   S = scale · Q_rows · K_blockᵀ     decode kernel: one K row at a time against its group's rows
 *   online softmax of S               the row kernels of the tiles (mask, running max/sum)
 *   O += S · V_block                  decode kernel: one V row at a time into its group's rows
 * then O_r /= sum_r; lse_r = max_r + log(sum_r).
 *
 * Split-KV (FlashDecoding): with n_chunks > 1 every (batch item, kv groups) is cut into chunks of
 * chunk_keys keys, each its own work item whose unnormalised output, row maxima and row sums go to
 * the shared workspace; after a barrier the chunks are merged in chunk order. The merge is
 * mha_attention_merge()'s through the log-sum-exps, lse_c = m_c + log l_c, with each lse kept as
 * its two parts: e^(lse_c − M) = e^(m_c − M)·l_c. A float lse near 1e4 is only good to 5e-4, which
 * the merged weights would inherit; m_c − M is exact for nearby maxima. Chunks and merge order
 * come from the shape alone, so any number of workers gives the same bits. */

/* One work item's rows, keys and workspace. */
typedef struct decode_item {
    size_t b, g, ng, chunk; /* kv groups [g, g + ng) of batch item b */
    size_t rows;            /* ng · group_rows */
    size_t n_kv;            /* the batch item's keys (kv_lens) */
    size_t k_begin, k_end;  /* the keys this item reads: its chunk, cut at the last visible one */
    REAL *q, *qt, *S, *row_max, *row_sum, *O;
} decode_item;

/* Query index of row r (rows run over the group's heads, seq_q rows each). */
static size_t decode_query(const mha_attention_desc *d, size_t r)
{
    return r % d->seq_q;
}

static size_t decode_head(const mha_attention_desc *d, const decode_item *it, size_t r)
{
    return it->g * (d->n_heads / d->n_kv_heads) + r / d->seq_q;
}

/* The query rows, widened (half types) or copied, packed rows × d_head in REAL. */
static void decode_load_q(const mha_attention_desc *d, const decode_item *it, size_t rows,
                          const STORE *Q)
{
    if (d->d_head == 0)
        return;
    for (size_t r = 0; r < rows; r++) {
        const STORE *src = Q + it->b * d->batch_stride_q + decode_query(d, r) * d->ld_q +
                           decode_head(d, it, r) * d->d_head;
        stage_load_row(src, it->q + r * d->d_head, d->d_head);
    }
}

/* The query rows transposed for the lanes kernel (decode_kernels.h): group by group, element
 * (r, c) at c·rp + r, the rows past group_rows zero. Once per item, against a pass over K. */
static void decode_transpose_q(const mha_attention_desc *d, const mha_plan *plan,
                               const decode_item *it)
{
    const size_t gr = plan->decode.group_rows, rp = mha_decode_lane_pad(gr), dh = d->d_head;
    for (size_t gi = 0; gi < it->ng; gi++) {
        const REAL *q = it->q + gi * gr * dh;
        REAL *qt = it->qt + gi * dh * rp;
        for (size_t c = 0; c < dh; c++)
            for (size_t r = 0; r < rp; r++)
                qt[c * rp + r] = r < gr ? q[r * dh + c] : 0;
    }
}

/* The online softmax of one block of scores (keys [k0, k0 + n)), as softmax_block does for a
 * tile: each row against its running max, the mask added, keys past the row's last visible one
 * weighing 0; when a row's max grows, its sum and output so far shrink by exp(old − new). */
static void decode_softmax(const mha_attention_desc *d, const decode_item *it, size_t rows,
                           const REAL *mask, size_t ld_s, size_t k0, size_t n)
{
    SOFTMAX_ROW_FN *const softmax_row = SOFTMAX_PICK();
    for (size_t r = 0; r < rows; r++) {
        const size_t i = decode_query(d, r);
        const size_t visible = visible_keys(d, it->n_kv, i);
        const size_t n_vis = visible <= k0 ? 0 : visible - k0 < n ? visible - k0 : n;
        const REAL *mrow = mask ? mask + it->b * d->batch_stride_mask + i * d->ld_mask + k0 : NULL;
        REAL *row = it->S + r * ld_s, old_max = it->row_max[r];
        REAL *earlier = k0 != it->k_begin && d->d_v != 0 ? it->O + r * d->d_v : NULL;
        REAL sum = softmax_row(row, mrow, n_vis, &it->row_max[r]);
        add_block_sum(old_max, it->row_max[r], sum, &it->row_sum[r], earlier, d->d_v);
        zero_row(row + n_vis, n - n_vis);
    }
}

/* Row r normalised in place (normalise_row); returns its lse (row_lse) when one is asked for. */
static REAL decode_normalise(const mha_attention_desc *d, const decode_item *it, size_t r,
                             const REAL *lse)
{
    REAL *o = AT(it->O, d->d_v != 0, r * d->d_v);
    normalise_row(o, o, d->d_v, it->row_sum[r]);
    return lse ? row_lse(it->row_max[r], it->row_sum[r]) : 0;
}

/* Row r's output (REAL, d_v wide) into the caller's out and lse: rounded once (half types). */
static void decode_store_row(const mha_attention_desc *d, size_t b, size_t h, size_t i,
                             const REAL *o, REAL l, STORE *out, REAL *lse)
{
    if (d->d_v != 0)
        stage_store_row(o, out + b * d->batch_stride_out + i * d->ld_out + h * d->d_v, d->d_v);
    if (lse)
        lse[(b * d->n_heads + h) * d->seq_q + i] = l;
}

/* The partial result of chunk `chunk` of pair (b, g) in the shared workspace: rows × d_v
 * outputs (unnormalised), then the rows' maxima, then their sums. */
static REAL *decode_partial(const mha_attention_desc *d, const mha_plan *plan, REAL *shared,
                            size_t pair, size_t chunk)
{
    return shared + (pair * plan->decode.n_chunks + chunk) * plan->decode.rows * (d->d_v + 2);
}

/* One work item: its keys in blocks, then its rows normalised into out (one chunk) or into its
 * partial slot (split-KV). */
static void decode_run(const mha_attention_desc *d, const mha_plan *plan, const decode_item *it,
                       const STORE *Q, const STORE *K, const STORE *V, const REAL *mask, STORE *out,
                       REAL *lse, REAL *shared)
{
    const mha_decode_isa *isa = mha_decode_isa_best(); /* asked once per item, no state kept */
    const size_t rows = it->rows, block = plan->decode.key_block, gr = plan->decode.group_rows;
    /* Groups of many rows take the lanes kernel, on q transposed (the plan has room for it). The
     * table's entries of this type's FORMAT are its SFX() kernels (cpu.h). */
    SFX(mha_decode_lanes_fn) *const lanes =
        gr >= MHA_DECODE_LANE_ROWS ? (SFX(mha_decode_lanes_fn) *)isa->lanes[FORMAT] : NULL;
    SFX(mha_decode_scores_fn) *const scores =
        lanes ? lanes : (SFX(mha_decode_scores_fn) *)isa->scores[FORMAT];
    SFX(mha_decode_pv_fn) *const pv = (SFX(mha_decode_pv_fn) *)isa->pv[FORMAT];
    decode_load_q(d, it, rows, Q);
    if (lanes)
        decode_transpose_q(d, plan, it);
    for (size_t r = 0; r < rows; r++) {
        it->row_max[r] = -(REAL)INFINITY;
        it->row_sum[r] = 0;
    }
    zero_row(it->O, rows * d->d_v);
    /* K and V may be NULL when seq_kv is 0 (mha.h): offset only buffers that exist. */
    const bool keys = d->seq_kv != 0;
    const STORE *k = AT(K, keys && d->d_head != 0, it->b * d->batch_stride_k + it->g * d->d_head);
    const STORE *v = AT(V, keys && d->d_v != 0, it->b * d->batch_stride_v + it->g * d->d_v);
    for (size_t k0 = it->k_begin; k0 < it->k_end; k0 += block) {
        const size_t n = it->k_end - k0 < block ? it->k_end - k0 : block;
        const STORE *kb = AT(k, d->d_head != 0, k0 * d->ld_k);
        const STORE *vb = AT(v, d->d_v != 0, k0 * d->ld_v);
        /* Every group's slice of a K row before the next row: whole rows, in order. */
        scores(lanes ? it->qt : it->q, gr, it->ng, d->d_head, kb, d->ld_k, n, (REAL)d->scale, it->S,
               plan->decode.ld_s, vb, d->ld_v, d->d_v);
        decode_softmax(d, it, rows, mask, plan->decode.ld_s, k0, n);
        /* The lanes kernel leaves K to the hardware's streamer, idle while P·V runs: the first
         * group's pv fetches the next block's K rows meanwhile. */
        const bool more = lanes && d->d_head != 0 && k0 + n < it->k_end;
        const mha_decode_ahead ahead = {more ? kb + n * d->ld_k : NULL,
                                        it->ng * d->d_head * sizeof(STORE), d->ld_k * sizeof(STORE),
                                        more ? it->k_end - k0 - n : 0};
        for (size_t gi = 0; gi < it->ng; gi++)
            pv(it->S + gi * gr * plan->decode.ld_s, plan->decode.ld_s, gr, n,
               AT(vb, d->d_v != 0, gi * d->d_v), d->ld_v, d->d_v, it->O + gi * gr * d->d_v,
               gi == 0 ? &ahead : NULL);
    }
    if (plan->decode.n_chunks == 1) {
        for (size_t r = 0; r < rows; r++) {
            REAL l = decode_normalise(d, it, r, lse);
            decode_store_row(d, it->b, decode_head(d, it, r), decode_query(d, r),
                             it->O + r * d->d_v, l, out, lse);
        }
        return;
    }
    REAL *part = decode_partial(d, plan, shared,
                                it->b * plan->decode.n_gblocks + it->g / plan->decode.item_groups,
                                it->chunk);
    const size_t slot = plan->decode.rows;
    if (d->d_v != 0)
        memcpy(part, it->O, rows * d->d_v * sizeof *part);
    memcpy(part + slot * d->d_v, it->row_max, rows * sizeof *part);
    memcpy(part + slot * (d->d_v + 1), it->row_sum, rows * sizeof *part);
}

/* The rows and keys of chunk `chunk` of pair `pair` (batch item, block of kv groups); no
 * workspace yet. */
static decode_item decode_item_of(const mha_attention_desc *d, const mha_plan *plan, size_t pair,
                                  size_t chunk)
{
    decode_item it = {0};
    it.b = pair / plan->decode.n_gblocks;
    it.g = pair % plan->decode.n_gblocks * plan->decode.item_groups;
    it.ng = d->n_kv_heads - it.g < plan->decode.item_groups ? d->n_kv_heads - it.g
                                                            : plan->decode.item_groups;
    it.rows = it.ng * plan->decode.group_rows;
    it.chunk = chunk;
    it.n_kv = item_keys(d, it.b);
    return it;
}

/* Split-KV: pair (b, g)'s chunks folded into chunk 0's slot in chunk order — per row,
 * M = max(m_a, m_b), w = e^(m − M) for each side, O = w_a·O_a + w_b·O_b, l = w_a·l_a + w_b·l_b —
 * then normalised and stored. A side that saw no key (m = −inf, l = 0) weighs 0. */
static void decode_merge(const mha_attention_desc *d, const mha_plan *plan, size_t pair,
                         REAL *shared, STORE *out, REAL *lse)
{
    const size_t slot = plan->decode.rows;
    decode_item it = decode_item_of(d, plan, pair, 0);
    const size_t rows = it.rows;
    it.O = decode_partial(d, plan, shared, pair, 0);
    it.row_max = it.O + slot * d->d_v;
    it.row_sum = it.row_max + slot;
    for (size_t c = 1; c < plan->decode.n_chunks; c++) {
        const REAL *o = decode_partial(d, plan, shared, pair, c);
        const REAL *m = o + slot * d->d_v, *l = m + slot;
        for (size_t r = 0; r < rows; r++) {
            const REAL ma = it.row_max[r], big = ma > m[r] ? ma : m[r];
            if (!(big > -(REAL)INFINITY)) /* neither side saw a key (or a NaN max) */
                continue;
            const REAL wa = EXP(ma - big), wb = EXP(m[r] - big);
            REAL *oa = it.O + r * d->d_v;
            for (size_t k = 0; k < d->d_v; k++)
                oa[k] = wa * oa[k] + wb * o[r * d->d_v + k];
            it.row_sum[r] = wa * it.row_sum[r] + wb * l[r];
            it.row_max[r] = big;
        }
    }
    for (size_t r = 0; r < rows; r++) {
        REAL l = decode_normalise(d, &it, r, lse);
        decode_store_row(d, it.b, decode_head(d, &it, r), decode_query(d, r), it.O + r * d->d_v, l,
                         out, lse);
    }
}

/* Item `index` in the call's fixed order (batch item, kv group, chunk), on this worker's
 * workspace. */
static decode_item decode_item_at(const mha_attention_desc *d, const mha_plan *plan, size_t index,
                                  unsigned char *own)
{
    decode_item it =
        decode_item_of(d, plan, index / plan->decode.n_chunks, index % plan->decode.n_chunks);
    /* Causal: no row sees past the last query's horizon (visible_keys grows with i). */
    const size_t last = visible_keys(d, it.n_kv, d->seq_q - 1);
    const size_t begin = it.chunk * plan->decode.chunk_keys;
    const size_t end = begin + plan->decode.chunk_keys;
    it.k_begin = begin < last ? begin : last;
    it.k_end = end < last ? end : last;
    it.S = (REAL *)own;
    it.row_max = (REAL *)(own + plan->decode.stats_at);
    it.row_sum = it.row_max + plan->decode.rows;
    it.O = (REAL *)(own + plan->decode.acc_at);
    it.q = (REAL *)(own + plan->decode.q_at);
    it.qt = (REAL *)(own + plan->decode.qt_at);
    return it;
}

static void decode_attend(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                          const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                          unsigned char *base)
{
    REAL *shared = (REAL *)base;
    unsigned char *tiles = base + plan->shared_bytes;
    const size_t pairs = plan->n_tiles / plan->decode.n_chunks;
    size_t next = 0, next_merge = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)plan->workers) if (plan->workers > 1)
#endif
    {
        size_t worker = begin_worker(false), index; /* no GEMM here */
        unsigned char *own = tiles + worker * plan->tile_bytes;
        while ((index = claim_item(&next)) < plan->n_tiles) {
            decode_item it = decode_item_at(d, plan, index, own);
            decode_run(d, plan, &it, Q, K, V, mask, out, lse, shared);
        }
        if (plan->decode.n_chunks > 1) {
            /* Every chunk's partial is written before any pair is merged. */
#ifdef _OPENMP
#pragma omp barrier
#endif
            while ((index = claim_item(&next_merge)) < pairs)
                decode_merge(d, plan, index, shared, out, lse);
        }
    }
}
