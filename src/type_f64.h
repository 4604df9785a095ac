/* SPDX-License-Identifier: MIT */
/* Type traits of double (the names are listed in type_f32.h). */
#include "dtype.h"

#include <float.h>
#include <math.h>

#define STORE double
#define REAL double
#define REAL_MAX DBL_MAX
#define DTYPE MHA_DTYPE_F64
#define PUB(name) MHA_CAT(name, _f64)
#define SFX(name) MHA_CAT(name, _f64)
#define RSFX(name) MHA_CAT(name, _f64)
#define EXP exp
#define LOG log
#define STAGE_IMPL "stage_real_impl.h"
