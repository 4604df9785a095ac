/* SPDX-License-Identifier: MIT */
/* The bf16 GEMM ceiling (bench_bf16_peak.h) on oneDNN's C API; run alone (built with
 * MHA_BENCH_BF16_PEAK_MAIN), prints it: bench_bf16_peak [reps].
 *
 * Why oneDNN directly rather than libmha's internal mha_gemm_bf16_cached: mha_bench links the
 * public shared library, where that symbol is hidden, and linking the internal static copy as
 * well would give the bench two libmhas. The ceiling is the backend at its best on one dense
 * product, as cblas_sgemm is for float: the same matmul primitive, dense operands and fixed
 * shapes that the library's native path builds (src/gemm/gemm_onednn.c), without libmha around it.
 */
#include "bench_bf16_peak.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MHA_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.h>

struct bench_bf16_gemm {
    size_t n;
    mha_bf16 *A, *B;
    float *C;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t prim;
    dnnl_memory_t mem[3]; /* A, B, C */
    char impl[64];
};

/* The library's own test (src/gemm/gemm_onednn.c): the effective ISA, which honours
 * ONEDNN_MAX_CPU_ISA, contains avx512_core_bf16 (AMX's does too). */
static bool native_bf16(void)
{
    const unsigned bf16 = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    return ((unsigned)dnnl_get_effective_cpu_isa() & bf16) == bf16;
}

/* The primitive and its memory objects on g's buffers; false on any oneDNN error or when only a
 * reference implementation would run it. */
static bool build(bench_bf16_gemm *g)
{
    const dnnl_dims_t dims = {(dnnl_dim_t)g->n, (dnnl_dim_t)g->n};
    dnnl_memory_desc_t md[3];
    if (dnnl_memory_desc_init_by_tag(&md[0], 2, dims, dnnl_bf16, dnnl_ab) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&md[1], 2, dims, dnnl_bf16, dnnl_ab) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&md[2], 2, dims, dnnl_f32, dnnl_ab) != dnnl_success)
        return false;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    const char *impl = NULL;
    bool ok = dnnl_matmul_desc_init(&desc, &md[0], &md[1], NULL, &md[2]) == dnnl_success &&
              dnnl_primitive_desc_create(&pd, &desc, NULL, g->engine, NULL) == dnnl_success &&
              dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
              impl != NULL && strncmp(impl, "ref", 3) != 0 &&
              dnnl_primitive_create(&g->prim, pd) == dnnl_success;
    if (ok)
        snprintf(g->impl, sizeof g->impl, "%s", impl);
    if (pd != NULL)
        dnnl_primitive_desc_destroy(pd);
    void *const buffers[3] = {g->A, g->B, g->C};
    for (int i = 0; ok && i < 3; i++)
        ok = dnnl_memory_create(&g->mem[i], &md[i], g->engine, buffers[i]) == dnnl_success;
    return ok;
}

bench_bf16_gemm *bench_bf16_gemm_create(size_t n, const char **why)
{
    if (!native_bf16()) {
        *why = "no AVX512-BF16 or AMX (CPU or ONEDNN_MAX_CPU_ISA)";
        return NULL;
    }
    bench_bf16_gemm *g = bench_alloc(sizeof *g);
    size_t nn = bench_mul(n, n);
    g->n = n;
    g->A = bench_alloc(bench_mul(nn, sizeof *g->A));
    g->B = bench_alloc(bench_mul(nn, sizeof *g->B));
    g->C = bench_alloc(bench_mul(nn, sizeof *g->C));
    float *x = bench_alloc(bench_mul(nn, sizeof *x));
    rng r = rng_seeded(1);
    mha_bf16 *const ab[2] = {g->A, g->B};
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; i < nn; i++)
            x[i] = (float)rng_uniform(&r, -1, 1);
        mha_convert_f32_to_bf16(x, ab[m], nn);
    }
    bench_free(x);
    if (dnnl_engine_create(&g->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&g->stream, g->engine, dnnl_stream_default_flags) != dnnl_success ||
        !build(g)) {
        *why = "oneDNN offers no native bf16 matmul here";
        bench_bf16_gemm_destroy(g);
        return NULL;
    }
    return g;
}

bool bench_bf16_gemm_run(const bench_bf16_gemm *g)
{
    const dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, g->mem[0]}, {DNNL_ARG_WEIGHTS, g->mem[1]}, {DNNL_ARG_DST, g->mem[2]}};
    return dnnl_primitive_execute(g->prim, g->stream, 3, args) == dnnl_success &&
           dnnl_stream_wait(g->stream) == dnnl_success;
}

const char *bench_bf16_gemm_impl(const bench_bf16_gemm *g)
{
    return g->impl;
}

void bench_bf16_gemm_destroy(bench_bf16_gemm *g)
{
    if (g == NULL)
        return;
    for (int i = 0; i < 3; i++)
        if (g->mem[i] != NULL)
            dnnl_memory_destroy(g->mem[i]);
    if (g->prim != NULL)
        dnnl_primitive_destroy(g->prim);
    if (g->stream != NULL)
        dnnl_stream_destroy(g->stream);
    if (g->engine != NULL)
        dnnl_engine_destroy(g->engine);
    bench_free(g->C);
    bench_free(g->B);
    bench_free(g->A);
    bench_free(g);
}

#else /* no oneDNN in this build: nothing multiplies bf16 natively */

bench_bf16_gemm *bench_bf16_gemm_create(size_t n, const char **why)
{
    (void)n;
    *why = "oneDNN not in this build";
    return NULL;
}

bool bench_bf16_gemm_run(const bench_bf16_gemm *g)
{
    (void)g;
    return false;
}

const char *bench_bf16_gemm_impl(const bench_bf16_gemm *g)
{
    (void)g;
    return "";
}

void bench_bf16_gemm_destroy(bench_bf16_gemm *g)
{
    (void)g;
}

#endif

double bench_bf16_gemm_peak(int reps)
{
    enum { SIZE = 2048 };
    const char *why;
    bench_bf16_gemm *g = bench_bf16_gemm_create(SIZE, &why);
    if (g == NULL)
        return 0;
    reps = reps < 1 ? 1 : reps > BENCH_MAX_REPS ? BENCH_MAX_REPS : reps;
    double times[BENCH_MAX_REPS], rate = 0;
    bool ok = bench_bf16_gemm_run(g);
    for (int i = 0; ok && i < reps; i++) {
        double t0 = bench_now();
        ok = bench_bf16_gemm_run(g);
        times[i] = bench_now() - t0;
    }
    if (ok)
        rate = bench_rate_g(2.0 * SIZE * SIZE * SIZE, bench_stats_of(times, reps).median);
    bench_bf16_gemm_destroy(g);
    return rate;
}

#ifdef MHA_BENCH_BF16_PEAK_MAIN
int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    double rate = bench_bf16_gemm_peak(reps);
    if (rate == 0)
        printf("bf16 GEMM 2048^3: no native bf16 GEMM in this build or on this CPU\n");
    else
        printf("bf16 GEMM 2048^3 (oneDNN matmul, median of %d): %.1f GFLOP/s\n", reps, rate);
    return 0;
}
#endif
