/* SPDX-License-Identifier: MIT */
/* The machine and the BLAS the benchmark runs on: CPU model and vector extensions, which BLAS and
 * which of its kernels, thread counts, and the OPENBLAS_CORETYPE re-execution that works around
 * OpenBLAS builds that do not recognise the CPU. */
#ifndef MHA_BENCH_ENV_H
#define MHA_BENCH_ENV_H

#include "mha.h"

#include <stdbool.h>

typedef struct bench_env {
    char cpu_model[128]; /* "model name" of /proc/cpuinfo, or "unknown" */
    bool avx2, avx512f;  /* what the CPU (and OS) can run */
    const char *blas;    /* the meson dependency the library was built on, e.g. "openblas" */
    const char *blas_version;
    char blas_config[256]; /* openblas_get_config(), or "" on another BLAS */
    int blas_threads;      /* openblas_get_num_threads(), or -1 when unknown */
    int omp_threads;       /* omp_get_max_threads(), or -1 without OpenMP */
    char coretype[64];     /* OPENBLAS_CORETYPE as this process saw it ("" when unset) */
    bool coretype_fixed;   /* this process is the re-execution that set it */
    char fixed_from[64];   /* then: the core OpenBLAS had chosen by itself */
    bool slow_core;        /* the BLAS runs kernels older than the CPU (the Prescott trap) */
    const char *fix_core;  /* the OPENBLAS_CORETYPE that would fix it: "SkylakeX", "Haswell" */
    mha_runtime runtime;   /* the library's own report (mha_runtime_info) */
} bench_env;

/* Fills *env; call after bench_set_threads() so the counts are the ones in force. */
void bench_env_probe(bench_env *env);

/* If OpenBLAS runs its SSE3 kernels on a CPU with AVX2/AVX-512 and OPENBLAS_CORETYPE is unset,
 * re-executes this program once with it set (OpenBLAS reads it only when it is loaded, so the
 * process cannot fix itself in place). Returns only when it did not re-execute. */
void bench_fix_coretype(char **argv);

/* The thread count of every pool the process may use: OpenBLAS's and, when the library is built
 * with OpenMP, OpenMP's. n <= 0: leave the defaults. With a multi-threaded BLAS the library runs
 * its tiles one after the other and each GEMM uses the BLAS's threads ("--parallel blas"). */
void bench_set_threads(int n);

/* "--parallel tiles": a single-threaded BLAS and `workers` OpenMP threads, on which the library
 * then runs whole tiles (GEMM, softmax, GEMM) in parallel. False when the bench cannot set both
 * (no OpenBLAS or no OpenMP): the library then stays serial. */
bool bench_parallel_tiles(int workers);

#endif
