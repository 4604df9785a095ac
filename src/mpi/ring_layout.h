/* SPDX-License-Identifier: MIT */
/* Which global rows each rank holds (contiguous or zigzag), and which keys of a shard a block of
 * queries sees under the causal mask: the arithmetic of the layouts, in one place. */
#ifndef MHA_RING_LAYOUT_H
#define MHA_RING_LAYOUT_H

#include "mha_mpi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One run of a rank's rows: chunk `chunk` of the layout's chunks (its position in sequence
 * order: a lower chunk is wholly earlier), `rows` rows of it. */
typedef struct mha_ring_piece {
    size_t chunk, rows;
} mha_ring_piece;

/* Chunk c of n_chunks over `total` rows: the first total mod n_chunks chunks one row longer. */
void mha_ring_chunk(size_t total, size_t n_chunks, size_t c, size_t *first, size_t *rows);

/* The pieces of rank `src` of `size` in sequence order (front, then back; the second has 0 rows
 * in the contiguous layout), given every rank's length (contiguous: the chunk is the rank) or the
 * total (zigzag: chunks src and 2·size − 1 − src of 2·size). */
void mha_ring_pieces(mha_ring_layout layout, size_t total, const uint64_t *lengths, int size,
                     int src, mha_ring_piece piece[2]);

/* Whether every rank's length is its zigzag share of their sum (which fits in size_t). */
bool mha_ring_zigzag_lengths_ok(const uint64_t *lengths, int size, size_t total);

/* Keys of a shard (pieces kp[2], in sequence order, packed in that order) that query chunk cq
 * sees: the whole shard when not causal; causal, the pieces of earlier chunks — always a prefix
 * of the shard's rows, since its pieces are in sequence order — whose rows go to *prefix, and
 * *diagonal when the next piece is cq itself (seen up to the diagonal). Nothing seen: *prefix
 * 0 and !*diagonal (a future shard: skipped). */
void mha_ring_visible(const mha_ring_piece kp[2], size_t cq, bool causal, size_t *prefix,
                      bool *diagonal);

#endif
