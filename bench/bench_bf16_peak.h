/* SPDX-License-Identifier: MIT */
/* The bf16 GEMM ceiling: a 2048³ bf16 × bf16 → f32 product through mha_gemm_bf16 (oneDNN), the
 * yardstick for bf16 attention as the FMA peak (bench_fma.h) is for f32. */
#ifndef MHA_BENCH_BF16_PEAK_H
#define MHA_BENCH_BF16_PEAK_H

/* GFLOP/s of the median of reps (≥ 1) timed runs after one untimed run, on the threads OpenMP
 * gives outside a parallel region; 0 when this build or CPU has no native bf16 GEMM. */
double bench_bf16_gemm_peak(int reps);

#endif
