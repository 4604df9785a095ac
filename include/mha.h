/* SPDX-License-Identifier: MIT */
/**
 * @file mha.h
 * @brief libmha — multi-head attention on the CPU, on top of a CBLAS.
 *
 * Overview
 * --------
 * libmha computes the three operations of multi-head attention:
 *
 *  - the QKV projection          Q = X·W_q, K = X·W_k, V = X·W_v
 *  - scaled dot-product attention  out = softmax(Q·Kᵀ · scale) · V
 *  - multi-head attention        the same, per head, on column slices of Q, K, V
 *
 * plus one general entry point, mha_attention(), that adds cross-attention
 * lengths, grouped key/value heads (GQA/MQA), causal and additive masks,
 * batches, row and batch strides, a custom scale, caller-owned workspace and
 * log-sum-exp output for split-KV merging (mha_attention_merge()).
 *
 * Conventions (they hold for every function below)
 * ------------------------------------------------
 *  - Matrices are dense and row-major. The seed functions take contiguous
 *    matrices; mha_attention() takes a leading dimension (row stride, in
 *    elements, like a BLAS lda) per matrix.
 *  - float functions are unsuffixed and run on cblas_sgemm; `_f64` functions
 *    take double and run on cblas_dgemm.
 *  - The caller owns every buffer; nothing is kept after a call returns.
 *  - Inputs may alias each other (Q == K == V is fine). An output must not
 *    overlap any input or any other output: the address ranges spanned by the
 *    buffers (first to last element touched) are compared, and an overlap is
 *    MHA_ERR_OVERLAP.
 *  - A zero dimension is a valid empty call: MHA_OK, nothing written, and the
 *    pointers of empty buffers may be NULL. An empty call runs no GEMM, so no
 *    size it would have handed the BLAS (a dimension, a padded row, a
 *    workspace) can make it MHA_ERR_TOO_LARGE. Its buffers are still checked:
 *    a non-empty one whose extent overflows, or a row width (such as
 *    n_heads·d_head) that overflows size_t, is MHA_ERR_TOO_LARGE.
 *  - On every error, not one byte of any output has been written: all checks
 *    run before the first write or allocation.
 *  - The descriptor grows at its end and says its own size: struct_size, its
 *    first field, is the sizeof(mha_attention_desc) of the mha.h a program
 *    was compiled with (mha_attention_desc_init() sets it). The library reads
 *    only the fields inside struct_size and gives the others their defaults,
 *    so a program built against an older mha.h keeps working against a newer
 *    libmha without being rebuilt. A struct_size this library cannot honour
 *    is MHA_ERR_INVALID_ARGUMENT (see mha_attention_desc.struct_size).
 *  - A call's work is O(bytes read + bytes written + the flops of its
 *    non-empty products). A dimension that no buffer holds and no product
 *    multiplies over costs nothing: with d_head == 0 no score is computed
 *    (each is the empty dot product, 0), so huge key counts over zero-width
 *    heads return at once, like a BLAS call with k == 0.
 *  - Every function is reentrant. The library has no global mutable state and
 *    never changes BLAS settings (e.g. its thread count): concurrent calls on
 *    disjoint outputs are safe. BLAS threading is the caller's to configure;
 *    libmha reads it and never nests its own threads inside a threaded BLAS.
 *    It runs whole tiles (GEMM, softmax, GEMM) on OpenMP workers, as many as
 *    OMP_NUM_THREADS says when the process starts, else one per processor (a
 *    count another library sets at run time with omp_set_num_threads, as
 *    PyTorch does when imported, is its own, not libmha's; cap libmha's with
 *    mha_attention_desc.n_threads), whatever the process's BLAS: over a BLAS
 *    that runs serially inside them (single-threaded, or the OpenMP OpenBLAS of
 *    the default build), its float and double GEMMs run on that BLAS; over a
 *    threaded one (e.g. the pthreads OpenBLAS that numpy or torch loaded
 *    first), float runs on oneDNN's sgemm when libmha was built with oneDNN,
 *    and double (or float without oneDNN) runs tile after tile on the BLAS's
 *    threads. Decode and native bf16 use no BLAS and always take the workers.
 *    mha_runtime_info() says which (mha_runtime.setup).
 *  - Softmax is numerically stable: each row's maximum is subtracted before
 *    exponentiating, so scores of any finite size never overflow.
 *  - The softmax's exp runs on the widest vector unit found at run time
 *    (AVX-512F or AVX2+FMA on x86-64, about 1 ulp and bit-identical between
 *    the two; libm otherwise), so results may differ between machines in the
 *    last bits.
 *
 * Example
 * -------
 * @code
 * #include <mha.h>
 * #include <stdio.h>
 *
 * int main(void)
 * {
 *     // seq_len = 2, d_model = 4, n_heads = 2, identity weights.
 *     const double X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
 *     double W[16] = {0}, Q[8], K[8], V[8], out[8];
 *     for (int i = 0; i < 4; i++)
 *         W[i * 4 + i] = 1;
 *     mha_status s = mha_compute_qkv_f64(X, W, W, W, 2, 4, Q, K, V);
 *     if (s == MHA_OK)
 *         s = mha_multi_head_attention_f64(Q, K, V, 2, 4, 2, out);
 *     if (s != MHA_OK) {
 *         fprintf(stderr, "libmha: %s\n", mha_status_string(s));
 *         return 1;
 *     }
 *     printf("%.15g\n", out[0]); // 4.99917422934229
 *     return 0;
 * }
 * @endcode
 * Build: `cc example.c $(pkg-config --cflags --libs mha)`.
 */
#ifndef MHA_H
#define MHA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MHA_VERSION_MAJOR 0
#define MHA_VERSION_MINOR 2
#define MHA_VERSION_PATCH 0

/** Marks the exported symbols; everything else in the library is hidden. */
#if defined(MHA_BUILDING_LIBRARY) && defined(__GNUC__)
#define MHA_API __attribute__((visibility("default")))
#else
#define MHA_API
#endif

/**
 * Result of every call. The values are pinned: they never change meaning and
 * are never reused, so they may be stored or sent across processes.
 */
typedef enum mha_status {
    MHA_OK = 0,                     /**< success */
    MHA_ERR_NULL_POINTER = 1,       /**< NULL for a buffer that is not empty */
    MHA_ERR_INVALID_ARGUMENT = 2,   /**< a rule on dimensions, strides or heads broken */
    MHA_ERR_TOO_LARGE = 3,          /**< a size overflows size_t or exceeds what the BLAS takes */
    MHA_ERR_OVERLAP = 4,            /**< an output overlaps an input or another output */
    MHA_ERR_OUT_OF_MEMORY = 5,      /**< the workspace could not be allocated */
    MHA_ERR_WORKSPACE_TOO_SMALL = 6 /**< the caller's workspace is below the queried size */
    /* 100 is reserved: MHA_ERR_MPI in mha_mpi.h (the optional MPI component). */
} mha_status;

/**
 * A short, static, human-readable message for @p s; a generic message (never
 * NULL) for a value that is not an mha_status.
 */
MHA_API const char *mha_status_string(mha_status s);

/** The library's version as "MAJOR.MINOR.PATCH" (static storage). */
MHA_API const char *mha_version(void);

/**
 * What libmha runs on in this process, as mha_runtime_info() finds it: for a
 * log line, a benchmark header, or a warning to a host program's users. Every
 * string is NUL-terminated (truncated to its array); "" where nothing is known.
 */
typedef struct mha_runtime {
    char gemm_backend[32];   /**< who multiplies float inside libmha's workers: "cblas" (the
                                  BLAS below, serial there), "onednn" (oneDNN's sgemm, where
                                  the BLAS would thread inside the workers: see setup) or
                                  "cblas threaded" (tiles in turn on the BLAS's threads) */
    char blas_name[32];      /**< "OpenBLAS", or "CBLAS" for a BLAS that cannot be asked */
    char blas_version[32];   /**< e.g. "0.3.21" */
    char blas_core[32];      /**< OpenBLAS's kernel set, e.g. "SkylakeX", "Haswell", "Prescott" */
    char blas_threading[16]; /**< "openmp", "pthreads", "sequential" or "unknown" */
    int blas_threads;        /**< threads one GEMM may use outside libmha's parallel tiles */
    int workers;             /**< libmha's tile workers for a large call (n_threads = 0) */
    char softmax_isa[16];    /**< the row-softmax kernel: "avx512bf16" (AVX-512F's, and
                                  P written in bf16 by AVX512-BF16), "avx512f", "avx2" or
                                  "scalar" */
    char cpu_isa[16];        /**< the CPU's widest vector unit: "avx512f", "avx2", "sse2", "" */
    int blas_below_cpu;      /**< 1: the BLAS runs a kernel class below the CPU's */
    char reason[192];        /**< when blas_below_cpu: one line saying which, and what to set */
    char bf16_gemm[32];      /**< who multiplies bf16: "onednn avx512_core_amx", "onednn
                                  avx512_core_bf16", or "float (widened)": converted to float
                                  for the BLAS (f16 always is) */
    char setup[256];         /**< one line: the BLAS threading this process has, what libmha
                                  does about it, and what to set if anything (e.g. "the BLAS
                                  (pthreads) runs 2 threads per GEMM, e.g. the one numpy or torch
                                  loaded first: libmha multiplies float on oneDNN's sgemm on 2
                                  workers instead; ...") */
} mha_runtime;

/**
 * @brief Fills *info with what libmha runs on now.
 *
 * blas_below_cpu flags OpenBLAS kernels older than the CPU: a pre-AVX2 core
 * (e.g. "Prescott", which OpenBLAS 0.3.21 falls back to on CPUs it does not
 * know) on an AVX2 or AVX-512 CPU, or an AVX2 core on an AVX-512 CPU. Every
 * GEMM is then several times slower than it could be; OPENBLAS_CORETYPE, set
 * before the process starts, picks the kernels (reason names the value).
 * Reads the BLAS's and OpenMP's state, changes nothing; reentrant.
 *
 * @return MHA_OK; MHA_ERR_NULL_POINTER (info is NULL).
 */
MHA_API mha_status mha_runtime_info(mha_runtime *info);

/* ------------------------------------------------------------------------ */
/* Half-precision storage                                                    */
/* ------------------------------------------------------------------------ */

/**
 * bfloat16: the upper 16 bits of an IEEE binary32 (1 sign, 8 exponent and 7
 * fraction bits). A struct, not a bare uint16_t, so that a bf16 buffer cannot
 * be passed where an f16 one is expected, nor either where integers are.
 */
typedef struct mha_bf16 {
    uint16_t bits;
} mha_bf16;

/** IEEE 754 binary16 (1 sign, 5 exponent and 10 fraction bits). */
typedef struct mha_f16 {
    uint16_t bits;
} mha_f16;

/**
 * @brief Rounds floats to bfloat16: dst[i] = bf16(src[i]) for i < n.
 *
 * @param src  n floats, contiguous.
 * @param dst  out: n bf16, contiguous; must not overlap src (no in-place call).
 * @param n    elements.
 *
 * Numerics: round to nearest, ties to even, on the bits, whatever the FPU's
 * rounding mode or flush-to-zero settings. Subnormal floats round like any
 * other value (never flushed to zero); ±0 keep their sign; values that round
 * above the largest bf16 (about 3.39e38) become ±Inf; ±Inf stay ±Inf. A NaN
 * stays NaN, sign and the top 6 payload bits kept, with the quiet bit set
 * (signalling NaNs come out quiet). Every code path (AVX-512, AVX2, portable C,
 * chosen at run time) gives the same bits.
 * Empty call: n == 0 (MHA_OK; src and dst may be NULL). The caller owns the
 * buffers; reentrant.
 *
 * @return MHA_OK; MHA_ERR_TOO_LARGE (n·sizeof(float) overflows size_t, or a
 *         buffer ends past the address space — checked before the pointers);
 *         MHA_ERR_NULL_POINTER (src or dst NULL, n > 0); MHA_ERR_OVERLAP (the
 *         byte ranges of src and dst share a byte). dst is untouched on error.
 */
MHA_API mha_status mha_convert_f32_to_bf16(const float *src, mha_bf16 *dst, size_t n);

/**
 * @brief Widens bfloat16 to floats: dst[i] = src[i] for i < n, exactly.
 *
 * @param src  n bf16, contiguous.
 * @param dst  out: n floats, contiguous; must not overlap src.
 * @param n    elements.
 *
 * Numerics: exact (a bf16 is a float whose low 16 bits are zero), subnormals
 * included; ±0 and ±Inf kept. A NaN stays NaN with its sign and payload, quiet
 * bit set (signalling NaNs come out quiet). Same bits on every code path.
 * Empty call: n == 0 (MHA_OK; src and dst may be NULL). Reentrant.
 *
 * @return MHA_OK; MHA_ERR_TOO_LARGE (n·sizeof(float) overflows size_t);
 *         MHA_ERR_NULL_POINTER; MHA_ERR_OVERLAP. dst is untouched on error.
 */
MHA_API mha_status mha_convert_bf16_to_f32(const mha_bf16 *src, float *dst, size_t n);

/**
 * @brief Rounds floats to IEEE binary16: dst[i] = f16(src[i]) for i < n.
 *
 * @param src  n floats, contiguous.
 * @param dst  out: n f16, contiguous; must not overlap src (no in-place call).
 * @param n    elements.
 *
 * Numerics: round to nearest, ties to even, whatever the FPU's rounding mode
 * or flush-to-zero settings. Overflow: |x| ≥ 65520 (65504, the largest f16,
 * plus half its ulp: the tie goes to even, which is Inf) becomes ±Inf; just
 * below 65520 gives ±65504. Underflow is gradual: results in the f16 subnormal
 * range (below 2^−14, steps of 2^−24) are rounded exactly, |x| ≤ 2^−25 gives
 * ±0 with the sign kept. ±Inf stay ±Inf. A NaN stays NaN, sign and the top 9
 * payload bits kept, with the quiet bit set (signalling NaNs come out quiet).
 * Every code path gives the same bits.
 * Empty call: n == 0 (MHA_OK; src and dst may be NULL). Reentrant.
 *
 * @return MHA_OK; MHA_ERR_TOO_LARGE (n·sizeof(float) overflows size_t);
 *         MHA_ERR_NULL_POINTER; MHA_ERR_OVERLAP. dst is untouched on error.
 */
MHA_API mha_status mha_convert_f32_to_f16(const float *src, mha_f16 *dst, size_t n);

/**
 * @brief Widens IEEE binary16 to floats: dst[i] = src[i] for i < n, exactly.
 *
 * @param src  n f16, contiguous.
 * @param dst  out: n floats, contiguous; must not overlap src.
 * @param n    elements.
 *
 * Numerics: exact: normal values (−1)^s·2^(e−15)·(1 + f/1024), subnormals
 * (−1)^s·2^−14·(f/1024) become normal floats; ±0 and ±Inf kept. A NaN stays
 * NaN with its sign and payload, quiet bit set (signalling NaNs come out
 * quiet). Same bits on every code path.
 * Empty call: n == 0 (MHA_OK; src and dst may be NULL). Reentrant.
 *
 * @return MHA_OK; MHA_ERR_TOO_LARGE (n·sizeof(float) overflows size_t);
 *         MHA_ERR_NULL_POINTER; MHA_ERR_OVERLAP. dst is untouched on error.
 */
MHA_API mha_status mha_convert_f16_to_f32(const mha_f16 *src, float *dst, size_t n);

/* ------------------------------------------------------------------------ */
/* The seed operations                                                       */
/* ------------------------------------------------------------------------ */

/**
 * @brief QKV projection: Q = X·W_q, K = X·W_k, V = X·W_v.
 *
 * @param X    seq_len × d_model, row-major, contiguous.
 * @param W_q  d_model × d_model (likewise W_k, W_v); weights may alias each other.
 * @param Q    out: seq_len × d_model (likewise K, V).
 *
 * One GEMM per output, accumulating in the BLAS's precision (float here).
 * Empty call: seq_len == 0 or d_model == 0.
 *
 * @return MHA_OK; MHA_ERR_NULL_POINTER; MHA_ERR_TOO_LARGE (a dimension above
 *         INT_MAX in a call that is not empty, or a size product that
 *         overflows); MHA_ERR_OVERLAP (an output
 *         overlaps an input or another output). Outputs are untouched on error.
 */
MHA_API mha_status mha_compute_qkv(const float *X, const float *W_q, const float *W_k,
                                   const float *W_v, size_t seq_len, size_t d_model, float *Q,
                                   float *K, float *V);

/**
 * @brief QKV projection with the three weights side by side: QKV = X·[W_q | W_k | W_v].
 *
 * @param X      seq_len × d_model, contiguous.
 * @param W_qkv  d_model × (3·d_model): row r holds W_q[r], W_k[r], W_v[r].
 * @param QKV    out: seq_len × (3·d_model): row i holds Q[i], K[i], V[i].
 *
 * One GEMM instead of three. Pass Q = QKV, K = QKV + d_model, V = QKV + 2·d_model
 * with leading dimension 3·d_model to mha_attention() to attend without copying.
 * Same statuses and rules as mha_compute_qkv().
 */
MHA_API mha_status mha_compute_qkv_fused(const float *X, const float *W_qkv, size_t seq_len,
                                         size_t d_model, float *QKV);

/**
 * @brief Scaled dot-product attention for one head:
 *        out = softmax(Q·Kᵀ / sqrt(d_k)) · V, softmax over each row.
 *
 * @param Q    seq_len × d_k, contiguous (likewise K and V; they may alias).
 * @param K    keys, as Q.
 * @param V    values, as Q.
 * @param seq_len  rows of every matrix.
 * @param d_k  columns of every matrix.
 * @param out  out: seq_len × d_k.
 *
 * Numerics: row max subtracted before exp (no overflow for any finite score);
 * the 1/sqrt(d_k) scale is folded into the first GEMM; exp and the row sum
 * run in the working precision. Empty call: seq_len == 0 or d_k == 0.
 *
 * @return MHA_OK; MHA_ERR_NULL_POINTER; MHA_ERR_TOO_LARGE; MHA_ERR_OVERLAP;
 *         MHA_ERR_OUT_OF_MEMORY (workspace of O(block × key block) not
 *         allocated: see mha_attention_workspace_size()).
 *         The output is untouched on error.
 */
MHA_API mha_status mha_self_attention(const float *Q, const float *K, const float *V,
                                      size_t seq_len, size_t d_k, float *out);

/**
 * @brief Multi-head attention: d_k = d_model / n_heads; head h attends with
 *        columns [h·d_k, (h+1)·d_k) of Q, K and V and writes the same columns
 *        of out. n_heads == 1 is mha_self_attention().
 *
 * @param Q        seq_len × d_model, contiguous (likewise K and V; they may alias).
 * @param K        keys, as Q.
 * @param V        values, as Q.
 * @param seq_len  rows of every matrix.
 * @param d_model  columns of every matrix.
 * @param n_heads  heads; divides d_model.
 * @param out      out: seq_len × d_model.
 *
 * Heads are read in place through the leading dimension: no split/concat copies.
 *
 * @return MHA_OK; MHA_ERR_INVALID_ARGUMENT (n_heads == 0, or n_heads does not
 *         divide d_model — checked even when the call is otherwise empty);
 *         MHA_ERR_NULL_POINTER; MHA_ERR_TOO_LARGE; MHA_ERR_OVERLAP;
 *         MHA_ERR_OUT_OF_MEMORY. The output is untouched on error.
 */
MHA_API mha_status mha_multi_head_attention(const float *Q, const float *K, const float *V,
                                            size_t seq_len, size_t d_model, size_t n_heads,
                                            float *out);

/** mha_compute_qkv() in double, on cblas_dgemm. */
MHA_API mha_status mha_compute_qkv_f64(const double *X, const double *W_q, const double *W_k,
                                       const double *W_v, size_t seq_len, size_t d_model, double *Q,
                                       double *K, double *V);
/** mha_compute_qkv_fused() in double. */
MHA_API mha_status mha_compute_qkv_fused_f64(const double *X, const double *W_qkv, size_t seq_len,
                                             size_t d_model, double *QKV);
/** mha_self_attention() in double. */
MHA_API mha_status mha_self_attention_f64(const double *Q, const double *K, const double *V,
                                          size_t seq_len, size_t d_k, double *out);
/** mha_multi_head_attention() in double. */
MHA_API mha_status mha_multi_head_attention_f64(const double *Q, const double *K, const double *V,
                                                size_t seq_len, size_t d_model, size_t n_heads,
                                                double *out);

/* ------------------------------------------------------------------------ */
/* General attention                                                         */
/* ------------------------------------------------------------------------ */

/** mha_attention_desc.flags: causal mask, aligned to the bottom-right corner. */
#define MHA_CAUSAL 1u

/**
 * @brief Shape, layout and options of one mha_attention() call.
 *
 * Fill it with mha_attention_desc_init(), then change what differs. All
 * strides are in elements (not bytes), like a BLAS leading dimension.
 *
 * For batch item b, query head h (kv head g = h / (n_heads / n_kv_heads)):
 *   Q_bh  = rows [0, seq_q)  of Q + b·batch_stride_q + h·d_head,   row stride ld_q,  d_head wide
 *   K_bg  = rows [0, seq_kv) of K + b·batch_stride_k + g·d_head,   row stride ld_k,  d_head wide
 *   V_bg  = rows [0, seq_kv) of V + b·batch_stride_v + g·d_v,      row stride ld_v,  d_v wide
 *   out_bh= rows [0, seq_q)  of out + b·batch_stride_out + h·d_v,  row stride ld_out, d_v wide
 *   M_b   = seq_q × seq_kv   at mask + b·batch_stride_mask,        row stride ld_mask
 *   out_bh = softmax(scale · Q_bh·K_bgᵀ + M_b + C) · V_bg
 * where C[i][j] = −inf when (flags & MHA_CAUSAL) and j > i + (seq_kv − seq_q), and, with
 * kv_lens, seq_kv is kv_lens[b] for item b (its keys past that length do not exist).
 *
 * A batch stride of 0 on an input shares that input across the batch (one mask
 * for all items is batch_stride_mask = 0, the default).
 */
typedef struct mha_attention_desc {
    /** Bytes of the struct as the caller's mha.h declares it: sizeof(mha_attention_desc) there,
     *  set by mha_attention_desc_init() (a descriptor built by hand sets it itself). Fields are
     *  only ever added at the end, so the library reads the fields that lie inside struct_size
     *  and gives every later one its mha_attention_desc_init() default: a program built against
     *  an older mha.h runs unchanged against a newer libmha. MHA_ERR_INVALID_ARGUMENT, before
     *  any other rule of the descriptor, when it is below MHA_ATTENTION_DESC_SIZE_1 (no release
     *  had a smaller descriptor), not a multiple of the struct's alignment (no struct has such a
     *  size), or above this library's sizeof(mha_attention_desc): the caller's mha.h is newer
     *  and its fields past this library's may ask for options the library does not know, which
     *  it will not silently ignore. A program built against a newer mha.h that must also run on
     *  an older libmha, and sets none of the fields the older one lacks, may set struct_size to
     *  the size of the release it needs, e.g. MHA_ATTENTION_DESC_SIZE_1, after the init. */
    size_t struct_size;
    size_t batch;      /**< number of batch items (0: empty call) */
    size_t seq_q;      /**< query rows per item */
    size_t seq_kv;     /**< key/value rows per item */
    size_t n_heads;    /**< query heads, >= 1 */
    size_t n_kv_heads; /**< key/value heads, >= 1, divides n_heads (1: MQA) */
    size_t d_head;     /**< width of one query/key head */
    size_t d_v;        /**< width of one value/output head */
    size_t ld_q, ld_k, ld_v, ld_out, ld_mask; /**< row strides, >= the row's width */
    size_t batch_stride_q, batch_stride_k, batch_stride_v, batch_stride_out,
        batch_stride_mask; /**< strides between batch items */
    double scale;          /**< multiplies Q·Kᵀ; default 1/sqrt(d_head) */
    unsigned flags;        /**< 0 or MHA_CAUSAL */
    /** Worker threads the library may run tiles on (OpenMP). 0 (default): decided per call —
     *  OMP_NUM_THREADS's first value as the process started, else one per processor (see the
     *  conventions at the top; OMP_THREAD_LIMIT caps it), when the call's GEMMs can run one
     *  per core (a BLAS serial inside the workers, oneDNN, or no GEMM at all: decode), else 1,
     *  leaving the parallelism to a threaded BLAS inside each GEMM (the two together would
     *  oversubscribe the cores); see mha_runtime.setup.
     *  k > 0: at most k workers; with double over a threaded BLAS the caller then owns the
     *  BLAS's thread count (set it to 1 for k > 1). In a call of several tiles every worker,
     *  even a single one, runs its GEMMs on its own thread (the default build's OpenMP
     *  OpenBLAS and oneDNN would otherwise thread them outside an active parallel region), so
     *  that the result keeps its bits; a call of one tile leaves the GEMMs their threads. */
    size_t n_threads;
    /** Optional ragged batch (NULL, the default: every item has seq_kv keys): `batch` lengths,
     *  kv_lens[b] <= seq_kv. Item b attends to keys [0, kv_lens[b]) of its K, V and mask rows
     *  only, as if its seq_kv were kv_lens[b]: the causal alignment uses it too (query i sees
     *  key j when j <= i + kv_lens[b] − seq_q), keys at and past kv_lens[b] are never read, and
     *  a row that sees no key gives zeros and lse −inf. One padded cache then serves a batch of
     *  sequences of different lengths without a mask. Read during the call only; ignored when
     *  batch is 0. A length above seq_kv is MHA_ERR_INVALID_ARGUMENT. */
    const size_t *kv_lens;
    /* Fields added later go here, after every other (docs/DESIGN.md, "A descriptor that can
     * grow"). */
} mha_attention_desc;

/**
 * The first release's sizeof(mha_attention_desc): its fields, struct_size to
 * kv_lens (176 bytes on LP64 targets such as x86-64 and AArch64). The smallest
 * struct_size the library takes; later fields only ever follow kv_lens.
 */
#define MHA_ATTENTION_DESC_SIZE_1                                                                  \
    (offsetof(mha_attention_desc, kv_lens) + sizeof(((mha_attention_desc *)0)->kv_lens))

/**
 * @brief mha_attention_desc_init() on a descriptor of @p struct_size bytes:
 * writes its first struct_size bytes and not one past them. The fields of
 * this library that lie inside them get the defaults listed at
 * mha_attention_desc_init(), struct_size gets @p struct_size, and bytes past
 * this library's own sizeof(mha_attention_desc) (fields of a newer mha.h)
 * are zeroed. So a program compiled against an older mha.h, whose struct is
 * smaller, has nothing written past its struct. Bindings that mirror the
 * struct (Python's ctypes) pass the mirror's size. No-op when @p desc is NULL
 * or struct_size is below MHA_ATTENTION_DESC_SIZE_1.
 */
MHA_API void mha_attention_desc_init_sized(mha_attention_desc *desc, size_t struct_size,
                                           size_t seq_q, size_t seq_kv, size_t n_heads,
                                           size_t n_kv_heads, size_t d_head, size_t d_v);

/**
 * @brief Fills @p desc for one packed batch item: struct_size =
 * sizeof(mha_attention_desc) as this header declares it, ld_q = n_heads·d_head,
 * ld_k = n_kv_heads·d_head, ld_v = n_kv_heads·d_v, ld_out = n_heads·d_v,
 * ld_mask = seq_kv, batch strides = seq × ld (batch_stride_mask = 0),
 * batch = 1, scale = 1/sqrt(d_head) (1 when d_head == 0), flags = 0, n_threads = 0,
 * kv_lens = NULL.
 * Does not validate: mha_attention() does. No-op when @p desc is NULL.
 * Inline, so that the size is the one the caller was compiled with: it is
 * mha_attention_desc_init_sized(desc, sizeof *desc, ...), and a newer library
 * writes no field the caller's struct does not have.
 */
static inline void mha_attention_desc_init(mha_attention_desc *desc, size_t seq_q, size_t seq_kv,
                                           size_t n_heads, size_t n_kv_heads, size_t d_head,
                                           size_t d_v)
{
    mha_attention_desc_init_sized(desc, sizeof(mha_attention_desc), seq_q, seq_kv, n_heads,
                                  n_kv_heads, d_head, d_v);
}

/**
 * @brief General scaled dot-product attention (see mha_attention_desc for the formula).
 *
 * @param desc  shape, layout, scale and flags.
 * @param Q     queries laid out as the descriptor says. Q, K, V and mask may
 *              alias or overlap each other (e.g. slices of one fused QKV buffer).
 * @param K     keys, as the descriptor says.
 * @param V     values, as the descriptor says.
 * @param mask  optional additive mask (NULL: none), −inf entries allowed.
 * @param out   out: the attention output.
 * @param lse   optional out (NULL: not written): batch × n_heads × seq_q,
 *              packed; lse[(b·n_heads + h)·seq_q + i] = log Σ_j exp(s_ij), the
 *              log-sum-exp of row i's scaled, masked scores — the input of
 *              mha_attention_merge().
 *
 * Rows with no visible key (every score −inf, causal with i + seq_kv − seq_q < 0,
 * or seq_kv == 0) produce zeros in out and −inf in lse, never NaN.
 * Causal blocks that lie wholly in a row's future are skipped, not computed.
 * NaN or +inf scores give a NaN row, as the textbook formula does. A key a row
 * does not see (mask −inf, or in its causal future) weighs exactly 0, but a NaN
 * or Inf in that key's row of V still reaches the output as 0·Inf = NaN: always
 * for a masked key, and for a causal-future key when it falls inside a block of
 * keys the row's query block multiplies. Keep V finite where it is not read.
 * Numerics: the row max is subtracted before exp, so no finite score overflows;
 * out is accumulated as Σ_j e^(s_ij − max_i)·V_j by GEMMs and divided by the
 * row's sum afterwards, so, like any GEMM, that sum can overflow when |V| comes
 * within a factor seq_kv of the type's largest finite value. Above 1024 keys
 * the keys are walked in blocks of 512 with an online softmax: each block's
 * weights use the running max of the blocks so far, and when it grows, the sum
 * and the output accumulated so far are multiplied by e^(old max − new max).
 * Blocks are taken in key order whatever the number of workers.
 * Decode: a call with at most 32 query rows per kv head (seq_q·n_heads/n_kv_heads
 * ≤ 32: token-by-token generation, speculative decoding) and d_head > 0 runs no
 * GEMM. For each batch item and kv head it streams every K and V row once for all
 * those rows (AVX-512 or AVX2 kernels, chosen at run time, or portable C; half
 * caches are widened in registers), with the same online softmax over blocks of
 * 64 keys.
 * When there are fewer than 16 such (batch item, kv heads) work items, caches
 * above 1024 keys are cut into chunks (at least 1024 keys, about 32 work items
 * in all, at most 64 chunks) that workers take separately (split-KV), merged in
 * chunk order through their log-sum-exps: a cut that depends on the shape only,
 * so the bits do not depend on the number of workers.
 *
 * Empty call (MHA_OK, nothing written): batch or seq_q is 0, or d_v is 0 and
 * lse is NULL. With d_v == 0 and an lse, only the lse is computed (V and out are
 * empty and may be NULL). d_head == 0 is not empty: every score is an empty dot
 * product, 0, so each row averages its visible V rows (Q and K may be NULL), or,
 * with a mask, weighs them by the softmax of its mask entries; such a call
 * computes no score: without a mask a row's lse is the log of its visible key
 * count, and its output comes from one running sum of V rows in key order
 * (with d_v == 0, only the lse: O(1) per row and head, whatever seq_kv); with a
 * mask, each row reads its visible mask entries twice and the V rows they weigh
 * once, for every head at a time. seq_kv == 0 gives zeros and lse −inf (K, V
 * and mask may be NULL).
 *
 * @return MHA_OK; MHA_ERR_NULL_POINTER (desc, or a non-empty buffer);
 *         MHA_ERR_INVALID_ARGUMENT (a struct_size the library cannot honour
 *         — checked first —, n_heads or n_kv_heads 0, n_kv_heads not
 *         dividing n_heads, a kv_lens entry above seq_kv, a leading
 *         dimension below its row width — ld_mask too, even when mask is NULL,
 *         as a BLAS checks every lda — a scale that is not finite in the
 *         working precision, unknown flags, output batch items that overlap
 *         each other); MHA_ERR_TOO_LARGE (in a call that is not empty, a value
 *         handed to the BLAS above INT_MAX — seq_kv, d_head, d_v, n_heads,
 *         ld_q, ld_k, ld_v, ld_out; or, in any call, the extent of a buffer
 *         that is passed overflowing size_t); MHA_ERR_OVERLAP;
 *         MHA_ERR_OUT_OF_MEMORY. The descriptor's rules (the INVALID_ARGUMENT
 *         ones) are checked first, even for an empty call. Score rows are
 *         padded to 64 bytes only where the padded stride still fits an int.
 *         Outputs untouched on error.
 *
 * Threads: reentrant. The work is cut into tiles (batch × heads × query blocks);
 * see mha_attention_desc.n_threads for who runs them in parallel. The result is
 * bitwise the same whatever the number of workers: the tiling does not depend
 * on it, and each tile is computed by one worker.
 */
MHA_API mha_status mha_attention(const mha_attention_desc *desc, const float *Q, const float *K,
                                 const float *V, const float *mask, float *out, float *lse);

/** mha_attention() in double (mask and lse are double too). */
MHA_API mha_status mha_attention_f64(const mha_attention_desc *desc, const double *Q,
                                     const double *K, const double *V, const double *mask,
                                     double *out, double *lse);

/**
 * @brief Workspace bytes that mha_attention_ws() needs for @p desc (float).
 * Sized for a call with an lse (with d_v == 0 that is the only work; without
 * an lse such a call is empty and needs none). 0 when batch or seq_q is 0.
 * It never grows with seq_kv beyond 1024 keys: workers × (rows × (K + 2 +
 * d_v) + 3 × 64 bytes of padding at most) elements + 64 bytes (the score
 * block, the row statistics, the output accumulator), where K is seq_kv up to
 * 1024 keys and 512 above (rounded up to 64 bytes), rows is min(seq_q, 256) up
 * to 1024 keys and min(seq_q, 512) above, or the heads per kv head when they
 * are stacked (seq_q below that count), and workers is the number of tile
 * workers. For float, d_v 64 and 2 workers: about 2.3 MiB at most, at any
 * seq_kv.
 * Decode calls (see mha_attention()) need workers × R × (d_head + d_v + K + 2)
 * elements, K = min(seq_kv, 64), where R ≤ 32 is a work item's rows (seq_q·n_heads/n_kv_heads per
 * kv head, as many neighbouring kv heads as fit in 32 rows: B blocks of them),
 * each region rounded up to 64 bytes; plus, when split, batch·B·chunks·R·
 * (d_v + 2) elements for the chunks' partial results (chunks ≤ 64, so this too
 * stops growing with seq_kv): 600 KiB for float, 32 heads over 8 of 128,
 * 32 768 keys. Calls with d_head == 0 need workers × 2 regions of
 * n_kv_heads·d_v elements, each rounded up to 64 bytes (64 bytes in all per
 * worker when d_v == 0), + 64 bytes, at any seq_kv.
 * @return MHA_OK and *bytes set; or the status mha_attention() would return for
 *         the descriptor's shape errors with an lse and no mask (*bytes
 *         untouched).
 */
MHA_API mha_status mha_attention_workspace_size(const mha_attention_desc *desc, size_t *bytes);
/** mha_attention_workspace_size() for mha_attention_ws_f64(). */
MHA_API mha_status mha_attention_workspace_size_f64(const mha_attention_desc *desc, size_t *bytes);

/**
 * @brief mha_attention() on a caller-owned workspace: no allocation at all.
 *
 * @param workspace        any alignment (it is aligned internally, the query
 *                         includes the slack); its first min(workspace_bytes,
 *                         queried size) bytes are the library's and must not
 *                         overlap any other buffer (the rest is never touched).
 * @param workspace_bytes  its size. The queried size runs as many workers as
 *                         mha_attention() would; a smaller workspace runs fewer
 *                         (one worker needs the queried size for n_threads = 1);
 *                         below that is MHA_ERR_WORKSPACE_TOO_SMALL. An
 *                         empty call uses no workspace: any size, even NULL.
 * Same rules and statuses as mha_attention(), never MHA_ERR_OUT_OF_MEMORY.
 */
MHA_API mha_status mha_attention_ws(const mha_attention_desc *desc, const float *Q, const float *K,
                                    const float *V, const float *mask, float *out, float *lse,
                                    void *workspace, size_t workspace_bytes);
/** mha_attention_ws() in double. */
MHA_API mha_status mha_attention_ws_f64(const mha_attention_desc *desc, const double *Q,
                                        const double *K, const double *V, const double *mask,
                                        double *out, double *lse, void *workspace,
                                        size_t workspace_bytes);

/**
 * @brief Merges two partial attention results over disjoint key ranges into
 * the result over their union.
 *
 * For each of @p rows rows and @p n_heads heads (row i, head h):
 *   m = max(lse_a, lse_b);  w_a = exp(lse_a − m);  w_b = exp(lse_b − m)
 *   out = (w_a·out_a + w_b·out_b) / (w_a + w_b);   lse = m + log(w_a + w_b)
 * A side with lse = −inf (no visible key) contributes nothing; both −inf gives
 * zeros and −inf.
 *
 * @param rows     query rows in each partial result.
 * @param n_heads  heads.
 * @param d_v      width of one output head.
 * @param ld       row stride of out_a, out_b and out (>= n_heads·d_v).
 * @param out_a    rows × (n_heads·d_v), row stride ld: the result over keys A.
 * @param lse_a    n_heads × rows, packed (lse[h·rows + i]) — one batch item of
 *                 mha_attention()'s lse for keys A.
 * @param out_b    as out_a, over keys B.
 * @param lse_b    as lse_a, over keys B.
 * @param out      out: the result over A ∪ B, laid out as out_a.
 * @param lse      out: its log-sum-exp, laid out as lse_a.
 * out may be exactly out_a and lse exactly lse_a (in-place accumulation);
 * otherwise outputs must not overlap inputs. Empty call: rows or n_heads 0. With
 * d_v == 0 only the lse is merged (out_a, out_b and out may be NULL).
 * @return MHA_OK; MHA_ERR_NULL_POINTER; MHA_ERR_INVALID_ARGUMENT (ld too
 *         small); MHA_ERR_TOO_LARGE; MHA_ERR_OVERLAP.
 */
MHA_API mha_status mha_attention_merge(size_t rows, size_t n_heads, size_t d_v, size_t ld,
                                       const float *out_a, const float *lse_a, const float *out_b,
                                       const float *lse_b, float *out, float *lse);
/** mha_attention_merge() in double. */
MHA_API mha_status mha_attention_merge_f64(size_t rows, size_t n_heads, size_t d_v, size_t ld,
                                           const double *out_a, const double *lse_a,
                                           const double *out_b, const double *lse_b, double *out,
                                           double *lse);

/* ------------------------------------------------------------------------ */
/* Half precision: the same operations on bf16 and f16                       */
/* ------------------------------------------------------------------------ */

/*
 * For T in bf16 and f16, each function below is its float namesake with every
 * matrix (X, W, Q, K, V, out) stored in T; the mask and the lse stay float.
 * Shapes, layouts, strides, statuses, the empty-call rules, overlap rules,
 * "outputs untouched on error", reentrancy and the bitwise independence from
 * the number of workers are the float function's, word for word.
 *
 * Numerics. The inputs are taken at their exact values. Every product is
 * accumulated in float; the scores, the mask, the softmax, the row sums and
 * the lse are float, and the scores are never rounded to T. Each output
 * element is rounded once to T, to nearest even. Where the CPU multiplies bf16
 * natively (oneDNN's matmul on AVX512-BF16 or AMX, when libmha was built with
 * it; mha_runtime_info() says), the softmax probabilities of P·V are rounded
 * once to bf16 (round to nearest even; a probability below 2^-126 becomes 0)
 * as they are written, while the row sums that divide the output are taken
 * before that rounding; the exponentials behind both are then computed to
 * 3.1e-7 relative error (about 5 float ulps, against the 2^-9 of the rounding
 * to bf16) rather than to a float ulp. Otherwise (f16
 * always, bf16 without the units or without oneDNN) the halves are widened to
 * float and multiplied by the BLAS's sgemm, and P stays float. Error against
 * the exact result of the half inputs, u = 2^-8 (bf16) or 2^-11 (f16):
 * attention within 3u·max|V| (plus float rounding), projections within
 * 2u·max|result| plus the float accumulation bound.
 *
 * Memory: the half attention's workspace holds, per worker, the float output
 * accumulator of a tile of up to 16 blocks of rows, and adds room to widen (or
 * pack) the tile's Q and a block of K and V, and (native bf16) P in bf16:
 * mha_attention_workspace_size_T() gives the total. The half
 * projections allocate a scratch of the weights in float (reserved, touched
 * only where the halves are widened) and can return MHA_ERR_OUT_OF_MEMORY.
 * There is no half mha_attention_merge(): merge the float lse and a float copy
 * of the outputs, or keep partial results in float.
 */

/** mha_compute_qkv() on bf16 and on f16 (see "Half precision" above). */
MHA_API mha_status mha_compute_qkv_bf16(const mha_bf16 *X, const mha_bf16 *W_q, const mha_bf16 *W_k,
                                        const mha_bf16 *W_v, size_t seq_len, size_t d_model,
                                        mha_bf16 *Q, mha_bf16 *K, mha_bf16 *V);
MHA_API mha_status mha_compute_qkv_f16(const mha_f16 *X, const mha_f16 *W_q, const mha_f16 *W_k,
                                       const mha_f16 *W_v, size_t seq_len, size_t d_model,
                                       mha_f16 *Q, mha_f16 *K, mha_f16 *V);

/** mha_compute_qkv_fused() on bf16 and on f16. */
MHA_API mha_status mha_compute_qkv_fused_bf16(const mha_bf16 *X, const mha_bf16 *W_qkv,
                                              size_t seq_len, size_t d_model, mha_bf16 *QKV);
MHA_API mha_status mha_compute_qkv_fused_f16(const mha_f16 *X, const mha_f16 *W_qkv, size_t seq_len,
                                             size_t d_model, mha_f16 *QKV);

/** mha_self_attention() on bf16 and on f16. */
MHA_API mha_status mha_self_attention_bf16(const mha_bf16 *Q, const mha_bf16 *K, const mha_bf16 *V,
                                           size_t seq_len, size_t d_k, mha_bf16 *out);
MHA_API mha_status mha_self_attention_f16(const mha_f16 *Q, const mha_f16 *K, const mha_f16 *V,
                                          size_t seq_len, size_t d_k, mha_f16 *out);

/** mha_multi_head_attention() on bf16 and on f16. */
MHA_API mha_status mha_multi_head_attention_bf16(const mha_bf16 *Q, const mha_bf16 *K,
                                                 const mha_bf16 *V, size_t seq_len, size_t d_model,
                                                 size_t n_heads, mha_bf16 *out);
MHA_API mha_status mha_multi_head_attention_f16(const mha_f16 *Q, const mha_f16 *K,
                                                const mha_f16 *V, size_t seq_len, size_t d_model,
                                                size_t n_heads, mha_f16 *out);

/** mha_attention() on bf16 and on f16 matrices; the mask and the lse are float. */
MHA_API mha_status mha_attention_bf16(const mha_attention_desc *desc, const mha_bf16 *Q,
                                      const mha_bf16 *K, const mha_bf16 *V, const float *mask,
                                      mha_bf16 *out, float *lse);
MHA_API mha_status mha_attention_f16(const mha_attention_desc *desc, const mha_f16 *Q,
                                     const mha_f16 *K, const mha_f16 *V, const float *mask,
                                     mha_f16 *out, float *lse);

/** mha_attention_workspace_size() for mha_attention_ws_bf16() and mha_attention_ws_f16(). */
MHA_API mha_status mha_attention_workspace_size_bf16(const mha_attention_desc *desc, size_t *bytes);
MHA_API mha_status mha_attention_workspace_size_f16(const mha_attention_desc *desc, size_t *bytes);

/** mha_attention_ws() on bf16 and on f16 matrices: libmha allocates nothing. */
MHA_API mha_status mha_attention_ws_bf16(const mha_attention_desc *desc, const mha_bf16 *Q,
                                         const mha_bf16 *K, const mha_bf16 *V, const float *mask,
                                         mha_bf16 *out, float *lse, void *workspace,
                                         size_t workspace_bytes);
MHA_API mha_status mha_attention_ws_f16(const mha_attention_desc *desc, const mha_f16 *Q,
                                        const mha_f16 *K, const mha_f16 *V, const float *mask,
                                        mha_f16 *out, float *lse, void *workspace,
                                        size_t workspace_bytes);

#ifdef __cplusplus
}
#endif

#endif /* MHA_H */
