/* SPDX-License-Identifier: MIT */
/* test_api.c's calls of the half entry points, once per half type: included after the type's
 * traits (src/type_bf16.h: STORE, PUB, SFX) with TO_HALF and TO_FLOAT, its two conversions,
 * defined. The seed example's integers are exact in both half types. */

static void SFX(halves_of)(const double *x, STORE *h, size_t n)
{
    float f[48];
    assert_true(n <= 48);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    assert_int_equal(TO_HALF(f, h, n), MHA_OK);
}

static void SFX(doubles_of)(const STORE *h, double *x, size_t n)
{
    float f[48];
    assert_true(n <= 48);
    assert_int_equal(TO_FLOAT(h, f, n), MHA_OK);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)f[i];
}

/* Each half entry point once: projections (exact, small integers), the seed attention and the
 * general calls against the values worked out by hand, within mha.h's 3u·max|V| (max|V| = 8). */
static void SFX(half_entry_points)(const double *W, const double *Wf, const double *want_qkv,
                                   const double *want, const double *want_lse, double u)
{
    STORE X[8], Wh[16], Wfh[48], Q[8], K[8], V[8], QKV[24], out[8];
    double got[24];
    float lse[2];
    SFX(halves_of)(seed_X, X, 8), SFX(halves_of)(W, Wh, 16), SFX(halves_of)(Wf, Wfh, 48);
    assert_int_equal(PUB(mha_compute_qkv)(X, Wh, Wh, Wh, 2, 4, Q, K, V), MHA_OK);
    SFX(doubles_of)(V, got, 8);
    assert_true(close_enough("half qkv", got, seed_X, 8, 0, 0));
    assert_int_equal(PUB(mha_compute_qkv_fused)(X, Wfh, 2, 4, QKV), MHA_OK);
    SFX(doubles_of)(QKV, got, 24);
    assert_true(close_enough("half fused qkv", got, want_qkv, 24, 0, 0));

    const double tol = 3 * u * 8 + 1e-5;
    assert_int_equal(PUB(mha_self_attention)(X, X, X, 2, 4, out), MHA_OK);
    SFX(doubles_of)(out, got, 8);
    assert_true(close_enough("half self", got, want, 8, tol, 0));
    assert_int_equal(PUB(mha_multi_head_attention)(X, X, X, 2, 4, 2, out), MHA_OK);
    SFX(doubles_of)(out, got, 8);
    assert_true(close_enough("half mha", got, seed_two_heads, 8, tol, 0));

    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 1, 1, 4, 4);
    size_t bytes = 0;
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &bytes), MHA_OK);
    assert_true(bytes > 0);
    void *ws = xcalloc(bytes, 1);
    assert_int_equal(PUB(mha_attention)(&d, X, X, X, NULL, out, lse), MHA_OK);
    SFX(doubles_of)(out, got, 8);
    assert_true(close_enough("half attention", got, want, 8, tol, 0));
    assert_true(close_enough_f32("half lse", lse, want_lse, 2, 0, 1e-6));
    fill_sentinel(out, sizeof out);
    assert_int_equal(PUB(mha_attention_ws)(&d, X, X, X, NULL, out, lse, ws, bytes), MHA_OK);
    SFX(doubles_of)(out, got, 8);
    assert_true(close_enough("half attention_ws", got, want, 8, tol, 0));
    assert_int_equal(PUB(mha_attention_ws)(&d, X, X, X, NULL, out, lse, ws, bytes - 1),
                     MHA_ERR_WORKSPACE_TOO_SMALL);
    free(ws);
}
