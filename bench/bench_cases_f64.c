/* SPDX-License-Identifier: MIT */
/* The benchmark's sections in double: libmha's _f64 functions against cblas_dgemm. */
#include "bench_cases.h"
#include "mha.h"

#include <cblas.h>

#include "type_f64.h"
#define GEMM_NAME "dgemm"
/* double against a double reference: only the order of the sums differs. */
#define ATOL 1e-10
#define RTOL 1e-9

#define CBLAS_GEMM cblas_dgemm

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
#include "bench_small_impl.h"

/* After the sections whose calls it reuses. */
#include "bench_setup_impl.h"
