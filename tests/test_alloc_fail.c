/* SPDX-License-Identifier: MIT */
/* Allocation-failure injection (internal copy, mha_alloc_fail_nth): for each call, count its
 * allocations, then make each one fail in turn. Every injected failure must give
 * MHA_ERR_OUT_OF_MEMORY with the outputs untouched (sentinel), and free whatever was allocated
 * before it — the ASan and valgrind steps of CI run this test and fail on a leak. Calls that
 * allocate nothing are swept too: their count must be 0. */
#include "common/test_util.h"

#include "alloc.h"
#include "mha.h"

/* One call and its buffers; run() makes the call. */
typedef struct call {
    const char *name;
    mha_status (*run)(const struct call *);
    mha_attention_desc d;
    size_t seq, d_model, n_heads;
    void *Q, *K, *V, *mask, *out, *lse, *ws;
    size_t in_bytes, out_bytes, lse_bytes, ws_bytes;
    bool zero_allocations; /* documented never to allocate */
} call;

static mha_status attention_f32(const call *c)
{
    return mha_attention(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse);
}

static mha_status attention_f64(const call *c)
{
    return mha_attention_f64(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse);
}

static mha_status attention_ws_f32(const call *c)
{
    return mha_attention_ws(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse, c->ws, c->ws_bytes);
}

static mha_status attention_ws_f64(const call *c)
{
    return mha_attention_ws_f64(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse, c->ws,
                                c->ws_bytes);
}

static mha_status multi_head_f32(const call *c)
{
    return mha_multi_head_attention(c->Q, c->K, c->V, c->seq, c->d_model, c->n_heads, c->out);
}

static mha_status multi_head_f64(const call *c)
{
    return mha_multi_head_attention_f64(c->Q, c->K, c->V, c->seq, c->d_model, c->n_heads, c->out);
}

static mha_status self_f32(const call *c)
{
    return mha_self_attention(c->Q, c->K, c->V, c->seq, c->d_model, c->out);
}

static mha_status self_f64(const call *c)
{
    return mha_self_attention_f64(c->Q, c->K, c->V, c->seq, c->d_model, c->out);
}

/* X = Q, the three weights = K, outputs packed in out. */
static mha_status qkv_f32(const call *c)
{
    float *o = c->out;
    size_t nd = c->seq * c->d_model;
    return mha_compute_qkv(c->Q, c->K, c->K, c->K, c->seq, c->d_model, o, o + nd, o + 2 * nd);
}

/* out_a = Q, out_b = K; lse_a, lse_b in V; outputs out and lse. */
static mha_status merge_f64(const call *c)
{
    const double *l = c->V;
    size_t n = c->seq * c->n_heads;
    return mha_attention_merge_f64(c->seq, c->n_heads, c->d_model, c->n_heads * c->d_model, c->Q, l,
                                   c->K, l + n, c->out, c->lse);
}

static mha_status attention_bf16(const call *c)
{
    return mha_attention_bf16(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse);
}

static mha_status attention_ws_bf16(const call *c)
{
    return mha_attention_ws_bf16(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse, c->ws,
                                 c->ws_bytes);
}

static mha_status attention_f16(const call *c)
{
    return mha_attention_f16(&c->d, c->Q, c->K, c->V, c->mask, c->out, c->lse);
}

/* The half projections allocate their scratch (mha.h). */
static mha_status qkv_bf16(const call *c)
{
    mha_bf16 *o = c->out;
    size_t nd = c->seq * c->d_model;
    return mha_compute_qkv_bf16(c->Q, c->K, c->K, c->K, c->seq, c->d_model, o, o + nd, o + 2 * nd);
}

static mha_status qkv_fused_f16(const call *c)
{
    return mha_compute_qkv_fused_f16(c->Q, c->K, c->seq, c->d_model, c->out);
}

static void *random_buffer(rng *r, size_t n, size_t elem)
{
    void *p = xcalloc(n, elem);
    for (size_t i = 0; i < n; i++) {
        double v = rng_uniform(r, -1, 1);
        if (elem == sizeof(float))
            ((float *)p)[i] = (float)v;
        else if (elem == sizeof(double))
            ((double *)p)[i] = v;
        else /* a half type: bf16 and f16 bits both read as small numbers (sign 0, exponent low) */
            ((uint16_t *)p)[i] = (uint16_t)(0x2000 + (uint16_t)(rng_next(r) & 0x0FFF));
    }
    return p;
}

/* A half-precision general call (bf16 or f16 matrices; mask and lse float). */
static call general_half(const char *name, mha_status (*run)(const call *), bool ws,
                         mha_attention_desc d, bool mask, bool lse)
{
    rng r = rng_seeded(98);
    call c = {.name = name, .run = run, .d = d, .zero_allocations = ws};
    c.Q = random_buffer(&r, d.batch * d.batch_stride_q, 2);
    c.K = random_buffer(&r, d.batch * d.batch_stride_k, 2);
    c.V = random_buffer(&r, d.batch * d.batch_stride_v, 2);
    c.mask = mask ? random_buffer(&r, d.seq_q * d.ld_mask, sizeof(float)) : NULL;
    c.out_bytes = d.batch * d.batch_stride_out * 2;
    c.out = xcalloc(c.out_bytes, 1);
    c.lse_bytes = lse ? d.batch * d.n_heads * d.seq_q * sizeof(float) : 0;
    c.lse = lse ? xcalloc(c.lse_bytes, 1) : NULL;
    if (ws) {
        assert_int_equal(mha_attention_workspace_size_bf16(&d, &c.ws_bytes), MHA_OK);
        c.ws = xcalloc(c.ws_bytes, 1);
    }
    return c;
}

/* A half projection of seq × d_model: X in Q, the weights in K (three times, or fused). */
static call projection_half(const char *name, mha_status (*run)(const call *), size_t seq,
                            size_t d_model)
{
    rng r = rng_seeded(97);
    call c = {.name = name, .run = run, .seq = seq, .d_model = d_model};
    c.Q = random_buffer(&r, seq * d_model, 2);
    c.K = random_buffer(&r, 3 * d_model * d_model, 2);
    c.out_bytes = 3 * seq * d_model * 2;
    c.out = xcalloc(c.out_bytes, 1);
    return c;
}

/* A general call: packed buffers for desc, random inputs, and a mask and lse if asked. */
static call general(const char *name, bool f64, bool ws, mha_attention_desc d, bool mask, bool lse)
{
    rng r = rng_seeded(99);
    size_t elem = f64 ? sizeof(double) : sizeof(float);
    call c = {.name = name, .d = d, .zero_allocations = ws};
    c.run = f64 ? (ws ? attention_ws_f64 : attention_f64) : (ws ? attention_ws_f32 : attention_f32);
    c.Q = random_buffer(&r, d.batch * d.batch_stride_q, elem);
    c.K = random_buffer(&r, d.batch * d.batch_stride_k, elem);
    c.V = random_buffer(&r, d.batch * d.batch_stride_v, elem);
    c.mask = mask ? random_buffer(&r, d.seq_q * d.ld_mask, elem) : NULL;
    c.out_bytes = d.batch * d.batch_stride_out * elem;
    c.out = xcalloc(c.out_bytes, 1);
    c.lse_bytes = lse ? d.batch * d.n_heads * d.seq_q * elem : 0;
    c.lse = lse ? xcalloc(c.lse_bytes, 1) : NULL;
    if (ws) {
        assert_int_equal(f64 ? mha_attention_workspace_size_f64(&d, &c.ws_bytes)
                             : mha_attention_workspace_size(&d, &c.ws_bytes),
                         MHA_OK);
        c.ws = xcalloc(c.ws_bytes, 1);
    }
    return c;
}

/* A seed-operation call on seq × d_model matrices (merge: seq rows of n_heads × d_model). */
static call seed_op(const char *name, bool f64, mha_status (*run)(const call *), size_t seq,
                    size_t d_model, size_t n_heads, size_t n_out)
{
    rng r = rng_seeded(7);
    size_t elem = f64 ? sizeof(double) : sizeof(float);
    size_t n = seq * d_model * (run == merge_f64 ? n_heads : 1); /* elements of one matrix */
    call c = {.name = name, .run = run, .seq = seq, .d_model = d_model, .n_heads = n_heads};
    c.Q = random_buffer(&r, n, elem);
    c.K = random_buffer(&r, run == qkv_f32 ? d_model * d_model : n, elem);
    c.V = random_buffer(&r, run == merge_f64 ? 2 * seq * n_heads : n, elem);
    c.out_bytes = n_out * n * elem;
    c.out = xcalloc(c.out_bytes, 1);
    c.zero_allocations = run == qkv_f32 || run == merge_f64;
    if (run == merge_f64) {
        c.lse_bytes = seq * n_heads * elem;
        c.lse = xcalloc(c.lse_bytes, 1);
    }
    return c;
}

static void free_call(call *c)
{
    free(c->Q), free(c->K), free(c->V), free(c->mask), free(c->out), free(c->lse), free(c->ws);
}

/* Count c's allocations, fail each in turn, then let it succeed again; returns the count. */
static unsigned long sweep(call *c)
{
    unsigned char *want = xcalloc(c->out_bytes + c->lse_bytes, 1);
    mha_alloc_fail_nth(0);
    assert_int_equal(c->run(c), MHA_OK);
    unsigned long n = mha_alloc_fail_nth(0);
    memcpy(want, c->out, c->out_bytes);
    if (c->lse_bytes)
        memcpy(want + c->out_bytes, c->lse, c->lse_bytes);
    if (c->zero_allocations)
        assert_int_equal(n, 0);
    else
        assert_true(n >= 1); /* a workspace at least */

    for (unsigned long k = 1; k <= n; k++) {
        fill_sentinel(c->out, c->out_bytes);
        if (c->lse_bytes)
            fill_sentinel(c->lse, c->lse_bytes);
        mha_alloc_fail_nth(k);
        mha_status s = c->run(c);
        unsigned long made = mha_alloc_fail_nth(0);
        if (s != MHA_ERR_OUT_OF_MEMORY)
            print_error("%s: allocation %lu of %lu failed, status %s\n", c->name, k, n,
                        mha_status_string(s));
        assert_int_equal(s, MHA_ERR_OUT_OF_MEMORY);
        assert_int_equal(made, k); /* it stopped at the failure */
        assert_true(is_sentinel(c->out, c->out_bytes));
        assert_true(c->lse_bytes == 0 || is_sentinel(c->lse, c->lse_bytes));
    }

    /* Past the last allocation nothing fails, and the result is the same bit for bit. */
    mha_alloc_fail_nth(n + 1);
    assert_int_equal(c->run(c), MHA_OK);
    assert_int_equal(mha_alloc_fail_nth(0), n);
    assert_memory_equal(c->out, want, c->out_bytes);
    if (c->lse_bytes)
        assert_memory_equal(c->lse, want + c->out_bytes, c->lse_bytes);
    free(want);
    return n;
}

static unsigned long injection_points;

static void run_and_free(call c)
{
    injection_points += sweep(&c);
    free_call(&c);
}

static mha_attention_desc desc(size_t batch, size_t seq_q, size_t seq_kv, size_t n_heads,
                               size_t n_kv, size_t d_head, size_t d_v, unsigned flags)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, seq_q, seq_kv, n_heads, n_kv, d_head, d_v);
    d.batch = batch;
    d.flags = flags;
    return d;
}

static void general_calls(void **state)
{
    (void)state;
    for (int f64 = 0; f64 <= 1; f64++) {
        /* prefill with GQA, causal, mask and lse; several query blocks per head; decode with the
         * heads of a group stacked; cross-attention with no keys at all. */
        run_and_free(
            general("prefill", f64, false, desc(2, 40, 50, 4, 2, 8, 8, MHA_CAUSAL), true, true));
        run_and_free(
            general("blocks", f64, false, desc(1, 300, 300, 1, 1, 4, 4, MHA_CAUSAL), false, false));
        run_and_free(general("decode", f64, false, desc(3, 1, 64, 8, 1, 16, 16, 0), false, true));
        run_and_free(general("no keys", f64, false, desc(1, 5, 0, 2, 2, 4, 4, 0), false, true));
    }
}

static void half_calls(void **state)
{
    (void)state;
    run_and_free(general_half("prefill bf16", attention_bf16, false,
                              desc(2, 40, 50, 4, 2, 8, 8, MHA_CAUSAL), true, true));
    run_and_free(general_half("decode f16", attention_f16, false, desc(3, 1, 64, 8, 1, 16, 16, 0),
                              false, true));
    run_and_free(general_half("ws prefill bf16", attention_ws_bf16, true,
                              desc(2, 40, 50, 4, 2, 8, 8, MHA_CAUSAL), true, true));
    run_and_free(projection_half("qkv bf16", qkv_bf16, 300, 12));
    run_and_free(projection_half("qkv fused f16", qkv_fused_f16, 9, 6));
}

static void caller_workspace_never_allocates(void **state)
{
    (void)state;
    for (int f64 = 0; f64 <= 1; f64++) {
        run_and_free(
            general("ws prefill", f64, true, desc(2, 40, 50, 4, 2, 8, 8, MHA_CAUSAL), true, true));
        run_and_free(general("ws decode", f64, true, desc(1, 1, 64, 8, 2, 16, 8, 0), false, true));
    }
}

static void seed_calls(void **state)
{
    (void)state;
    run_and_free(seed_op("multi-head f32", false, multi_head_f32, 33, 12, 3, 1));
    run_and_free(seed_op("multi-head f64", true, multi_head_f64, 33, 12, 3, 1));
    run_and_free(seed_op("self f32", false, self_f32, 17, 5, 1, 1));
    run_and_free(seed_op("self f64", true, self_f64, 17, 5, 1, 1));
    run_and_free(seed_op("qkv f32", false, qkv_f32, 9, 6, 1, 3));
    run_and_free(seed_op("merge f64", true, merge_f64, 9, 4, 2, 1));
}

static int report(void **state)
{
    (void)state;
    printf("allocation failure injection: %lu injection points swept\n", injection_points);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(general_calls),
        cmocka_unit_test(caller_workspace_never_allocates),
        cmocka_unit_test(seed_calls),
        cmocka_unit_test(half_calls),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
