/* SPDX-License-Identifier: MIT */
/* The row softmax in float on AVX-512 with AVX512-BF16: softmax_avx512_f32.c again (the same
 * kernels), plus the one that writes P in bf16 for the native bf16 P·V. Only where the compiler
 * knows the instructions (MHA_X86_BF16_KERNELS). */
#include "softmax_kernels.h"

#if defined(MHA_X86_BF16_KERNELS)
#define AVX512_FEATURES "avx512f,avx512bw,avx512vl,avx512bf16"
#define AVX512_ISA(name) name##_avx512bf16
#define WITH_BF16_P 1

#include "softmax_avx512_f32.c"
#endif
