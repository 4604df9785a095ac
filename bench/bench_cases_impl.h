/* SPDX-License-Identifier: MIT */
/* The benchmark's sections, written once over REAL. Included after bench_check_impl.h by
 * bench_cases_f32.c and bench_cases_f64.c with REAL, SFX() (section suffix), API() (the libmha
 * name of that precision), GEMM_NAME and CBLAS_GEMM (cblas_sgemm or cblas_dgemm) defined.
 *
 * Every call runs once untimed first: that run warms the caches, the page tables and the BLAS
 * thread pool, and its result is what is checked against the reference. Then the timed
 * repetitions, summarised by their median. */
#include "bench_report.h"

#include <stdio.h>
#include <string.h>

/* A timed call: the context it needs, and a function that runs it. */
typedef mha_status (*call_fn)(const void *ctx);

static REAL *alloc_real(size_t n)
{
    return bench_alloc(bench_mul(n, sizeof(REAL)));
}

static void fill(bench_rng *r, REAL *x, size_t n, double amplitude)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (REAL)bench_uniform(r, -amplitude, amplitude);
}

static void must(mha_status s, const char *what)
{
    if (s != MHA_OK)
        bench_die("%s failed: %s", what, mha_status_string(s));
}

/* The timed runs of one call, after its untimed first run of first_s seconds. */
static bench_stats time_call(const bench_reps *policy, double first_s, call_fn fn, const void *ctx,
                             const char *what)
{
    double v[BENCH_MAX_REPS], spent = 0;
    int n = 0;
    bench_reps p;
    if (bench_reps_begin(policy, first_s, &p))
        spent = v[n++] = first_s;
    while (bench_reps_more(&p, n, spent)) {
        double t0 = bench_now();
        mha_status s = fn(ctx);
        v[n] = bench_now() - t0;
        must(s, what);
        spent += v[n++];
    }
    return bench_stats_of(v, n);
}

/* The untimed first run: warm-up, the result to check, and its time for bench_reps_begin(). */
static double first_run(call_fn fn, const void *ctx, const char *what)
{
    double t0 = bench_now();
    must(fn(ctx), what);
    return bench_now() - t0;
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
    return API(mha_attention_workspace_size)(d, &bytes) == MHA_OK ? (double)bytes : (double)NAN;
}

static void emit(bench_row *r)
{
    r->rss_bytes = bench_max_rss();
    bench_report_row(r);
}

/* ------------------------------------------------------------------------------------------ */
/* Ceilings: the rates the other rows are measured against                                    */
/* ------------------------------------------------------------------------------------------ */

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
    bench_rng r = bench_rng_seeded(1);
    size_t n = c->peak_n, nn = bench_mul(n, n);
    REAL *A = alloc_real(nn), *B = alloc_real(nn), *C = alloc_real(nn);
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
 * memory-bound decode calls whose tiles run one after the other. */
static void measure_copy(bench_config *c)
{
    char *src = bench_alloc(c->copy_bytes), *dst = bench_alloc(c->copy_bytes);
    memset(src, 1, c->copy_bytes);
    const copy_call m = {c->copy_bytes, src, dst};
    double first_s = first_run(run_copy, &m, "memcpy");
    bench_row row = bench_row_empty("ceiling", "memcpy");
    row.t = time_call(&c->ceiling_reps, first_s, run_copy, &m, "memcpy");
    c->copy_gbps = bench_rate_g(2.0 * (double)c->copy_bytes, row.t.median);
    row.gbps = c->copy_gbps;
    row.copy_pct = 100;
    emit(&row);
    bench_free(dst);
    bench_free(src);
}

void SFX(bench_ceilings)(bench_config *c, bool copy)
{
    bench_report_note("## ceilings: %s of %zu^3 (peak), memcpy of %zu MiB (copy bandwidth)",
                      GEMM_NAME, c->peak_n, c->copy_bytes >> 20);
    measure_gemm_peak(c);
    if (copy)
        measure_copy(c);
}

/* ------------------------------------------------------------------------------------------ */
/* The seed pipeline: projection, multi-head attention, both                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct pipeline {
    size_t n, d, h;
    REAL *X, *W[3], *W_qkv, *QKV, *P[3], *out; /* P: Q, K, V */
} pipeline;

static mha_status run_qkv(const void *ctx)
{
    const pipeline *p = ctx;
    return API(mha_compute_qkv)(p->X, p->W[0], p->W[1], p->W[2], p->n, p->d, p->P[0], p->P[1],
                                p->P[2]);
}

static mha_status run_qkv_fused(const void *ctx)
{
    const pipeline *p = ctx;
    return API(mha_compute_qkv_fused)(p->X, p->W_qkv, p->n, p->d, p->QKV);
}

static mha_status run_mha(const void *ctx)
{
    const pipeline *p = ctx;
    return API(mha_multi_head_attention)(p->P[0], p->P[1], p->P[2], p->n, p->d, p->h, p->out);
}

/* X uniform in [−1, 1]; weights scaled by √(3/d) so that Q, K, V have X's spread (variance 1/3)
 * at every d_model, and the softmax sees the same score range at every shape. */
static void pipeline_init(pipeline *p, const bench_shape *s)
{
    bench_rng r = bench_rng_seeded(s->seq * 31 + s->d_model);
    size_t n = s->seq, d = s->d_model, dd = bench_mul(d, d), nd = bench_mul(n, d);
    *p = (pipeline){.n = n, .d = d, .h = s->heads};
    p->X = alloc_real(nd);
    fill(&r, p->X, nd, 1);
    p->W_qkv = alloc_real(bench_mul(dd, 3));
    for (int k = 0; k < 3; k++) {
        p->W[k] = alloc_real(dd);
        p->P[k] = alloc_real(nd);
        fill(&r, p->W[k], dd, sqrt(3.0 / (double)d));
        for (size_t row = 0; row < d; row++) /* W_qkv row = [W_q row | W_k row | W_v row] */
            memcpy(p->W_qkv + (row * 3 + (size_t)k) * d, p->W[k] + row * d, d * sizeof(REAL));
    }
    p->QKV = alloc_real(bench_mul(nd, 3));
    p->out = alloc_real(nd);
}

static void pipeline_free(pipeline *p)
{
    bench_free(p->out);
    bench_free(p->QKV);
    for (int k = 0; k < 3; k++) {
        bench_free(p->P[k]);
        bench_free(p->W[k]);
    }
    bench_free(p->W_qkv);
    bench_free(p->X);
}

/* The checks of one shape; *ref_s gets the reference's seconds for qkv, mha (full checks). */
typedef struct pipeline_checks {
    check qkv, fused, mha, whole;
    double ref_qkv_s, ref_mha_s;
} pipeline_checks;

static pipeline_checks check_pipeline(const pipeline *p, const mha_attention_desc *desc, bool full,
                                      const char *shape)
{
    pipeline_checks k;
    size_t rows = full ? p->n : N_SAMPLES;
    double *R[3];
    for (int i = 0; i < 3; i++)
        R[i] = bench_alloc(bench_mul(bench_mul(rows, p->d), sizeof(double)));
    k.ref_qkv_s = ref_projection(p->X, (const REAL *const *)p->W, p->n, p->d, full, R);
    const REAL *const fused[3] = {p->QKV, p->QKV + p->d, p->QKV + 2 * p->d};
    k.qkv = check_projection((const REAL *const *)p->P, p->d, p->n, p->d, full,
                             (const double *const *)R);
    k.fused = check_projection(fused, 3 * p->d, p->n, p->d, full, (const double *const *)R);
    k.mha = check_attention(desc, p->P[0], p->P[1], p->P[2], p->out, full);
    k.ref_mha_s = k.mha.ref_s;
    k.whole = check_begin(full);
    k.whole.how = "-";
    k.whole.max_err = NAN;
    if (full) { /* end to end: the reference's own projection through its own attention */
        double *O = bench_alloc(bench_mul(bench_mul(p->n, p->d), sizeof(double)));
        ref_multi_head_attention(R[0], R[1], R[2], p->n, p->d, p->h, O);
        k.whole.how = "full";
        k.whole.max_err = 0;
        for (size_t i = 0; i < p->n * p->d; i++)
            check_value(&k.whole, (double)p->out[i], O[i]);
        bench_free(O);
    }
    for (int i = 0; i < 3; i++)
        bench_free(R[i]);
    check_or_die(&k.qkv, "mha_compute_qkv", shape);
    check_or_die(&k.fused, "mha_compute_qkv_fused", shape);
    check_or_die(&k.mha, "mha_multi_head_attention", shape);
    check_or_die(&k.whole, "pipeline", shape);
    return k;
}

/* Times the pipeline (projection then attention, as a user runs it) with each part timed on its
 * own too: the qkv and mha rows are the medians of those parts, the pipeline row the median of
 * their sums. The same runs serve the three rows, which halves the run time. first_s: the parts'
 * times in the untimed first run. */
static void time_pipeline(const bench_reps *policy, const pipeline *p, const double first_s[2],
                          bench_stats t[3])
{
    double v[3][BENCH_MAX_REPS], spent = 0;
    int n = 0;
    bench_reps eff;
    if (bench_reps_begin(policy, first_s[0] + first_s[1], &eff)) {
        v[0][0] = first_s[0];
        v[1][0] = first_s[1];
        spent = v[2][0] = first_s[0] + first_s[1];
        n = 1;
    }
    while (bench_reps_more(&eff, n, spent)) {
        double t0 = bench_now();
        must(run_qkv(p), "mha_compute_qkv");
        double t1 = bench_now();
        must(run_mha(p), "mha_multi_head_attention");
        double t2 = bench_now();
        v[0][n] = t1 - t0;
        v[1][n] = t2 - t1;
        v[2][n] = t2 - t0;
        spent += v[2][n++];
    }
    for (int i = 0; i < 3; i++)
        t[i] = bench_stats_of(v[i], n);
}

/* --gemm-share: the attention's two GEMMs per tile, S = scale·Q_tile·K_hᵀ and O = S·V_h, with
 * nothing between them. Its time over the attention's says how much of the gap to peak is the
 * GEMMs' shapes and how much the softmax and bookkeeping. */
typedef struct gemm_replay {
    const pipeline *p;
    size_t rows, ld_s; /* the library's tile height and score row stride */
    REAL *S;
} gemm_replay;

static mha_status run_gemm_replay(const void *ctx)
{
    const gemm_replay *g = ctx;
    const pipeline *p = g->p;
    const int n = (int)p->n, d = (int)p->d, d_k = (int)(p->d / p->h), ld_s = (int)g->ld_s;
    const REAL scale = (REAL)(1 / sqrt((double)d_k));
    for (size_t h = 0; h < p->h; h++)
        for (size_t i0 = 0; i0 < p->n; i0 += g->rows) {
            const int m = (int)(p->n - i0 < g->rows ? p->n - i0 : g->rows);
            const size_t at = i0 * p->d + h * (size_t)d_k;
            CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, d_k, scale, p->P[0] + at, d,
                       p->P[1] + h * (size_t)d_k, d, 0, g->S, ld_s);
            CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, d_k, n, 1, g->S, ld_s,
                       p->P[2] + h * (size_t)d_k, d, 0, p->out + at, d);
        }
    return MHA_OK;
}

/* The tile height is read back from the workspace size, which (src/plan.c) is 64 bytes of
 * alignment slack plus rows × (ld_s + 2) elements, ld_s = seq_len rounded up to 64 bytes. If that
 * layout changes, this row is approximate; nothing else depends on it. */
static bench_row measure_gemm_replay(const bench_config *c, const pipeline *p,
                                     const mha_attention_desc *desc, const bench_row *mha)
{
    size_t per_line = 64 / sizeof(REAL), ws = (size_t)workspace_of(desc);
    gemm_replay g = {p, 0, (p->n + per_line - 1) / per_line * per_line, NULL};
    g.rows = ws > 64 ? (ws - 64) / sizeof(REAL) / (g.ld_s + 2) : 0;
    g.rows = g.rows == 0 ? 1 : g.rows > p->n ? p->n : g.rows;
    g.S = alloc_real(bench_mul(g.rows, g.ld_s));
    double first_s = first_run(run_gemm_replay, &g, "GEMM replay");
    bench_row row = row_of("pipeline", "mha_gemms", desc);
    row.t = time_call(&c->reps, first_s, run_gemm_replay, &g, "GEMM replay");
    set_rate(&row, c, 4 * (double)p->n * (double)p->n * (double)p->d);
    row.ratio = row.t.median / mha->t.median;
    row.ratio_of = "mha";
    bench_free(g.S);
    return row;
}

static void pipeline_shape(const bench_config *c, const bench_shape *s)
{
    pipeline p;
    pipeline_init(&p, s);
    mha_attention_desc desc;
    size_t d_k = s->d_model / s->heads;
    mha_attention_desc_init(&desc, s->seq, s->seq, s->heads, s->heads, d_k, d_k);
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zux%zu", s->seq, s->d_model, s->heads);

    /* The first runs: warm-up, and the results checked. qkv and mha back to back, as timed. */
    double fused_s = first_run(run_qkv_fused, &p, "mha_compute_qkv_fused");
    const double first_s[2] = {first_run(run_qkv, &p, "mha_compute_qkv"),
                               first_run(run_mha, &p, "mha_multi_head_attention")};
    double n = (double)s->seq, d = (double)s->d_model;
    double proj_flop = 6 * n * d * d, attn_flop = 4 * n * n * d;
    bool full = proj_flop + attn_flop <= c->ref_max_flop;
    pipeline_checks k = check_pipeline(&p, &desc, full, shape);

    bench_stats t[3];
    bench_row fused = row_of("pipeline", "qkv_fused", &desc);
    fused.t = time_call(&c->reps, fused_s, run_qkv_fused, &p, "mha_compute_qkv_fused");
    time_pipeline(&c->reps, &p, first_s, t);

    bench_row qkv = row_of("pipeline", "qkv", &desc), mha = row_of("pipeline", "mha", &desc),
              whole = row_of("pipeline", "pipeline", &desc);
    qkv.t = t[0];
    mha.t = t[1];
    whole.t = t[2];
    set_rate(&qkv, c, proj_flop);
    set_rate(&fused, c, proj_flop);
    set_rate(&mha, c, attn_flop);
    set_rate(&whole, c, proj_flop + attn_flop);
    set_check(&qkv, &k.qkv, full ? k.ref_qkv_s : (double)NAN);
    set_check(&fused, &k.fused, full ? k.ref_qkv_s : (double)NAN);
    set_check(&mha, &k.mha, k.ref_mha_s);
    set_check(&whole, &k.whole, full ? k.ref_qkv_s + k.ref_mha_s : (double)NAN);
    fused.ratio = fused.t.median / qkv.t.median;
    fused.ratio_of = "qkv";
    mha.ws_bytes = whole.ws_bytes = workspace_of(&desc);
    emit(&qkv);
    emit(&fused);
    emit(&mha);
    emit(&whole);
    if (c->gemm_share) { /* last: it overwrites out */
        bench_row gemms = measure_gemm_replay(c, &p, &desc, &mha);
        emit(&gemms);
    }
    pipeline_free(&p);
}

void SFX(bench_pipeline)(const bench_config *c)
{
    bench_report_note("## pipeline: mha_compute_qkv[_fused] + mha_multi_head_attention");
    for (size_t i = 0; i < c->n_shapes; i++)
        pipeline_shape(c, &c->shapes[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* General attention: causal, decode (GQA), GQA prefill; and the long sequence                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct attn_call {
    mha_attention_desc d;
    REAL *Q, *K, *V, *out;
} attn_call;

static mha_status run_attention(const void *ctx)
{
    const attn_call *a = ctx;
    return API(mha_attention)(&a->d, a->Q, a->K, a->V, NULL, a->out, NULL);
}

/* Buffers for a packed single-item descriptor, inputs uniform in [−1, 1]. */
static void attn_init(attn_call *a, const mha_attention_desc *d, uint64_t seed)
{
    bench_rng r = bench_rng_seeded(seed);
    size_t nq = bench_mul(d->seq_q, d->ld_q), nk = bench_mul(d->seq_kv, d->ld_k),
           nv = bench_mul(d->seq_kv, d->ld_v);
    a->d = *d;
    a->Q = alloc_real(nq);
    a->K = alloc_real(nk);
    a->V = alloc_real(nv);
    a->out = alloc_real(bench_mul(d->seq_q, d->ld_out));
    fill(&r, a->Q, nq, 1);
    fill(&r, a->K, nk, 1);
    fill(&r, a->V, nv, 1);
}

static void attn_free(attn_call *a)
{
    bench_free(a->out);
    bench_free(a->V);
    bench_free(a->K);
    bench_free(a->Q);
}

/* The whole naive reference runs when it takes a couple of seconds and its double copies of the
 * buffers stay small (a long decode cache would need hundreds of MiB): else sampled rows. */
static bool full_check_fits(const bench_config *c, const mha_attention_desc *d, double flop)
{
    double elems = (double)d->seq_q * (double)(d->ld_q + d->ld_out) +
                   (double)d->seq_kv * (double)(d->ld_k + d->ld_v);
    return flop <= c->ref_max_flop && elems * sizeof(double) <= 64.0 * 1024 * 1024;
}

/* Warm-up, check, then time one mha_attention call; the row is not printed yet. */
static bench_row measure_attention(const bench_config *c, const bench_reps *policy,
                                   const char *suite, const char *op, const attn_call *a,
                                   double flop)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%s seq_q %zu seq_kv %zu heads %zu/%zu d_head %zu%s", op,
             a->d.seq_q, a->d.seq_kv, a->d.n_heads, a->d.n_kv_heads, a->d.d_head,
             a->d.flags & MHA_CAUSAL ? " causal" : "");
    double first_s = first_run(run_attention, a, "mha_attention");
    check k = check_attention(&a->d, a->Q, a->K, a->V, a->out, full_check_fits(c, &a->d, flop));
    check_or_die(&k, "mha_attention", shape);
    bench_row row = row_of(suite, op, &a->d);
    row.t = time_call(policy, first_s, run_attention, a, "mha_attention");
    set_rate(&row, c, flop);
    set_check(&row, &k, k.ref_s);
    row.ws_bytes = workspace_of(&a->d);
    return row;
}

/* Causal self-attention against the full one at the same shape: ideally half the time, since
 * the blocks wholly above the diagonal are skipped. Causal GFLOP/s count only the visible
 * half, 2·n·(n+1)·d_model, so the two rates are comparable. */
static void causal_vs_full(const bench_config *c)
{
    const bench_shape *s = &c->causal;
    size_t d_k = s->d_model / s->heads;
    double n = (double)s->seq, d = (double)s->d_model;
    mha_attention_desc desc;
    mha_attention_desc_init(&desc, s->seq, s->seq, s->heads, s->heads, d_k, d_k);
    attn_call a;
    attn_init(&a, &desc, 7);
    bench_row full = measure_attention(c, &c->reps, "general", "full", &a, 4 * n * n * d);
    emit(&full);
    a.d.flags = MHA_CAUSAL;
    bench_row causal = measure_attention(c, &c->reps, "general", "causal", &a, 2 * n * (n + 1) * d);
    causal.ratio = causal.t.median / full.t.median;
    causal.ratio_of = "full";
    emit(&causal);
    attn_free(&a);
}

/* Decode: one query row against a long KV cache, 32 query heads sharing 8 kv heads of 128.
 * Memory-bound: its rate is the K and V bytes read per call over the time, next to memcpy's. */
static void decode(const bench_config *c)
{
    size_t max_kv = 0;
    for (size_t i = 0; i < c->n_decode; i++)
        max_kv = c->decode_kv[i] > max_kv ? c->decode_kv[i] : max_kv;
    mha_attention_desc desc;
    mha_attention_desc_init(&desc, 1, max_kv, 32, 8, 128, 128);
    attn_call a; /* sized for the longest cache; shorter ones use its first rows */
    attn_init(&a, &desc, 11);
    for (size_t i = 0; i < c->n_decode; i++) {
        size_t kv = c->decode_kv[i];
        mha_attention_desc_init(&a.d, 1, kv, 32, 8, 128, 128);
        double bytes = 2.0 * (double)kv * 8 * 128 * sizeof(REAL);
        bench_row row =
            measure_attention(c, &c->reps, "general", "decode", &a, 4.0 * (double)kv * 32 * 128);
        row.gbps = bench_rate_g(bytes, row.t.median);
        row.copy_pct = c->copy_gbps > 0 ? 100 * row.gbps / c->copy_gbps : (double)NAN;
        emit(&row);
    }
    attn_free(&a);
}

/* GQA prefill (causal, 32 query heads over 8 kv heads of 64) against the same call with 32 kv
 * heads: equal flops, a quarter of the K/V bytes. */
static void gqa_prefill(const bench_config *c)
{
    size_t n = c->gqa_seq;
    double flop = 2.0 * (double)n * ((double)n + 1) * 32 * 64;
    mha_attention_desc desc;
    attn_call g, m;
    mha_attention_desc_init(&desc, n, n, 32, 8, 64, 64);
    desc.flags = MHA_CAUSAL;
    attn_init(&g, &desc, 13);
    bench_row gqa = measure_attention(c, &c->reps, "general", "gqa", &g, flop);
    attn_free(&g);
    mha_attention_desc_init(&desc, n, n, 32, 32, 64, 64);
    desc.flags = MHA_CAUSAL;
    attn_init(&m, &desc, 13);
    bench_row mha = measure_attention(c, &c->reps, "general", "mha_equiv", &m, flop);
    attn_free(&m);
    gqa.ratio = gqa.t.median / mha.t.median;
    gqa.ratio_of = "mha_equiv";
    emit(&gqa);
    emit(&mha);
}

void SFX(bench_general)(const bench_config *c)
{
    bench_report_note("## general: mha_attention causal vs full, decode (GQA 32/8), GQA prefill");
    causal_vs_full(c);
    decode(c);
    gqa_prefill(c);
}

void SFX(bench_long)(const bench_config *c)
{
    const bench_shape *s = &c->long_shape;
    size_t d_k = s->d_model / s->heads;
    double n = (double)s->seq, d = (double)s->d_model;
    bench_report_note("## long: mha_multi_head_attention's call at %zux%zux%zu", s->seq, s->d_model,
                      s->heads);
    mha_attention_desc desc;
    mha_attention_desc_init(&desc, s->seq, s->seq, s->heads, s->heads, d_k, d_k);
    attn_call a;
    attn_init(&a, &desc, 17);
    bench_row row = measure_attention(c, &c->long_reps, "long", "mha", &a, 4 * n * n * d);
    emit(&row);
    attn_free(&a);
}
