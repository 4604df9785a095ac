/* SPDX-License-Identifier: MIT */
/* Type traits of bfloat16 storage, computed in float (the names are listed in type_f32.h). Half
 * types add:
 *   WIDEN(src, dst, n), NARROW(src, dst, n)   rows of STORE to REAL and back (round to nearest
 *                                             even), convert.h
 *   PUB_WIDEN, PUB_NARROW                     the exported ones (mha.h), which check their
 *                                             arguments: for clients of the public API (the MPI
 *                                             ring, the bench)
 *   HALF_GEMM, HALF_GEMM_OUT                  the native half GEMM backend (gemm.h), with a cache
 *                                             of primitives first: false when it cannot run, and
 *                                             the caller widens to float */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE mha_bf16
#define REAL float
#define REAL_MAX FLT_MAX
#define REAL_BYTES 4
#define DTYPE MHA_DTYPE_BF16
#define FORMAT MHA_FORMAT_BF16
#define TYPE_NAME bf16
#define PUB(name) MHA_CAT(name, _bf16)
#define RPUB(name) name
#define SFX(name) MHA_CAT(name, _bf16)
#define RSFX(name) MHA_CAT(name, _f32)
#define EXP expf
#define LOG logf
#define STAGE_IMPL "stage_half_impl.h"
#define TO_REAL(x) mha_bf16_to_float(x)
#define WIDEN mha_widen_bf16
#define NARROW mha_narrow_bf16
#define PUB_WIDEN mha_convert_bf16_to_f32
#define PUB_NARROW mha_convert_f32_to_bf16
#define HALF_GEMM mha_gemm_bf16_cached
#define HALF_GEMM_OUT mha_gemm_bf16_out_bf16_cached
