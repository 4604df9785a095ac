/* SPDX-License-Identifier: MIT */
/* The benchmark's sections in IEEE half (binary16): libmha's _f16 functions, which widen to float
 * for the BLAS (no CPU here multiplies f16 natively for the library: src/type_f16.h), their rows
 * against the float ceilings. Inputs are the f32 rows' floats rounded to f16; checks against the
 * double reference of those rounded inputs. */
#include "bench_cases.h"
#include "mha.h"

#include "type_f16.h"
#define DTYPE_NAME "f16"
/* The float bound of the accumulation (the f32 rows'), under mha.h's half bounds (u = 2⁻¹¹):
 * bench_check_impl.h's tol_attention and tol_projection. */
#define ATOL 1e-4
#define RTOL 1e-3
#define HALF_U 0x1p-11

#define FROM_FLOAT mha_convert_f32_to_f16

/* Widening is exact (every f16 is a float); through the library's conversion. */
static double load_f16(mha_f16 x)
{
    float f;
    mha_convert_f16_to_f32(&x, &f, 1);
    return f;
}

static double round_f16(double x)
{
    const float f = (float)x;
    mha_f16 h;
    mha_convert_f32_to_f16(&f, &h, 1);
    return load_f16(h);
}

#define LOAD(x) load_f16(x)
#define ROUND_STORE(x) round_f16(x)

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
