/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16 on AVX2 and F16C: convert_simd_impl.h over vec_avx2.h, 8 lanes. Built into every
 * x86-64 library; runs only where the conversion table finds the instructions. */
#include "convert.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx2.h"

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,f16c")))
#define TYPE_TEMPLATE "convert_simd_impl.h"
#include "each_type_impl.h"
#endif
