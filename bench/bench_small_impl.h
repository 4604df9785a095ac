/* SPDX-License-Identifier: MIT */
/* The small section: batched attention at the shape of a BERT-base layer (batch × 128 tokens,
 * d_model 768, 12 heads of 64) and single sequences of 64 to 512 tokens, through mha_attention():
 * calls of a millisecond or two, where fixed costs (waking workers, planning, per-GEMM overheads)
 * show. Written once over STORE, included after bench_general_impl.h (attn_call,
 * measure_attention). */

/* A packed descriptor of `batch` sequences of `seq` tokens, d_model wide in `heads` heads. */
static mha_attention_desc batched_desc(size_t batch, size_t seq, size_t d_model, size_t heads)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, seq, seq, heads, heads, d_model / heads, d_model / heads);
    d.batch = batch;
    return d;
}

/* One batched shape: checked, timed, printed; its median goes to *seconds. Half types also give
 * their speed over f32's at the shape (f32_s, when f32 ran first). */
static void small_shape(const bench_config *c, const bench_batch *s, double *seconds, double f32_s)
{
    const mha_attention_desc d = batched_desc(s->batch, s->seq, c->small_d_model, c->small_heads);
    attn_call a;
    attn_init(&a, &d, 23);
    char op[32];
    snprintf(op, sizeof op, "batch%zu", s->batch);
    bench_row row = measure_attention(c, &c->reps, "small", op, &a,
                                      4.0 * (double)s->batch * (double)s->seq * (double)s->seq *
                                          (double)c->small_d_model);
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
                      MHA_STR(TYPE_NAME), c->small_d_model, c->small_heads,
                      c->small_f32_s ? "; ratio: this type's speed over f32's" : "");
    for (size_t i = 0; i < c->n_small; i++) {
        double seconds = 0;
        small_shape(c, &c->small[i], &seconds, c->small_f32_s ? c->small_f32_s[i] : 0);
        if (c->small_s)
            c->small_s[i] = seconds;
    }
}
