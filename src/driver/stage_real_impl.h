/* SPDX-License-Identifier: MIT */
/* Staging for a type stored in its own arithmetic (float, double: STORE is REAL): how the caller's
 * matrices reach the GEMMs and how results reach the caller's rows. Nothing is copied: the GEMMs
 * read Q, K and V in place through their leading dimensions, and P stays in the score block. The
 * half types' policy, with the same functions, is stage_half_impl.h; the traits pick one
 * (STAGE_IMPL), driver_impl.h includes it before the schedules that call it. */

/* A tile's staging buffers: none. */
typedef struct stage_work {
    char unused;
} stage_work;

static stage_work stage_work_of(const mha_attention_desc *d, const mha_plan *plan,
                                unsigned char *base, mha_gemm_half_cache *cache)
{
    (void)d, (void)plan, (void)base, (void)cache;
    return (stage_work){0};
}

/* The staging of rows [s0, …) of a tile, as a sub-tile of its own. */
static stage_work stage_sub(const mha_attention_desc *d, const stage_work *s, size_t s0)
{
    (void)d, (void)s0;
    return *s;
}

/* The tile's Q rows (m of them, row stride ld_q), once per tile, and a key block's K and V rows
 * (n of them), once per block: read in place. */
static void stage_q(const mha_attention_desc *d, const mha_plan *plan, const stage_work *s,
                    const STORE *q, size_t ld_q, size_t m)
{
    (void)d, (void)plan, (void)s, (void)q, (void)ld_q, (void)m;
}

static void stage_kv(const mha_attention_desc *d, const mha_plan *plan, const stage_work *s,
                     const STORE *k, const STORE *v, size_t n)
{
    (void)d, (void)plan, (void)s, (void)k, (void)v, (void)n;
}

/* The score block's row stride for a block of n keys: the plan's. */
static size_t stage_ld_s(const mha_plan *plan, size_t n)
{
    (void)n;
    return plan->tiles.ld_s;
}

/* S (m × n, ld_s) = scale · Q_rows · K_blockᵀ, the scale folded into alpha. */
static void stage_scores_gemm(const mha_attention_desc *d, const mha_plan *plan,
                              const stage_work *s, const STORE *q, size_t ld_q, size_t m,
                              const STORE *k, size_t n, REAL *S, size_t ld_s)
{
    (void)s;
    GEMM(plan->gemm, true, m, n, d->d_head, (REAL)d->scale, q, ld_q, k, d->ld_k, 0, S, ld_s);
}

/* The row kernel of the softmax, asked for once per score block (softmax.h). */
typedef struct stage_softmax {
    SOFTMAX_ROW_FN *row;
} stage_softmax;

static stage_softmax stage_softmax_pick(const mha_plan *plan)
{
    (void)plan;
    return (stage_softmax){SOFTMAX_PICK()};
}

/* Row r of a score block (row, n_keys keys of which the first n_vis are visible) exponentiated in
 * place against *row_max (softmax.h), the keys past n_vis weighing nothing in P·V; returns the
 * exps' sum. */
static REAL stage_softmax_row(const stage_softmax *k, const stage_work *s, size_t r, size_t ld_s,
                              REAL *row, const REAL *mrow, size_t n_vis, size_t n_keys,
                              REAL *row_max)
{
    (void)s, (void)r, (void)ld_s;
    REAL sum = k->row(row, mrow, n_vis, row_max);
    zero_row(row + n_vis, n_keys - n_vis);
    return sum;
}

/* acc (m × d_v, ld_acc) (+)= P · V_block, P the exponentiated score block. */
static void stage_output_gemm(const mha_attention_desc *d, const mha_plan *plan,
                              const stage_work *s, size_t m, REAL *S, size_t ld_s, const STORE *v,
                              size_t n, REAL beta, REAL *acc, size_t ld_acc)
{
    (void)s;
    GEMM(plan->gemm, false, m, d->d_v, n, 1, S, ld_s, v, d->ld_v, beta, acc, ld_acc);
}

/* The m accumulated rows divided by their sums into the caller's rows, written once. */
static void stage_store_rows(const mha_attention_desc *d, size_t m, REAL *acc, size_t ld_acc,
                             const REAL *row_sum, STORE *out, size_t ld_out)
{
    for (size_t r = 0; r < m; r++)
        normalise_row(AT(acc, d->d_v != 0, r * ld_acc), AT(out, d->d_v != 0, r * ld_out), d->d_v,
                      row_sum[r]);
}

/* One stored row in REAL: the row itself (buf unused). */
static const REAL *stage_view_row(const STORE *src, REAL *buf, size_t n)
{
    (void)buf, (void)n;
    return src;
}

/* n elements between a REAL buffer and the caller's storage. */
static void stage_load_row(const STORE *src, REAL *dst, size_t n)
{
    if (n != 0)
        memcpy(dst, src, n * sizeof *dst);
}

static void stage_store_row(const REAL *src, STORE *dst, size_t n)
{
    if (n != 0)
        memcpy(dst, src, n * sizeof *dst);
}

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
        for (size_t item; (item = claim_item(&next)) < items;) {
            size_t p = item / blocks, r0 = item % blocks * block;
            size_t m = seq_len - r0 < block ? seq_len - r0 : block;
            GEMM(pp->gemm, false, m, cols, d_model, 1, X + r0 * d_model, d_model, W[p], cols, 0,
                 out[p] + r0 * cols, cols);
        }
    }
}
