/* SPDX-License-Identifier: MIT */
/* Type traits of IEEE binary16 storage, computed in float (the names are listed in type_f32.h and
 * type_bf16.h). No library here multiplies f16 natively on these CPUs (oneDNN 2.6.3 reports its
 * f16 matmul unimplemented), so the half GEMMs always decline and f16 runs widened to float. */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE mha_f16
#define REAL float
#define REAL_MAX FLT_MAX
#define REAL_BYTES 4
#define DTYPE MHA_DTYPE_F16
#define FORMAT MHA_FORMAT_F16
#define TYPE_NAME f16
#define PUB(name) MHA_CAT(name, _f16)
#define RPUB(name) name
#define SFX(name) MHA_CAT(name, _f16)
#define RSFX(name) MHA_CAT(name, _f32)
#define EXP expf
#define LOG logf
#define STAGE_IMPL "stage_half_impl.h"
#define TO_REAL(x) mha_f16_to_float(x)
#define WIDEN mha_widen_f16
#define NARROW mha_narrow_f16
#define PUB_WIDEN mha_convert_f16_to_f32
#define PUB_NARROW mha_convert_f32_to_f16
#define HALF_GEMM mha_gemm_f16
#define HALF_GEMM_OUT mha_gemm_f16_out_f16
