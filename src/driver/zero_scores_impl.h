/* SPDX-License-Identifier: MIT */
/* The zero-score schedule (MHA_SCHEDULE_ZERO_SCORES: every call with d_head == 0), written once
 * over a type's traits and included by driver_impl.h after core_impl.h and the staging. Every score
 * scale·q·k is then an empty dot product, 0, so row i of batch item b weighs its visible keys
 * j < n_i (visible_keys: kv_lens and the causal alignment) by its mask alone, the same in every
 * head:
 *
 *   no mask:  out_i = (1/n_i)·Σ_{j<n_i} V_j                               lse_i = log n_i
 *   mask M:   m = max_{j<n_i} M_ij, w_j = e^(M_ij − m), z = Σ_{j<n_i} w_j
 *             out_i = (1/z)·Σ_{j<n_i} w_j·V_j                             lse_i = m + log z
 *
 * and a row that sees nothing is zeros with lse −inf, as on every path. So the call costs what it
 * reads and writes (mha.h), never a pass over seq_kv keys per head: a tile (plan->zero.tile_rows
 * query rows of one batch item) computes each row once for every kv group at a time — V_j is a
 * whole row of V, n_kv_heads·d_v wide — and writes it to every head of each group. Without a mask
 * n_i only grows with i, so one running sum over the V rows, in key order, serves every row of the
 * tile; with d_v == 0 a row is its lse alone, written n_heads times. With a mask each row takes one
 * pass over its n_i mask entries for m, and one for z and the weighted sum. The sums run in REAL in
 * key order, and the tiles are cut from the shape alone, so any number of workers gives the same
 * bits. */

/* One tile: rows [i0, i0 + m) of batch item b, and its workspace. */
typedef struct zero_scores_tile {
    size_t b, i0, m;
    size_t n_kv;    /* the item's keys: kv_lens[b], or seq_kv */
    size_t width;   /* n_kv_heads·d_v: one row of V, every kv group side by side */
    const STORE *v; /* the item's V rows (not offset when V is empty) */
    REAL *acc;      /* Σ w_j·V_j over the keys added so far, width wide */
    REAL *row;      /* the normalised row; half types widen a V row here first */
} zero_scores_tile;

/* acc += w·V_j, over the whole row: every kv group's d_v columns. */
static void zero_scores_add(const mha_attention_desc *d, const zero_scores_tile *t, size_t j,
                            REAL w)
{
    const REAL *x = stage_view_row(t->v + j * d->ld_v, t->row, t->width);
    for (size_t c = 0; c < t->width; c++)
        t->acc[c] += w * x[c];
}

/* Query row i: acc divided by the row's sum (normalise_row: zeros and lse −inf when the sum is
 * 0), written to every head, head h taking its kv group's d_v columns (rounded once, half types),
 * with the same lse. */
static void zero_scores_store(const mha_attention_desc *d, const zero_scores_tile *t, size_t i,
                              REAL row_max, REAL row_sum, STORE *out, REAL *lse)
{
    normalise_row(t->acc, t->row, t->width, row_sum);
    const REAL l = lse ? row_lse(row_max, row_sum) : 0;
    const size_t group = d->n_heads / d->n_kv_heads;
    for (size_t h = 0; h < d->n_heads; h++) {
        if (d->d_v != 0)
            stage_store_row(t->row + h / group * d->d_v,
                            out + t->b * d->batch_stride_out + i * d->ld_out + h * d->d_v, d->d_v);
        if (lse)
            lse[(t->b * d->n_heads + h) * d->seq_q + i] = l;
    }
}

/* No mask: every visible key weighs 1 (max 0, sum n_i). The keys a row sees are a prefix that
 * grows with i, so acc only ever adds the next V rows. */
static void zero_scores_plain(const mha_attention_desc *d, const zero_scores_tile *t, STORE *out,
                              REAL *lse)
{
    size_t added = 0; /* acc holds the sum of V rows [0, added) */
    zero_row(t->acc, t->width);
    for (size_t i = t->i0; i < t->i0 + t->m; i++) {
        const size_t n = visible_keys(d, t->n_kv, i);
        for (; t->width != 0 && added < n; added++)
            zero_scores_add(d, t, added, 1);
        zero_scores_store(d, t, i, 0, (REAL)n, out, lse);
    }
}

/* A mask (item_mask: the item's seq_q × seq_kv rows): row i's weights are the softmax of its
 * visible mask entries, by the textbook's rules — the max subtracted first; all −inf (or none
 * visible) gives zeros and −inf; a NaN anywhere, or a +inf, a NaN row. */
static void zero_scores_masked(const mha_attention_desc *d, const zero_scores_tile *t,
                               const REAL *item_mask, STORE *out, REAL *lse)
{
    for (size_t i = t->i0; i < t->i0 + t->m; i++) {
        const size_t n = visible_keys(d, t->n_kv, i);
        const REAL *mrow = AT(item_mask, n != 0, i * d->ld_mask);
        REAL m = -(REAL)INFINITY, z = 0;
        bool nan = false;
        for (size_t j = 0; j < n; j++) {
            m = mrow[j] > m ? mrow[j] : m; /* skips NaN, which the flag keeps */
            nan |= isnan(mrow[j]);
        }
        zero_row(t->acc, t->width);
        if (nan) { /* e^(x − NaN) for every x: the row and its lse are NaN */
            m = z = (REAL)NAN;
        } else if (m != -(REAL)INFINITY) {
            /* Every argument ≤ 0 (or NaN beside a +inf max, which z then carries). */
            for (size_t j = 0; j < n; j++) {
                const REAL w = EXP(mrow[j] - m);
                z += w;
                if (t->width != 0)
                    zero_scores_add(d, t, j, w);
            }
        }
        zero_scores_store(d, t, i, m, z, out, lse);
    }
}

static void zero_scores_attend(const mha_attention_desc *d, const mha_plan *plan, const STORE *V,
                               const REAL *mask, STORE *out, REAL *lse, unsigned char *base)
{
    const size_t blocks = plan->n_tiles / d->batch;
    size_t next = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads((int)plan->workers) if (plan->workers > 1)
#endif
    {
        size_t worker = begin_worker(false), index; /* no GEMM here */
        unsigned char *own = base + worker * plan->tile_bytes;
        while ((index = claim_item(&next)) < plan->n_tiles) {
            zero_scores_tile t;
            t.b = index / blocks;
            t.i0 = index % blocks * plan->zero.tile_rows;
            t.m = d->seq_q - t.i0 < plan->zero.tile_rows ? d->seq_q - t.i0 : plan->zero.tile_rows;
            t.n_kv = item_keys(d, t.b);
            t.width = d->n_kv_heads * d->d_v;
            /* V and the mask may be NULL, their strides meaningless, when seq_kv is 0 (mha.h). */
            const bool keys = d->seq_kv != 0;
            t.v = AT(V, keys && t.width != 0, t.b * d->batch_stride_v);
            t.acc = (REAL *)(own + plan->zero.acc_at);
            t.row = (REAL *)(own + plan->zero.row_at);
            if (mask != NULL && keys)
                zero_scores_masked(d, &t, mask + t.b * d->batch_stride_mask, out, lse);
            else
                zero_scores_plain(d, &t, out, lse);
        }
    }
}
