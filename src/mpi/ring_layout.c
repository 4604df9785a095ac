/* SPDX-License-Identifier: MIT */
/* The layouts' arithmetic: chunks of a total, a rank's pieces, what a query chunk sees. */
#include "ring_layout.h"

void mha_ring_chunk(size_t total, size_t n_chunks, size_t c, size_t *first, size_t *rows)
{
    /* q·c + min(c, e) ≤ total: no product can wrap, whatever total is. */
    const size_t q = total / n_chunks, e = total % n_chunks;
    *first = c * q + (c < e ? c : e);
    *rows = q + (c < e);
}

mha_status mha_ring_shard_rows(mha_ring_layout layout, size_t total, int n_ranks, int rank,
                               size_t first[2], size_t count[2])
{
    if (first == NULL || count == NULL)
        return MHA_ERR_NULL_POINTER;
    if ((layout != MHA_RING_CONTIGUOUS && layout != MHA_RING_ZIGZAG) || n_ranks < 1 || rank < 0 ||
        rank >= n_ranks)
        return MHA_ERR_INVALID_ARGUMENT;
    const size_t P = (size_t)n_ranks, r = (size_t)rank;
    if (layout == MHA_RING_CONTIGUOUS) {
        mha_ring_chunk(total, P, r, &first[0], &count[0]);
        first[1] = first[0] + count[0];
        count[1] = 0;
    } else {
        mha_ring_chunk(total, 2 * P, r, &first[0], &count[0]);
        mha_ring_chunk(total, 2 * P, 2 * P - 1 - r, &first[1], &count[1]);
    }
    return MHA_OK;
}

void mha_ring_pieces(mha_ring_layout layout, size_t total, const uint64_t *lengths, int size,
                     int src, mha_ring_piece piece[2])
{
    const size_t P = (size_t)size, r = (size_t)src;
    size_t first;
    if (layout == MHA_RING_ZIGZAG) {
        piece[0].chunk = r;
        piece[1].chunk = 2 * P - 1 - r;
        mha_ring_chunk(total, 2 * P, piece[0].chunk, &first, &piece[0].rows);
        mha_ring_chunk(total, 2 * P, piece[1].chunk, &first, &piece[1].rows);
    } else {
        /* Contiguous shards are in rank order: the rank is the chunk, its length the rows. The
         * empty second piece comes after every chunk, so it is never anyone's diagonal. */
        piece[0] = (mha_ring_piece){r, (size_t)lengths[src]};
        piece[1] = (mha_ring_piece){P, 0};
    }
}

bool mha_ring_zigzag_lengths_ok(const uint64_t *lengths, int size, size_t total)
{
    for (int r = 0; r < size; r++) {
        mha_ring_piece pc[2];
        mha_ring_pieces(MHA_RING_ZIGZAG, total, lengths, size, r, pc);
        if (lengths[r] != (uint64_t)pc[0].rows + pc[1].rows)
            return false;
    }
    return true;
}

void mha_ring_visible(const mha_ring_piece kp[2], size_t cq, bool causal, size_t *prefix,
                      bool *diagonal)
{
    *prefix = 0;
    *diagonal = false;
    for (int k = 0; k < 2; k++) {
        if (!causal || kp[k].chunk < cq) {
            *prefix += kp[k].rows;
        } else {
            /* Pieces are in sequence order: everything from here on is cq or later. */
            *diagonal = kp[k].chunk == cq && kp[k].rows > 0;
            return;
        }
    }
}
