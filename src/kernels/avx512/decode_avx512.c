/* SPDX-License-Identifier: MIT */
/* The decode kernels on AVX-512F: decode_simd_impl.h over vec_avx512.h, f32, bf16 and f16 caches in
 * 16 float lanes (bf16 widened by a zero-extend and a shift into the top half of a float, f16 by
 * VCVTPH2PS), f64 caches in 8 double lanes. Built into every x86-64 library; runs only where the
 * kernel table finds AVX-512F. */
#include "decode_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx512.h"

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx512f")))
/* Query rows per register block: scores keep 8 accumulators; pv 4 rows × 4 vectors (64 floats or
 * 32 doubles) of the output, 16 of the 32 zmm registers, with 4 V vectors and a broadcast. */
#define SCORE_ROWS 8
#define PV_ROWS 4
#define PV_VECS 4
/* The lanes kernel: 16 accumulators, with the query vectors and a broadcast; per column 10 loads
 * feed 16 FMAs. Floats: up to 2 vectors of rows (32) × 8 keys, or 16 rows × 16 keys. Doubles: 2
 * vectors of rows (16) × 8 keys, a group's 16 rows at a time: faster than 4 vectors (32 rows) × 4
 * keys with 8 loads a column, which read the K block from L1 again for the second 16 rows. */
#define LANE_VECS 2
#define LANE_ACC 16

#define TYPE_TEMPLATE "decode_simd_impl.h"
#include "each_type_impl.h"
#endif
