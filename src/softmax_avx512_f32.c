/* SPDX-License-Identifier: MIT */
/* The row softmax in float on AVX-512F (softmax_avx512_f32_impl.h). */
#include "softmax_kernels.h"

#if defined(MHA_X86_KERNELS)
#define AVX512_FEATURES "avx512f"
#define AVX512_ISA(name) name##_avx512
#define WITH_BF16_P 0

#include "softmax_avx512_f32_impl.h"
#endif
