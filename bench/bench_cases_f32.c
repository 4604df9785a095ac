/* SPDX-License-Identifier: MIT */
/* The benchmark's sections in float: libmha's unsuffixed functions against cblas_sgemm. */
#include "bench_cases.h"
#include "mha.h"

#include <cblas.h>

#include "type_f32.h"
#define GEMM_NAME "sgemm"
/* float against a double reference: a few ulps of the largest terms, with room for the sums of
 * up to d_model products in the projection and seq_len in the attention. */
#define ATOL 1e-4
#define RTOL 1e-3

#define CBLAS_GEMM cblas_sgemm

/* In this order: the checks, the run/time/report helpers, then the sections that use both. */
#include "bench_check_impl.h"

#include "bench_run_impl.h"

#include "bench_general_impl.h"
#include "bench_pipeline_impl.h"
#include "bench_small_impl.h"

/* After the sections whose calls it reuses. */
#include "bench_setup_impl.h"
