/* SPDX-License-Identifier: MIT */
/* The oneDNN GEMMs of gemm.h in a build without oneDNN: never native, every call declines (false,
 * C untouched): bf16 is widened to f32, and f32 runs on the BLAS. */
#include "gemm.h"

bool mha_gemm_onednn_sgemm(void)
{
    return false;
}

bool mha_gemm_f32_onednn(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *A,
                         size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    (void)trans_b, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
    (void)beta, (void)C, (void)ldc;
    return false;
}

bool mha_gemm_bf16_native(void)
{
    return false;
}

const char *mha_gemm_bf16_backend(void)
{
    return "float (widened)";
}

size_t mha_gemm_half_cache_bytes(void)
{
    return 0;
}

mha_gemm_half_cache *mha_gemm_half_cache_init(void *mem)
{
    (void)mem;
    return NULL;
}

void mha_gemm_half_cache_fini(mha_gemm_half_cache *cache)
{
    (void)cache;
}

mha_gemm_half_cache *mha_gemm_half_cache_create(void)
{
    return NULL;
}

void mha_gemm_half_cache_destroy(mha_gemm_half_cache *cache)
{
    (void)cache;
}

bool mha_gemm_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                          float alpha, const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                          float beta, float *C, size_t ldc)
{
    (void)cache, (void)trans_b, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda;
    (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
    return false;
}

bool mha_gemm_bf16_out_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n,
                                   size_t k, float alpha, const mha_bf16 *A, size_t lda,
                                   const mha_bf16 *B, size_t ldb, mha_bf16 *C, size_t ldc)
{
    (void)cache, (void)trans_b, (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda;
    (void)B, (void)ldb, (void)C, (void)ldc;
    return false;
}
