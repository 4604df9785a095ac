/* SPDX-License-Identifier: MIT */
/* How one attention call is cut into work items, by which schedule, on how many workers, and the
 * workspace that needs; how a projection is cut. Computed once per call, after validation, from
 * sizes that are already known not to overflow. */
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

/* Which schedule runs a call (driver_impl.h dispatches on it). */
typedef enum mha_schedule {
    MHA_SCHEDULE_TILES,      /* tiles_impl.h: GEMM, softmax, GEMM per block of query rows */
    MHA_SCHEDULE_DECODE,     /* decode_impl.h: few rows per kv head, the KV cache streamed once */
    MHA_SCHEDULE_ZERO_SCORES /* zero_scores_impl.h: d_head == 0, every score the empty product */
} mha_schedule;

/* The tile schedule (tiles_impl.h). A tile is a set of query rows sharing one K/V head: a block of
 * query rows of one head, or (stack_heads) the heads of one kv group at one query row. Byte
 * offsets are into one worker's workspace. */
typedef struct mha_tiles_plan {
    bool stack_heads;  /* a tile is the heads of one kv group at one query row */
    size_t tile_rows;  /* rows of the largest tile */
    size_t score_rows; /* rows per score block: the GEMMs and the softmax run on up to this many
                          rows of a tile at a time (tile_rows is a multiple of it); half types
                          take several per tile so that each K and V block is packed or widened
                          once for all of them */
    size_t key_block;  /* keys per block of the online softmax; seq_kv when one pass takes all */
    size_t ld_s;       /* the score block's row stride: key_block rounded up to MHA_ALIGN bytes
                          (or not rounded, where rounding would pass INT_MAX) */
    size_t stats_at;   /* the row maxima, then the sums */
    size_t acc_at;     /* the output accumulator, tile_rows × d_v REAL */
    /* Half types only (stored in 16 bits, computed in float); otherwise false and 0. */
    bool half_native; /* the GEMMs take the stored operands (the backend multiplies halves), P is
                         rounded once to the stored type; else operands are widened to float */
    size_t a_wide_at; /* the tile's Q rows widened */
    size_t b_wide_at; /* a key block's K rows widened, then its V rows */
    size_t p_at;      /* P in the stored type, for the native P·V */
    size_t q_pack_at, kv_pack_at; /* native: the Q tile and a key block's K then V rows, dense (the
                                     backend's fastest kernels, AMX, take dense operands only) */
    size_t cache_at;              /* native: the worker's cache of GEMM primitives (gemm.h) */
} mha_tiles_plan;

/* The decode schedule (decode_impl.h). A work item is (batch item, block of kv groups, chunk of
 * keys): all group·seq_q query rows of its groups, which stream each K and V row of the chunk
 * once. Byte offsets are into one worker's workspace. */
typedef struct mha_decode_plan {
    size_t group_rows;  /* query rows per kv group, seq_q · n_heads / n_kv_heads */
    size_t item_groups; /* kv groups per work item */
    size_t rows;        /* rows of a work item, item_groups · group_rows at most */
    size_t n_gblocks;   /* work items across the kv groups of a batch item */
    size_t chunk_keys;  /* keys per work item (all of seq_kv when not split) */
    size_t n_chunks;    /* work items per (batch item, kv groups); > 1 is split-KV, whose partial
                           results (REAL: rows × d_v, then the rows' maxima and sums) sit in the
                           shared part of the workspace (mha_plan.shared_bytes) */
    size_t key_block;   /* keys per block of the online softmax */
    size_t ld_s;        /* the score block's row stride */
    size_t stats_at;    /* the row maxima, then the sums */
    size_t acc_at;      /* the output accumulator, rows × d_v REAL */
    size_t q_at;        /* the item's query rows, widened or copied, rows × d_head REAL */
    size_t qt_at;       /* the same transposed for the lanes kernel (decode_kernels.h; 0 bytes
                           where it cannot run) */
} mha_decode_plan;

/* The zero-score schedule (zero_scores_impl.h), taken whenever d_head == 0: every score is the
 * empty dot product 0, so each row's weights follow from its visible keys and the mask alone, the
 * same in every head. A tile is up to tile_rows query rows of one batch item, for every head. */
typedef struct mha_zero_scores_plan {
    size_t tile_rows;
    size_t acc_at; /* the running sum of V rows, n_kv_heads·d_v REAL */
    size_t row_at; /* the normalised row, or a half V row widened, as wide */
} mha_zero_scores_plan;

typedef struct mha_plan {
    mha_schedule schedule;
    mha_gemm_backend gemm; /* who multiplies REAL operands (mha_plan_gemm) */
    size_t n_tiles;        /* the work items of the whole call */
    size_t workers;        /* threads running them; each owns one item's workspace */
    size_t tile_bytes;     /* one worker's workspace */
    size_t shared_bytes;   /* workspace shared by the workers, ahead of theirs (split-KV) */
    size_t ws_bytes;       /* shared_bytes + workers × tile_bytes, plus alignment slack */
    mha_tiles_plan tiles;  /* the schedule's own sizes: only its member is filled */
    mha_decode_plan decode;
    mha_zero_scores_plan zero;
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
