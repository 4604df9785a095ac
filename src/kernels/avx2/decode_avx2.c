/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX2 with FMA and F16C: decode_simd_impl.h over vec_avx2.h, f32, bf16 and
 * f16 caches in 8 float lanes (bf16 widened by a zero-extend and a shift, f16 by F16C's VCVTPH2PS),
 * f64 caches in 4 double lanes. Built into every x86-64 library; runs only where the kernel table
 * finds AVX2, FMA and F16C. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx2.h"

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma,f16c")))
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 2 vectors (16 floats or
 * 8 doubles) of the output, 8 of the 16 ymm registers, with 2 V vectors and a broadcast. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 2
/* The lanes kernel: 8 accumulators, with 4 query vectors and a broadcast, 13 of the 16 ymm
 * registers. Floats: up to 4 vectors of rows (32) × 2 keys, or 16 rows × 4 keys. Doubles: 4
 * vectors of rows (16) × 2 keys, a group's 16 rows at a time. */
#define LANE_VECS 4
#define LANE_ACC 8

#define TYPE_TEMPLATE "decode_simd_impl.h"
#include "each_type_impl.h"
#endif
