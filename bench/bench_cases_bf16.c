/* SPDX-License-Identifier: MIT */
/* The benchmark's sections in bfloat16: libmha's _bf16 functions, their rows against the float
 * ceilings (sgemm, FMA) and the bf16 GEMM's (oneDNN, bench_bf16_peak.h), measured in the same
 * run. Inputs are the f32 rows' floats rounded to bf16; checks against the double reference of
 * those rounded inputs. */
#include "bench_bf16_peak.h"
#include "bench_cases.h"
#include "mha.h"

#include <string.h>

#include "type_bf16.h"
#define DTYPE_NAME "bf16"
/* The float bound of the accumulation (the f32 rows'), under mha.h's half bounds (u = 2⁻⁸):
 * bench_check_impl.h's tol_attention and tol_projection. */
#define ATOL 1e-4
#define RTOL 1e-3
#define HALF_U 0x1p-8

#define FROM_FLOAT mha_convert_f32_to_bf16
#define BF16_CEILING 1

/* bf16 is the top half of a float: widening is exact. */
static double load_bf16(mha_bf16 x)
{
    const uint32_t u = (uint32_t)x.bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* To float (one rounding, as the library's float accumulator holds it), then to bf16 (to nearest
 * even, the library's own conversion). */
static double round_bf16(double x)
{
    const float f = (float)x;
    mha_bf16 h;
    mha_convert_f32_to_bf16(&f, &h, 1);
    return load_bf16(h);
}

#define LOAD(x) load_bf16(x)
#define ROUND_STORE(x) round_bf16(x)

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
