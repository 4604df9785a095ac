/* SPDX-License-Identifier: MIT */
/* Type traits of float, for the templates written once over a type (api_impl.h, driver_impl.h,
 * the kernels' *_impl.h, the MPI ring's ring_impl.h; tests and bench too). Include it, then the
 * template, then type_end.h. Every template sees the same names:
 *   STORE        the element type of the caller's matrices (Q, K, V, X, W, out)
 *   REAL         the type the arithmetic runs in: scores, mask, softmax, sums, lse
 *   REAL_MAX     REAL's largest finite value
 *   REAL_BYTES   sizeof(REAL), for #if
 *   DTYPE        the mha_dtype tag that validation and planning take
 *   FORMAT       STORE's mha_format: the column of the kernel tables
 *   TYPE_NAME    f32, f64, bf16 or f16, as the names spell it (MHA_STR for a string)
 *   PUB(name)    the public name of this type's variant (float: unsuffixed)
 *   RPUB(name)   the public name of REAL's variant, which half types call for their arithmetic
 *   SFX(name)    the internal name (name_f32); macro arguments are expanded first
 *   RSFX(name)   the internal name of REAL's code (the GEMM, the softmax kernels), which half
 *                types share with float
 *   EXP, LOG     libm in REAL
 *   STAGE_IMPL   the driver's staging for this type (src/driver/stage_real_impl.h or
 *                stage_half_impl.h): how its matrices reach the GEMMs and its results the
 *                caller
 *   TO_REAL(x)   one STORE element as REAL (convert.h for the half types) */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE float
#define REAL float
#define REAL_MAX FLT_MAX
#define REAL_BYTES 4
#define DTYPE MHA_DTYPE_F32
#define FORMAT MHA_FORMAT_F32
#define TYPE_NAME f32
#define PUB(name) name
#define RPUB(name) name
#define SFX(name) MHA_CAT(name, _f32)
#define RSFX(name) MHA_CAT(name, _f32)
#define EXP expf
#define LOG logf
#define STAGE_IMPL "stage_real_impl.h"
#define TO_REAL(x) (x)
