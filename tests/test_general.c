/* SPDX-License-Identifier: MIT */
/* Targeted mha_attention cases against the double reference, in float and double (and, but for the
 * merge, in bf16 and f16, held to mha.h's half bound): cross lengths,
 * GQA/MQA, bottom-right causal alignment, decode against a long cache, masks, d_v ≠ d_head, custom
 * scales, batches with shared inputs, views into a fused QKV buffer, the seq × batch × d layout,
 * and split-KV attention merged through lse. Every run also goes through mha_attention_ws (on a
 * misaligned workspace) and without lse, and must give the same bits, leaving out's padding
 * untouched. */
#include "common/problem.h"
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

/* ------------------------------------------------------------------------------------------ */
/* Buffers in the precision under test                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Bytes of one stored matrix element, and of one element of the arithmetic (mask, lse). */
static size_t elem(const prec *pr)
{
    return pr->half != STORED_AS_REAL ? 2 : pr->f32 ? sizeof(float) : sizeof(double);
}

static size_t real_elem(const prec *pr)
{
    return pr->f32 ? sizeof(float) : sizeof(double);
}

/* A copy of mask or lse values x (n, exactly representable) in the arithmetic's type. */
static void *real_copy(const prec *pr, const double *x, size_t n)
{
    if (x == NULL)
        return NULL;
    if (!pr->f32) {
        double *c = xcalloc(n, sizeof *c);
        memcpy(c, x, n * sizeof *c);
        return c;
    }
    return to_f32(x, n);
}

/* A copy of matrix values x (n, exactly representable) in the stored type. */
static void *native_copy(const prec *pr, const double *x, size_t n)
{
    if (x == NULL || pr->half == STORED_AS_REAL)
        return real_copy(pr, x, n);
    float *f = to_f32(x, n);
    void *h = xcalloc(n, 2);
    assert_int_equal(pr->half == STORED_AS_BF16 ? mha_convert_f32_to_bf16(f, h, n)
                                                : mha_convert_f32_to_f16(f, h, n),
                     MHA_OK);
    free(f);
    return h;
}

static double real_get(const prec *pr, const void *p, size_t i)
{
    return pr->f32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static double native_get(const prec *pr, const void *p, size_t i)
{
    float f;
    switch (pr->half) {
    case STORED_AS_BF16:
        assert_int_equal(mha_convert_bf16_to_f32((const mha_bf16 *)p + i, &f, 1), MHA_OK);
        return (double)f;
    case STORED_AS_F16:
        assert_int_equal(mha_convert_f16_to_f32((const mha_f16 *)p + i, &f, 1), MHA_OK);
        return (double)f;
    default:
        return real_get(pr, p, i);
    }
}

/* p + n elements of the stored type. */
static void *at(const prec *pr, const void *p, size_t n)
{
    return (unsigned char *)p + n * elem(pr);
}

static mha_status attend(const prec *pr, const mha_attention_desc *d, const void *Q, const void *K,
                         const void *V, const void *M, void *out, void *lse)
{
    switch (pr->half) {
    case STORED_AS_BF16:
        return mha_attention_bf16(d, Q, K, V, M, out, lse);
    case STORED_AS_F16:
        return mha_attention_f16(d, Q, K, V, M, out, lse);
    default:
        return pr->f32 ? mha_attention(d, Q, K, V, M, out, lse)
                       : mha_attention_f64(d, Q, K, V, M, out, lse);
    }
}

static mha_status attend_ws(const prec *pr, const mha_attention_desc *d, const void *Q,
                            const void *K, const void *V, const void *M, void *out, void *lse,
                            void *ws, size_t ws_bytes)
{
    switch (pr->half) {
    case STORED_AS_BF16:
        return mha_attention_ws_bf16(d, Q, K, V, M, out, lse, ws, ws_bytes);
    case STORED_AS_F16:
        return mha_attention_ws_f16(d, Q, K, V, M, out, lse, ws, ws_bytes);
    default:
        return pr->f32 ? mha_attention_ws(d, Q, K, V, M, out, lse, ws, ws_bytes)
                       : mha_attention_ws_f64(d, Q, K, V, M, out, lse, ws, ws_bytes);
    }
}

static mha_status ws_size(const prec *pr, const mha_attention_desc *d, size_t *bytes)
{
    switch (pr->half) {
    case STORED_AS_BF16:
        return mha_attention_workspace_size_bf16(d, bytes);
    case STORED_AS_F16:
        return mha_attention_workspace_size_f16(d, bytes);
    default:
        return pr->f32 ? mha_attention_workspace_size(d, bytes)
                       : mha_attention_workspace_size_f64(d, bytes);
    }
}

static mha_status qkv_fused(const prec *pr, const void *X, const void *W, size_t rows,
                            size_t d_model, void *QKV)
{
    switch (pr->half) {
    case STORED_AS_BF16:
        return mha_compute_qkv_fused_bf16(X, W, rows, d_model, QKV);
    case STORED_AS_F16:
        return mha_compute_qkv_fused_f16(X, W, rows, d_model, QKV);
    default:
        return pr->f32 ? mha_compute_qkv_fused(X, W, rows, d_model, QKV)
                       : mha_compute_qkv_fused_f64(X, W, rows, d_model, QKV);
    }
}

/* Float and double only: there is no half merge (mha.h). */
static mha_status merge(const prec *pr, size_t rows, size_t heads, size_t d_v, size_t ld,
                        const void *out_a, const void *lse_a, const void *out_b, const void *lse_b,
                        void *out, void *lse)
{
    if (pr->f32)
        return mha_attention_merge(rows, heads, d_v, ld, out_a, lse_a, out_b, lse_b, out, lse);
    return mha_attention_merge_f64(rows, heads, d_v, ld, out_a, lse_a, out_b, lse_b, out, lse);
}

/* ------------------------------------------------------------------------------------------ */
/* One checked case                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* Which elements of out the descriptor writes; the rest (row and item padding) must stay. */
static bool *out_covered(const mha_attention_desc *d, size_t no)
{
    bool *c = xcalloc(no, sizeof *c);
    for (size_t b = 0; b < d->batch; b++)
        for (size_t i = 0; i < d->seq_q; i++)
            for (size_t col = 0; col < d->n_heads * d->d_v; col++)
                c[b * d->batch_stride_out + i * d->ld_out + col] = true;
    return c;
}

/* Runs p three ways — mha_attention with lse, mha_attention_ws on a misaligned workspace of
 * exactly the queried size, mha_attention without lse — requires the same bits from all three
 * and out's padding untouched, and returns the result widened (padding as 0, like the
 * reference's zeroed buffer). */
static void run_checked(const prec *pr, const problem *p, result *got)
{
    const mha_attention_desc *d = &p->d;
    const size_t es = elem(pr), rs = real_elem(pr), ob = p->no * es, lb = p->nl * rs;
    void *Q = native_copy(pr, p->Q, p->nq), *K = native_copy(pr, p->K, p->nk),
         *V = native_copy(pr, p->V, p->nv), *M = real_copy(pr, p->M, p->nm);
    unsigned char *out = xcalloc(p->no, es), *out_ws = xcalloc(p->no, es),
                  *out_nolse = xcalloc(p->no, es), *lse = xcalloc(p->nl, rs),
                  *lse_ws = xcalloc(p->nl, rs);
    fill_sentinel(out, ob), fill_sentinel(out_ws, ob), fill_sentinel(out_nolse, ob);
    fill_sentinel(lse, lb), fill_sentinel(lse_ws, lb);
    size_t need = 0;
    assert_int_equal(ws_size(pr, d, &need), MHA_OK);
    unsigned char *ws = xcalloc(need + 3, 1);
    assert_int_equal(attend(pr, d, Q, K, V, M, out, lse), MHA_OK);
    assert_int_equal(attend_ws(pr, d, Q, K, V, M, out_ws, lse_ws, ws + 3, need), MHA_OK);
    assert_int_equal(attend(pr, d, Q, K, V, M, out_nolse, NULL), MHA_OK);
    assert_memory_equal(out, out_ws, ob);
    assert_memory_equal(lse, lse_ws, lb);
    assert_memory_equal(out, out_nolse, ob);
    bool *cov = out_covered(d, p->no);
    for (size_t i = 0; i < p->no; i++) {
        if (!cov[i])
            assert_true(is_sentinel(out + i * es, es));
        got->out[i] = cov[i] ? native_get(pr, out, i) : 0;
    }
    for (size_t i = 0; i < p->nl; i++)
        got->lse[i] = real_get(pr, lse, i);
    free(Q), free(K), free(V), free(M), free(out), free(out_ws), free(out_nolse), free(lse);
    free(lse_ws), free(ws), free(cov);
}

/* Random inputs: Q, K, V uniform in [-1, 1]; the mask (if any) in [-2, 2] with one entry in
 * `inf_every` −inf (0: none); then rounded to the precision. */
static void problem_fill(const prec *pr, rng *r, problem *p, size_t inf_every)
{
    fill_uniform_f64(r, p->Q, p->nq, -1, 1);
    fill_uniform_f64(r, p->K, p->nk, -1, 1);
    fill_uniform_f64(r, p->V, p->nv, -1, 1);
    if (p->M) {
        fill_uniform_f64(r, p->M, p->nm, -2, 2);
        for (size_t i = 0; inf_every && i < p->nm; i++)
            if (rng_range(r, 1, inf_every) == 1)
                p->M[i] = -HUGE_VAL;
    }
    problem_round(pr, p);
}

/* Reference vs library for p; returns the number of rows that saw no key (zeros, lse −inf). */
static size_t check_problem(const prec *pr, const problem *p, const char *what)
{
    result got = result_new(p), want = result_new(p);
    run_ref(p, &want);
    run_checked(pr, p, &got);
    if (!close_enough(what, got.out, want.out, p->no, out_atol(pr, p), pr->rtol) ||
        !close_enough(what, got.lse, want.lse, p->nl, pr->atol, pr->rtol))
        fail_msg("%s: seq_q %zu seq_kv %zu heads %zu/%zu d %zu/%zu batch %zu flags %u", what,
                 p->d.seq_q, p->d.seq_kv, p->d.n_heads, p->d.n_kv_heads, p->d.d_head, p->d.d_v,
                 p->d.batch, p->d.flags);
    size_t empty = 0;
    for (size_t i = 0; i < p->nl; i++)
        empty += want.lse[i] == -HUGE_VAL;
    result_free(&got), result_free(&want);
    return empty;
}

/* A fresh random problem for *d (with a mask if inf_every > 0 or mask), checked. */
static size_t check_desc(const prec *pr, rng *r, const mha_attention_desc *d, bool mask,
                         size_t inf_every, const char *what)
{
    problem p = problem_new(d, mask);
    problem_fill(pr, r, &p, inf_every);
    size_t empty = check_problem(pr, &p, what);
    problem_free(&p);
    return empty;
}

/* Padding on every row stride and batch stride, so that strides are really exercised. */
static void pad(mha_attention_desc *d, size_t by)
{
    d->ld_q += by, d->ld_k += 2 * by, d->ld_v += by, d->ld_out += 3 * by, d->ld_mask += by;
    d->batch_stride_q = d->seq_q * d->ld_q + by;
    d->batch_stride_k = d->seq_kv * d->ld_k + 2 * by;
    d->batch_stride_v = d->seq_kv * d->ld_v + by;
    d->batch_stride_out = d->seq_q * d->ld_out + by;
    d->batch_stride_mask = d->seq_q * d->ld_mask + by;
}

/* ------------------------------------------------------------------------------------------ */
/* Cases                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void cross_lengths(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(1);
    const size_t lens[][2] = {{5, 40}, {40, 5}, {1, 17}, {33, 1}, {100, 260}, {300, 7}};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, lens[k][0], lens[k][1], 2, 2, 16, 16);
        check_desc(pr, &r, &d, false, 0, "cross lengths");
        d.batch = 2;
        pad(&d, 1);
        check_desc(pr, &r, &d, false, 0, "cross lengths, padded batch");
    }
}

/* Grouped (n_heads/n_kv_heads query heads share a K/V head) and multi-query (one K/V head). */
static void gqa_mqa(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(2);
    const size_t heads[][2] = {{8, 2}, {8, 1}, {6, 3}, {4, 4}, {12, 4}, {3, 1}};
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++)
        for (int causal = 0; causal < 2; causal++)
            for (size_t q = 0; q < 4; q++) {
                /* Fewer query rows than the group (1, 3) stack the group's heads into one tile. */
                const size_t seq_q = (size_t[]){1, 3, 13, 37}[q];
                mha_attention_desc d;
                mha_attention_desc_init(&d, seq_q, 53, heads[k][0], heads[k][1], 8, 8);
                d.flags = causal ? MHA_CAUSAL : 0;
                d.batch = 2;
                pad(&d, 2);
                check_desc(pr, &r, &d, true, 6, "gqa/mqa");
            }
}

/* Causal masks are aligned to the bottom-right corner: query i sees keys j ≤ i + seq_kv − seq_q.
 * By hand first: Q = 0 makes every visible score 0, so each row averages the V rows it sees.
 * V = 1, 2, 3, 4 (one column). seq_q 2, seq_kv 4: row 0 sees keys 0-2 → 2, row 1 sees 0-3 →
 * 2.5. seq_q 4, seq_kv 2: rows 0-1 see nothing → 0 (lse −inf), row 2 sees key 0 → 1, row 3 keys
 * 0-1 → 1.5. Then random shapes with seq_q <, ==, > seq_kv across tile boundaries. */
static void causal_alignment(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(3);
    const double V4[4] = {1, 2, 3, 4};
    const struct {
        size_t seq_q, seq_kv;
        double want[4], want_lse[4];
    } hand[] = {
        {2, 4, {2, 2.5}, {log(3.0), log(4.0)}},
        {4, 2, {0, 0, 1, 1.5}, {-HUGE_VAL, -HUGE_VAL, 0, log(2.0)}},
        {3, 3, {1, 1.5, 2}, {0, log(2.0), log(3.0)}},
    };
    for (size_t k = 0; k < 3; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, hand[k].seq_q, hand[k].seq_kv, 1, 1, 2, 1);
        d.flags = MHA_CAUSAL;
        problem p = problem_new(&d, false);
        memcpy(p.V, V4, hand[k].seq_kv * sizeof(double));
        result got = result_new(&p);
        run_checked(pr, &p, &got);
        assert_true(close_enough("causal by hand", got.out, hand[k].want, d.seq_q, 1e-7, 1e-7));
        assert_true(close_enough("causal lse", got.lse, hand[k].want_lse, d.seq_q, 1e-7, 1e-7));
        result_free(&got), problem_free(&p);
    }
    const size_t lens[][2] = {{10, 25},   {25, 25}, {25, 10}, {300, 280}, {280, 300},
                              {300, 300}, {1, 50},  {50, 1},  {257, 3}};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, lens[k][0], lens[k][1], 4, 2, 8, 8);
        d.flags = MHA_CAUSAL;
        d.batch = 2;
        size_t empty = check_desc(pr, &r, &d, false, 0, "causal");
        /* Rows i < seq_q − seq_kv see no key: that many per head and item. */
        size_t blind = lens[k][0] > lens[k][1] ? lens[k][0] - lens[k][1] : 0;
        assert_int_equal(empty, blind * d.n_heads * d.batch);
        check_desc(pr, &r, &d, true, 5, "causal with mask");
    }
}

/* One query row against a long cache, 32 query heads on 8 K/V heads, d_head 128: the stacked-
 * heads tile. With and without a padding mask hiding the cache's last 100 slots, per item. */
static void decode_long_cache(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(4);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 3000, 32, 8, 128, 128);
    check_desc(pr, &r, &d, false, 0, "decode");
    d.flags = MHA_CAUSAL; /* one row at the bottom sees everything */
    check_desc(pr, &r, &d, false, 0, "decode causal");
    d.batch = 2;
    d.batch_stride_mask = d.ld_mask;
    problem p = problem_new(&d, true);
    problem_fill(pr, &r, &p, 0);
    for (size_t b = 0; b < 2; b++)
        for (size_t j = 0; j < 3000; j++)
            p.M[b * d.batch_stride_mask + j] = j >= 3000 - 100 * (b + 1) ? -HUGE_VAL : 0;
    check_problem(pr, &p, "decode with padding mask");
    problem_free(&p);
}

/* Additive float masks: −inf entries, a key masked for every row, a row masked entirely, per-item
 * and shared masks, ld_mask wider than seq_kv. */
static void masks(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(5);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 20, 30, 4, 2, 8, 8);
    d.batch = 3;
    for (int shared = 0; shared < 2; shared++) {
        pad(&d, 3);
        if (shared)
            d.batch_stride_mask = 0;
        check_desc(pr, &r, &d, true, 4, "mask");
        check_desc(pr, &r, &d, true, 0, "mask without -inf");
        problem p = problem_new(&d, true);
        problem_fill(pr, &r, &p, 7);
        for (size_t i = 0; i < d.seq_q; i++) /* key 4 hidden from every row of item 0 */
            p.M[i * d.ld_mask + 4] = -HUGE_VAL;
        for (size_t j = 0; j < d.seq_kv; j++) /* row 2 of item 0 sees nothing */
            p.M[2 * d.ld_mask + j] = -HUGE_VAL;
        size_t empty = check_problem(pr, &p, "mask with hidden key and row");
        /* Row 2 of item 0 in every head; with a shared mask, of every item. */
        assert_true(empty >= d.n_heads * (shared ? d.batch : 1));
        problem_free(&p);
    }
}

static void dv_ne_dhead(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(6);
    const size_t dims[][2] = {{16, 4}, {4, 24}, {1, 7}, {64, 1}, {3, 130}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int causal = 0; causal < 2; causal++) {
            mha_attention_desc d;
            mha_attention_desc_init(&d, 19, 23, 4, 2, dims[k][0], dims[k][1]);
            d.flags = causal ? MHA_CAUSAL : 0;
            d.batch = 2;
            pad(&d, 1);
            check_desc(pr, &r, &d, true, 8, "d_v != d_head");
        }
}

/* Any finite scale, including 0 and negative ones. Scale 0 by hand: every score is 0, so each
 * row is the mean of its K/V head's V rows (V row j, column c of head g = j + 10·c + 100·g). */
static void custom_scale(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(7);
    const double scales[] = {0, -0.5, 2.5, -3, 1e-3, 40};
    for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 17, 21, 4, 2, 8, 6);
        d.scale = scales[k];
        check_desc(pr, &r, &d, true, 6, "scale");
        d.flags = MHA_CAUSAL;
        check_desc(pr, &r, &d, false, 0, "scale, causal");
    }
    mha_attention_desc d;
    mha_attention_desc_init(&d, 3, 5, 4, 2, 8, 2);
    d.scale = 0;
    problem p = problem_new(&d, false);
    problem_fill(pr, &r, &p, 0);
    for (size_t j = 0; j < 5; j++)
        for (size_t g = 0; g < 2; g++)
            for (size_t c = 0; c < 2; c++)
                p.V[j * d.ld_v + g * 2 + c] = (double)j + 10.0 * (double)c + 100.0 * (double)g;
    result got = result_new(&p);
    run_checked(pr, &p, &got);
    for (size_t i = 0; i < 3; i++)
        for (size_t h = 0; h < 4; h++)
            for (size_t c = 0; c < 2; c++) { /* mean of j over 0..4 is 2; head h uses g = h / 2 */
                double want = 2 + 10.0 * (double)c + 100.0 * (double)(h / 2);
                assert_true(fabs(got.out[i * d.ld_out + h * 2 + c] - want) <= 1e-5 * want);
            }
    for (size_t i = 0; i < p.nl; i++) /* lse = log Σ e⁰ = log 5 */
        assert_true(fabs(got.lse[i] - log(5.0)) <= 1e-6);
    result_free(&got), problem_free(&p);
}

/* Batches: per-item masks, one mask for all (batch_stride_mask 0), one K/V for all (batch
 * strides 0: a shared cache or prompt), even one Q for all. */
static void batches_shared_inputs(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(8);
    for (int variant = 0; variant < 5; variant++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 11, 26, 6, 2, 8, 4);
        d.batch = 4;
        pad(&d, variant);
        d.flags = variant % 2 ? MHA_CAUSAL : 0;
        if (variant == 1 || variant == 4)
            d.batch_stride_mask = 0;
        if (variant >= 2)
            d.batch_stride_k = d.batch_stride_v = 0;
        if (variant == 3)
            d.batch_stride_q = 0;
        check_desc(pr, &r, &d, true, 5, "batch");
        check_desc(pr, &r, &d, false, 0, "batch, no mask");
    }
    /* With shared K, V and Q, every item's output is the same (per-item masks off). */
    mha_attention_desc d;
    mha_attention_desc_init(&d, 7, 9, 2, 1, 4, 4);
    d.batch = 3;
    d.batch_stride_q = d.batch_stride_k = d.batch_stride_v = 0;
    problem p = problem_new(&d, false);
    problem_fill(pr, &r, &p, 0);
    result got = result_new(&p);
    run_checked(pr, &p, &got);
    for (size_t b = 1; b < 3; b++)
        assert_memory_equal(got.out, got.out + b * d.batch_stride_out,
                            d.batch_stride_out * sizeof(double));
    result_free(&got), problem_free(&p);
}

/* Strided views into one fused QKV buffer from mha_compute_qkv_fused: Q, K, V are column slices
 * of the same rows (ld 3·d_model), two items of seq rows each. The projection is checked against
 * ref_matmul, then attention on the library's own QKV against ref_attention on the same values. */
static void fused_qkv_views(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(9);
    enum { B = 2, S = 23, DM = 32, H = 4 };
    const size_t rows = B * S, w = 3 * DM;
    double *X = xcalloc(rows * DM, 8), *W = xcalloc(DM * w, 8), *ref_qkv = xcalloc(rows * w, 8);
    double *qkv = xcalloc(rows * w, 8);
    fill_uniform_f64(&r, X, rows * DM, -1, 1);
    fill_uniform_f64(&r, W, DM * w, -0.3, 0.3);
    round_to(pr, X, rows * DM), round_to(pr, W, DM * w);
    ref_matmul(X, W, rows, DM, w, ref_qkv);
    void *Xn = native_copy(pr, X, rows * DM), *Wn = native_copy(pr, W, DM * w),
         *QKV = xcalloc(rows * w, elem(pr));
    assert_int_equal(qkv_fused(pr, Xn, Wn, rows, DM, QKV), MHA_OK);
    for (size_t i = 0; i < rows * w; i++)
        qkv[i] = native_get(pr, QKV, i);
    /* 32-term dot products of values ≤ 1 and ≤ 0.3: float rounding ~1e-6; half types round each
     * output once more, by 2u·max|ref| at most (mha.h). */
    double max_ref = 0;
    for (size_t i = 0; i < rows * w; i++)
        max_ref = fabs(ref_qkv[i]) > max_ref ? fabs(ref_qkv[i]) : max_ref;
    assert_true(close_enough("fused projection", qkv, ref_qkv, rows * w,
                             (pr->f32 ? 1e-5 : 1e-13) + 2 * pr->half_u * max_ref, pr->rtol));
    for (int causal = 0; causal < 2; causal++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, S, S, H, H, DM / H, DM / H);
        d.batch = B;
        d.ld_q = d.ld_k = d.ld_v = w;
        d.batch_stride_q = d.batch_stride_k = d.batch_stride_v = S * w;
        d.flags = causal ? MHA_CAUSAL : 0;
        const size_t no = B * S * DM, nl = B * H * S;
        double *want = xcalloc(no, 8), *want_lse = xcalloc(nl, 8), *got = xcalloc(no, 8),
               *got_lse = xcalloc(nl, 8);
        void *out = xcalloc(no, elem(pr)), *lse = xcalloc(nl, real_elem(pr));
        ref_attention(&d, qkv, qkv + DM, qkv + 2 * DM, NULL, want, want_lse);
        assert_int_equal(attend(pr, &d, QKV, at(pr, QKV, DM), at(pr, QKV, 2 * DM), NULL, out, lse),
                         MHA_OK);
        for (size_t i = 0; i < no; i++)
            got[i] = native_get(pr, out, i);
        for (size_t i = 0; i < nl; i++)
            got_lse[i] = real_get(pr, lse, i);
        double max_v = 0; /* the values are the V columns of qkv: |V| ≤ max|qkv| */
        for (size_t i = 0; i < rows * w; i++)
            max_v = fabs(qkv[i]) > max_v ? fabs(qkv[i]) : max_v;
        assert_true(close_enough("fused views out", got, want, no,
                                 pr->atol + 3 * pr->half_u * max_v, pr->rtol));
        assert_true(close_enough("fused views lse", got_lse, want_lse, nl, pr->atol, pr->rtol));
        free(want), free(want_lse), free(got), free(got_lse), free(out), free(lse);
    }
    free(X), free(W), free(ref_qkv), free(qkv), free(Xn), free(Wn), free(QKV);
}

/* The seq × batch × d layout (PyTorch's batch_first=False): row i of item b at i·(batch·width) +
 * b·width, for Q, K, V, the mask and out alike. */
static void interleaved_layout(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(10);
    for (int causal = 0; causal < 2; causal++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 10, 12, 4, 2, 8, 6);
        d.batch = 3;
        d.flags = causal ? MHA_CAUSAL : 0;
        d.ld_q = 3 * (d.batch_stride_q = 4 * 8);
        d.ld_k = 3 * (d.batch_stride_k = 2 * 8);
        d.ld_v = 3 * (d.batch_stride_v = 2 * 6);
        d.ld_out = 3 * (d.batch_stride_out = 4 * 6);
        d.ld_mask = 3 * (d.batch_stride_mask = 12);
        check_desc(pr, &r, &d, true, 6, "interleaved");
        /* Interleaved with a gap after each item's slice of a row. */
        d.ld_out = 3 * (d.batch_stride_out = 4 * 6 + 2);
        check_desc(pr, &r, &d, false, 0, "interleaved, gaps");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Split-KV attention merged through lse                                                        */
/* ------------------------------------------------------------------------------------------ */

/* out_a/lse_a (keys [0, s)) merged with out_b/lse_b (keys [s, n)), item by item, into a fresh
 * buffer and in place into a; both must equal `full` within tol. */
static void merge_and_compare(const prec *pr, const mha_attention_desc *d, void *out_a, void *lse_a,
                              const void *out_b, const void *lse_b, const double *full,
                              const double *full_lse, size_t no, double tol, const char *what)
{
    const size_t nl = d->batch * d->n_heads * d->seq_q;
    void *out = xcalloc(no, elem(pr)), *lse = xcalloc(nl, elem(pr));
    double *got = xcalloc(no, 8), *got_lse = xcalloc(nl, 8);
    for (int in_place = 0; in_place < 2; in_place++) {
        for (size_t b = 0; b < d->batch; b++) {
            size_t o = b * d->batch_stride_out, l = b * d->n_heads * d->seq_q;
            void *dst = in_place ? out_a : out, *dst_lse = in_place ? lse_a : lse;
            assert_int_equal(merge(pr, d->seq_q, d->n_heads, d->d_v, d->ld_out, at(pr, out_a, o),
                                   at(pr, lse_a, l), at(pr, out_b, o), at(pr, lse_b, l),
                                   at(pr, dst, o), at(pr, dst_lse, l)),
                             MHA_OK);
        }
        for (size_t i = 0; i < no; i++)
            got[i] = native_get(pr, in_place ? out_a : out, i);
        for (size_t i = 0; i < nl; i++)
            got_lse[i] = native_get(pr, in_place ? lse_a : lse, i);
        if (!close_enough(what, got, full, no, tol, tol) ||
            !close_enough(what, got_lse, full_lse, nl, tol, tol))
            fail_msg("%s: %s merge", what, in_place ? "in-place" : "out-of-place");
    }
    free(out), free(lse), free(got), free(got_lse);
}

/* Attention over keys [0, n) equals the merge of attention over [0, s) and over [s, n): to 1e-12
 * in double (two softmaxes and a merge instead of one, all O(1) values), 1e-4 in float. The
 * sub-ranges offset K, V (and the mask) and set seq_kv; the causal structure of the full call is
 * written into an explicit −inf mask, sliced the same way (a sub-range's own bottom-right causal
 * flag would align to the wrong corner). Splits at 0 and n leave one side with no key at all, and
 * with seq_q > n or a causal split some rows see no key on one side or on both. */
static void split_kv_merge(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(11);
    const double tol = pr->f32 ? 1e-4 : 1e-12;
    const struct {
        size_t seq_q, n;
        bool causal, mask;
    } shapes[] = {{12, 20, false, false},
                  {12, 20, true, false},
                  {16, 10, true, true},
                  {1, 40, false, true},
                  {9, 9, true, false}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const size_t n = shapes[t].n;
        mha_attention_desc d;
        mha_attention_desc_init(&d, shapes[t].seq_q, n, 4, 2, 8, 6);
        d.batch = 2;
        d.batch_stride_mask = d.seq_q * d.ld_mask;
        d.flags = shapes[t].causal ? MHA_CAUSAL : 0;
        problem p = problem_new(&d, shapes[t].mask);
        problem_fill(pr, &r, &p, 6);
        /* The full call (causal by flag) and the reference. */
        result full = result_new(&p), want = result_new(&p);
        run_checked(pr, &p, &full);
        run_ref(&p, &want);
        assert_true(close_enough("full", full.out, want.out, p.no, pr->atol, pr->rtol));
        /* The same causal structure as an explicit mask (0 or the random mask where visible). */
        double *M = xcalloc(extent(d.batch, d.seq_q * n, d.seq_q, n, n), 8);
        for (size_t b = 0; b < d.batch; b++)
            for (size_t i = 0; i < d.seq_q; i++)
                for (size_t j = 0; j < n; j++) {
                    bool hidden =
                        shapes[t].causal && (double)j > (double)i + (double)n - (double)d.seq_q;
                    double m = p.M ? p.M[b * d.batch_stride_mask + i * d.ld_mask + j] : 0;
                    M[(b * d.seq_q + i) * n + j] = hidden ? -HUGE_VAL : m;
                }
        void *Qn = native_copy(pr, p.Q, p.nq), *Kn = native_copy(pr, p.K, p.nk),
             *Vn = native_copy(pr, p.V, p.nv), *Mn = native_copy(pr, M, d.batch * d.seq_q * n);
        void *out_a = xcalloc(p.no, elem(pr)), *lse_a = xcalloc(p.nl, elem(pr)),
             *out_b = xcalloc(p.no, elem(pr)), *lse_b = xcalloc(p.nl, elem(pr));
        const size_t splits[] = {0, 1, n / 3, n / 2, n - 1, n};
        for (size_t k = 0; k < sizeof splits / sizeof splits[0]; k++) {
            const size_t s = splits[k];
            mha_attention_desc da = d, db = d;
            da.flags = db.flags = 0;
            da.ld_mask = db.ld_mask = n;
            da.batch_stride_mask = db.batch_stride_mask = d.seq_q * n;
            da.seq_kv = s;
            db.seq_kv = n - s;
            assert_int_equal(attend(pr, &da, Qn, Kn, Vn, Mn, out_a, lse_a), MHA_OK);
            assert_int_equal(attend(pr, &db, Qn, at(pr, Kn, s * d.ld_k), at(pr, Vn, s * d.ld_v),
                                    at(pr, Mn, s), out_b, lse_b),
                             MHA_OK);
            merge_and_compare(pr, &d, out_a, lse_a, out_b, lse_b, full.out, full.lse, p.no, tol,
                              "split");
        }
        /* The natural decode/prefill split needs no mask: the cache [0, n − seq_q) is visible to
         * every query, and the last seq_q keys are causal with their own bottom-right flag. */
        if (shapes[t].causal && !shapes[t].mask && n >= d.seq_q) {
            const size_t s = n - d.seq_q;
            mha_attention_desc da = d, db = d;
            da.flags = 0;
            da.seq_kv = s;
            db.seq_kv = n - s;
            assert_int_equal(attend(pr, &da, Qn, Kn, Vn, NULL, out_a, lse_a), MHA_OK);
            assert_int_equal(attend(pr, &db, Qn, at(pr, Kn, s * d.ld_k), at(pr, Vn, s * d.ld_v),
                                    NULL, out_b, lse_b),
                             MHA_OK);
            merge_and_compare(pr, &d, out_a, lse_a, out_b, lse_b, full.out, full.lse, p.no, tol,
                              "cache + causal suffix");
        }
        free(M), free(Qn), free(Kn), free(Vn), free(Mn);
        free(out_a), free(lse_a), free(out_b), free(lse_b);
        result_free(&full), result_free(&want), problem_free(&p);
    }
}

/* The key-blocked schedule (online softmax, FlashAttention-2's order) where it differs from one
 * pass: key counts that are not multiples of the block and one key, row maxima that jump by ±1e4
 * from block to block (the rescale must neither overflow nor lose the earlier blocks), keys hidden
 * for whole blocks before visible ones, causal with seq_q ≠ seq_kv. The shipped library blocks
 * above 1024 keys, in 512s; test_general_small_blocks runs this file on a copy that blocks above
 * 32 keys in 16s (tests/meson.build), so every case below walks many blocks there. */
static void key_blocks(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(12);
    const size_t lens[] = {1, 17, 33, 47, 64, 100, 4096 + 700};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 9, lens[k], 4, 2, 8, 6);
        d.batch = 2;
        check_desc(pr, &r, &d, false, 0, "key blocks");
        check_desc(pr, &r, &d, true, 3, "key blocks with mask");
        d.flags = MHA_CAUSAL;
        check_desc(pr, &r, &d, true, 0, "key blocks causal");
    }
    /* Row maxima jumping by ±1e4 between periods of 16 and of 512 keys: up, down, and back to
     * within half a unit of an earlier maximum, so that both sides of each jump still count. */
    const double jumps[][4] = {{-1e4, 1e4, -1e4, 1e4 + 0.5}, {1e4, -1e4, 1e4 - 0.5, -1e4}};
    const size_t periods[] = {16, 512};
    for (size_t pi = 0; pi < 2; pi++) {
        for (size_t ji = 0; ji < 2; ji++) {
            mha_attention_desc d;
            size_t period = periods[pi];
            mha_attention_desc_init(&d, 5, 4 * period + 4100 * pi + 3, 2, 1, 8, 8);
            problem p = problem_new(&d, true);
            problem_fill(pr, &r, &p, 0);
            /* Q = 0: every score is the mask's entry, ±1e4 plus a multiple of 2^−10 in [−2, 2],
             * exact in float too, so no score rounds and only the exps are compared. */
            memset(p.Q, 0, p.nq * sizeof *p.Q);
            for (size_t i = 0; i < d.seq_q; i++)
                for (size_t j = 0; j < d.seq_kv; j++)
                    p.M[i * d.ld_mask + j] =
                        jumps[ji][j / period % 4] + (double)rng_range(&r, 0, 4096) / 1024 - 2;
            check_problem(pr, &p, "maxima jumping by 1e4");
            /* Whole periods hidden before the visible keys; the first row sees nothing. */
            for (size_t i = 0; i < d.seq_q; i++)
                for (size_t j = 0; j < d.seq_kv; j++)
                    p.M[i * d.ld_mask + j] = i == 0 || j < 2 * period ? -HUGE_VAL : 0;
            size_t empty = check_problem(pr, &p, "hidden blocks, then visible ones");
            assert_int_equal(empty, d.n_heads);
            problem_free(&p);
        }
    }
    /* Causal with seq_q ≠ seq_kv across blocks: rows see key counts that end inside blocks. */
    const size_t causal[][2] = {{40, 100}, {100, 40}, {33, 4096 + 33}};
    for (size_t k = 0; k < 3; k++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, causal[k][0], causal[k][1], 2, 1, 8, 8);
        d.flags = MHA_CAUSAL;
        check_desc(pr, &r, &d, true, 7, "causal across key blocks");
    }
}

/* A ragged batch (kv_lens): lengths 0, below seq_q (causal rows that see nothing), odd and full,
 * with GQA, masks, causal and padded strides; item b must equal the call on its first kv_lens[b]
 * keys (the reference runs exactly that). Several query-row counts, so both the decode shapes and
 * the tiled ones are covered, and lengths cross the small-block library's key blocks. */
static void ragged_kv_lens(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(31);
    const size_t lens[] = {0, 3, 80, 1, 47, 100};
    for (size_t q = 0; q < 4; q++)
        for (int causal = 0; causal < 2; causal++)
            for (int masked = 0; masked < 2; masked++) {
                const size_t seq_q = (size_t[]){1, 2, 5, 20}[q];
                mha_attention_desc d;
                mha_attention_desc_init(&d, seq_q, 100, 8, 2, 16, 8);
                d.batch = sizeof lens / sizeof lens[0];
                d.kv_lens = lens;
                d.flags = causal ? MHA_CAUSAL : 0;
                pad(&d, 1);
                check_desc(pr, &r, &d, masked, masked ? 5 : 0, "ragged kv_lens");
            }
}

/* The decode path (few query rows per kv group: seq_q · n_heads / n_kv_heads ≤ 32) on every
 * option: GQA and MQA, causal with seq_q > 1, masks with −inf, lse, d_v ≠ d_head and widths off
 * the vector lanes, padded strides, batches with ragged lengths (0 included). Random
 * combinations, each against the reference; the small-block copy of the library cuts these caches
 * into many key blocks and split-KV chunks. */
static void decode_path(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(41);
    const size_t heads[][2] = {{8, 2}, {8, 1}, {32, 1}, {4, 4}, {6, 3}, {32, 8}};
    const size_t widths[][2] = {{16, 16}, {7, 5}, {64, 32}, {33, 40}, {128, 128}, {1, 17}};
    for (size_t k = 0; k < 36; k++) {
        const size_t *hd = heads[k % 6], *w = widths[rng_range(&r, 0, 5)];
        size_t group = hd[0] / hd[1], seq_q = rng_range(&r, 1, 3);
        while (seq_q * group > 32)
            seq_q--;
        const size_t seq_kv = rng_range(&r, 1, 300);
        mha_attention_desc d;
        mha_attention_desc_init(&d, seq_q, seq_kv, hd[0], hd[1], w[0], w[1]);
        d.flags = rng_range(&r, 0, 1) ? MHA_CAUSAL : 0;
        d.batch = rng_range(&r, 1, 3);
        size_t lens[3];
        for (size_t b = 0; b < 3; b++)
            lens[b] = b == 1 ? 0 : rng_range(&r, 0, seq_kv);
        if (rng_range(&r, 0, 1))
            d.kv_lens = lens;
        if (rng_range(&r, 0, 1))
            pad(&d, rng_range(&r, 1, 3));
        bool mask = rng_range(&r, 0, 1);
        check_desc(pr, &r, &d, mask, mask ? 4 : 0, "decode path");
    }
}

/* Split-KV at the shipped chunk size: 32 query heads over one kv head at batch 1 (MQA), and over 2
 * at batch 2, ragged, so that fewer (item, group) pairs than 16 cut the keys into chunks. */
static void decode_split_kv(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(42);
    const size_t lens[2] = {4097, 9000};
    for (int causal = 0; causal < 2; causal++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 1, 9000, 32, 1, 8, 8);
        d.flags = causal ? MHA_CAUSAL : 0;
        check_desc(pr, &r, &d, false, 0, "split-kv mqa");
        mha_attention_desc_init(&d, 2, 9000, 16, 2, 4, 6);
        d.flags = causal ? MHA_CAUSAL : 0;
        d.batch = 2;
        d.kv_lens = lens;
        check_desc(pr, &r, &d, causal == 1, 9, "split-kv ragged");
    }
}

/* d_head == 0 (the zero-score schedule): every score is the empty dot product 0, so a row's
 * weights come from its visible keys and the mask alone. Against the reference on every option:
 * with and without a mask (−inf entries, rows masked whole), causal with seq_q <, = and > seq_kv,
 * ragged lengths (0 included), GQA and MQA, padded row and batch strides, shared K/V and mask,
 * d_v 0 (the lse alone) and > 0, no keys at all; decode shapes (few rows per kv group) and rows
 * that cross the tiles (256 rows; the small-block library's 16). Then special masks (a NaN or a
 * +inf entry gives a NaN row, all −inf gives zeros and −inf, huge finite entries stay finite), and
 * by hand: V row j = j + 1 in one column, so a row that sees n keys is (n + 1)/2. */
static void zero_width_scores(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(51);
    const size_t heads[][2] = {{4, 2}, {8, 1}, {3, 3}, {6, 3}};
    const size_t dvs[] = {0, 1, 5, 16};
    for (size_t k = 0; k < 24; k++) {
        const size_t *hd = heads[k % 4], seq_q = (size_t[]){1, 3, 20, 37, 300, 5}[k % 6];
        const size_t seq_kv = (size_t[]){53, 7, 0, 300, 1}[k % 5];
        mha_attention_desc d;
        mha_attention_desc_init(&d, seq_q, seq_kv, hd[0], hd[1], 0, dvs[k / 6]);
        d.flags = k % 2 ? MHA_CAUSAL : 0;
        d.batch = rng_range(&r, 1, 3);
        size_t ragged[3];
        for (size_t b = 0; b < 3; b++)
            ragged[b] = b == 1 ? 0 : rng_range(&r, 0, seq_kv);
        if (k % 3 == 1)
            d.kv_lens = ragged;
        if (k % 4 != 0)
            pad(&d, 1 + k % 3);
        if (k % 5 == 2)
            d.batch_stride_k = d.batch_stride_v = d.batch_stride_mask = 0;
        check_desc(pr, &r, &d, false, 0, "zero-width scores");
        check_desc(pr, &r, &d, true, 4, "zero-width scores with mask");
        check_desc(pr, &r, &d, true, 0, "zero-width scores with finite mask");
    }
    /* Special mask entries, one row each: NaN, +inf, all −inf, ±2^100 (finite: the max is
     * subtracted first, so the lse is 2^100 exactly), ordinary, NaN among −infs. */
    mha_attention_desc d;
    mha_attention_desc_init(&d, 6, 6, 4, 2, 0, 3);
    problem p = problem_new(&d, true);
    problem_fill(pr, &r, &p, 0);
    p.M[0 * d.ld_mask + 2] = (double)NAN;
    p.M[1 * d.ld_mask + 4] = HUGE_VAL;
    for (size_t j = 0; j < d.seq_kv; j++)
        p.M[2 * d.ld_mask + j] = -HUGE_VAL;
    p.M[3 * d.ld_mask + 1] = 0x1p100, p.M[3 * d.ld_mask + 5] = -0x1p100;
    for (size_t j = 0; j < d.seq_kv; j++)
        p.M[5 * d.ld_mask + j] = j == 3 ? (double)NAN : -HUGE_VAL;
    result got = result_new(&p), want = result_new(&p);
    run_ref(&p, &want);
    run_checked(pr, &p, &got);
    assert_true(close_enough("zero-width special masks", got.out, want.out, p.no, out_atol(pr, &p),
                             pr->rtol));
    assert_true(
        close_enough("zero-width special lse", got.lse, want.lse, p.nl, pr->atol, pr->rtol));
    for (size_t h = 0; h < d.n_heads; h++) {
        assert_true(isnan(got.lse[h * d.seq_q]) && isnan(got.lse[h * d.seq_q + 1]) &&
                    isnan(got.lse[h * d.seq_q + 5]));
        assert_true(got.lse[h * d.seq_q + 2] == -HUGE_VAL && got.lse[h * d.seq_q + 3] == 0x1p100);
    }
    result_free(&got), result_free(&want), problem_free(&p);
    /* By hand, causal, 4 rows over 6 keys, 2 heads on 1 kv head: row i sees i + 3 keys, so out
     * is (i + 4)/2 and lse log(i + 3). */
    mha_attention_desc_init(&d, 4, 6, 2, 1, 0, 1);
    d.flags = MHA_CAUSAL;
    p = problem_new(&d, false);
    for (size_t j = 0; j < d.seq_kv; j++)
        p.V[j] = (double)j + 1;
    got = result_new(&p);
    run_checked(pr, &p, &got);
    for (size_t h = 0; h < 2; h++)
        for (size_t i = 0; i < 4; i++) {
            assert_true(fabs(got.out[i * d.ld_out + h] - (double)(i + 4) / 2) <= 1e-6);
            assert_true(fabs(got.lse[h * 4 + i] - log((double)(i + 3))) <= 1e-6);
        }
    result_free(&got), problem_free(&p);
}

#define BOTH(name)                                                                                 \
    cmocka_unit_test_prestate(name, (void *)&F32), cmocka_unit_test_prestate(name, (void *)&F64)
/* The half types too (mha.h "Half precision"), on the same cases. */
#define ALL(name)                                                                                  \
    BOTH(name), cmocka_unit_test_prestate(name, (void *)&BF16),                                    \
        cmocka_unit_test_prestate(name, (void *)&F16)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ALL(cross_lengths),
        ALL(gqa_mqa),
        ALL(causal_alignment),
        ALL(decode_long_cache),
        ALL(masks),
        ALL(dv_ne_dhead),
        ALL(custom_scale),
        ALL(batches_shared_inputs),
        ALL(fused_qkv_views),
        ALL(interleaved_layout),
        BOTH(split_kv_merge),
        ALL(key_blocks),
        ALL(ragged_kv_lens),
        ALL(decode_path),
        ALL(decode_split_kv),
        ALL(zero_width_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
