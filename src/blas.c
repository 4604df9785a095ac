/* SPDX-License-Identifier: MIT */
/* The BLAS boundary: size_t in, int out, row-major GEMM. */
#include "blas.h"

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

void mha_gemm_f32(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *A,
                  size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        SCALE_ROWS(C, m, n, ldc, beta)
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, to_int(m),
                to_int(n), to_int(k), alpha, A, to_int(lda), B, to_int(ldb), beta, C, to_int(ldc));
}

void mha_gemm_f64(bool trans_b, size_t m, size_t n, size_t k, double alpha, const double *A,
                  size_t lda, const double *B, size_t ldb, double beta, double *C, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        SCALE_ROWS(C, m, n, ldc, beta)
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, to_int(m),
                to_int(n), to_int(k), alpha, A, to_int(lda), B, to_int(ldb), beta, C, to_int(ldc));
}

#ifndef MHA_HAVE_OPENBLAS
/* OpenBLAS's self-description, when the generic CBLAS is OpenBLAS behind another name; NULL
 * otherwise. */
static const char *openblas_text(const char *symbol)
{
    char *(*query)(void) = NULL;
    *(void **)&query = dlsym(RTLD_DEFAULT, symbol);
    return query ? query() : NULL;
}
#define openblas_get_config() openblas_text("openblas_get_config")
#define openblas_get_corename() openblas_text("openblas_get_corename")

/* A generic CBLAS may still be a threaded library behind the name (Debian's libblas.so.3 is
 * OpenBLAS when it is installed; MKL and BLIS ship CBLAS too): ask it by its own query, found
 * by name among the loaded libraries. Unknown BLAS: 1 (the reference BLAS is serial). */
static size_t threads_by_symbol(void)
{
    int (*query)(void) = NULL;
    const char *const names[] = {"openblas_get_num_threads", "mkl_get_max_threads",
                                 "bli_thread_get_num_threads"};
    for (size_t i = 0; query == NULL && i < sizeof names / sizeof names[0]; i++)
        *(void **)&query = dlsym(RTLD_DEFAULT, names[i]);
    int n = query ? query() : 1;
    return n > 1 ? (size_t)n : 1;
}

static int openblas_get_parallel(void)
{
    int (*query)(void) = NULL;
    *(void **)&query = dlsym(RTLD_DEFAULT, "openblas_get_parallel");
    return query ? query() : 0;
}
#define OPENBLAS_OPENMP 2
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
    const char *config = openblas_get_config(); /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
    if (config == NULL || strncmp(config, "OpenBLAS ", 9) != 0) {
        copy_text(r->blas_name, sizeof r->blas_name, "CBLAS");
        copy_text(r->blas_threading, sizeof r->blas_threading, "unknown");
        r->blas_threads = (int)mha_blas_threads();
        return;
    }
    copy_text(r->blas_name, sizeof r->blas_name, "OpenBLAS");
    copy_text(r->blas_version, sizeof r->blas_version, config + 9);
    r->blas_version[strcspn(r->blas_version, " ")] = '\0';
    copy_text(r->blas_core, sizeof r->blas_core, openblas_get_corename());
    static const char *const flavours[] = {"sequential", "pthreads", "openmp"};
    int parallel = openblas_get_parallel();
    copy_text(r->blas_threading, sizeof r->blas_threading,
              parallel >= 0 && parallel <= 2 ? flavours[parallel] : "unknown");
#ifdef MHA_HAVE_OPENBLAS
    r->blas_threads = openblas_get_num_threads();
#else
    r->blas_threads = (int)threads_by_symbol();
#endif
}

bool mha_blas_serial_in_parallel(void)
{
    /* openblas_get_parallel(): OPENBLAS_SEQUENTIAL, OPENBLAS_THREAD or OPENBLAS_OPENMP. */
    return openblas_get_parallel() == OPENBLAS_OPENMP;
}

size_t mha_blas_threads(void)
{
    if (mha_blas_serial_in_parallel())
        return 1;
#ifdef MHA_HAVE_OPENBLAS
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : (size_t)n;
#else
    return threads_by_symbol();
#endif
}
