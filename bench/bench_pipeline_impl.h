/* SPDX-License-Identifier: MIT */
/* The pipeline section: mha_compute_qkv, mha_compute_qkv_fused, mha_multi_head_attention and the
 * two back to back, over the grid of shapes; --gemm-share's GEMM replay. Written once over STORE,
 * included after bench_run_impl.h. */

typedef struct pipeline {
    size_t n, d, h;
    STORE *X, *W[3], *W_qkv, *QKV, *P[3], *out; /* P: Q, K, V */
} pipeline;

static mha_status run_qkv(const void *ctx)
{
    const pipeline *p = ctx;
    return PUB(mha_compute_qkv)(p->X, p->W[0], p->W[1], p->W[2], p->n, p->d, p->P[0], p->P[1],
                                p->P[2]);
}

static mha_status run_qkv_fused(const void *ctx)
{
    const pipeline *p = ctx;
    return PUB(mha_compute_qkv_fused)(p->X, p->W_qkv, p->n, p->d, p->QKV);
}

static mha_status run_mha(const void *ctx)
{
    const pipeline *p = ctx;
    return PUB(mha_multi_head_attention)(p->P[0], p->P[1], p->P[2], p->n, p->d, p->h, p->out);
}

/* X uniform in [−1, 1]; weights scaled by √(3/d) so that Q, K, V have X's spread (variance 1/3)
 * at every d_model, and the softmax sees the same score range at every shape. */
static void pipeline_init(pipeline *p, const bench_shape *s)
{
    rng r = rng_seeded(s->seq * 31 + s->d_model);
    size_t n = s->seq, d = s->d_model, dd = bench_mul(d, d), nd = bench_mul(n, d);
    *p = (pipeline){.n = n, .d = d, .h = s->heads};
    p->X = alloc_store(nd);
    fill(&r, p->X, nd, 1);
    p->W_qkv = alloc_store(bench_mul(dd, 3));
    for (int k = 0; k < 3; k++) {
        p->W[k] = alloc_store(dd);
        p->P[k] = alloc_store(nd);
        fill(&r, p->W[k], dd, sqrt(3.0 / (double)d));
        for (size_t row = 0; row < d; row++) /* W_qkv row = [W_q row | W_k row | W_v row] */
            memcpy(p->W_qkv + (row * 3 + (size_t)k) * d, p->W[k] + row * d, d * sizeof(STORE));
    }
    p->QKV = alloc_store(bench_mul(nd, 3));
    p->out = alloc_store(nd);
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

/* End to end: the reference's own projection R through its own attention, against the
 * library's pipeline output. Full checks only: every row's attention needs all of R. Half types
 * round R to STORE first, as the library stores Q, K, V, and are held to the attention's bound. */
static check check_end_to_end(const pipeline *p, double *const R[3], bool full)
{
    check k = check_begin(full);
    if (!full) {
        k.how = "-";
        k.max_err = NAN;
        return k;
    }
    size_t nd = p->n * p->d;
#ifdef ROUND_STORE
    for (int m = 0; m < 3; m++)
        for (size_t i = 0; i < nd; i++)
            R[m][i] = ROUND_STORE(R[m][i]);
#endif
    tol_attention(&k, max_abs(R[2], nd));
    double *O = bench_alloc(bench_mul(nd, sizeof(double)));
    ref_multi_head_attention(R[0], R[1], R[2], p->n, p->d, p->h, O);
    for (size_t i = 0; i < nd; i++)
        check_value(&k, LOAD(p->out[i]), O[i]);
    bench_free(O);
    return k;
}

/* Every check of one shape, and the reference's seconds (meaningful for full checks). */
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
    k.ref_qkv_s = ref_projection(p->X, (const STORE *const *)p->W, p->n, p->d, full, R);
    const STORE *const fused[3] = {p->QKV, p->QKV + p->d, p->QKV + 2 * p->d};
    k.qkv = check_projection((const STORE *const *)p->P, p->d, p->n, p->d, full,
                             (const double *const *)R);
    k.fused = check_projection(fused, 3 * p->d, p->n, p->d, full, (const double *const *)R);
    k.mha = check_attention(desc, p->P[0], p->P[1], p->P[2], p->out, full);
    k.ref_mha_s = k.mha.ref_s;
    k.whole = check_end_to_end(p, R, full);
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

#ifdef CBLAS_GEMM
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

/* The tile height is read back from one worker's workspace size, which (src/driver/plan.c) is 64
 * bytes of alignment slack plus rows × (ld_s + 2 + d_k) elements, ld_s = seq_len rounded up to 64
 * bytes. If that layout changes, this row is approximate; nothing else depends on it. The replay
 * runs on the calling thread: compare it with --parallel blas. */
static bench_row measure_gemm_replay(const bench_config *c, const pipeline *p,
                                     const mha_attention_desc *desc, const bench_row *mha)
{
    mha_attention_desc one = *desc; /* one worker's workspace: one tile */
    one.n_threads = 1;
    double ws_bytes = workspace_of(&one);
    size_t per_line = 64 / sizeof(REAL), ws = isnan(ws_bytes) ? 0 : (size_t)ws_bytes;
    gemm_replay g = {p, 0, (p->n + per_line - 1) / per_line * per_line, NULL};
    g.rows = ws > 64 ? (ws - 64) / sizeof(REAL) / (g.ld_s + 2 + p->d / p->h) : 0;
    g.rows = g.rows == 0 ? 1 : g.rows > p->n ? p->n : g.rows;
    g.S = alloc_store(bench_mul(g.rows, g.ld_s));
    double first_s = first_run(run_gemm_replay, &g, "GEMM replay");
    bench_row row = row_of("pipeline", "mha_gemms", desc);
    row.t = time_call(&c->reps, first_s, run_gemm_replay, &g, "GEMM replay");
    set_rate(&row, c, 4 * (double)p->n * (double)p->n * (double)p->d);
    row.ratio = row.t.median / mha->t.median;
    row.ratio_of = "mha";
    bench_free(g.S);
    return row;
}
#endif

/* The whole pipeline as a program that sets nothing runs it: called before this process changes
 * any thread count, so with the BLAS's and OpenMP's defaults. Its results are checked by the tuned
 * pass, which makes the same calls. */
void SFX(bench_out_of_box)(const bench_config *c, bench_stats *out)
{
    for (size_t i = 0; i < c->n_shapes; i++) {
        pipeline p;
        pipeline_init(&p, &c->shapes[i]);
        const double first_s[2] = {first_run(run_qkv, &p, "mha_compute_qkv"),
                                   first_run(run_mha, &p, "mha_multi_head_attention")};
        bench_stats t[3];
        time_pipeline(&c->reps, &p, first_s, t);
        out[i] = t[2];
        pipeline_free(&p);
    }
}

static void pipeline_shape(const bench_config *c, const bench_shape *s,
                           const bench_stats *out_of_box, bench_pipeline_result *result)
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
    if (out_of_box) { /* ratio: out-of-box time over tuned time */
        bench_row oob = row_of("pipeline", "out_of_box", &desc);
        oob.t = *out_of_box;
        set_rate(&oob, c, proj_flop + attn_flop);
        oob.ratio = oob.t.median / whole.t.median;
        oob.ratio_of = "pipeline";
        emit(&oob);
    }
#ifdef CBLAS_GEMM        /* the half types' GEMMs are not one BLAS call to replay */
    if (c->gemm_share) { /* last: it overwrites out */
        bench_row gemms = measure_gemm_replay(c, &p, &desc, &mha);
        emit(&gemms);
    }
#endif
    if (result) /* for the speed-up rows (mha_bench.c) */
        *result = (bench_pipeline_result){mha, whole};
    pipeline_free(&p);
}

void SFX(bench_pipeline)(const bench_config *c)
{
    bench_report_note("## pipeline, %s: mha_compute_qkv[_fused] + mha_multi_head_attention",
                      MHA_STR(TYPE_NAME));
    for (size_t i = 0; i < c->n_shapes; i++)
        pipeline_shape(c, &c->shapes[i], c->out_of_box ? &c->out_of_box[i] : NULL,
                       c->results ? &c->results[i] : NULL);
}
