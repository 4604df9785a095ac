/* SPDX-License-Identifier: MIT */
/* The general-attention section (causal vs full, decode with GQA, GQA prefill) and the long
 * sequence, all through mha_attention(). Written once over STORE, included after
 * bench_run_impl.h. */

typedef struct attn_call {
    mha_attention_desc d;
    STORE *Q, *K, *V, *out;
    const bench_evict *evict; /* not NULL: timed cold (a decode call: time_runs) */
} attn_call;

static mha_status run_attention(const void *ctx)
{
    const attn_call *a = ctx;
    return PUB(mha_attention)(&a->d, a->Q, a->K, a->V, NULL, a->out, NULL);
}

/* Buffers for a packed descriptor (batch items its batch strides apart), inputs uniform in
 * [−1, 1]. */
static void attn_init(attn_call *a, const mha_attention_desc *d, uint64_t seed)
{
    rng r = rng_seeded(seed);
    size_t nq = bench_mul(d->batch, d->batch_stride_q), nk = bench_mul(d->batch, d->batch_stride_k),
           nv = bench_mul(d->batch, d->batch_stride_v);
    a->d = *d;
    a->evict = NULL;
    a->Q = alloc_store(nq);
    a->K = alloc_store(nk);
    a->V = alloc_store(nv);
    a->out = alloc_store(bench_mul(d->batch, d->batch_stride_out));
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

/* Each batch item checked against the reference on its own (whole, or sampled rows when big). */
static check check_items(const bench_config *c, const attn_call *a, double flop, const char *shape)
{
    check k = {0};
    mha_attention_desc one = a->d;
    one.batch = 1;
    for (size_t b = 0; b < a->d.batch; b++) {
        check kb =
            check_attention(&one, a->Q + b * a->d.batch_stride_q, a->K + b * a->d.batch_stride_k,
                            a->V + b * a->d.batch_stride_v, a->out + b * a->d.batch_stride_out,
                            full_check_fits(c, &one, flop / (double)a->d.batch));
        check_or_die(&kb, "mha_attention", shape);
        if (b == 0 || kb.max_err > k.max_err)
            k = kb;
    }
    return k;
}

/* Warm-up, check, then time one mha_attention call; the row is not printed yet. */
static bench_row measure_attention(const bench_config *c, const bench_reps *policy,
                                   const char *suite, const char *op, const attn_call *a,
                                   double flop)
{
    char shape[128];
    snprintf(shape, sizeof shape, "%s batch %zu seq_q %zu seq_kv %zu heads %zu/%zu d_head %zu%s",
             op, a->d.batch, a->d.seq_q, a->d.seq_kv, a->d.n_heads, a->d.n_kv_heads, a->d.d_head,
             a->d.flags & MHA_CAUSAL ? " causal" : "");
    double first_s = first_run_of(run_attention, a, "mha_attention", a->evict);
    check k = check_items(c, a, flop, shape);
    bench_row row = row_of(suite, op, &a->d);
    row.t = time_runs(policy, first_s, run_attention, a, "mha_attention", a->evict);
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

/* A decode row's rates: K and V bytes read per call over the time, next to memcpy's, and the
 * tokens per second of a 32-layer model whose every layer makes this call. */
static void set_decode_rates(bench_row *row, const bench_config *c, double bytes)
{
    row->gbps = bench_rate_g(bytes, row->t.median);
    row->copy_pct = c->copy_gbps > 0 ? 100 * row->gbps / c->copy_gbps : (double)NAN;
    row->tok_s = 1 / (32 * row->t.median);
}

static mha_status run_ragged(const void *ctx)
{
    const attn_call *a = ctx;
    return PUB(mha_attention)(&a->d, a->Q, a->K, a->V, NULL, a->out, NULL);
}

/* A ragged batch (kv_lens): 8 caches of 1024 to max_kv keys, evenly spread, in one padded cache of
 * max_kv keys, 32 query heads over 8 kv heads of 128. Each item is checked on its own against the
 * reference (sampled rows) before the batch is timed. */
static void decode_ragged(const bench_config *c, size_t max_kv)
{
    enum { ITEMS = 8 };
    size_t lens[ITEMS];
    double keys = 0;
    for (size_t b = 0; b < ITEMS; b++) {
        lens[b] = 1024 + (max_kv > 1024 ? (max_kv - 1024) * b / (ITEMS - 1) : 0);
        lens[b] = lens[b] < max_kv ? lens[b] : max_kv;
        keys += (double)lens[b];
    }
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, max_kv, 32, 8, 128, 128);
    d.batch = ITEMS;
    d.kv_lens = lens;
    attn_call a;
    attn_init(&a, &d, 19);
    double first_s = first_run_of(run_ragged, &a, "mha_attention ragged", &c->evict);
    check k = {0};
    for (size_t b = 0; b < ITEMS; b++) {
        mha_attention_desc one;
        mha_attention_desc_init(&one, 1, lens[b], 32, 8, 128, 128);
        check kb =
            check_attention(&one, a.Q + b * d.batch_stride_q, a.K + b * d.batch_stride_k,
                            a.V + b * d.batch_stride_v, a.out + b * d.batch_stride_out, false);
        check_or_die(&kb, "mha_attention", "decode ragged batch of 8");
        if (b == 0 || kb.max_err > k.max_err)
            k = kb;
    }
    bench_row row = row_of("general", "dec_ragged", &d);
    row.t = time_runs(&c->reps, first_s, run_ragged, &a, "mha_attention ragged", &c->evict);
    set_rate(&row, c, 4.0 * keys * 32 * 128);
    set_check(&row, &k, k.ref_s);
    row.ws_bytes = workspace_of(&d);
    set_decode_rates(&row, c, 2.0 * keys * 8 * 128 * sizeof(STORE));
    emit(&row);
    attn_free(&a);
}

/* Decode: one query row against a long KV cache, 32 query heads sharing 8 kv heads of 128, at each
 * length; then, at the longest, MQA (32 query heads over one kv head: split-KV spreads its single
 * cache over the workers) and a ragged batch of 8 caches. Memory-bound: its rate is the K and V
 * bytes read per call over the time, next to memcpy's. Every run is cold (c->evict), as in a
 * model whose other layers' caches stream through between two calls on one layer's: repeated on
 * one warm cache, a call reads up to 480 MiB of it from this VM's L3. */
static void decode(const bench_config *c)
{
    size_t max_kv = 0;
    for (size_t i = 0; i < c->n_decode; i++)
        max_kv = c->decode_kv[i] > max_kv ? c->decode_kv[i] : max_kv;
    mha_attention_desc desc;
    mha_attention_desc_init(&desc, 1, max_kv, 32, 8, 128, 128);
    attn_call a; /* sized for the longest cache; shorter ones use its first rows */
    attn_init(&a, &desc, 11);
    a.evict = &c->evict;
    for (size_t i = 0; i < c->n_decode; i++) {
        size_t kv = c->decode_kv[i];
        mha_attention_desc_init(&a.d, 1, kv, 32, 8, 128, 128);
        double bytes = 2.0 * (double)kv * 8 * 128 * sizeof(STORE);
        bench_row row =
            measure_attention(c, &c->reps, "general", "decode", &a, 4.0 * (double)kv * 32 * 128);
        set_decode_rates(&row, c, bytes);
        emit(&row);
    }
    if (c->n_decode > 0) { /* MQA over the longest cache, packed in the first eighth of K, V */
        mha_attention_desc_init(&a.d, 1, max_kv, 32, 1, 128, 128);
        bench_row row = measure_attention(c, &c->reps, "general", "dec_mqa", &a,
                                          4.0 * (double)max_kv * 32 * 128);
        set_decode_rates(&row, c, 2.0 * (double)max_kv * 128 * sizeof(STORE));
        emit(&row);
    }
    attn_free(&a);
    if (c->n_decode > 0)
        decode_ragged(c, max_kv / 2 > 1024 ? max_kv / 2 : max_kv);
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
    bench_report_note("## general, %s: mha_attention causal vs full, decode (GQA 32/8), GQA "
                      "prefill",
                      MHA_STR(TYPE_NAME));
    causal_vs_full(c);
    decode(c);
    gqa_prefill(c);
}

void SFX(bench_long)(const bench_config *c)
{
    const bench_shape *s = &c->long_shape;
    size_t d_k = s->d_model / s->heads;
    double n = (double)s->seq, d = (double)s->d_model;
    bench_report_note("## long, %s: mha_multi_head_attention's call at %zux%zux%zu",
                      MHA_STR(TYPE_NAME), s->seq, s->d_model, s->heads);
    mha_attention_desc desc;
    mha_attention_desc_init(&desc, s->seq, s->seq, s->heads, s->heads, d_k, d_k);
    attn_call a;
    attn_init(&a, &desc, 17);
    bench_row row = measure_attention(c, &c->long_reps, "long", "mha", &a, 4 * n * n * d);
    emit(&row);
    attn_free(&a);

    /* Causal at a longer length: the key blocks keep the workspace that of any long call. */
    size_t m = c->long_causal_seq;
    mha_attention_desc_init(&desc, m, m, s->heads, s->heads, d_k, d_k);
    desc.flags = MHA_CAUSAL;
    attn_init(&a, &desc, 18);
    row = measure_attention(c, &c->long_reps, "long", "causal", &a,
                            2 * (double)m * (double)(m + 1) * d);
    emit(&row);
    attn_free(&a);
    mha_attention_desc_init(&desc, (size_t)1 << 20, (size_t)1 << 20, s->heads, s->heads, d_k, d_k);
    bench_report_note("# workspace at seq_q = seq_kv = 2^20, this width and these heads: %.0f "
                      "bytes in all",
                      workspace_of(&desc));
}
