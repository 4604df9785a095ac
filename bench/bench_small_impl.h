/* SPDX-License-Identifier: MIT */
/* The small section: batched attention at the shape of a BERT-base layer (batch × 128 tokens,
 * d_model 768, 12 heads of 64) and single sequences of 64 to 512 tokens, through mha_attention():
 * calls of a millisecond or two, where fixed costs (waking workers, planning, per-GEMM overheads)
 * show. Written once over STORE, included after bench_general_impl.h (attn_call). */

static mha_status run_batched(const void *ctx)
{
    const attn_call *a = ctx;
    return PUB(mha_attention)(&a->d, a->Q, a->K, a->V, NULL, a->out, NULL);
}

/* Each batch item checked against the reference on its own (whole, or sampled rows when big). */
static check check_batched(const bench_config *c, const attn_call *a, double flop)
{
    check k = {0};
    mha_attention_desc one = a->d;
    one.batch = 1;
    for (size_t b = 0; b < a->d.batch; b++) {
        check kb =
            check_attention(&one, a->Q + b * a->d.batch_stride_q, a->K + b * a->d.batch_stride_k,
                            a->V + b * a->d.batch_stride_v, a->out + b * a->d.batch_stride_out,
                            full_check_fits(c, &one, flop / (double)a->d.batch));
        check_or_die(&kb, "mha_attention", "small batched");
        if (b == 0 || kb.max_err > k.max_err)
            k = kb;
    }
    return k;
}

/* One batched shape: checked, timed, printed; its median goes to *seconds. Half types also give
 * their speed over f32's at the shape (f32_s, when f32 ran first). */
static void small_shape(const bench_config *c, const bench_batch *s, double *seconds, double f32_s)
{
    size_t d_k = c->small_d_model / c->small_heads;
    mha_attention_desc d;
    mha_attention_desc_init(&d, s->seq, s->seq, c->small_heads, c->small_heads, d_k, d_k);
    d.batch = s->batch;
    attn_call a;
    attn_init(&a, &d, 23);
    double flop =
        4.0 * (double)s->batch * (double)s->seq * (double)s->seq * (double)c->small_d_model;
    double first_s = first_run(run_batched, &a, "mha_attention batched");
    check k = check_batched(c, &a, flop);
    char op[32];
    snprintf(op, sizeof op, "batch%zu", s->batch);
    bench_row row = row_of("small", op, &d);
    row.t = time_call(&c->reps, first_s, run_batched, &a, "mha_attention batched");
    set_rate(&row, c, flop);
    set_check(&row, &k, k.ref_s);
    row.ws_bytes = workspace_of(&d);
    if (f32_s > 0) {
        row.ratio = f32_s / row.t.median;
        row.ratio_of = "f32_speed";
    }
    *seconds = row.t.median;
    emit(&row);
    attn_free(&a);
}

void SFX(bench_small)(const bench_config *c)
{
    bench_report_note("## small, %s: mha_attention, batch × seq at d_model %zu, %zu heads "
                      "(BERT-base's layer at seq 128)%s",
                      DTYPE_NAME, c->small_d_model, c->small_heads,
                      c->small_f32_s ? "; ratio: this type's speed over f32's" : "");
    for (size_t i = 0; i < c->n_small; i++) {
        double seconds = 0;
        small_shape(c, &c->small[i], &seconds, c->small_f32_s ? c->small_f32_s[i] : 0);
        if (c->small_s)
            c->small_s[i] = seconds;
    }
}
