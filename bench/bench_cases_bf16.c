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
/* The float bound of the accumulation (the f32 rows'), under mha.h's half bounds (u = 2⁻⁸):
 * bench_check_impl.h's tol_attention and tol_projection. */
#define ATOL 1e-4
#define RTOL 1e-3
#define HALF_U 0x1p-8

#define BF16_CEILING 1

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
#include "bench_small_impl.h"

/* After the sections whose calls it reuses. */
#include "bench_setup_impl.h"
