/* SPDX-License-Identifier: MIT */
/* Type traits of float, for the templates written once over a type (api_impl.h, driver_impl.h,
 * softmax_impl.h, softmax_simd_impl.h; tests and bench too). Include it, then the template, then
 * type_end.h. Every template sees the same names:
 *   STORE        the element type of the caller's matrices (Q, K, V, X, W, out)
 *   REAL         the type the arithmetic runs in: scores, mask, softmax, sums, lse
 *   REAL_MAX     REAL's largest finite value
 *   DTYPE        the mha_dtype tag that validation and planning take
 *   PUB(name)    the public name of this type's variant (float: unsuffixed)
 *   SFX(name)    the internal name (name_f32); macro arguments are expanded first
 *   RSFX(name)   the internal name of REAL's code (the GEMM, the softmax kernels), which half
 *                types share with float
 *   EXP, LOG     libm in REAL
 *   STAGE_IMPL   the driver's staging for this type (src/driver/stage_real_impl.h or
 *                stage_half_impl.h): how its matrices reach the GEMMs and its results the
 *                caller */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE float
#define REAL float
#define REAL_MAX FLT_MAX
#define DTYPE MHA_DTYPE_F32
#define PUB(name) name
#define SFX(name) MHA_CAT(name, _f32)
#define RSFX(name) MHA_CAT(name, _f32)
#define EXP expf
#define LOG logf
#define STAGE_IMPL "stage_real_impl.h"
