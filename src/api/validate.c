/* SPDX-License-Identifier: MIT */
/* Argument rules, checked size arithmetic and the overlap test. Every rule runs before anything
 * is allocated or written, so "outputs untouched on error" holds by construction. Order of the
 * checks, and so which status wins when several rules are broken: the caller's descriptor read
 * (NULL, then its struct_size: desc_read.h), then invalid argument, too large, null pointer,
 * overlap. Past the read, every rule sees the full copy of the descriptor, never the caller's. */
#include "validate.h"

#include "desc_read.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static bool fits_blas(size_t n)
{
    return n <= (size_t)INT_MAX;
}

/* A GEMM's sizes must fit the BLAS's int, but an empty call runs no GEMM: a size it would have
 * handed over never rejects it (mha.h, "a zero dimension is a valid empty call"). */
static bool gemm_fits_blas(size_t m, size_t n, size_t k)
{
    return m == 0 || n == 0 || k == 0 || (fits_blas(m) && fits_blas(n) && fits_blas(k));
}

/* Each output against every input and every other output. */
static mha_status check_overlaps(const mha_span *outs, size_t n_out, const mha_span *ins,
                                 size_t n_in)
{
    for (size_t o = 0; o < n_out; o++) {
        for (size_t i = 0; i < n_in; i++)
            if (mha_spans_overlap(outs[o], ins[i]))
                return MHA_ERR_OVERLAP;
        for (size_t p = o + 1; p < n_out; p++)
            if (mha_spans_overlap(outs[o], outs[p]))
                return MHA_ERR_OVERLAP;
    }
    return MHA_OK;
}

/* Spans of n buffers: the first failure's status, in buffer order. */
static mha_status spans_of(const void *const *ptrs, const mha_layout *ls, size_t n, size_t elem,
                           mha_span *out)
{
    for (size_t i = 0; i < n; i++) {
        mha_status s = mha_span_of(ptrs[i], elem, ls[i], &out[i]);
        if (s != MHA_OK)
            return s;
    }
    return MHA_OK;
}

static mha_layout matrix(size_t rows, size_t cols)
{
    return (mha_layout){1, 0, rows, cols, cols};
}

mha_status mha_validate_qkv(mha_dtype t, const void *X, const void *const W[3], size_t seq_len,
                            size_t d_model, void *const out[3])
{
    if (!gemm_fits_blas(seq_len, d_model, d_model))
        return MHA_ERR_TOO_LARGE;
    const void *in_ptrs[4] = {X, W[0], W[1], W[2]};
    const mha_layout in_ls[4] = {matrix(seq_len, d_model), matrix(d_model, d_model),
                                 matrix(d_model, d_model), matrix(d_model, d_model)};
    const void *out_ptrs[3] = {out[0], out[1], out[2]};
    const mha_layout out_ls[3] = {in_ls[0], in_ls[0], in_ls[0]};
    mha_span ins[4], outs[3];
    size_t elem = mha_dtype_store_size(t);
    mha_status s = spans_of(in_ptrs, in_ls, 4, elem, ins);
    if (s == MHA_OK)
        s = spans_of(out_ptrs, out_ls, 3, elem, outs);
    return s != MHA_OK ? s : check_overlaps(outs, 3, ins, 4);
}

mha_status mha_validate_qkv_fused(mha_dtype t, const void *X, const void *W_qkv, size_t seq_len,
                                  size_t d_model, const void *QKV)
{
    size_t width;
    if (!mha_mul_ok(d_model, 3, &width) || !gemm_fits_blas(seq_len, width, d_model))
        return MHA_ERR_TOO_LARGE;
    const void *in_ptrs[2] = {X, W_qkv};
    const mha_layout in_ls[2] = {matrix(seq_len, d_model), matrix(d_model, width)};
    mha_span ins[2], out;
    size_t elem = mha_dtype_store_size(t);
    mha_status s = spans_of(in_ptrs, in_ls, 2, elem, ins);
    if (s == MHA_OK)
        s = mha_span_of(QKV, elem, matrix(seq_len, width), &out);
    return s != MHA_OK ? s : check_overlaps(&out, 1, ins, 2);
}

/* Rules on the descriptor alone (no pointer, no size product). */
static mha_status check_desc_rules(const mha_attention_desc *d, mha_dtype t)
{
    if (d->n_heads == 0 || d->n_kv_heads == 0 || d->n_heads % d->n_kv_heads != 0)
        return MHA_ERR_INVALID_ARGUMENT;
    /* The scale is applied in the working precision: it must be finite there too. */
    if ((d->flags & ~MHA_CAUSAL) != 0 || !(fabs(d->scale) <= mha_dtype_real_max(t)))
        return MHA_ERR_INVALID_ARGUMENT;
    size_t q_w, k_w, v_w, o_w;
    if (!mha_mul_ok(d->n_heads, d->d_head, &q_w) || !mha_mul_ok(d->n_kv_heads, d->d_head, &k_w) ||
        !mha_mul_ok(d->n_kv_heads, d->d_v, &v_w) || !mha_mul_ok(d->n_heads, d->d_v, &o_w))
        return MHA_ERR_TOO_LARGE;
    if (d->ld_q < q_w || d->ld_k < k_w || d->ld_v < v_w || d->ld_out < o_w ||
        d->ld_mask < d->seq_kv)
        return MHA_ERR_INVALID_ARGUMENT;
    /* A ragged batch's lengths: each within the padded cache (its buffers are sized by seq_kv).
     * An empty batch has none to read. */
    for (size_t b = 0; d->kv_lens != NULL && b < d->batch; b++)
        if (d->kv_lens[b] > d->seq_kv)
            return MHA_ERR_INVALID_ARGUMENT;
    return MHA_OK;
}

/* Batch items of out must not overlap each other: either one item ends before the next begins,
 * or items interleave row by row (a seq × batch × d layout, as PyTorch's batch_first=False). */
static bool out_items_disjoint(const mha_attention_desc *d)
{
    size_t width = d->n_heads * d->d_v, item, interleaved;
    if (d->batch <= 1 || d->seq_q == 0 || width == 0)
        return true;
    /* An item spans (seq_q − 1)·ld_out + width elements: the next may start in its last row's
     * padding. */
    if (mha_extent_of((mha_layout){1, 0, d->seq_q, d->ld_out, width}, &item) &&
        d->batch_stride_out >= item)
        return true;
    return d->batch_stride_out >= width &&
           mha_mul_ok(d->batch - 1, d->batch_stride_out, &interleaved) &&
           mha_add_ok(interleaved, width, &interleaved) && d->ld_out >= interleaved;
}

/* What the BLAS is handed must fit its int: GEMM sizes and leading dimensions. */
static bool fits_blas_desc(const mha_attention_desc *d)
{
    return fits_blas(d->seq_kv) && fits_blas(d->d_head) && fits_blas(d->d_v) &&
           fits_blas(d->ld_q) && fits_blas(d->ld_k) && fits_blas(d->ld_v) && fits_blas(d->ld_out) &&
           fits_blas(d->n_heads) && d->seq_q < SIZE_MAX - d->seq_kv; /* i + 1 + seq_kv */
}

/* The empty call of mha.h: no tile to compute, so nothing reaches the BLAS and nothing is
 * planned or allocated. With d_v == 0 the lse alone is still work. */
static bool attention_is_empty(const mha_attention_desc *d, bool has_lse)
{
    return d->batch == 0 || d->seq_q == 0 || (d->d_v == 0 && !has_lse);
}

/* The layouts of Q, K, V, mask (inputs) and out, lse, workspace (outputs), in that order; absent
 * optional buffers get an empty layout. */
enum { N_IN = 4, N_OUT = 3 };
static void attention_layouts(const mha_attention_desc *d, const mha_plan *plan,
                              const mha_attention_buffers *b, mha_layout ls[N_IN + N_OUT])
{
    ls[0] = (mha_layout){d->batch, d->batch_stride_q, d->seq_q, d->ld_q, d->n_heads * d->d_head};
    ls[1] =
        (mha_layout){d->batch, d->batch_stride_k, d->seq_kv, d->ld_k, d->n_kv_heads * d->d_head};
    ls[2] = (mha_layout){d->batch, d->batch_stride_v, d->seq_kv, d->ld_v, d->n_kv_heads * d->d_v};
    ls[3] =
        (mha_layout){b->mask ? d->batch : 0, d->batch_stride_mask, d->seq_q, d->ld_mask, d->seq_kv};
    ls[4] = (mha_layout){d->batch, d->batch_stride_out, d->seq_q, d->ld_out, d->n_heads * d->d_v};
    /* lse: batch·n_heads rows of seq_q; the item stride's product is checked by the caller. */
    ls[5] =
        (mha_layout){b->lse ? d->batch : 0, d->n_heads * d->seq_q, d->n_heads, d->seq_q, d->seq_q};
    ls[6] = (mha_layout){b->has_workspace ? 1 : 0, 0, 1, plan->ws_bytes, plan->ws_bytes};
}

/* Bytes per element of each buffer of attention_layouts: the matrices are stored in the type's
 * storage, the mask and the lse are in its arithmetic, the workspace is counted in bytes. */
static void attention_elem_sizes(mha_dtype t, size_t sizes[N_IN + N_OUT])
{
    size_t store = mha_dtype_store_size(t), real = mha_dtype_real_size(t);
    const size_t each[N_IN + N_OUT] = {store, store, store, real, store, real, 1};
    memcpy(sizes, each, sizeof each);
}

/* Every buffer's extent, in bytes, fits size_t (TOO_LARGE before any NULL_POINTER). */
static bool extents_fit(const mha_layout ls[N_IN + N_OUT], mha_dtype t)
{
    size_t extent, elem[N_IN + N_OUT];
    attention_elem_sizes(t, elem);
    for (size_t i = 0; i < N_IN + N_OUT; i++)
        if (!mha_extent_of(ls[i], &extent) || !mha_mul_ok(extent, elem[i], &extent))
            return false;
    return true;
}

/* The descriptor's rules, then (for a call that does work) the BLAS's limits and the plan, then
 * the extents of the buffers in *b that are there. */
static mha_status validate_shape(const mha_attention_desc *d, mha_dtype t,
                                 const mha_attention_buffers *b, mha_plan *plan)
{
    mha_status s = check_desc_rules(d, t);
    if (s != MHA_OK)
        return s;
    bool empty = attention_is_empty(d, b->lse != NULL);
    size_t lse_stride;
    /* The lse's item stride, n_heads·seq_q: its extent check below could not see it wrap. */
    if ((!empty && !fits_blas_desc(d)) ||
        (b->lse != NULL && d->batch > 0 && !mha_mul_ok(d->n_heads, d->seq_q, &lse_stride)))
        return MHA_ERR_TOO_LARGE;
    if (!out_items_disjoint(d))
        return MHA_ERR_INVALID_ARGUMENT;
    *plan = (mha_plan){0};
    if (!empty && !mha_plan_attention(d, t, plan))
        return MHA_ERR_TOO_LARGE;
    mha_layout ls[N_IN + N_OUT];
    attention_layouts(d, plan, b, ls);
    return extents_fit(ls, t) ? MHA_OK : MHA_ERR_TOO_LARGE;
}

mha_status mha_validate_desc(const mha_attention_desc *caller, mha_dtype t, mha_plan *plan)
{
    /* Sized for the call that needs most: with an lse (the only work when d_v == 0). */
    static const float lse_placeholder;
    const mha_attention_buffers sizing = {.lse = &lse_placeholder};
    mha_attention_desc d;
    mha_status s = mha_desc_read(caller, &d);
    return s != MHA_OK ? s : validate_shape(&d, t, &sizing, plan);
}

mha_status mha_validate_attention(const mha_attention_desc *caller, mha_dtype t,
                                  const mha_attention_buffers *b, mha_attention_desc *d,
                                  mha_plan *plan)
{
    mha_status s = mha_desc_read(caller, d);
    if (s == MHA_OK)
        s = validate_shape(d, t, b, plan);
    if (s != MHA_OK)
        return s;
    /* The caller's workspace counts up to the queried size, even where fewer workers then use
     * less of it: which bytes are the library's must not depend on the worker count. */
    size_t ws_checked = b->ws_bytes < plan->ws_bytes ? b->ws_bytes : plan->ws_bytes;
    if (b->has_workspace && !mha_plan_fit_workspace(plan, b->ws_bytes))
        return MHA_ERR_WORKSPACE_TOO_SMALL;
    mha_layout ls[N_IN + N_OUT];
    attention_layouts(d, plan, b, ls);
    if (b->has_workspace)
        ls[6] = (mha_layout){1, 0, 1, ws_checked, ws_checked};
    /* The caller's workspace is written, so it is checked as one more output (in bytes). */
    const void *ptrs[N_IN + N_OUT] = {b->Q, b->K, b->V, b->mask, b->out, b->lse, b->workspace};
    mha_span spans[N_IN + N_OUT];
    size_t elem[N_IN + N_OUT];
    attention_elem_sizes(t, elem);
    for (size_t i = 0; s == MHA_OK && i < N_IN + N_OUT; i++)
        s = mha_span_of(ptrs[i], elem[i], ls[i], &spans[i]);
    return s != MHA_OK ? s : check_overlaps(spans + N_IN, N_OUT, spans, N_IN);
}

mha_status mha_validate_merge(mha_dtype t, size_t rows, size_t n_heads, size_t d_v, size_t ld,
                              const void *out_a, const void *lse_a, const void *out_b,
                              const void *lse_b, const void *out, const void *lse)
{
    size_t width;
    if (!mha_mul_ok(n_heads, d_v, &width))
        return MHA_ERR_TOO_LARGE;
    if (ld < width)
        return MHA_ERR_INVALID_ARGUMENT;
    const mha_layout o = {1, 0, rows, ld, width}, l = matrix(n_heads, rows);
    const void *in_ptrs[4] = {out_a, lse_a, out_b, lse_b};
    const mha_layout in_ls[4] = {o, l, o, l};
    const void *out_ptrs[2] = {out, lse};
    const mha_layout out_ls[2] = {o, l};
    mha_span ins[4], outs[2];
    size_t elem = mha_dtype_real_size(t); /* the merge runs on partial results in REAL */
    mha_status s = spans_of(in_ptrs, in_ls, 4, elem, ins);
    if (s == MHA_OK)
        s = spans_of(out_ptrs, out_ls, 2, elem, outs);
    if (s != MHA_OK)
        return s;
    /* In-place accumulation (out == out_a, lse == lse_a) is allowed: compare against a's spans
     * only when the output does not start exactly on them. */
    mha_span against[4] = {ins[0], ins[1], ins[2], ins[3]};
    if (out == out_a)
        against[0] = (mha_span){0, 0};
    if (lse == lse_a)
        against[1] = (mha_span){0, 0};
    return check_overlaps(outs, 2, against, 4);
}

/* Both byte counts before any pointer, so that TOO_LARGE wins over NULL_POINTER as in the rest of
 * this file. */
mha_status mha_validate_convert(const void *src, size_t src_elem, const void *dst, size_t dst_elem,
                                size_t n)
{
    size_t bytes;
    if (!mha_mul_ok(n, src_elem, &bytes) || !mha_mul_ok(n, dst_elem, &bytes))
        return MHA_ERR_TOO_LARGE;
    mha_span in, out;
    mha_status s = mha_span_of(src, src_elem, matrix(1, n), &in);
    if (s == MHA_OK)
        s = mha_span_of(dst, dst_elem, matrix(1, n), &out);
    return s != MHA_OK ? s : check_overlaps(&out, 1, &in, 1);
}
