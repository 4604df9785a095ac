/* SPDX-License-Identifier: MIT */
/* How every section runs, times and reports a call, and the ceilings section (GEMM peak, memcpy
 * bandwidth). Written once over a type: included by bench_cases_<T>.c, after bench_check_impl.h,
 * with the traits of src/type_<T>.h (STORE, REAL, SFX(), PUB(), TYPE_NAME, and for the half types
 * PUB_NARROW, the exported conversion from float) defined; the BLAS types add GEMM_NAME and
 * CBLAS_GEMM (cblas_sgemm or cblas_dgemm), which make their ceilings section; bf16 adds
 * BF16_CEILING, which makes its ceiling (the bf16 GEMM, bench_bf16_peak.h) instead.
 *
 * Every call runs once first: that run warms the caches, the page tables and the BLAS thread
 * pool, and its result is what is checked against the reference. Then the timed repetitions,
 * summarised by their median (a call of a second or more counts its first run: bench_reps). */
#include "bench_fma.h"
#include "bench_report.h"

#include <stdio.h>
#include <string.h>

/* A timed call: the context it needs, and a function that runs it. */
typedef mha_status (*call_fn)(const void *ctx);

static STORE *alloc_store(size_t n)
{
    return bench_alloc(bench_mul(n, sizeof(STORE)));
}

static void must(mha_status s, const char *what)
{
    if (s != MHA_OK)
        bench_die("%s failed: %s", what, mha_status_string(s));
}

/* Uniform in [−amplitude, amplitude]; half types draw the same floats as the f32 rows and round
 * them (to nearest even) with the library's conversion. */
static void fill(rng *r, STORE *x, size_t n, double amplitude)
{
#ifdef WIDEN
    float *f = bench_alloc(bench_mul(n ? n : 1, sizeof *f));
    for (size_t i = 0; i < n; i++)
        f[i] = (float)rng_uniform(r, -amplitude, amplitude);
    must(PUB_NARROW(f, x, n), "conversion from float");
    bench_free(f);
#else
    for (size_t i = 0; i < n; i++)
        x[i] = (STORE)rng_uniform(r, -amplitude, amplitude);
#endif
}

/* The timed runs of one call, after its untimed first run of first_s seconds. A cold call
 * (evict not NULL) finds its operands in memory: the caches are flushed before each run (and
 * before the first: the caller's), outside the time. */
static bench_stats time_runs(const bench_reps *policy, double first_s, call_fn fn, const void *ctx,
                             const char *what, const bench_evict *evict)
{
    double v[BENCH_MAX_REPS], spent = 0;
    int n = 0;
    bench_reps p;
    if (bench_reps_begin(policy, first_s, &p))
        spent = v[n++] = first_s;
    while (bench_reps_more(&p, n, spent)) {
        if (evict)
            bench_evict_run(evict);
        double t0 = bench_now();
        mha_status s = fn(ctx);
        v[n] = bench_now() - t0;
        must(s, what);
        spent += v[n++];
    }
    return bench_stats_of(v, n);
}

static bench_stats time_call(const bench_reps *policy, double first_s, call_fn fn, const void *ctx,
                             const char *what)
{
    return time_runs(policy, first_s, fn, ctx, what, NULL);
}

/* The untimed first run: warm-up, the result to check, and its time for bench_reps_begin()
 * (cold after the caches are flushed, when evict is not NULL). */
static double first_run_of(call_fn fn, const void *ctx, const char *what, const bench_evict *evict)
{
    if (evict)
        bench_evict_run(evict);
    double t0 = bench_now();
    must(fn(ctx), what);
    return bench_now() - t0;
}

static double first_run(call_fn fn, const void *ctx, const char *what)
{
    return first_run_of(fn, ctx, what, NULL);
}

static bench_row row_of(const char *suite, const char *op, const mha_attention_desc *d)
{
    bench_row r = bench_row_empty(suite, op);
    r.seq_q = d->seq_q;
    r.seq_kv = d->seq_kv;
    r.heads = d->n_heads;
    r.kv_heads = d->n_kv_heads;
    r.d_head = d->d_head;
    return r;
}

static void set_rate(bench_row *r, const bench_config *c, double flop)
{
    r->gflops = bench_rate_g(flop, r->t.median);
    r->peak_pct = c->peak_gflops > 0 ? 100 * r->gflops / c->peak_gflops : (double)NAN;
    r->fma_pct = c->fma_gflops > 0 ? 100 * r->gflops / c->fma_gflops : (double)NAN;
#ifdef BF16_CEILING
    r->bf16_pct = c->bf16_gflops > 0 ? 100 * r->gflops / c->bf16_gflops : (double)NAN;
#endif
}

static void set_check(bench_row *r, const check *k, double ref_s)
{
    r->err = k->max_err;
    r->check = k->how;
    r->ref_x = isnan(ref_s) ? (double)NAN : ref_s / r->t.median;
}

static double workspace_of(const mha_attention_desc *d)
{
    size_t bytes;
    return PUB(mha_attention_workspace_size)(d, &bytes) == MHA_OK ? (double)bytes : (double)NAN;
}

static void emit(bench_row *r)
{
    r->dtype = MHA_STR(TYPE_NAME);
    r->rss_bytes = bench_max_rss();
    bench_report_row(r);
}

/* The ceilings: the rates the other rows are measured against. */
#ifdef CBLAS_GEMM

typedef struct gemm_call {
    size_t n;
    const REAL *A, *B;
    REAL *C;
} gemm_call;

/* C = A·B, n × n, the BLAS at its best: the "peak" of this run. */
static mha_status run_gemm(const void *ctx)
{
    const gemm_call *g = ctx;
    const int n = (int)g->n;
    CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, g->A, n, g->B, n, 0, g->C, n);
    return MHA_OK;
}

typedef struct copy_call {
    size_t bytes;
    const void *src;
    void *dst;
} copy_call;

static mha_status run_copy(const void *ctx)
{
    const copy_call *m = ctx;
    memcpy(m->dst, m->src, m->bytes);
    return MHA_OK;
}

static void measure_gemm_peak(bench_config *c)
{
    rng r = rng_seeded(1);
    size_t n = c->peak_n, nn = bench_mul(n, n);
    REAL *A = alloc_store(nn), *B = alloc_store(nn), *C = alloc_store(nn);
    fill(&r, A, nn, 1);
    fill(&r, B, nn, 1);
    const gemm_call g = {n, A, B, C};
    double first_s = first_run(run_gemm, &g, GEMM_NAME);
    bench_row row = bench_row_empty("ceiling", GEMM_NAME);
    row.seq_q = row.seq_kv = row.d_head = n;
    row.heads = row.kv_heads = 1;
    row.t = time_call(&c->ceiling_reps, first_s, run_gemm, &g, GEMM_NAME);
    c->peak_gflops = bench_rate_g(2.0 * (double)n * (double)n * (double)n, row.t.median);
    set_rate(&row, c, 2.0 * (double)n * (double)n * (double)n);
    emit(&row);
    bench_free(C);
    bench_free(B);
    bench_free(A);
}

/* STREAM's convention: a copy moves its bytes twice (read + write). One thread, like the
 * memory-bound decode calls whose tiles run one after the other; cold like them (c->evict), so
 * that both come from memory: warm, a 256 MiB copy ran partly from this VM's 480 MiB L3. */
static void measure_copy(bench_config *c)
{
    char *src = bench_alloc(c->copy_bytes), *dst = bench_alloc(c->copy_bytes);
    memset(src, 1, c->copy_bytes);
    const copy_call m = {c->copy_bytes, src, dst};
    double first_s = first_run_of(run_copy, &m, "memcpy", &c->evict);
    bench_row row = bench_row_empty("ceiling", "memcpy");
    row.t = time_runs(&c->ceiling_reps, first_s, run_copy, &m, "memcpy", &c->evict);
    c->copy_gbps = bench_rate_g(2.0 * (double)c->copy_bytes, row.t.median);
    row.gbps = c->copy_gbps;
    row.copy_pct = 100;
    emit(&row);
    bench_free(dst);
    bench_free(src);
}

/* The FMA register peak on the ceiling's threads: the CPU's limit, whatever the BLAS's kernels. */
static void measure_fma(bench_config *c)
{
    bench_fma f;
    if (!bench_fma_init(&f, sizeof(REAL) == 8, c->ceiling_threads)) {
        bench_report_note("# no FMA unit this bench knows (AVX-512 or AVX2+FMA): no %%fma");
        return;
    }
    char op[32];
    snprintf(op, sizeof op, "fma_%s", f.isa);
    double first_s = first_run(bench_fma_run, &f, "FMA chains");
    bench_row row = bench_row_empty("ceiling", op);
    row.t = time_call(&c->ceiling_reps, first_s, bench_fma_run, &f, "FMA chains");
    c->fma_gflops = bench_rate_g(bench_fma_flop(&f), row.t.median);
    set_rate(&row, c, bench_fma_flop(&f));
    emit(&row);
}

void SFX(bench_ceilings)(bench_config *c, bool copy)
{
    bench_report_note("## ceilings: %s of %zu^3 (peak), FMA register chains (fma), memcpy of "
                      "%zu MiB (copy bandwidth)",
                      GEMM_NAME, c->peak_n, c->copy_bytes >> 20);
    measure_fma(c);
    measure_gemm_peak(c);
    if (copy)
        measure_copy(c);
}
#endif /* CBLAS_GEMM */

#ifdef BF16_CEILING
static mha_status run_bf16_gemm(const void *ctx)
{
    return bench_bf16_gemm_run(ctx) ? MHA_OK : MHA_ERR_INVALID_ARGUMENT;
}

/* The bf16 GEMM ceiling (bench_bf16_peak.h) at the sgemm peak's size and threads, into
 * c->bf16_gflops (0: none) and *row (not printed: it is measured before the header, which names
 * it). impl (impl_size bytes) gets oneDNN's kernel, or why there is none. */
void SFX(bench_ceiling)(bench_config *c, bench_row *row, char *impl, size_t impl_size)
{
    *row = bench_row_empty("ceiling", "bf16_gemm");
    c->bf16_gflops = 0;
    const char *why = NULL;
    bench_bf16_gemm *g = bench_bf16_gemm_create(c->peak_n, &why);
    /* Copied: the kernel's name lives in g, which is gone when the header prints it. */
    snprintf(impl, impl_size, "%s", g ? bench_bf16_gemm_impl(g) : why ? why : "unknown");
    if (g == NULL)
        return;
    double first_s = first_run(run_bf16_gemm, g, "bf16 GEMM (oneDNN)");
    size_t n = c->peak_n;
    row->seq_q = row->seq_kv = row->d_head = n;
    row->heads = row->kv_heads = 1;
    row->t = time_call(&c->ceiling_reps, first_s, run_bf16_gemm, g, "bf16 GEMM (oneDNN)");
    c->bf16_gflops = bench_rate_g(2.0 * (double)n * (double)n * (double)n, row->t.median);
    set_rate(row, c, 2.0 * (double)n * (double)n * (double)n);
    row->dtype = MHA_STR(TYPE_NAME);
    bench_bf16_gemm_destroy(g);
}
#endif
