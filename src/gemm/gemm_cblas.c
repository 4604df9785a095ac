/* SPDX-License-Identifier: MIT */
/* The BLAS boundary: size_t in, int out, row-major GEMM. */
#include "gemm.h"

#include "mha_assert.h"

#include <cblas.h>
#ifndef MHA_HAVE_OPENBLAS
#include <dlfcn.h>
#endif
#include <limits.h>
#include <string.h>

static int to_int(size_t n)
{
    MHA_ASSERT(n <= (size_t)INT_MAX); /* validate.c guarantees it */
    return (int)n;
}

/* An empty inner dimension: C = beta·C by hand (BLASes differ on k == 0). */
#define SCALE_ROWS(C, m, n, ldc, beta)                                                             \
    for (size_t i = 0; i < (m); i++)                                                               \
        for (size_t j = 0; j < (n); j++)                                                           \
            (C)[i * (ldc) + j] = (beta) == 0 ? 0 : (beta) * (C)[i * (ldc) + j];

void mha_gemm_f32(mha_gemm_backend on, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        SCALE_ROWS(C, m, n, ldc, beta)
        return;
    }
    if (on == MHA_GEMM_ONEDNN &&
        mha_gemm_f32_onednn(trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, to_int(m),
                to_int(n), to_int(k), alpha, A, to_int(lda), B, to_int(ldb), beta, C, to_int(ldc));
}

void mha_gemm_f64(mha_gemm_backend on, bool trans_b, size_t m, size_t n, size_t k, double alpha,
                  const double *A, size_t lda, const double *B, size_t ldb, double beta, double *C,
                  size_t ldc)
{
    MHA_ASSERT(on == MHA_GEMM_BLAS);
    (void)on;
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        SCALE_ROWS(C, m, n, ldc, beta)
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, to_int(m),
                to_int(n), to_int(k), alpha, A, to_int(lda), B, to_int(ldb), beta, C, to_int(ldc));
}

/* OpenBLAS's self-description and thread count, by name: linked directly when the build found
 * OpenBLAS; otherwise looked up among the loaded libraries, as a generic CBLAS may still be
 * OpenBLAS behind another name (Debian's libblas.so.3 is, when it is installed), or another
 * threaded library (MKL and BLIS ship CBLAS too). Unknown: NULL, 0, 1. */
enum { PARALLEL_OPENMP = 2 }; /* openblas_get_parallel(): sequential 0, pthreads 1, OpenMP 2 */
#ifdef MHA_HAVE_OPENBLAS
static const char *blas_config(void)
{
    return openblas_get_config();
}
static const char *blas_corename(void)
{
    return openblas_get_corename();
}
static int blas_parallel(void)
{
    return openblas_get_parallel();
}
static int blas_thread_count(void)
{
    return openblas_get_num_threads();
}
#else
static void *loaded(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}
static const char *blas_text(const char *name)
{
    char *(*query)(void) = NULL;
    *(void **)&query = loaded(name);
    return query ? query() : NULL;
}
static const char *blas_config(void)
{
    return blas_text("openblas_get_config");
}
static const char *blas_corename(void)
{
    return blas_text("openblas_get_corename");
}
static int blas_parallel(void)
{
    int (*query)(void) = NULL;
    *(void **)&query = loaded("openblas_get_parallel");
    return query ? query() : 0;
}
static int blas_thread_count(void)
{
    int (*query)(void) = NULL;
    const char *const names[] = {"openblas_get_num_threads", "mkl_get_max_threads",
                                 "bli_thread_get_num_threads"};
    for (size_t i = 0; query == NULL && i < sizeof names / sizeof names[0]; i++)
        *(void **)&query = loaded(names[i]);
    return query ? query() : 1;
}
#endif

/* Copies src (NULL: "") into dst[size], truncated, always terminated. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    for (; src != NULL && src[n] != '\0' && n + 1 < size; n++)
        dst[n] = src[n];
    dst[n] = '\0';
}

void mha_blas_describe(mha_runtime *r)
{
    const char *config = blas_config(); /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
    if (config == NULL || strncmp(config, "OpenBLAS ", 9) != 0) {
        copy_text(r->blas_name, sizeof r->blas_name, "CBLAS");
        copy_text(r->blas_threading, sizeof r->blas_threading, "unknown");
        r->blas_threads = (int)mha_blas_threads();
        return;
    }
    copy_text(r->blas_name, sizeof r->blas_name, "OpenBLAS");
    copy_text(r->blas_version, sizeof r->blas_version, config + 9);
    r->blas_version[strcspn(r->blas_version, " ")] = '\0';
    copy_text(r->blas_core, sizeof r->blas_core, blas_corename());
    static const char *const flavours[] = {"sequential", "pthreads", "openmp"};
    int parallel = blas_parallel();
    copy_text(r->blas_threading, sizeof r->blas_threading,
              parallel >= 0 && parallel <= 2 ? flavours[parallel] : "unknown");
    r->blas_threads = blas_thread_count();
}

bool mha_blas_serial_in_parallel(void)
{
    return blas_parallel() == PARALLEL_OPENMP;
}

size_t mha_blas_threads(void)
{
    int n = blas_thread_count();
    return mha_blas_serial_in_parallel() || n < 1 ? 1 : (size_t)n;
}
