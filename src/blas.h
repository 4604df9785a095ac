/* SPDX-License-Identifier: MIT */
/* The BLAS boundary: the only place that includes <cblas.h>. Sizes come in as size_t, already
 * validated to fit the BLAS's int, and go out as int. */
#ifndef MHA_BLAS_H
#define MHA_BLAS_H

#include "dtype.h"
#include "mha.h"

#include <stdbool.h>
#include <stddef.h>

/* C (m×n, ldc) = alpha · A (m×k, lda) · op(B) + beta · C, op(B) = Bᵀ (B is n×k) when trans_b, else
 * B (k×n). Row-major. k == 0 gives C = beta·C without reading A or B (alpha is not applied to an
 * empty sum, so an infinite alpha cannot turn it into NaN). */
void mha_gemm_f32(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *A,
                  size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc);
void mha_gemm_f64(bool trans_b, size_t m, size_t n, size_t k, double alpha, const double *A,
                  size_t lda, const double *B, size_t ldb, double beta, double *C, size_t ldc);

/* The half-precision GEMM backend. mha_gemm_half_native(t): does this build and CPU multiply
 * halves of type t natively (oneDNN's bf16 matmul on AVX512-BF16 or AMX)? Only then is a half
 * GEMM faster than widening to float. The GEMMs: C = alpha·A·op(B) + beta·C as mha_gemm_f32, A and
 * B stored halves, products accumulated in float; the _out_ variants write C rounded once to the
 * half type (beta 0). They return false, with C untouched, when they cannot run the product (no
 * backend, no units, or the backend failed): the caller then widens to float. f16 has no native
 * backend (oneDNN 2.6.3's f16 matmul is unimplemented on these CPUs): its GEMMs always decline. */
bool mha_gemm_half_native(mha_dtype t);
bool mha_gemm_bf16_native(void);
bool mha_gemm_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha, const mha_bf16 *A,
                   size_t lda, const mha_bf16 *B, size_t ldb, float beta, float *C, size_t ldc);
bool mha_gemm_bf16_out_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                            const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                            mha_bf16 *C, size_t ldc);
bool mha_gemm_f16(bool trans_b, size_t m, size_t n, size_t k, float alpha, const mha_f16 *A,
                  size_t lda, const mha_f16 *B, size_t ldb, float beta, float *C, size_t ldc);
bool mha_gemm_f16_out_f16(bool trans_b, size_t m, size_t n, size_t k, float alpha, const mha_f16 *A,
                          size_t lda, const mha_f16 *B, size_t ldb, mha_f16 *C, size_t ldc);

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

#endif
