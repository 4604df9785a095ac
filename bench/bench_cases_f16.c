/* SPDX-License-Identifier: MIT */
/* The benchmark's sections in IEEE half (binary16): libmha's _f16 functions, which widen to float
 * for the BLAS (no CPU here multiplies f16 natively for the library: src/type_f16.h), their rows
 * against the float ceilings. Inputs are the f32 rows' floats rounded to f16; checks against the
 * double reference of those rounded inputs. */
#include "bench_cases.h"
#include "mha.h"

#include "type_f16.h"
/* The float bound of the accumulation (the f32 rows'), under mha.h's half bounds (u = 2⁻¹¹):
 * bench_check_impl.h's tol_attention and tol_projection. */
#define ATOL 1e-4
#define RTOL 1e-3
#define HALF_U 0x1p-11

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
#include "bench_small_impl.h"

/* After the sections whose calls it reuses. */
#include "bench_setup_impl.h"
