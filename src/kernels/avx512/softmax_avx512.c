/* SPDX-License-Identifier: MIT */
/* The row softmax on AVX-512F: softmax_simd_impl.h over vec_avx512.h, float in 16 lanes and double
 * in 8. Built into every x86-64 library; runs only where the kernel table finds the instructions.
 */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#include "vec_avx512.h"

/* On these functions only, not the whole build: the library must still load on any x86-64. */
#define TARGET __attribute__((target("avx512f")))
#define TYPE_TEMPLATE "softmax_simd_impl.h"
#include "each_type_impl.h"
#endif
