/* SPDX-License-Identifier: MIT */
/* Type traits of double (the names are listed in type_f32.h). */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE double
#define REAL double
#define REAL_MAX DBL_MAX
#define REAL_BYTES 8
#define DTYPE MHA_DTYPE_F64
#define FORMAT MHA_FORMAT_F64
#define TYPE_NAME f64
#define PUB(name) MHA_CAT(name, _f64)
#define RPUB(name) MHA_CAT(name, _f64)
#define SFX(name) MHA_CAT(name, _f64)
#define RSFX(name) MHA_CAT(name, _f64)
#define EXP exp
#define LOG log
#define STAGE_IMPL "stage_real_impl.h"
#define TO_REAL(x) (x)
