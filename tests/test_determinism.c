/* SPDX-License-Identifier: MIT */
/* Determinism: the same call gives the same bits, run after run, whatever the caller's workspace
 * alignment (the library aligns it) and wherever the output buffer sits. Shapes are chosen so that
 * OpenBLAS threads some GEMMs and calls have many query blocks, where any order-dependent
 * reduction (over BLAS threads today, over tiles if the library threads them) would show. */
#include "common/test_util.h"
#include "mha.h"

enum { RUNS = 8 };

typedef struct shape {
    size_t batch, seq_q, seq_kv, n_heads, n_kv, d_head, d_v;
    unsigned flags;
} shape;

static const shape shapes[] = {
    {1, 256, 256, 4, 4, 64, 64, MHA_CAUSAL}, /* prefill: threaded GEMMs, 1+ blocks per head */
    {2, 700, 300, 2, 1, 32, 16, 0},          /* several query blocks, GQA, cross lengths */
    {3, 1, 513, 8, 2, 64, 64, 0},            /* decode: the decode path's kernels */
    {1, 97, 131, 3, 3, 7, 5, MHA_CAUSAL},    /* odd sizes: the GEMM kernels' edge paths */
};

static void *values(rng *r, size_t n, bool f64)
{
    void *p = xcalloc(n, f64 ? 8 : 4);
    for (size_t i = 0; i < n; i++) {
        double v = rng_uniform(r, -1, 1);
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
    return p;
}

static mha_status attend(bool f64, const mha_attention_desc *d, const void *Q, const void *K,
                         const void *V, const void *M, void *out, void *lse, void *ws,
                         size_t ws_bytes)
{
    if (ws)
        return f64 ? mha_attention_ws_f64(d, Q, K, V, M, out, lse, ws, ws_bytes)
                   : mha_attention_ws(d, Q, K, V, M, out, lse, ws, ws_bytes);
    return f64 ? mha_attention_f64(d, Q, K, V, M, out, lse)
               : mha_attention(d, Q, K, V, M, out, lse);
}

static void same_bits_every_run(void **state)
{
    (void)state;
    rng r = rng_seeded(11);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int f64 = 0; f64 <= 1; f64++) {
            const shape *sh = &shapes[s];
            size_t e = f64 ? 8 : 4;
            mha_attention_desc d;
            mha_attention_desc_init(&d, sh->seq_q, sh->seq_kv, sh->n_heads, sh->n_kv, sh->d_head,
                                    sh->d_v);
            d.batch = sh->batch;
            d.flags = sh->flags;
            size_t no = d.batch * d.batch_stride_out, nl = d.batch * d.n_heads * d.seq_q;
            void *Q = values(&r, d.batch * d.batch_stride_q, f64);
            void *K = values(&r, d.batch * d.batch_stride_k, f64);
            void *V = values(&r, d.batch * d.batch_stride_v, f64);
            void *M = values(&r, d.seq_q * d.ld_mask, f64);
            size_t ws_bytes;
            assert_int_equal(f64 ? mha_attention_workspace_size_f64(&d, &ws_bytes)
                                 : mha_attention_workspace_size(&d, &ws_bytes),
                             MHA_OK);
            /* One element of slack before out, 64 bytes after the workspace, to move them. */
            unsigned char *first = xcalloc(no + nl, e), *out = xcalloc(no + 1, e),
                          *lse = xcalloc(nl, e), *ws = xcalloc(ws_bytes + 64, 1);
            assert_int_equal(attend(f64, &d, Q, K, V, M, first, first + no * e, NULL, 0), MHA_OK);
            for (int run = 0; run < RUNS; run++) {
                /* Odd runs: caller workspace misaligned by `run` bytes; even runs: allocated.
                 * Runs 4+ write out one element further in. */
                size_t shift = run >= RUNS / 2 ? e : 0;
                fill_sentinel(out, (no + 1) * e);
                void *w = run % 2 ? ws + run : NULL;
                assert_int_equal(attend(f64, &d, Q, K, V, M, out + shift, lse, w, ws_bytes),
                                 MHA_OK);
                if (memcmp(out + shift, first, no * e) != 0 ||
                    memcmp(lse, first + no * e, nl * e) != 0)
                    fail_msg("shape %zu (%s): run %d differs from the first", s,
                             f64 ? "double" : "float", run);
            }
            free(Q), free(K), free(V), free(M), free(first), free(out), free(lse), free(ws);
        }
}

/* Any number of workers gives the same bits (mha.h): n_threads 1, 2 and 3 on the decode path
 * (split-KV included: MQA at batch 1 over 9000 keys is cut into chunks, as are the small-block
 * library's caches of 40 keys or more), a ragged batch, a tiled call, and the zero-score schedule
 * of d_head == 0 (several tiles per item), in every storage type. */
static void same_bits_any_workers(void **state)
{
    (void)state;
    rng r = rng_seeded(13);
    const size_t lens[3] = {0, 5000, 9000};
    const shape cases[] = {
        {1, 1, 9000, 32, 1, 64, 64, 0},          /* MQA decode, split-KV */
        {3, 2, 9000, 16, 4, 32, 16, MHA_CAUSAL}, /* speculative rows, ragged below */
        {2, 1, 513, 8, 2, 64, 64, 0},            /* decode, one chunk per group */
        {1, 200, 300, 4, 2, 16, 16, MHA_CAUSAL}, /* tiles */
        {2, 600, 300, 6, 2, 0, 16, MHA_CAUSAL},  /* d_head 0: zero-score tiles of 256 rows */
        {3, 40, 700, 4, 4, 0, 0, 0},             /* d_head and d_v 0: the lse alone */
    };
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++)
        for (int type = 0; type < 4; type++) { /* float, double, bf16, f16 */
            const shape *sh = &cases[s];
            const size_t e = type == 1 ? 8 : type == 0 ? 4 : 2, re = type == 1 ? 8 : 4;
            mha_attention_desc d;
            mha_attention_desc_init(&d, sh->seq_q, sh->seq_kv, sh->n_heads, sh->n_kv, sh->d_head,
                                    sh->d_v);
            d.batch = sh->batch;
            d.flags = sh->flags;
            if (s == 1)
                d.kv_lens = lens;
            const size_t nq = d.batch * d.batch_stride_q, nk = d.batch * d.batch_stride_k,
                         nv = d.batch * d.batch_stride_v, no = d.batch * d.batch_stride_out,
                         nl = d.batch * d.n_heads * d.seq_q;
            float *f = values(&r, nq + nk + nv, false);
            void *in = values(&r, nq + nk + nv, type == 1);
            if (type >= 2) /* halves from the floats, through the library's rounding */
                assert_int_equal(type == 2 ? mha_convert_f32_to_bf16(f, in, nq + nk + nv)
                                           : mha_convert_f32_to_f16(f, in, nq + nk + nv),
                                 MHA_OK);
            unsigned char *Q = in, *K = Q + nq * e, *V = K + nk * e;
            unsigned char *first = NULL, *first_lse = NULL;
            for (size_t threads = 1; threads <= 3; threads++) {
                d.n_threads = threads;
                unsigned char *out = xcalloc(no, e), *lse = xcalloc(nl, re);
                mha_status st;
                switch (type) {
                case 0:
                    st = mha_attention(&d, (float *)Q, (float *)K, (float *)V, NULL, (float *)out,
                                       (float *)lse);
                    break;
                case 1:
                    st = mha_attention_f64(&d, (double *)Q, (double *)K, (double *)V, NULL,
                                           (double *)out, (double *)lse);
                    break;
                case 2:
                    st = mha_attention_bf16(&d, (mha_bf16 *)Q, (mha_bf16 *)K, (mha_bf16 *)V, NULL,
                                            (mha_bf16 *)out, (float *)lse);
                    break;
                default:
                    st = mha_attention_f16(&d, (mha_f16 *)Q, (mha_f16 *)K, (mha_f16 *)V, NULL,
                                           (mha_f16 *)out, (float *)lse);
                    break;
                }
                assert_int_equal(st, MHA_OK);
                if (first == NULL) {
                    first = out, first_lse = lse;
                    continue;
                }
                if (memcmp(out, first, no * e) != 0 || memcmp(lse, first_lse, nl * re) != 0)
                    fail_msg("case %zu, type %d: %zu workers differ from one", s, type, threads);
                free(out), free(lse);
            }
            free(first), free(first_lse), free(f), free(in);
        }
}

/* The seed operations too: the same bits run after run. */
static void seed_ops_same_bits(void **state)
{
    (void)state;
    rng r = rng_seeded(12);
    const size_t n = 300, dm = 96, heads = 4;
    float *X = values(&r, n * dm, false), *W = values(&r, 3 * dm * dm, false);
    float *qkv = xcalloc(3 * n * dm, 4), *qkv2 = xcalloc(3 * n * dm, 4), *out = xcalloc(n * dm, 4),
          *out2 = xcalloc(n * dm, 4);
    assert_int_equal(mha_compute_qkv_fused(X, W, n, dm, qkv), MHA_OK);
    /* Attend on contiguous copies of Q, K, V. */
    float *Q = xcalloc(3 * n * dm, 4);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < 3; p++)
            memcpy(Q + p * n * dm + i * dm, qkv + i * 3 * dm + p * dm, dm * 4);
    assert_int_equal(mha_multi_head_attention(Q, Q + n * dm, Q + 2 * n * dm, n, dm, heads, out),
                     MHA_OK);
    for (int run = 0; run < RUNS; run++) {
        assert_int_equal(mha_compute_qkv_fused(X, W, n, dm, qkv2), MHA_OK);
        assert_memory_equal(qkv, qkv2, 3 * n * dm * 4);
        assert_int_equal(
            mha_multi_head_attention(Q, Q + n * dm, Q + 2 * n * dm, n, dm, heads, out2), MHA_OK);
        assert_memory_equal(out, out2, n * dm * 4);
    }
    free(X), free(W), free(qkv), free(qkv2), free(out), free(out2), free(Q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bits_every_run),
        cmocka_unit_test(same_bits_any_workers),
        cmocka_unit_test(seed_ops_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
