/* SPDX-License-Identifier: MIT */
/* The sizes of one ring call (buffers, blocks, workspace), its layout, and the descriptor of one
 * block of it: this rank's query rows [a, a + m) against one K/V shard held packed in a transfer
 * buffer. */
#ifndef MHA_RING_PLAN_H
#define MHA_RING_PLAN_H

#include "mha.h"
#include "ring_layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Query rows per block: between two blocks the ring polls MPI so that the transfer in flight
 * progresses (MPI has no progress thread of its own here); 128 rows keep the GEMMs well fed. */
#define MHA_RING_CHUNK_ROWS 128u

typedef struct mha_ring_plan {
    int rank, size;         /* this rank and the number of ranks */
    mha_ring_layout layout; /* agreed by every rank */
    bool causal;            /* MHA_CAUSAL */
    bool stop_at_last;      /* contiguous and causal: shards stop at rank P − 1, rank r runs r + 1
                               steps (no rank after the wrap-around needs them) */
    const uint64_t *lengths; /* every rank's rows, [size] */
    size_t total;            /* their sum: the whole sequence */
    mha_ring_piece mine[2];  /* this rank's pieces, stored in this order */
    size_t n;                /* this rank's rows (its shard length) */
    size_t max_n;            /* the longest shard */
    size_t chunk_rows;       /* query rows per block (the last block may be shorter) */
    size_t k_w, v_w, o_w;    /* row widths: n_kv_heads·d_head, n_kv_heads·d_v, n_heads·d_v */
    size_t kv_elems;         /* one transfer buffer: batch·max_n·(k_w + v_w) */
    size_t q_elems;          /* this rank's queries, packed: batch·n·n_heads·d_head */
    size_t acc_elems;        /* running output: batch·n·o_w */
    size_t tmp_elems;        /* one block's partial output: batch·chunk_rows·o_w */
    size_t acc_lse_elems, tmp_lse_elems; /* their log-sum-exps: batch·n_heads·(n | chunk_rows) */
    size_t ws_bytes; /* the largest mha_attention_ws() workspace any block needs */
    bool empty;      /* every shard has zero rows: nothing to do anywhere */
} mha_ring_plan;

/* Query rows of the block that starts at row r0 of this rank: chunk_rows, or fewer at the end of
 * a piece — a block never straddles two pieces, whose keys differ under the causal mask. */
static inline size_t mha_ring_block_rows(const mha_ring_plan *p, size_t r0)
{
    const size_t end = r0 < p->mine[0].rows ? p->mine[0].rows : p->n;
    return end - r0 < p->chunk_rows ? end - r0 : p->chunk_rows;
}

/* The shard of rank `src` packed in a transfer buffer: K rows (batch·rows × k_w), then V rows
 * (batch·rows × v_w). Returns where V starts, in elements. */
static inline size_t mha_ring_v_offset(const mha_ring_plan *p, size_t batch, size_t rows)
{
    return batch * rows * p->k_w;
}

/* The block descriptor: query rows [a, a + m) of this rank (Q in the caller's layout, the
 * pointer offset by the caller) against `keys` keys of a packed shard of `src_rows` rows,
 * output packed with `out_rows` rows per batch item (n for the running output, m for a partial
 * one). causal: the block's query chunk is the shard's last visible piece (the diagonal), so with
 * the keys cut at the block's last row the bottom-right causal mask of mha_attention(),
 * j <= i + keys − m, is exactly the global one (mha_ring_visible()). */
static inline mha_attention_desc mha_ring_block_desc(const mha_attention_desc *d,
                                                     const mha_ring_plan *p, size_t m, size_t keys,
                                                     size_t src_rows, size_t out_rows, bool causal)
{
    mha_attention_desc b = *d;
    b.seq_q = m;
    b.seq_kv = keys;
    b.ld_k = p->k_w;
    b.ld_v = p->v_w;
    b.batch_stride_k = src_rows * p->k_w;
    b.batch_stride_v = src_rows * p->v_w;
    b.ld_out = p->o_w;
    b.batch_stride_out = out_rows * p->o_w;
    b.ld_mask = keys;
    b.batch_stride_mask = 0;
    b.flags = causal ? MHA_CAUSAL : 0;
    return b;
}

#endif
