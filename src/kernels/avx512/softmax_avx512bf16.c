/* SPDX-License-Identifier: MIT */
/* The row softmax in float on AVX-512 with AVX512-BF16: softmax_avx512.c's float kernels again,
 * plus the one that writes P in bf16 for the native bf16 P·V. Only where the compiler knows the
 * instructions (MHA_X86_BF16_KERNELS). */
#include "softmax_kernels.h"

#if defined(MHA_X86_BF16_KERNELS)
#include "vec_avx512.h"

#undef VEC_ISA
#define VEC_ISA _avx512bf16
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define VSTORE_BF16_PAIR vstore_p_bf16_pair
#define VSTORE_BF16(p, v) vstore_p_bf16_tail(p, W, v)
#define VSTORE_BF16_TAIL vstore_p_bf16_tail

#include "type_f32.h"

#include "softmax_simd_impl.h"

#include "type_end.h"
#endif
