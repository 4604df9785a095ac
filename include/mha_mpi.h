/* SPDX-License-Identifier: MIT */
/**
 * @file mha_mpi.h
 * @brief libmha_mpi — sequence-parallel (ring) attention across MPI processes.
 *
 * Overview
 * --------
 * The sequence is cut into shards, one per rank of a communicator. Every rank calls
 * mha_ring_attention() (or mha_ring_attention_ex()) with its own rows of Q, K and V and gets its
 * own rows of the exact attention output over the whole sequence — what mha_attention() would
 * give on one process holding all of it. No rank ever holds more than two K/V shards at a time.
 * Precisions: float, double (_f64), and the half types bf16 and f16 (_bf16, _f16: the shards travel
 * in 16 bits, the blocks are computed in float, each output is rounded once).
 *
 * Two shard layouts (mha_ring_layout), chosen by the caller:
 *  - MHA_RING_CONTIGUOUS (mha_ring_attention()): rank r holds one run of rows [o_r, o_r + n_r),
 *    o_r = n_0 + … + n_{r−1}, any lengths. Causal work is unbalanced: rank r computes r + 1
 *    shards, so the wall time is the last rank's, about that of full attention.
 *  - MHA_RING_ZIGZAG (mha_ring_attention_ex()): the sequence of T rows is cut into 2P chunks and
 *    rank r holds chunk r followed by chunk 2P − 1 − r (mha_ring_shard_rows() gives the rows):
 *    causal, every rank does the same work at every step, so the causal wall time is about half
 *    that of full attention. For full attention both layouts do the same work.
 *
 * The schedule (P steps): at step s rank r holds the K/V shard of rank (r − s) mod P. It posts
 * a non-blocking send of that shard to rank r + 1 and a receive of the next one from rank r − 1,
 * computes its queries against the shard it holds meanwhile (polling MPI between blocks of
 * query rows so the transfer progresses), merges the partial result into its running one with
 * mha_attention_merge() (the log-sum-exp merge), and waits for both transfers. Causal, each
 * pair of a query chunk and a key chunk is past (computed unmasked), diagonal (the same chunk:
 * the causal mask) or future (never computed). Contiguous, later ranks' shards lie wholly in
 * the future and reach rank r only after the wrap-around, so they are not even sent there: rank
 * r runs r + 1 steps and a shard stops at rank P − 1. Zigzag, every rank needs the front chunk
 * of every shard, so all P − 1 steps run and every shard makes P − 1 hops. docs/RING.md has the
 * design.
 *
 * This library is a client of libmha's public API only; libmha itself never depends on MPI.
 * Build and link: `cc prog.c $(pkg-config --cflags --libs mha_mpi)` (or mpicc with -lmha_mpi
 * -lmha), run with `mpirun -np P ./prog`. This header includes <mpi.h>; from C++, define
 * OMPI_SKIP_MPICXX (Open MPI) or MPICH_SKIP_MPICXX (MPICH) first if the MPI's old C++ bindings
 * get in the way (they do not compile under -Wextra -Werror): only MPI's C API is used here.
 *
 * Example
 * -------
 * @code
 * // Each of P ranks holds n rows of a packed single-head sequence of width d.
 * mha_attention_desc d;
 * mha_attention_desc_init(&d, n, n, 1, 1, dim, dim);
 * d.flags = MHA_CAUSAL;
 * mha_status s = mha_ring_attention_f64(&d, MPI_COMM_WORLD, Q, K, V, out, NULL);
 * if (s != MHA_OK)
 *     fprintf(stderr, "ring: %s\n", mha_mpi_status_string(s)); // the same s on every rank
 *
 * // Balanced causal work: rank r holds the zigzag rows of a sequence of T rows, stored
 * // chunk after chunk: global rows [first[0], first[0] + count[0]) then [first[1], …).
 * size_t first[2], count[2];
 * mha_ring_shard_rows(MHA_RING_ZIGZAG, T, size, rank, first, count);
 * size_t n = count[0] + count[1];
 * mha_attention_desc_init(&d, n, n, 1, 1, dim, dim);
 * d.flags = MHA_CAUSAL;
 * s = mha_ring_attention_ex_f64(&d, MPI_COMM_WORLD, MHA_RING_ZIGZAG, Q, K, V, out, NULL);
 * @endcode
 * examples/ring_example.c is a complete program.
 */
#ifndef MHA_MPI_H
#define MHA_MPI_H

#include "mha.h"

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks the exported symbols of libmha_mpi; everything else in it is hidden. */
#if defined(MHA_MPI_BUILDING_LIBRARY) && defined(__GNUC__)
#define MHA_MPI_API __attribute__((visibility("default")))
#else
#define MHA_MPI_API
#endif

/**
 * An MPI call inside a ring call failed and returned an error code, which MPI only does when
 * the communicator's error handler is MPI_ERRORS_RETURN (with the default
 * MPI_ERRORS_ARE_FATAL, MPI aborts the job itself and the call never returns). Also returned,
 * without calling MPI, when MPI is not initialised or already finalised.
 *
 * A pinned mha_status value of this component, outside the range of the core's own values
 * (which grow from 0 and stay below 100): mha_status_string() does not know it,
 * mha_mpi_status_string() does. The core's mha_status enum is not changed.
 */
#define MHA_ERR_MPI ((mha_status)100)

/**
 * mha_status_string() extended with MHA_ERR_MPI: static text, never NULL.
 */
MHA_MPI_API const char *mha_mpi_status_string(mha_status s);

/**
 * @brief Ring attention: exact attention over a sequence sharded across the ranks of @p comm,
 * contiguous shards in rank order (MHA_RING_CONTIGUOUS; mha_ring_attention_ex() for zigzag).
 *
 * Collective: every rank of @p comm calls it (same precision), with its own shard.
 *
 * @param desc  this rank's shape and layout, as for mha_attention(): seq_q == seq_kv == n_r,
 *              this rank's shard length (0 allowed: the rank only forwards shards); strides
 *              (ld_*, batch_stride_*) are this rank's own and may differ between ranks.
 *              batch, n_heads, n_kv_heads (GQA/MQA), d_head, d_v, scale and flags (0 or
 *              MHA_CAUSAL) must be the same on every rank. Batches are supported: batch item
 *              b of every rank is a shard of the same sequence b. ld_mask and
 *              batch_stride_mask are ignored: there is no mask (see below). Read within
 *              its struct_size, as mha_attention() reads it (which may differ between
 *              ranks: each rank's program may have its own mha.h).
 * @param comm  an intracommunicator, the same on every rank; shards are in rank order.
 * @param Q     this rank's query rows, laid out as @p desc says.
 * @param K     its key rows, likewise.
 * @param V     its value rows, likewise. Q, K and V may alias each other.
 * @param out   out: this rank's rows of the output (n_r × n_heads·d_v per batch item).
 * @param lse   optional out (NULL: not written; may differ between ranks): the global
 *              log-sum-exp of each row, batch × n_heads × n_r packed, as mha_attention().
 *
 * Result: out_bh = softmax(scale · Q_bh·K_bgᵀ + C) · V_bg over all keys of the sequence, where
 * C[i][j] = −inf when causal and global key position j > global query position i (the
 * standard causal mask of self-attention; seq_q == seq_kv so no offset).
 *
 * Global positions: the call learns every shard's length with one MPI_Allgather, so a
 * receiver knows the length of each incoming shard; o_r follows from rank order.
 *
 * No additive mask: a mask over global positions would have to travel with the K/V shards
 * (or be re-sharded), so the ring call has no mask parameter. Use MHA_CAUSAL, or
 * mha_attention() per shard pair and mha_attention_merge() yourself.
 *
 * Empty call (MHA_OK on every rank, nothing written, no data sent): batch == 0, d_v == 0 (the
 * output has no columns; unlike mha_attention(), lse is not written then either), or every
 * shard has zero rows.
 *
 * Errors are collective: every rank returns the same status, before any data is sent, and
 * with its outputs untouched. Each rank checks its own arguments (the rules of mha_attention()
 * on its descriptor and buffers, plus seq_q == seq_kv), then one MPI_Allreduce agrees on the
 * result: the status of the lowest-numbered rank that failed wins; if none failed, shapes that
 * differ between ranks give MHA_ERR_INVALID_ARGUMENT. Allocation and size checks that need
 * every shard's length (and, zigzag, the lengths' own rule) are agreed the same way by a second
 * MPI_Allreduce. Every allocation goes through libmha's allocator (its test copy can make any
 * of them fail: tests/mpi/test_ring_oom.c).
 *
 * @return MHA_OK; MHA_ERR_NULL_POINTER (desc, or a non-empty buffer, on some rank);
 *         MHA_ERR_INVALID_ARGUMENT (a rule of mha_attention() broken, seq_q != seq_kv,
 *         a non-NULL kv_lens (ragged batches are not sharded), shapes/scale/flags differing
 *         between ranks, comm MPI_COMM_NULL or an
 *         intercommunicator); MHA_ERR_TOO_LARGE (also: a shard message of more than INT_MAX
 *         elements); MHA_ERR_OVERLAP; MHA_ERR_OUT_OF_MEMORY; MHA_ERR_MPI (below).
 *
 * Preconditions that cannot be checked without hanging: MPI is initialised; every rank of
 * @p comm makes the call; no rank passes MPI_COMM_NULL while others pass a communicator (the
 * rank with MPI_COMM_NULL returns MHA_ERR_INVALID_ARGUMENT at once, the others would wait).
 *
 * MPI failure: MPI's behaviour is the communicator's error handler's. With the default,
 * MPI_ERRORS_ARE_FATAL, a failing MPI call aborts the job (MPI does, not this library). With
 * MPI_ERRORS_RETURN the call returns MHA_ERR_MPI on the rank that saw the failure; that is not
 * collective — other ranks may see the failure too, or may block in a transfer that never
 * completes, as in any MPI program after a communication failure. Outputs are untouched after
 * MHA_ERR_MPI too (they are written after the last MPI call); the communicator should be
 * considered broken, and a call that failed in a transfer leaves (does not free) its two K/V
 * transfer buffers, which MPI may still write into, and its private communicator.
 *
 * Communication: point-to-point traffic runs on a private duplicate of @p comm (one
 * MPI_Comm_dup per call, freed before return), so it never matches the caller's own messages;
 * collectives run on @p comm: three small ones (the argument agreement, the length allgather,
 * the allocation agreement) plus the duplicate. Per step each rank sends one message of
 * batch·n_s·n_kv_heads·(d_head + d_v) elements, n_s the length of the shard it forwards: P − 1
 * messages per rank per call; causal, rank r < P − 1 sends r + 1 of them and rank P − 1 none.
 *
 * Memory per rank: two K/V shard buffers of the largest shard, a running and a partial output
 * of this rank's rows, their log-sum-exps, mha_attention()'s workspace and P shard lengths —
 * O(shard · d), never the whole sequence.
 *
 * Numerics: each block is computed by mha_attention() (max-subtracted softmax, working
 * precision), blocks are merged by mha_attention_merge(); the result differs from a single
 * mha_attention() over the whole sequence by rounding only.
 *
 * Threads: MPI is called from the calling thread only (MPI_THREAD_SINGLE suffices when only
 * one thread makes MPI calls). Concurrent ring calls on the same communicator from several
 * threads are not allowed (their collectives would interleave); give each thread its own
 * communicator. Within a rank each block runs as mha_attention() would (desc->n_threads, a
 * per-rank setting, applies; BLAS threading is the caller's to configure): with several ranks
 * per machine give each rank its share of the cores, e.g. OMP_NUM_THREADS=cores/ranks and
 * OPENBLAS_NUM_THREADS=1.
 */
MHA_MPI_API mha_status mha_ring_attention(const mha_attention_desc *desc, MPI_Comm comm,
                                          const float *Q, const float *K, const float *V,
                                          float *out, float *lse);

/** mha_ring_attention() in double (MPI_DOUBLE on the wire). */
MHA_MPI_API mha_status mha_ring_attention_f64(const mha_attention_desc *desc, MPI_Comm comm,
                                              const double *Q, const double *K, const double *V,
                                              double *out, double *lse);

/**
 * How the rows of the sequence are dealt to the ranks. Values are pinned.
 *
 * With T rows in all on P ranks, the layouts cut the sequence into chunks whose lengths differ by
 * at most one, the extra rows going to the first chunks: of C chunks, chunk c has
 * q + (c < e ? 1 : 0) rows, q = T / C, e = T mod C, and starts at row c·q + min(c, e).
 */
typedef enum mha_ring_layout {
    /** Rank r holds one contiguous run of rows, in rank order, of any length (each rank's
     *  seq_q). mha_ring_shard_rows() gives the even split: chunk r of C = P chunks. */
    MHA_RING_CONTIGUOUS = 0,
    /** Rank r holds two chunks of C = 2P: chunk r, then chunk 2P − 1 − r, stored in that order in
     *  its buffers (its front rows, then its back rows). Every rank's seq_q must be exactly its
     *  two chunks' lengths for T = the sum of all ranks' seq_q (mha_ring_shard_rows()); a chunk
     *  may be empty (T < 2P). */
    MHA_RING_ZIGZAG = 1
} mha_ring_layout;

/**
 * @brief The global rows a rank holds in a layout: [first[k], first[k] + count[k]) for k = 0, 1,
 * stored in the rank's buffers in that order (rank-local row i < count[0] is global row
 * first[0] + i; the others are global row first[1] + i − count[0]).
 *
 * MHA_RING_ZIGZAG: chunk r then chunk 2P − 1 − r of 2P (see mha_ring_layout), e.g. T = 10, P = 2:
 * rank 0 holds rows 0–2 and 8–9 (chunks of 3, 3, 2, 2 rows), rank 1 rows 3–5 and 6–7.
 * MHA_RING_CONTIGUOUS: chunk r of P, and count[1] = 0, first[1] = first[0] + count[0]; e.g.
 * T = 10, P = 3: rows 0–3, 4–6, 7–9. Over all ranks the ranges partition [0, T).
 *
 * Local, no MPI: callable before MPI_Init. Reentrant.
 *
 * @param layout   the layout.
 * @param total    T, rows of the whole sequence (0 allowed: every count is 0).
 * @param n_ranks  P ≥ 1, the ranks of the communicator.
 * @param rank     0 ≤ rank < P.
 * @param first    out: first[2], the first global row of each range.
 * @param count    out: count[2], the rows of each range (0 allowed).
 * @return MHA_OK; MHA_ERR_NULL_POINTER (first or count NULL); MHA_ERR_INVALID_ARGUMENT (layout
 *         not a mha_ring_layout, n_ranks < 1, rank outside [0, n_ranks)). Nothing is written on
 *         error.
 */
MHA_MPI_API mha_status mha_ring_shard_rows(mha_ring_layout layout, size_t total, int n_ranks,
                                           int rank, size_t first[2], size_t count[2]);

/**
 * @brief Ring attention with a chosen shard layout: mha_ring_attention() when @p layout is
 * MHA_RING_CONTIGUOUS, and the zigzag layout (balanced causal work) when MHA_RING_ZIGZAG.
 *
 * Everything mha_ring_attention() states holds (arguments, result, errors, communication,
 * memory, numerics, threads), with these additions:
 *
 * - @p layout must be the same on every rank (else MHA_ERR_INVALID_ARGUMENT on every rank).
 * - MHA_RING_ZIGZAG: each rank's seq_q == seq_kv == count[0] + count[1] of
 *   mha_ring_shard_rows(MHA_RING_ZIGZAG, T, P, rank, …), T the sum of every rank's seq_q, with
 *   its rows in the order that function states (front chunk, then back chunk) in each batch item
 *   of Q, K, V, and out and lse in the same order. Any other split: MHA_ERR_INVALID_ARGUMENT on
 *   every rank, agreed with the allocations (after the shard lengths are gathered, before any
 *   shard is sent). The causal mask follows global positions: query chunk c sees key chunks
 *   before c whole, its own chunk up to the diagonal, and nothing after (never computed).
 * - Communication, zigzag: P steps on every rank; each rank sends P − 1 messages of its incoming
 *   shard, causal or not — the front chunk of every shard is in every rank's past, so every hop
 *   carries a needed chunk. (A shard's back chunk rides along to the ranks before its owner; the
 *   one back chunk no other rank needs, rank 0's, still travels with its front chunk, as one
 *   message per hop.) Causal work per step: two chunk-pairs' worth of keys on every rank, plus
 *   the diagonal halves at step 0.
 * - An unknown @p layout value: MHA_ERR_INVALID_ARGUMENT (every rank, collectively).
 */
MHA_MPI_API mha_status mha_ring_attention_ex(const mha_attention_desc *desc, MPI_Comm comm,
                                             mha_ring_layout layout, const float *Q, const float *K,
                                             const float *V, float *out, float *lse);

/** mha_ring_attention_ex() in double (MPI_DOUBLE on the wire). */
MHA_MPI_API mha_status mha_ring_attention_ex_f64(const mha_attention_desc *desc, MPI_Comm comm,
                                                 mha_ring_layout layout, const double *Q,
                                                 const double *K, const double *V, double *out,
                                                 double *lse);

/**
 * @brief Ring attention on half-precision matrices (bf16, f16): mha_ring_attention() and
 * mha_ring_attention_ex() with Q, K, V and out stored in the half type; the lse stays float.
 *
 * Everything the float calls state holds (arguments, strides in elements, layouts, result,
 * collective errors with outputs untouched, communication, threads), with the half contract of
 * mha.h ("Half precision"):
 *
 * - The K/V shards travel in the half type (MPI_UINT16_T on the wire): half the bytes of float.
 * - Numerics: each rank widens its queries once per call, and each shard it holds once per
 *   step, to float (exactly: mha_convert_bf16_to_f32(), mha_convert_f16_to_f32()), computes
 *   every block with float mha_attention() and merges the blocks with float
 *   mha_attention_merge(); products are accumulated in float, scores, softmax and lse are float,
 *   and each output element is rounded once to the half type (round to nearest even). The result
 *   is the exact attention of the half inputs up to that one rounding (u/2 relative, u = 2^-8
 *   bf16, 2^-11 f16) plus float rounding: within mha.h's half bound of mha_attention_bf16() and
 *   mha_attention_f16(), though not bitwise equal to them (the ring merges float partials; the
 *   single-process call may round P to bf16 on native bf16 units, the ring never does).
 * - Memory per rank: the float ring's buffers, except that the two transfer buffers are in the
 *   half type, plus a float copy of the shard held (the largest shard) and of this rank's queries.
 *   The half call makes two more allocations than the float one; all are agreed collectively.
 */
MHA_MPI_API mha_status mha_ring_attention_bf16(const mha_attention_desc *desc, MPI_Comm comm,
                                               const mha_bf16 *Q, const mha_bf16 *K,
                                               const mha_bf16 *V, mha_bf16 *out, float *lse);

/** mha_ring_attention_bf16() with a chosen layout, as mha_ring_attention_ex(). */
MHA_MPI_API mha_status mha_ring_attention_ex_bf16(const mha_attention_desc *desc, MPI_Comm comm,
                                                  mha_ring_layout layout, const mha_bf16 *Q,
                                                  const mha_bf16 *K, const mha_bf16 *V,
                                                  mha_bf16 *out, float *lse);

/** mha_ring_attention_bf16() on IEEE binary16 (see there). */
MHA_MPI_API mha_status mha_ring_attention_f16(const mha_attention_desc *desc, MPI_Comm comm,
                                              const mha_f16 *Q, const mha_f16 *K, const mha_f16 *V,
                                              mha_f16 *out, float *lse);

/** mha_ring_attention_f16() with a chosen layout, as mha_ring_attention_ex(). */
MHA_MPI_API mha_status mha_ring_attention_ex_f16(const mha_attention_desc *desc, MPI_Comm comm,
                                                 mha_ring_layout layout, const mha_f16 *Q,
                                                 const mha_f16 *K, const mha_f16 *V, mha_f16 *out,
                                                 float *lse);

#ifdef __cplusplus
}
#endif

#endif /* MHA_MPI_H */
