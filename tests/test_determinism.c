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
    {3, 1, 513, 8, 2, 64, 64, 0},            /* decode: heads of a group stacked */
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
        cmocka_unit_test(seed_ops_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
