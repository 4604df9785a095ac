/* SPDX-License-Identifier: MIT */
/* How one attention call is cut into tiles, and the workspace that cut needs. Computed once per
 * call, after validation, from sizes that are already known not to overflow. */
#ifndef MHA_PLAN_H
#define MHA_PLAN_H

#include "dtype.h"
#include "gemm.h"
#include "mha.h"

#include <stdbool.h>
#include <stddef.h>

/* Workspace start is rounded up to this; the score rows are padded to it too (while the padded
 * stride fits the BLAS's int), so every row of the score tile starts on a cache line. */
#define MHA_ALIGN 64

typedef struct mha_plan {
    /* The zero-score schedule (zero_scores_impl.h), taken whenever d_head == 0: every score is
     * the empty dot product 0, so each row's weights follow from its visible keys and the mask
     * alone, the same in every head. A tile is up to tile_rows query rows of one batch item, for
     * every head; its workspace is two rows of n_kv_heads·d_v REAL, at acc_at (the running sum of
     * V rows) and a_wide_at (the normalised row, or a half V row widened). */
    bool zero_scores;
    /* The decode path (decode_impl.h): a tile is one work item (batch item, kv groups, chunk of
     * keys) holding all group·seq_q query rows of its groups, which streams each K and V row of
     * the chunk once. Its tile_rows, key_block, ld_s, stats_at are as below; acc_at is the float
     * (double) output accumulator, a_wide_at the query rows, widened, and lanes_q_at the same
     * rows transposed for the lanes kernel (decode_kernels.h; 0 bytes where it cannot run). */
    bool decode;
    size_t group_rows;   /* decode: query rows per kv group, seq_q · n_heads / n_kv_heads */
    size_t item_groups;  /* decode: kv groups per work item (tile_rows = item_groups·group_rows) */
    size_t n_gblocks;    /* decode: work items across the kv groups of a batch item */
    size_t chunk_keys;   /* decode: keys per work item (all of seq_kv when not split) */
    size_t n_chunks;     /* decode: work items per (batch item, kv groups); > 1 is split-KV */
    size_t shared_bytes; /* decode split-KV: every chunk's partial result (REAL: rows × d_v,
                            then the rows' maxima and sums), ahead of the workers' tiles */
    bool stack_heads;    /* a tile is the heads of one kv group at one query row (decode), not a
                            block of query rows of one head */
    size_t tile_rows;    /* rows of the largest tile */
    size_t score_rows;   /* rows per score block: the GEMMs and the softmax run on up to this many
                            rows of a tile at a time (tile_rows is a multiple of it); half types
                            take several per tile so that each K and V block is packed or
                            widened once for all of them */
    size_t n_tiles; /* tiles in the whole call (batch × heads × blocks, or batch × groups × rows) */
    size_t key_block;  /* keys per block of the online softmax; seq_kv when one pass takes all */
    size_t ld_s;       /* score tile's row stride: key_block rounded up to MHA_ALIGN bytes (or
                          not rounded, where rounding would pass INT_MAX) */
    size_t tile_bytes; /* one tile's workspace: scores + row maxima + row sums (+ the half
                          types' regions below) */
    size_t stats_at;   /* byte offset of the row maxima (then the sums) in a tile's workspace */
    /* Half types only (stored in 16 bits, computed in float); otherwise false and 0. */
    bool half_native; /* the GEMMs take the stored operands (the backend multiplies halves), P is
                         rounded once to the stored type; else operands are widened to float */
    size_t acc_at;    /* byte offsets in a tile's workspace: the float output accumulator */
    size_t a_wide_at; /* a widened A operand (Q rows) */
    size_t b_wide_at; /* a key block's K rows widened, then its V rows */
    size_t p_at;      /* P in the stored type, for the native P·V */
    size_t q_pack_at, kv_pack_at; /* native: the Q tile and a key block's K then V rows, dense (the
                                     backend's fastest kernels, AMX, take dense operands only) */
    size_t cache_at;              /* native: the worker's cache of GEMM primitives (gemm.h) */
    size_t lanes_q_at;            /* decode: the query rows transposed (qt of decode_kernels.h) */
    mha_gemm_backend gemm;        /* who multiplies REAL operands (mha_plan_gemm) */
    size_t workers;               /* threads running tiles; each owns one tile's workspace */
    size_t ws_bytes;              /* shared_bytes + workers × tile_bytes, plus alignment slack */
} mha_plan;

/* Who multiplies the REAL operands (float or double) of a call in type t on libmha's workers,
 * from the process's BLAS threading (read, never changed: mha.h): the BLAS where it runs serially
 * inside them (one thread, or the OpenMP OpenBLAS); else, for float, oneDNN's sgemm where this
 * build has it, so that a threaded BLAS (the pthreads OpenBLAS that numpy or torch loaded first)
 * costs the call no workers; else the BLAS on its own threads, under one worker. */
mha_gemm_backend mha_plan_gemm(mha_dtype t);

/* The workers a large call takes unless the caller caps them (mha_attention_desc.n_threads):
 * OMP_NUM_THREADS as the process was started with it (its first value), else every processor
 * OpenMP sees. Not omp_get_max_threads(): another library may have set the calling thread's count
 * for its own pool (PyTorch sets it to its intra-op threads when imported), which says nothing
 * about libmha's workers. 1 without OpenMP. */
size_t mha_plan_cores(void);

/* Workers for n_tiles independent items of type t worth `flops` in all, whose GEMMs run on
 * mha_plan_gemm(t), when the caller asked for `requested` (0: decide). Always ≥ 1. */
size_t mha_plan_workers(mha_dtype t, size_t requested, size_t n_tiles, double flops);

/* How a projection — count GEMMs out[p] = X · W[p], seq_len × d_model × cols each — is cut. */
typedef struct mha_project_plan {
    mha_gemm_backend gemm; /* who multiplies REAL operands, as for attention */
    size_t workers;        /* as for attention tiles */
    size_t block_rows;     /* rows of X per GEMM: one block per worker on the BLAS; fixed blocks on
                              oneDNN and for half types, so that the cut, and the bits, never
                              depend on the number of workers */
    bool half_native;      /* half types: the backend multiplies halves, rounding out once */
    size_t wide_w_at;      /* half types: scratch offsets of the count widened weights, */
    size_t worker_at;      /* and of each worker's widened X block and float out block, */
    size_t worker_bytes;   /* that many bytes apart, */
    size_t cache_at;       /* and, native, each worker's cache of GEMM primitives at this offset */
    size_t scratch_bytes;  /* 0: none needed (float, double) */
} mha_project_plan;

/* false if a size overflows. */
bool mha_plan_project(mha_dtype t, size_t seq_len, size_t d_model, size_t count, size_t cols,
                      mha_project_plan *p);

/* Fills *plan for a validated descriptor of a call that is not empty (at least one tile); false
 * if a size overflows. */
bool mha_plan_attention(const mha_attention_desc *d, mha_dtype t, mha_plan *plan);

/* Fewer workers if a caller's workspace of `bytes` holds fewer tiles; false if it cannot hold
 * even one. */
bool mha_plan_fit_workspace(mha_plan *plan, size_t bytes);

#endif
