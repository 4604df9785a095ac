/* SPDX-License-Identifier: MIT */
/* The half-precision tests of one type: test_half.c includes this after the type's traits
 * (src/type_bf16.h: STORE, PUB, SFX) with TO_HALF / TO_FLOAT (its conversions) and U (its unit
 * roundoff, 2⁻⁸ or 2⁻¹¹) defined. Expected values come from tests/ref in double, on the exact
 * values of the half inputs. */

/* n doubles rounded to the half type: the halves, and their exact values back in x. */
static STORE *SFX(halves)(double *x, size_t n)
{
    float *f = xcalloc(n, sizeof *f);
    STORE *h = xcalloc(n, sizeof *h);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    assert_int_equal(TO_HALF(f, h, n), MHA_OK);
    assert_int_equal(TO_FLOAT(h, f, n), MHA_OK);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)f[i];
    free(f);
    return h;
}

/* The exact values of n halves. */
static double *SFX(values_of)(const STORE *h, size_t n)
{
    float *f = xcalloc(n, sizeof *f);
    double *x = xcalloc(n, sizeof *x);
    assert_int_equal(TO_FLOAT(h, f, n), MHA_OK);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)f[i];
    free(f);
    return x;
}

/* Random shapes, rows crossing the 256-row blocks of the half projection: each output within
 * mha.h's 2u·max|ref| plus float accumulation, γ_d·Σ_k |x_ik||w_kj| with γ_d = d·2⁻²⁴ (with a
 * factor 2 of margin), the sums of |x||w| from the reference on the absolute values. */
static void SFX(projections)(void **state)
{
    (void)state;
    rng r = rng_seeded(31);
    for (int trial = 0; trial < 12; trial++) {
        size_t n = rng_range(&r, 1, trial < 3 ? 700 : 200), d = rng_range(&r, 1, 96);
        size_t nd = n * d, dd = d * d;
        double *X = xcalloc(nd, 8), *W = xcalloc(3 * dd, 8), *ref = xcalloc(3 * nd, 8);
        double *absX = xcalloc(nd, 8), *absW = xcalloc(3 * dd, 8), *absref = xcalloc(3 * nd, 8);
        fill_uniform_f64(&r, X, nd, -1, 1);
        fill_uniform_f64(&r, W, 3 * dd, -1.0 / sqrt((double)d), 1.0 / sqrt((double)d));
        STORE *Xh = SFX(halves)(X, nd), *Wh = SFX(halves)(W, 3 * dd);
        STORE *out = xcalloc(3 * nd, sizeof *out), *fused = xcalloc(3 * nd, sizeof *fused);
        STORE *Wf = xcalloc(3 * dd, sizeof *Wf); /* [W_q | W_k | W_v] side by side */
        double max_ref = 0;
        for (size_t i = 0; i < nd; i++)
            absX[i] = fabs(X[i]);
        for (size_t i = 0; i < 3 * dd; i++)
            absW[i] = fabs(W[i]);
        for (size_t p = 0; p < 3; p++) {
            ref_matmul(X, W + p * dd, n, d, d, ref + p * nd);
            ref_matmul(absX, absW + p * dd, n, d, d, absref + p * nd);
            for (size_t k = 0; k < d; k++)
                memcpy(Wf + k * 3 * d + p * d, Wh + p * dd + k * d, d * sizeof *Wf);
        }
        for (size_t i = 0; i < 3 * nd; i++)
            max_ref = fabs(ref[i]) > max_ref ? fabs(ref[i]) : max_ref;
        assert_int_equal(
            PUB(mha_compute_qkv)(Xh, Wh, Wh + dd, Wh + 2 * dd, n, d, out, out + nd, out + 2 * nd),
            MHA_OK);
        assert_int_equal(PUB(mha_compute_qkv_fused)(Xh, Wf, n, d, fused), MHA_OK);
        double *got = SFX(values_of)(out, 3 * nd), *got_fused = SFX(values_of)(fused, 3 * nd);
        for (size_t p = 0; p < 3; p++)
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < d; j++) {
                    size_t at = p * nd + i * d, f = i * 3 * d + p * d + j;
                    double tol = 2 * U * max_ref + 2 * (double)d * 0x1p-24 * absref[at + j];
                    if (fabs(got[at + j] - ref[at + j]) > tol ||
                        fabs(got_fused[f] - ref[at + j]) > tol)
                        fail_msg("projection %zu×%zu, weight %zu (%zu, %zu): %.9g and %.9g, "
                                 "reference %.9g, tolerance %.3g",
                                 n, d, p, i, j, got[at + j], got_fused[f], ref[at + j], tol);
                }
        free(X), free(W), free(ref), free(absX), free(absW), free(absref), free(Xh), free(Wh);
        free(out), free(fused), free(Wf), free(got), free(got_fused);
    }
}

/* The seed attention calls on random shapes: every divisor of d_model as n_heads, against
 * ref_multi_head_attention within 3u·max|V| (plus float's 1e-4). */
static void SFX(seed_attention)(void **state)
{
    (void)state;
    rng r = rng_seeded(32);
    for (int trial = 0; trial < 8; trial++) {
        size_t n = rng_range(&r, 1, 300), d = rng_range(&r, 1, 64), nd = n * d;
        double *Q = xcalloc(nd, 8), *K = xcalloc(nd, 8), *V = xcalloc(nd, 8),
               *want = xcalloc(nd, 8);
        fill_uniform_f64(&r, Q, nd, -1, 1), fill_uniform_f64(&r, K, nd, -1, 1);
        fill_uniform_f64(&r, V, nd, -1, 1);
        STORE *Qh = SFX(halves)(Q, nd), *Kh = SFX(halves)(K, nd), *Vh = SFX(halves)(V, nd);
        STORE *out = xcalloc(nd, sizeof *out);
        for (size_t h = 1; h <= d; h++) {
            if (d % h)
                continue;
            ref_multi_head_attention(Q, K, V, n, d, h, want);
            assert_int_equal(PUB(mha_multi_head_attention)(Qh, Kh, Vh, n, d, h, out), MHA_OK);
            double *got = SFX(values_of)(out, nd);
            assert_true(close_enough("half mha", got, want, nd, 3 * U + 1e-4, 0));
            free(got);
            if (h == 1) {
                assert_int_equal(PUB(mha_self_attention)(Qh, Kh, Vh, n, d, out), MHA_OK);
                got = SFX(values_of)(out, nd);
                assert_true(close_enough("half self", got, want, nd, 3 * U + 1e-4, 0));
                free(got);
            }
        }
        free(Q), free(K), free(V), free(want), free(Qh), free(Kh), free(Vh), free(out);
    }
}

/* Scores up to |1e4| from Q·Kᵀ itself: integer Q and K in [−32, 32] (exact in both half types)
 * over 16 columns with scale 1 give integer scores below 2^14, exact in float too, so the softmax
 * sees exactly the reference's scores: the result must still be within 3u·max|V|. Causal and
 * masked, on key counts that cross the 512-key blocks. */
static void SFX(huge_scores)(void **state)
{
    (void)state;
    rng r = rng_seeded(33);
    const size_t kv[] = {40, 1500};
    for (size_t t = 0; t < 2; t++)
        for (int causal = 0; causal < 2; causal++) {
            mha_attention_desc d;
            mha_attention_desc_init(&d, 37, kv[t], 4, 2, 16, 8);
            d.scale = 1;
            d.flags = causal ? MHA_CAUSAL : 0;
            size_t nq = d.seq_q * d.ld_q, nk = d.seq_kv * d.ld_k, nv = d.seq_kv * d.ld_v;
            size_t no = d.seq_q * d.ld_out, nm = d.seq_q * d.seq_kv, nl = d.n_heads * d.seq_q;
            double *Q = xcalloc(nq, 8), *K = xcalloc(nk, 8), *V = xcalloc(nv, 8);
            double *M = xcalloc(nm, 8), *want = xcalloc(no, 8), *want_lse = xcalloc(nl, 8);
            for (size_t i = 0; i < nq; i++)
                Q[i] = (double)rng_range(&r, 0, 64) - 32;
            for (size_t i = 0; i < nk; i++)
                K[i] = (double)rng_range(&r, 0, 64) - 32;
            fill_uniform_f64(&r, V, nv, -4, 4);
            for (size_t i = 0; i < nm; i++)
                M[i] = rng_range(&r, 0, 9) == 0 ? -HUGE_VAL : 0;
            STORE *Qh = SFX(halves)(Q, nq), *Kh = SFX(halves)(K, nk), *Vh = SFX(halves)(V, nv);
            STORE *out = xcalloc(no, sizeof *out);
            float *Mf = to_f32(M, nm), *lse = xcalloc(nl, sizeof *lse);
            ref_attention(&d, Q, K, V, M, want, want_lse);
            double max_score = 0;
            for (size_t i = 0; i < nl; i++)
                max_score = fabs(want_lse[i]) > max_score ? fabs(want_lse[i]) : max_score;
            assert_true(max_score > 2000); /* the scores are as large as intended */
            assert_int_equal(PUB(mha_attention)(&d, Qh, Kh, Vh, Mf, out, lse), MHA_OK);
            double *got = SFX(values_of)(out, no);
            assert_true(close_enough("huge scores", got, want, no, 3 * U * 4, 0));
            assert_true(close_enough_f32("huge scores lse", lse, want_lse, nl, 0, 1e-6));
            free(Q), free(K), free(V), free(M), free(want), free(want_lse), free(Qh), free(Kh);
            free(Vh), free(out), free(Mf), free(lse), free(got);
        }
}

/* The same bits for 1, 2 and 3 workers, allocating or on a workspace: several tiles, GQA, a key
 * count past the 512-key blocks. */
static void SFX(same_bits_any_workers)(void **state)
{
    (void)state;
    rng r = rng_seeded(34);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 600, 1300, 4, 2, 32, 24);
    d.flags = MHA_CAUSAL;
    size_t nq = d.seq_q * d.ld_q, nk = d.seq_kv * d.ld_k, nv = d.seq_kv * d.ld_v;
    size_t no = d.seq_q * d.ld_out, nl = d.n_heads * d.seq_q;
    double *Q = xcalloc(nq, 8), *K = xcalloc(nk, 8), *V = xcalloc(nv, 8);
    fill_uniform_f64(&r, Q, nq, -1, 1), fill_uniform_f64(&r, K, nk, -1, 1);
    fill_uniform_f64(&r, V, nv, -1, 1);
    STORE *Qh = SFX(halves)(Q, nq), *Kh = SFX(halves)(K, nk), *Vh = SFX(halves)(V, nv);
    STORE *first = xcalloc(no, sizeof *first), *out = xcalloc(no, sizeof *out);
    float *lse_first = xcalloc(nl, sizeof *lse_first), *lse = xcalloc(nl, sizeof *lse);
    for (size_t workers = 1; workers <= 3; workers++) {
        d.n_threads = workers;
        size_t bytes;
        assert_int_equal(PUB(mha_attention_workspace_size)(&d, &bytes), MHA_OK);
        void *ws = xcalloc(bytes, 1);
        STORE *dst = workers == 1 ? first : out;
        float *dst_lse = workers == 1 ? lse_first : lse;
        assert_int_equal(PUB(mha_attention)(&d, Qh, Kh, Vh, NULL, dst, dst_lse), MHA_OK);
        assert_memory_equal(first, dst, no * sizeof *dst);
        assert_memory_equal(lse_first, dst_lse, nl * sizeof *dst_lse);
        assert_int_equal(PUB(mha_attention_ws)(&d, Qh, Kh, Vh, NULL, out, lse, ws, bytes), MHA_OK);
        assert_memory_equal(first, out, no * sizeof *out);
        free(ws);
    }
    free(Q), free(K), free(V), free(Qh), free(Kh), free(Vh), free(first), free(out);
    free(lse_first), free(lse);
}

/* The error rules on the half entry points, outputs untouched: element sizes differ between the
 * matrices (2 bytes) and the mask and lse (4), so overlaps and extents are checked in bytes. */
static void SFX(errors)(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 4, 4, 2, 2, 4, 4);
    enum { N = 32 }; /* 4 rows × 8 columns */
    STORE buf[4 * N];
    float lse[8], mask[16] = {0};
    memset(buf, 0, sizeof buf);
    STORE *Q = buf, *K = buf + N, *V = buf + 2 * N, *out = buf + 3 * N;
    fill_sentinel(out, N * sizeof *out), fill_sentinel(lse, sizeof lse);
    assert_int_equal(PUB(mha_attention)(NULL, Q, K, V, NULL, out, lse), MHA_ERR_NULL_POINTER);
    assert_int_equal(PUB(mha_attention)(&d, NULL, K, V, NULL, out, lse), MHA_ERR_NULL_POINTER);
    /* out one element into V; lse (floats) over the last two bytes of out. */
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, NULL, V + N - 1, lse), MHA_ERR_OVERLAP);
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, NULL, out, (float *)(void *)(out + N - 2)),
                     MHA_ERR_OVERLAP);
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, (const float *)(const void *)out, out, lse),
                     MHA_ERR_OVERLAP);
    assert_true(is_sentinel(out, N * sizeof *out) && is_sentinel(lse, sizeof lse));
    d.ld_q = 7; /* below n_heads·d_head */
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, mask, out, lse), MHA_ERR_INVALID_ARGUMENT);
    d.ld_q = 8;
    d.scale = 1e39; /* finite in double, not in the float arithmetic */
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, mask, out, lse), MHA_ERR_INVALID_ARGUMENT);
    d.scale = 0.5;
    d.batch = 2, d.batch_stride_q = SIZE_MAX / 2; /* the extent overflows */
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, mask, out, lse), MHA_ERR_TOO_LARGE);
    d.batch = 1;
    size_t bytes;
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, NULL), MHA_ERR_NULL_POINTER);
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &bytes), MHA_OK);
    unsigned char *ws = xcalloc(bytes, 1);
    assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, mask, out, lse, ws, bytes - 1),
                     MHA_ERR_WORKSPACE_TOO_SMALL);
    assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, mask, out, lse, (void *)out, bytes),
                     MHA_ERR_OVERLAP);
    assert_true(is_sentinel(out, N * sizeof *out) && is_sentinel(lse, sizeof lse));
    /* Empty calls: nothing read, nothing written, NULL everywhere (as for float, a buffer with
     * rows must be there even in an empty call: so no keys either). */
    d.seq_q = d.seq_kv = 0;
    assert_int_equal(PUB(mha_attention)(&d, NULL, NULL, NULL, NULL, NULL, NULL), MHA_OK);
    assert_int_equal(PUB(mha_attention_ws)(&d, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0),
                     MHA_OK);
    /* The seed functions: heads not dividing d_model, overlapping outputs, empty calls. */
    assert_int_equal(PUB(mha_multi_head_attention)(Q, K, V, 4, 6, 4, out),
                     MHA_ERR_INVALID_ARGUMENT);
    assert_int_equal(PUB(mha_self_attention)(Q, K, V, 4, 8, Q + 1), MHA_ERR_OVERLAP);
    assert_int_equal(PUB(mha_compute_qkv)(Q, K, K, K, 4, 4, out, out + 8, out), MHA_ERR_OVERLAP);
    assert_int_equal(PUB(mha_compute_qkv_fused)(Q, NULL, 4, 4, out), MHA_ERR_NULL_POINTER);
    assert_int_equal(PUB(mha_compute_qkv)(NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL), MHA_OK);
    assert_int_equal(PUB(mha_compute_qkv_fused)(Q, K, SIZE_MAX / 4, 4, out), MHA_ERR_TOO_LARGE);
    assert_true(is_sentinel(out, N * sizeof *out) && is_sentinel(lse, sizeof lse));
    free(ws);
}
