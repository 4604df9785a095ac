/* SPDX-License-Identifier: MIT */
/* The rules of a ring call. Order (and so which status wins on one rank): the communicator,
 * then this rank's arguments as mha_attention() orders them (the descriptor read within its
 * struct_size, invalid argument, too large, null pointer, overlap); then, collectively, the lowest
 * failing rank's status, then agreement of shapes across ranks; then sizes that need every shard's
 * length, and allocation. */
#include "ring_check.h"

#include "desc_read.h"
#include "mha_mpi.h"
#include "span.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

mha_status mha_ring_open(MPI_Comm comm, int *rank, int *size)
{
    int initialized = 0, finalized = 0, inter = 0;
    if (MPI_Initialized(&initialized) != MPI_SUCCESS || !initialized ||
        MPI_Finalized(&finalized) != MPI_SUCCESS || finalized)
        return MHA_ERR_MPI;
    if (comm == MPI_COMM_NULL)
        return MHA_ERR_INVALID_ARGUMENT;
    if (MPI_Comm_test_inter(comm, &inter) != MPI_SUCCESS)
        return MHA_ERR_MPI;
    /* Every rank of an intercommunicator gets the same answer: rejecting it is collective. */
    if (inter)
        return MHA_ERR_INVALID_ARGUMENT;
    if (MPI_Comm_rank(comm, rank) != MPI_SUCCESS || MPI_Comm_size(comm, size) != MPI_SUCCESS)
        return MHA_ERR_MPI;
    return MHA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* This rank's buffers: the same span rules as validate.c (src/span.h)                         */

enum { IN_Q, IN_K, IN_V, OUT_O, OUT_LSE, N_BUF };

mha_status mha_ring_check_local(const mha_ring_args *a, mha_attention_desc *d)
{
    /* NULL, then struct_size, before any other rule, as in mha_attention(). */
    mha_status s = mha_desc_read(a->desc, d);
    if (s != MHA_OK)
        return s;
    /* The ring's shards are whole sequences: a ragged batch (kv_lens) is not supported. */
    if (d->seq_q != d->seq_kv || d->kv_lens != NULL ||
        (a->layout != MHA_RING_CONTIGUOUS && a->layout != MHA_RING_ZIGZAG))
        return MHA_ERR_INVALID_ARGUMENT;
    /* The descriptor's rules are mha_attention()'s, asked through its public workspace query.
     * The mask fields are neutralised: the ring call has no mask, so they must not matter. */
    mha_attention_desc v = *d;
    v.ld_mask = v.seq_kv;
    v.batch_stride_mask = 0;
    size_t ws;
    s = a->ws_query(&v, &ws);
    if (s != MHA_OK)
        return s;
    /* Widths and n_heads·seq_q passed the query's overflow checks. */
    const size_t n = d->seq_q, lse_n = d->n_heads * n;
    const mha_layout ls[N_BUF] = {
        [IN_Q] = {d->batch, d->batch_stride_q, n, d->ld_q, d->n_heads * d->d_head},
        [IN_K] = {d->batch, d->batch_stride_k, n, d->ld_k, d->n_kv_heads * d->d_head},
        [IN_V] = {d->batch, d->batch_stride_v, n, d->ld_v, d->n_kv_heads * d->d_v},
        [OUT_O] = {d->batch, d->batch_stride_out, n, d->ld_out, d->n_heads * d->d_v},
        [OUT_LSE] = {d->batch, lse_n, 1, lse_n, a->lse ? lse_n : 0},
    };
    const void *const ptrs[N_BUF] = {a->Q, a->K, a->V, a->out, a->lse};
    mha_span sp[N_BUF];
    for (int i = 0; i < N_BUF; i++)
        if ((s = mha_span_of(ptrs[i], i == OUT_LSE ? a->real_elem : a->elem, ls[i], &sp[i])) !=
            MHA_OK)
            return s;
    /* Outputs against inputs and each other; inputs may alias each other. */
    for (int o = OUT_O; o < N_BUF; o++)
        for (int i = 0; i < N_BUF; i++)
            if (i != o && mha_spans_overlap(sp[o], sp[i]))
                return MHA_ERR_OVERLAP;
    return MHA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Agreement                                                                                   */

/* A status as a key whose maximum over ranks is the lowest failing rank's status: the rank in
 * the high bits (lower rank, larger key), the pinned status value (< 256) in the low byte. */
static uint64_t status_key(mha_status s, int rank, int size)
{
    return s == MHA_OK ? 0 : (uint64_t)(size - rank) << 8 | ((uint64_t)s & 0xffu);
}

static mha_status key_status(uint64_t key)
{
    return (mha_status)(key & 0xffu);
}

enum { N_SHAPE = 8 };

mha_status mha_ring_agree_args(MPI_Comm comm, int rank, int size, mha_status local,
                               const mha_attention_desc *desc, mha_ring_layout layout)
{
    /* One MPI_MAX reduction answers both questions: the key, and for each shape field its
     * maximum and (as the maximum of its complement) its minimum — equal on all ranks iff
     * max == min. A failing rank contributes zeros, the identity of an unsigned maximum. */
    uint64_t v[1 + 2 * N_SHAPE] = {0};
    v[0] = status_key(local, rank, size);
    if (local == MHA_OK) {
        uint64_t scale_bits;
        memcpy(&scale_bits, &desc->scale, sizeof scale_bits);
        const uint64_t f[N_SHAPE] = {desc->batch, desc->n_heads, desc->n_kv_heads, desc->d_head,
                                     desc->d_v,   desc->flags,   scale_bits,       layout};
        for (int i = 0; i < N_SHAPE; i++) {
            v[1 + i] = f[i];
            v[1 + N_SHAPE + i] = ~f[i];
        }
    }
    if (MPI_Allreduce(MPI_IN_PLACE, v, 1 + 2 * N_SHAPE, MPI_UINT64_T, MPI_MAX, comm) != MPI_SUCCESS)
        return MHA_ERR_MPI;
    if (v[0] != 0)
        return key_status(v[0]);
    for (int i = 0; i < N_SHAPE; i++)
        if (v[1 + i] != ~v[1 + N_SHAPE + i])
            return MHA_ERR_INVALID_ARGUMENT;
    return MHA_OK;
}

mha_status mha_ring_gather_lengths(MPI_Comm comm, size_t n, uint64_t *lengths)
{
    uint64_t mine = n;
    if (MPI_Allgather(&mine, 1, MPI_UINT64_T, lengths, 1, MPI_UINT64_T, comm) != MPI_SUCCESS)
        return MHA_ERR_MPI;
    return MHA_OK;
}

mha_status mha_ring_agree(MPI_Comm comm, int rank, int size, mha_status local)
{
    uint64_t key = status_key(local, rank, size);
    if (MPI_Allreduce(MPI_IN_PLACE, &key, 1, MPI_UINT64_T, MPI_MAX, comm) != MPI_SUCCESS)
        return MHA_ERR_MPI;
    return key_status(key);
}

/* ------------------------------------------------------------------------------------------ */
/* Sizes                                                                                       */

/* Workspace of one block, folded into *max; the block's descriptor must pass mha_attention()'s
 * rules like the caller's did (it can only fail on sizes). */
static mha_status fold_block(const mha_ring_args *a, const mha_ring_plan *p, size_t m, size_t keys,
                             size_t src_rows, size_t out_rows, bool causal, size_t *max)
{
    const mha_attention_desc b =
        mha_ring_block_desc(a->desc, p, m, keys, src_rows, out_rows, causal);
    size_t bytes;
    mha_status s = a->ws_query(&b, &bytes);
    if (s == MHA_OK && bytes > *max)
        *max = bytes;
    return s;
}

/* The blocks of query piece k against a shard of src_rows rows of which it sees `prefix` rows,
 * then the diagonal if `diagonal`. On the diagonal the keys grow with each block, so every block
 * is folded; elsewhere all blocks but the last of the piece have one shape. `own`: the rank's own
 * shard, whose blocks are written into the running output (n rows per batch item). */
static mha_status fold_piece(const mha_ring_args *a, const mha_ring_plan *p, int k, size_t src_rows,
                             size_t prefix, bool diagonal, bool own, size_t *max)
{
    const size_t rows = p->mine[k].rows, c = p->chunk_rows;
    mha_status s = MHA_OK;
    for (size_t off = 0; diagonal && s == MHA_OK && off < rows; off += c) {
        const size_t m = rows - off < c ? rows - off : c;
        s = fold_block(a, p, m, prefix + off + m, src_rows, own ? p->n : m, true, max);
    }
    if (diagonal || prefix == 0 || rows == 0)
        return s;
    const size_t full = rows < c ? rows : c, last = rows % c;
    s = fold_block(a, p, full, prefix, src_rows, own ? p->n : full, false, max);
    if (s == MHA_OK && last != 0 && last != full)
        s = fold_block(a, p, last, prefix, src_rows, own ? p->n : last, false, max);
    return s;
}

/* The largest workspace over every block this rank will run (it is not monotonic in the
 * block's shape: the tile height jumps with the score row length). */
static mha_status plan_workspace(const mha_ring_args *a, mha_ring_plan *p)
{
    size_t max = 0;
    mha_status s = MHA_OK;
    for (int src = 0; s == MHA_OK && src < p->size; src++) {
        if (p->lengths[src] == 0)
            continue;
        mha_ring_piece kp[2];
        mha_ring_pieces(p->layout, p->total, p->lengths, p->size, src, kp);
        for (int k = 0; s == MHA_OK && k < 2; k++) {
            size_t prefix;
            bool diagonal;
            mha_ring_visible(kp, p->mine[k].chunk, p->causal, &prefix, &diagonal);
            s = fold_piece(a, p, k, (size_t)p->lengths[src], prefix, diagonal, src == p->rank,
                           &max);
        }
    }
    p->ws_bytes = max;
    return s;
}

/* The whole sequence's length into p->total, and the layout's rules on every rank's length. */
static mha_status plan_layout(mha_ring_plan *p)
{
    uint64_t total = 0;
    for (int r = 0; r < p->size; r++) {
        if (p->lengths[r] > SIZE_MAX - total)
            return MHA_ERR_TOO_LARGE;
        total += p->lengths[r];
    }
    p->total = (size_t)total;
    if (p->layout == MHA_RING_ZIGZAG && !mha_ring_zigzag_lengths_ok(p->lengths, p->size, p->total))
        return MHA_ERR_INVALID_ARGUMENT;
    mha_ring_pieces(p->layout, p->total, p->lengths, p->size, p->rank, p->mine);
    return MHA_OK;
}

mha_status mha_ring_plan_call(const mha_ring_args *a, const uint64_t *lengths, int rank, int size,
                              mha_ring_plan *p)
{
    const mha_attention_desc *d = a->desc;
    const bool causal = d->flags & MHA_CAUSAL;
    *p = (mha_ring_plan){.rank = rank,
                         .size = size,
                         .layout = a->layout,
                         .causal = causal,
                         .stop_at_last = causal && a->layout == MHA_RING_CONTIGUOUS,
                         .lengths = lengths,
                         .n = d->seq_q,
                         .empty = true};
    mha_status s = plan_layout(p);
    if (s != MHA_OK)
        return s;
    for (int r = 0; r < size; r++) {
        if (lengths[r] > p->max_n)
            p->max_n = (size_t)lengths[r];
        if (lengths[r] != 0)
            p->empty = false;
    }
    /* Widths passed mha_attention()'s overflow checks on every rank. */
    p->k_w = d->n_kv_heads * d->d_head;
    p->v_w = d->n_kv_heads * d->d_v;
    p->o_w = d->n_heads * d->d_v;
    p->chunk_rows = p->n < MHA_RING_CHUNK_ROWS ? p->n : MHA_RING_CHUNK_ROWS;
    size_t kv_w, rows, total = 0, bytes;
    if (!mha_add_ok(p->k_w, p->v_w, &kv_w) || !mha_mul_ok(d->batch, p->max_n, &rows) ||
        !mha_mul_ok(rows, kv_w, &p->kv_elems) || !mha_mul_ok(d->batch, p->n, &rows) ||
        !mha_mul_ok(rows, d->n_heads * d->d_head, &p->q_elems) ||
        !mha_mul_ok(rows, p->o_w, &p->acc_elems) ||
        !mha_mul_ok(rows, d->n_heads, &p->acc_lse_elems) ||
        !mha_mul_ok(d->batch, p->chunk_rows, &rows) || !mha_mul_ok(rows, p->o_w, &p->tmp_elems) ||
        !mha_mul_ok(rows, d->n_heads, &p->tmp_lse_elems))
        return MHA_ERR_TOO_LARGE;
    /* A shard travels as one message, and MPI counts in int. */
    if (p->kv_elems > (size_t)INT_MAX)
        return MHA_ERR_TOO_LARGE;
    /* The two transfer buffers in the matrices' type, the rest in the computation's; the half
     * types add the widened shard and queries. */
    const bool wide = a->real_elem != a->elem;
    const size_t parts[][2] = {
        {p->kv_elems, a->elem},
        {p->kv_elems, a->elem},
        {p->acc_elems, a->real_elem},
        {p->tmp_elems, a->real_elem},
        {p->acc_lse_elems, a->real_elem},
        {p->tmp_lse_elems, a->real_elem},
        {wide ? p->kv_elems : 0, a->real_elem},
        {wide ? p->q_elems : 0, a->real_elem},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!mha_mul_ok(parts[i][0], parts[i][1], &bytes) || !mha_add_ok(total, bytes, &total))
            return MHA_ERR_TOO_LARGE;
    if (p->empty)
        return MHA_OK;
    s = plan_workspace(a, p);
    if (s == MHA_OK && !mha_add_ok(total, p->ws_bytes, &total))
        s = MHA_ERR_TOO_LARGE;
    return s;
}
