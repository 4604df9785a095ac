/* SPDX-License-Identifier: MIT */
/* The BLAS boundary: the only place that includes <cblas.h>. Sizes come in as size_t, already
 * validated to fit the BLAS's int, and go out as int. */
#ifndef MHA_BLAS_H
#define MHA_BLAS_H

#include "dtype.h"
#include "mha.h"

#include <stdbool.h>
#include <stddef.h>

/* Who multiplies a call's float or double matrices (plan.h decides it once per call). */
typedef enum mha_gemm_backend {
    MHA_GEMM_BLAS,   /* cblas_?gemm: the process's BLAS, threaded as the process configured it */
    MHA_GEMM_ONEDNN, /* float only: oneDNN's sgemm, single-threaded inside a parallel region, for
                        a process whose BLAS would thread inside libmha's workers */
} mha_gemm_backend;

/* C (m×n, ldc) = alpha · A (m×k, lda) · op(B) + beta · C, op(B) = Bᵀ (B is n×k) when trans_b, else
 * B (k×n). Row-major. k == 0 gives C = beta·C without reading A or B (alpha is not applied to an
 * empty sum, so an infinite alpha cannot turn it into NaN). On MHA_GEMM_ONEDNN a product oneDNN
 * cannot run (its own allocation failing) runs on the BLAS instead. Double has only the BLAS. */
void mha_gemm_f32(mha_gemm_backend on, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc);
void mha_gemm_f64(mha_gemm_backend on, bool trans_b, size_t m, size_t n, size_t k, double alpha,
                  const double *A, size_t lda, const double *B, size_t ldb, double beta, double *C,
                  size_t ldc);

/* Does this build and CPU have oneDNN's sgemm at speed (its jit kernels: AVX2 or better)? */
bool mha_gemm_onednn_sgemm(void);

/* oneDNN's sgemm with the arguments of mha_gemm_f32 (k > 0, m, n > 0); false with C untouched when
 * it cannot run (no oneDNN in this build, or a oneDNN error). Single-threaded inside an active GNU
 * OpenMP parallel region, bitwise as on one thread; on omp_get_max_threads() threads outside. */
bool mha_gemm_f32_onednn(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *A,
                         size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* The cache of primitives (below) that the half GEMMs of either type take: bf16's use it, f16's
 * decline. */
typedef struct mha_gemm_half_cache mha_gemm_half_cache;

/* The half GEMMs of the driver's traits (type_bf16.h, type_f16.h). mha_gemm_half_native(t): does
 * this build and CPU multiply halves of type t natively? f16 has no native backend (oneDNN 2.6.3's
 * f16 matmul is unimplemented on these CPUs): its GEMMs always decline, as the bf16 ones below do
 * when they cannot run. */
bool mha_gemm_half_native(mha_dtype t);
bool mha_gemm_f16(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                  float alpha, const mha_f16 *A, size_t lda, const mha_f16 *B, size_t ldb,
                  float beta, float *C, size_t ldc);
bool mha_gemm_f16_out_f16(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                          float alpha, const mha_f16 *A, size_t lda, const mha_f16 *B, size_t ldb,
                          mha_f16 *C, size_t ldc);

/* Threads the BLAS would use inside one GEMM called from a parallel region, as the caller has
 * configured it (read, never changed): 1 for an OpenMP-built OpenBLAS (it runs single-threaded
 * inside a parallel region by itself) or for a BLAS that cannot be asked (the reference BLAS). */
size_t mha_blas_threads(void);

/* Does the BLAS run single-threaded inside an active OpenMP parallel region and thread its GEMMs
 * outside one (an OpenMP-built OpenBLAS)? Then where a GEMM is called from decides its threads. */
bool mha_blas_serial_in_parallel(void);

/* Fills the BLAS fields of *r (name, version, core, threading, threads) from what the BLAS says of
 * itself; the others are left as they are. */
void mha_blas_describe(mha_runtime *r);

/* bf16 GEMM (oneDNN's matmul, src/gemm/gemm_onednn.c; src/gemm/gemm_onednn_none.c in a build
 * without it). Every call either runs the whole product and returns true, or returns false with C
 * untouched: the backend cannot run it (not built, no bf16 units, a oneDNN error, or only oneDNN's
 * reference kernel would), and the caller then widens to f32 and calls mha_gemm_f32. Products of
 * bf16 are exact in f32; they accumulate in f32 in oneDNN's order. Inside an active OpenMP parallel
 * region (GNU OpenMP: oneDNN's) a call runs on the calling thread alone, bitwise as on one thread;
 * outside one it uses omp_get_max_threads() threads and may split k (results can then differ in
 * the last bits from one thread's). */

/* True when this build has oneDNN and this CPU has bf16 units it uses (avx512_core_bf16 or AMX):
 * only then is a bf16 GEMM faster than widening to f32. */
bool mha_gemm_bf16_native(void);

/* Who multiplies bf16, for mha_runtime_info: "onednn avx512_core_amx", "onednn avx512_core_bf16"
 * or "float (widened)" (static text). */
const char *mha_gemm_bf16_backend(void);

/* C (m×n, ldc, f32) = alpha · A (m×k bf16, lda) · op(B) + beta · C; op(B) = Bᵀ (B n×k) when
 * trans_b, else B (k×n). Row-major, strides given. Products accumulate in f32. Returns false with
 * C untouched when the backend cannot run it (not built, no bf16 units, oneDNN error): the caller
 * then widens to f32 and calls mha_gemm_f32. k == 0 gives C = beta·C. */
bool mha_gemm_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha, const mha_bf16 *A,
                   size_t lda, const mha_bf16 *B, size_t ldb, float beta, float *C, size_t ldc);

/* The same with C in bf16, beta 0: the f32 accumulator rounded once to nearest even (for
 * projections). k == 0 gives C = 0. */
bool mha_gemm_bf16_out_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                            const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                            mha_bf16 *C, size_t ldc);

/* Primitives by shape, for a caller that repeats shapes: building one is a noticeable share of an
 * attention-sized GEMM even when oneDNN has it in its own cache. The driver keeps one per
 * worker for one call and finishes it after; one thread at a time uses it (no locks). It holds up
 * to 8 primitives keyed by (trans_b, m, n, k, lda, ldb, ldc, alpha, beta, output type), the
 * oldest replaced first. Create returns NULL when not native or out of memory: the _cached calls
 * then take NULL, which builds a primitive per call (what the plain calls above do). */
mha_gemm_half_cache *mha_gemm_half_cache_create(void);
void mha_gemm_half_cache_destroy(mha_gemm_half_cache *cache); /* NULL: nothing */
/* The same in memory the caller provides (the driver's workspace: a _ws call allocates nothing of
 * its own; oneDNN's primitives are oneDNN's): bytes 0 without oneDNN; init NULL when not native or
 * oneDNN fails; fini releases the primitives, not the memory (NULL: nothing). */
size_t mha_gemm_half_cache_bytes(void);
mha_gemm_half_cache *mha_gemm_half_cache_init(void *mem);
void mha_gemm_half_cache_fini(mha_gemm_half_cache *cache);
bool mha_gemm_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                          float alpha, const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                          float beta, float *C, size_t ldc);
bool mha_gemm_bf16_out_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n,
                                   size_t k, float alpha, const mha_bf16 *A, size_t lda,
                                   const mha_bf16 *B, size_t ldb, mha_bf16 *C, size_t ldc);

#endif
