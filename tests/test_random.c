/* SPDX-License-Identifier: MIT */
/* Randomized shapes against the double-precision reference: the seed operations (every divisor of
 * d_model as n_heads) and the general entry point (cross lengths, GQA/MQA, causal, masks, batches,
 * strides, d_v ≠ d_head, custom scale, lse), in float and double. */
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

/* Tolerances. double: the library and the reference differ only in summation order and exp's last
 * ulp; over ≤ 512-term dot products of O(1) values that is far below 1e-12. float: inputs are
 * exactly representable, so the error is float rounding in the dot products (√k·2⁻²⁴·|q||k| ≈ 1e-5
 * relative for k ≤ 512) amplified at most by the softmax's condition (scores O(1)), plus the
 * float row sum: 1e-4 absolute on outputs of magnitude ≤ 1 leaves an order of margin. */
#define ATOL_F64 1e-12
#define RTOL_F64 1e-12
#define ATOL_F32 1e-4
#define RTOL_F32 1e-4

static void seed_ops_random_shapes(void **state)
{
    (void)state;
    rng r = rng_seeded(42);
    for (int trial = 0; trial < 40; trial++) {
        size_t n = rng_range(&r, 1, 300), d = rng_range(&r, 1, trial < 4 ? 512 : 96);
        size_t nd = n * d, dd = d * d;
        double *X = xcalloc(nd, 8), *W = xcalloc(3 * dd, 8), *Q = xcalloc(3 * nd, 8),
               *out = xcalloc(nd, 8), *ref_qkv = xcalloc(3 * nd, 8), *ref_out = xcalloc(nd, 8);
        float *Xf = xcalloc(nd, 4), *Wf = xcalloc(3 * dd, 4), *Qf = xcalloc(3 * nd, 4),
              *outf = xcalloc(nd, 4);
        fill_uniform_f32(&r, Xf, X, nd, -1, 1);
        fill_uniform_f32(&r, Wf, W, 3 * dd, -1.0 / sqrt((double)d), 1.0 / sqrt((double)d));
        for (int p = 0; p < 3; p++)
            ref_matmul(X, W + p * dd, n, d, d, ref_qkv + p * nd);
        assert_int_equal(mha_compute_qkv_f64(X, W, W + dd, W + 2 * dd, n, d, Q, Q + nd, Q + 2 * nd),
                         MHA_OK);
        assert_true(close_enough("qkv f64", Q, ref_qkv, 3 * nd, ATOL_F64, RTOL_F64));
        assert_int_equal(
            mha_compute_qkv(Xf, Wf, Wf + dd, Wf + 2 * dd, n, d, Qf, Qf + nd, Qf + 2 * nd), MHA_OK);
        assert_true(close_enough_f32("qkv f32", Qf, ref_qkv, 3 * nd, ATOL_F32, RTOL_F32));
        /* Attention on the reference's own Q, K, V (as floats where needed) for each divisor. */
        for (size_t i = 0; i < 3 * nd; i++)
            Qf[i] = (float)ref_qkv[i], ref_qkv[i] = (double)Qf[i];
        for (size_t h = 1; h <= d; h++) {
            if (d % h)
                continue;
            ref_multi_head_attention(ref_qkv, ref_qkv + nd, ref_qkv + 2 * nd, n, d, h, ref_out);
            assert_int_equal(
                mha_multi_head_attention_f64(ref_qkv, ref_qkv + nd, ref_qkv + 2 * nd, n, d, h, out),
                MHA_OK);
            assert_true(close_enough("mha f64", out, ref_out, nd, ATOL_F64, RTOL_F64));
            assert_int_equal(mha_multi_head_attention(Qf, Qf + nd, Qf + 2 * nd, n, d, h, outf),
                             MHA_OK);
            assert_true(close_enough_f32("mha f32", outf, ref_out, nd, ATOL_F32, RTOL_F32));
            if (h == 1) {
                assert_int_equal(mha_self_attention(Qf, Qf + nd, Qf + 2 * nd, n, d, outf), MHA_OK);
                assert_true(close_enough_f32("self f32", outf, ref_out, nd, ATOL_F32, RTOL_F32));
            }
        }
        free(X), free(W), free(Q), free(out), free(ref_qkv), free(ref_out);
        free(Xf), free(Wf), free(Qf), free(outf);
    }
}

/* A random general descriptor; padding on every stride so that strides are really exercised. */
static mha_attention_desc random_desc(rng *r)
{
    size_t kv = rng_range(r, 1, 4), group = rng_range(r, 1, 4);
    mha_attention_desc d;
    mha_attention_desc_init(&d, rng_range(r, 1, 70), rng_range(r, 0, 90), kv * group, kv,
                            rng_range(r, 1, 24), rng_range(r, 1, 24));
    if (rng_range(r, 0, 3) == 0)
        d.seq_q = 1; /* decode */
    d.batch = rng_range(r, 1, 3);
    d.ld_q += rng_range(r, 0, 3);
    d.ld_k += rng_range(r, 0, 3);
    d.ld_v += rng_range(r, 0, 3);
    d.ld_out += rng_range(r, 0, 3);
    d.ld_mask = d.seq_kv + rng_range(r, 0, 3);
    d.batch_stride_q = d.seq_q * d.ld_q + rng_range(r, 0, 5);
    d.batch_stride_k = d.seq_kv * d.ld_k;
    d.batch_stride_v = d.seq_kv * d.ld_v;
    d.batch_stride_out = d.seq_q * d.ld_out + rng_range(r, 0, 5);
    d.batch_stride_mask = rng_range(r, 0, 1) ? d.seq_q * d.ld_mask : 0;
    if (rng_range(r, 0, 1))
        d.flags |= MHA_CAUSAL;
    if (rng_range(r, 0, 2) == 0)
        d.scale = rng_uniform(r, -2, 2);
    return d;
}

static void general_random(void **state)
{
    (void)state;
    rng r = rng_seeded(7);
    for (int trial = 0; trial < 300; trial++) {
        mha_attention_desc d = random_desc(&r);
        bool use_mask = rng_range(&r, 0, 1);
        /* Width ld: the last row is allocated (and filled) up to its padding, as this test always
         * did, so the RNG draws and every later trial's data stay what they were. */
        size_t nq = extent(d.batch, d.batch_stride_q, d.seq_q, d.ld_q, d.ld_q),
               nk = extent(d.batch, d.batch_stride_k, d.seq_kv, d.ld_k, d.ld_k),
               nv = extent(d.batch, d.batch_stride_v, d.seq_kv, d.ld_v, d.ld_v),
               no = extent(d.batch, d.batch_stride_out, d.seq_q, d.ld_out, d.ld_out),
               nm = extent(d.batch, d.batch_stride_mask, d.seq_q, d.ld_mask, d.ld_mask),
               nl = d.batch * d.n_heads * d.seq_q;
        double *Q = xcalloc(nq, 8), *K = xcalloc(nk, 8), *V = xcalloc(nv, 8), *M = xcalloc(nm, 8),
               *out = xcalloc(no, 8), *lse = xcalloc(nl, 8), *ref_out = xcalloc(no, 8),
               *ref_lse = xcalloc(nl, 8);
        float *Qf = xcalloc(nq, 4), *Kf = xcalloc(nk, 4), *Vf = xcalloc(nv, 4),
              *Mf = xcalloc(nm, 4), *outf = xcalloc(no, 4), *lsef = xcalloc(nl, 4);
        fill_uniform_f32(&r, Qf, Q, nq, -1, 1);
        fill_uniform_f32(&r, Kf, K, nk, -1, 1);
        fill_uniform_f32(&r, Vf, V, nv, -1, 1);
        fill_uniform_f32(&r, Mf, M, nm, -2, 2);
        for (size_t i = 0; i < nm; i++) /* some −inf, sometimes whole rows */
            if (rng_range(&r, 0, 5) == 0)
                Mf[i] = -INFINITY, M[i] = -HUGE_VAL;
        const double *mask = use_mask ? M : NULL;
        ref_attention(&d, Q, K, V, mask, ref_out, ref_lse);
        assert_int_equal(mha_attention_f64(&d, Q, K, V, mask, out, lse), MHA_OK);
        assert_true(close_enough("general f64", out, ref_out, no, ATOL_F64, RTOL_F64));
        assert_true(close_enough("lse f64", lse, ref_lse, nl, ATOL_F64, RTOL_F64));
        assert_int_equal(mha_attention(&d, Qf, Kf, Vf, use_mask ? Mf : NULL, outf, lsef), MHA_OK);
        assert_true(close_enough_f32("general f32", outf, ref_out, no, ATOL_F32, RTOL_F32));
        assert_true(close_enough_f32("lse f32", lsef, ref_lse, nl, ATOL_F32, RTOL_F32));
        free(Q), free(K), free(V), free(M), free(out), free(lse), free(ref_out), free(ref_lse);
        free(Qf), free(Kf), free(Vf), free(Mf), free(outf), free(lsef);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_ops_random_shapes),
        cmocka_unit_test(general_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
