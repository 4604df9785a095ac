/* SPDX-License-Identifier: MIT */
/* The cases that every process setup runs (bench_setups.h): mha_multi_head_attention, batched
 * mha_attention and the whole pipeline, each checked against the reference and then timed in
 * this process as it was started, with no thread count touched. One line per case on stdout for
 * the parent bench to read. Written once over STORE, included after bench_pipeline_impl.h and
 * bench_small_impl.h. */

/* The pipeline (projection, then attention) as a user runs it, checked, timed as a whole. */
static double setup_pipeline(const bench_config *c, const bench_setup_case *s, double *err)
{
    const bench_shape shape = {s->seq, s->d_model, s->heads};
    pipeline p;
    pipeline_init(&p, &shape);
    first_run(run_qkv_fused, &p, "mha_compute_qkv_fused"); /* check_pipeline checks it too */
    const double first_s[2] = {first_run(run_qkv, &p, "mha_compute_qkv"),
                               first_run(run_mha, &p, "mha_multi_head_attention")};
    mha_attention_desc desc;
    size_t d_k = s->d_model / s->heads;
    mha_attention_desc_init(&desc, s->seq, s->seq, s->heads, s->heads, d_k, d_k);
    double n = (double)s->seq, d = (double)s->d_model;
    pipeline_checks k = check_pipeline(&p, &desc, 6 * n * d * d + 4 * n * n * d <= c->ref_max_flop,
                                       "setup pipeline");
    *err = k.mha.max_err;
    bench_stats t[3];
    time_pipeline(&c->reps, &p, first_s, t);
    pipeline_free(&p);
    return t[2].median;
}

/* mha_attention on `batch` packed sequences (multi-head attention's call when batch is 1). */
static double setup_attention(const bench_config *c, const bench_setup_case *s, double *err)
{
    const mha_attention_desc d = batched_desc(s->batch, s->seq, s->d_model, s->heads);
    attn_call a;
    attn_init(&a, &d, 29);
    bench_row row = measure_attention(c, &c->reps, "setup", s->name, &a,
                                      4.0 * (double)s->batch * (double)s->seq * (double)s->seq *
                                          (double)s->d_model);
    attn_free(&a);
    *err = row.err;
    return row.t.median;
}

void SFX(bench_setup_cases)(const bench_config *c, const bench_setup_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double err = 0;
        double seconds = cases[i].kind == BENCH_SETUP_PIPELINE
                             ? setup_pipeline(c, &cases[i], &err)
                             : setup_attention(c, &cases[i], &err);
        printf("case %s %s %.9g %.3g\n", cases[i].name, MHA_STR(TYPE_NAME), seconds, err);
        fflush(stdout);
    }
}
