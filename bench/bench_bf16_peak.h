/* SPDX-License-Identifier: MIT */
/* The bf16 GEMM ceiling: an n³ bf16 × bf16 → f32 product on oneDNN's matmul, called directly as
 * the sgemm ceiling calls cblas_sgemm directly, the yardstick for bf16 rows as sgemm is for f32.
 * Built on oneDNN's C API only when meson found oneDNN (MHA_BENCH_ONEDNN); else it declines. */
#ifndef MHA_BENCH_BF16_PEAK_H
#define MHA_BENCH_BF16_PEAK_H

#include "mha.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bench_bf16_gemm bench_bf16_gemm;

/* The n × n × n product with its buffers (filled, uniform in [−1, 1] rounded to bf16), or NULL
 * with *why saying why not: no oneDNN in this build, no bf16 unit (AVX512-BF16 or AMX) on this
 * CPU or under ONEDNN_MAX_CPU_ISA, or only a reference implementation on offer. */
bench_bf16_gemm *bench_bf16_gemm_create(size_t n, const char **why);
/* One product; false when oneDNN reports an error. */
bool bench_bf16_gemm_run(const bench_bf16_gemm *g);
/* oneDNN's name for the implementation it picked, e.g. "brg:avx512_core_amx_bf16". */
const char *bench_bf16_gemm_impl(const bench_bf16_gemm *g);
void bench_bf16_gemm_destroy(bench_bf16_gemm *g);

/* GFLOP/s of the median of reps (≥ 1) timed 2048³ runs after one untimed run, on the threads
 * OpenMP gives outside a parallel region; 0 when there is no native bf16 GEMM. */
double bench_bf16_gemm_peak(int reps);

#endif
