/* SPDX-License-Identifier: MIT */
/* The row softmax on AVX2+FMA: softmax_simd_impl.h over vec_avx2.h, float in 8 lanes and double in
 * 4. Built into every x86-64 library; runs only where the kernel table finds the instructions. */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx2.h"

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx2,fma")))
#define TYPE_TEMPLATE "softmax_simd_impl.h"
#include "each_type_impl.h"
#endif
