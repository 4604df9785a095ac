/* SPDX-License-Identifier: MIT */
/* The half-precision side of the GEMM boundary common to builds with and without oneDNN: which
 * half types run natively, bf16's uncached calls, and f16's GEMMs, which always decline
 * (gemm.h). */
#include "gemm.h"

bool mha_gemm_half_native(mha_dtype t)
{
    return t == MHA_DTYPE_BF16 && mha_gemm_bf16_native();
}

bool mha_gemm_f16(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                  float alpha, const mha_f16 *A, size_t lda, const mha_f16 *B, size_t ldb,
                  float beta, float *C, size_t ldc)
{
    (void)cache, (void)trans_b, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda, (void)B,
        (void)ldb;
    (void)beta, (void)C, (void)ldc;
    return false;
}

bool mha_gemm_f16_out_f16(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                          float alpha, const mha_f16 *A, size_t lda, const mha_f16 *B, size_t ldb,
                          mha_f16 *C, size_t ldc)
{
    (void)cache, (void)trans_b, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda, (void)B,
        (void)ldb;
    (void)C, (void)ldc;
    return false;
}

bool mha_gemm_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha, const mha_bf16 *A,
                   size_t lda, const mha_bf16 *B, size_t ldb, float beta, float *C, size_t ldc)
{
    return mha_gemm_bf16_cached(NULL, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bool mha_gemm_bf16_out_bf16(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                            const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                            mha_bf16 *C, size_t ldc)
{
    return mha_gemm_bf16_out_bf16_cached(NULL, trans_b, m, n, k, alpha, A, lda, B, ldb, C, ldc);
}
