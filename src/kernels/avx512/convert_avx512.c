/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16 on AVX-512: convert_simd_impl.h over vec_avx512.h, 16 lanes. Built into every
 * x86-64 library; runs only where the conversion table finds the instructions. */
#include "convert.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx512.h"

/* F for the arithmetic; BW and VL for masked loads and stores of 16 16-bit lanes. */
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define TYPE_TEMPLATE "convert_simd_impl.h"
#include "each_type_impl.h"
#endif
