/* SPDX-License-Identifier: MIT */
/* Staging for a half type (bf16, f16: stored in 16 bits, computed in float): the functions of
 * stage_real_impl.h for operands that the GEMMs either take as they are stored (the native
 * backend, plan->tiles.half_native: the tile's Q and each key block's K and V packed dense, which
 * its AMX kernels need, and P rounded once to the stored type) or take widened to float (sgemm).
 * Each output element is accumulated in float and rounded once. If the native backend declines a
 * GEMM (its own allocation failing), that GEMM is widened: the workspace always has room. */

/* A tile's staging buffers in the worker's workspace (plan.h): widened operands, and for the
 * native backend packed ones, P in STORE and the worker's cache of GEMM primitives. */
typedef struct stage_work {
    REAL *q_wide, *k_wide, *v_wide;
    STORE *P, *q_pack, *k_pack, *v_pack;
    mha_gemm_half_cache *cache;
} stage_work;

static stage_work stage_work_of(const mha_attention_desc *d, const mha_plan *plan,
                                unsigned char *base, mha_gemm_half_cache *cache)
{
    const mha_tiles_plan *tp = &plan->tiles;
    stage_work s;
    s.q_wide = (REAL *)(base + tp->a_wide_at);
    s.k_wide = (REAL *)(base + tp->b_wide_at);
    s.v_wide = s.k_wide + tp->key_block * d->d_head;
    s.P = (STORE *)(base + tp->p_at);
    s.q_pack = (STORE *)(base + tp->q_pack_at);
    s.k_pack = (STORE *)(base + tp->kv_pack_at);
    s.v_pack = s.k_pack + tp->key_block * d->d_head;
    s.cache = cache;
    return s;
}

static stage_work stage_sub(const mha_attention_desc *d, const stage_work *s, size_t s0)
{
    stage_work sub = *s;
    sub.q_wide += s0 * d->d_head;
    sub.q_pack += s0 * d->d_head;
    return sub;
}

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

/* The tile's Q rows packed or widened once per tile. */
static void stage_q(const mha_attention_desc *d, const mha_plan *plan, const stage_work *s,
                    const STORE *q, size_t ld_q, size_t m)
{
    if (plan->tiles.half_native)
        pack_rows(q, ld_q, m, d->d_head, s->q_pack);
    else
        widen_rows(q, ld_q, m, d->d_head, s->q_wide);
}

/* The key block's K and V rows, packed or widened once per block for all the tile's score
 * blocks. */
static void stage_kv(const mha_attention_desc *d, const mha_plan *plan, const stage_work *s,
                     const STORE *k, const STORE *v, size_t n)
{
    if (plan->tiles.half_native) {
        pack_rows(k, d->ld_k, n, d->d_head, s->k_pack);
        pack_rows(v, d->ld_v, n, d->d_v, s->v_pack);
    } else {
        widen_rows(k, d->ld_k, n, d->d_head, s->k_wide);
        widen_rows(v, d->ld_v, n, d->d_v, s->v_wide);
    }
}

/* The score block's row stride: dense for the native backend, for the same reason as its
 * operands; the plan's otherwise. */
static size_t stage_ld_s(const mha_plan *plan, size_t n)
{
    return plan->tiles.half_native ? (n != 0 ? n : 1) : plan->tiles.ld_s;
}

/* S = scale · Q_rows · K_blockᵀ on the stored halves: natively, or widened. Only a declined
 * native GEMM widens its operands here. */
static void stage_scores_gemm(const mha_attention_desc *d, const mha_plan *plan,
                              const stage_work *s, const STORE *q, size_t ld_q, size_t m,
                              const STORE *k, size_t n, REAL *S, size_t ld_s)
{
    float scale = (float)d->scale;
    if (plan->tiles.half_native) {
        if (HALF_GEMM(s->cache, true, m, n, d->d_head, scale, s->q_pack, d->d_head, s->k_pack,
                      d->d_head, 0, S, ld_s))
            return;
        widen_rows(q, ld_q, m, d->d_head, s->q_wide);
        widen_rows(k, d->ld_k, n, d->d_head, s->k_wide);
    }
    GEMM(plan->gemm, true, m, n, d->d_head, scale, s->q_wide, d->d_head, s->k_wide, d->d_head, 0, S,
         ld_s);
}

/* The row kernels of the softmax, asked for once per score block: the native P·V takes P in
 * STORE, from the kernel that writes it as it goes where there is one. */
typedef struct stage_softmax {
    SOFTMAX_ROW_FN *row;
    SFX(mha_softmax_row_to_fn) * to_store;
    bool native;
} stage_softmax;

static stage_softmax stage_softmax_pick(const mha_plan *plan)
{
    const bool native = plan->tiles.half_native;
    return (stage_softmax){SOFTMAX_PICK(), native ? SFX(mha_softmax_pick_to)() : NULL, native};
}

/* Row r of a score block exponentiated against *row_max, the keys past n_vis weighing nothing;
 * for the native P·V also rounded into P while it is in L1. Returns the exps' sum (before any
 * rounding). */
static REAL stage_softmax_row(const stage_softmax *k, const stage_work *s, size_t r, size_t ld_s,
                              REAL *row, const REAL *mrow, size_t n_vis, size_t n_keys,
                              REAL *row_max)
{
    if (k->to_store) {
        STORE *p = s->P + r * ld_s;
        REAL sum = k->to_store(row, mrow, n_vis, row_max, p);
        /* All-zero bits are +0 in STORE. */
        if (n_keys != n_vis)
            memset(p + n_vis, 0, (n_keys - n_vis) * sizeof *p);
        return sum;
    }
    REAL sum = k->row(row, mrow, n_vis, row_max);
    zero_row(row + n_vis, n_keys - n_vis);
    if (k->native && n_keys != 0)
        NARROW(row, s->P + r * ld_s, n_keys);
    return sum;
}

/* acc (+)= P · V_block: P in STORE by the native backend, else the float P in S times V widened. */
static void stage_output_gemm(const mha_attention_desc *d, const mha_plan *plan,
                              const stage_work *s, size_t m, REAL *S, size_t ld_s, const STORE *v,
                              size_t n, REAL beta, REAL *acc, size_t ld_acc)
{
    if (plan->tiles.half_native) {
        if (HALF_GEMM(s->cache, false, m, d->d_v, n, 1, s->P, ld_s, s->v_pack, d->d_v, beta, acc,
                      ld_acc))
            return;
        widen_rows(s->P, ld_s, m, n, S); /* the rounded P, as the backend would */
        widen_rows(v, d->ld_v, n, d->d_v, s->v_wide);
    }
    GEMM(plan->gemm, false, m, d->d_v, n, 1, S, ld_s, s->v_wide, d->d_v, beta, acc, ld_acc);
}

/* The m accumulated rows divided by their sums in place, then rounded into the caller's rows in a
 * second pass: narrowing a row right after its scalar stores made the vector loads wait on store
 * forwarding. The kernel is picked once for the tile, not once per short row. */
static void stage_store_rows(const mha_attention_desc *d, size_t m, REAL *acc, size_t ld_acc,
                             const REAL *row_sum, STORE *out, size_t ld_out)
{
    if (d->d_v == 0)
        return;
    for (size_t r = 0; r < m; r++)
        normalise_row(acc + r * ld_acc, acc + r * ld_acc, d->d_v, row_sum[r]);
    mha_narrow_fn *const narrow = mha_convert_isa_best()->narrow[FORMAT];
    for (size_t r = 0; r < m; r++)
        narrow(acc + r * ld_acc, out + r * ld_out, d->d_v);
}

/* One stored row in REAL: widened into buf. */
static const REAL *stage_view_row(const STORE *src, REAL *buf, size_t n)
{
    WIDEN(src, buf, n);
    return buf;
}

/* n elements between a REAL buffer and the caller's storage, widened or rounded once. */
static void stage_load_row(const STORE *src, REAL *dst, size_t n)
{
    WIDEN(src, dst, n);
}

static void stage_store_row(const REAL *src, STORE *dst, size_t n)
{
    NARROW(src, dst, n);
}

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
        mha_gemm_half_cache *cache = native ? mha_gemm_half_cache_init(own + pp->cache_at) : NULL;
        while ((item = claim_item(&next)) < blocks * count) {
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
        mha_gemm_half_cache_fini(cache);
    }
    return declined != 0;
}

/* out[p] = X · W[p] with float accumulation, each output rounded once. Blocks of pp->block_rows
 * rows, the same cut for any number of workers. The native backend takes the halves and rounds;
 * else (or if it declined any block) the weights are widened once, and each block widened,
 * multiplied in float and rounded here. */
void SFX(mha_project)(const mha_project_plan *pp, const STORE *X, size_t seq_len, size_t d_model,
                      const STORE *const W[], STORE *const out[], size_t count, size_t cols,
                      void *scratch)
{
    unsigned char *base = aligned_workspace(scratch);
    REAL *wide_w = (REAL *)(base + pp->wide_w_at);
    if (pp->half_native &&
        !project_blocks(pp, true, X, seq_len, d_model, W, NULL, out, count, cols, base))
        return;
    for (size_t p = 0; p < count; p++)
        WIDEN(W[p], wide_w + p * d_model * cols, d_model * cols);
    project_blocks(pp, false, X, seq_len, d_model, W, wide_w, out, count, cols, base);
}
