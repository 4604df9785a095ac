/* SPDX-License-Identifier: MIT */
/* The judgement behind mha_runtime.blas_below_cpu, on names alone, so that tests can try every
 * pairing of kernels and CPU. */
#ifndef MHA_RUNTIME_H
#define MHA_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

/* Does OpenBLAS's kernel set `blas_core` ("Prescott", "Haswell", "SkylakeX", ...) fall below a CPU
 * whose widest unit is `cpu_isa` ("avx512f", "avx2", "sse2", "")? A pre-AVX2 set on an AVX2 or
 * AVX-512 CPU, or an AVX2 set on an AVX-512 CPU, does; then reason[size] gets one line saying so
 * and which OPENBLAS_CORETYPE fixes it. An unknown core or CPU ("") never does. */
bool mha_kernels_below_cpu(const char *blas_core, const char *cpu_isa, char *reason, size_t size);

/* mha_runtime.setup: one line on how libmha runs its GEMMs in a process whose BLAS has the
 * threading `blas_threading` ("openmp", "pthreads", "sequential", "unknown") with `blas_threads`
 * threads per GEMM, when float runs on `float_gemm` (mha_plan_gemm) and a large call gets
 * `workers` workers out of OpenMP's `cores` (0: no OpenMP in this build): what it does about the
 * BLAS, and what a user can set, if anything. */
void mha_describe_setup(const char *blas_threading, int blas_threads, bool float_on_onednn,
                        int workers, int cores, char *setup, size_t size);

#endif
