/* SPDX-License-Identifier: MIT */
/* Every exported symbol, called through the shared library as a user links it (this test links
 * libmha.so and nothing internal; exports.sh checks that it references every export). Values are
 * worked out by hand from the seed example: X = [[1 2 3 4] [5 6 7 8]], identity weights. */
#include "common/seed_example.h"
#include "common/test_util.h"
#include "mha.h"

/* One head of width 4, scale 1/2. Row 0 scores x0·x0/2 = 15 and x0·x1/2 = 35: key 0 weighs
 * w = 1/(1 + e²⁰), so out = x1 − w·(x1 − x0) = x1 − 4w, lse = 35 + log(1 + e⁻²⁰). Row 1 scores
 * 35 and 87: w = 1/(1 + e⁵²), lse = 87 + log(1 + e⁻⁵²). */
static void one_head(double out[8], double lse[2])
{
    const double w0 = 1 / (1 + exp(20.0)), w1 = 1 / (1 + exp(52.0));
    for (int c = 0; c < 4; c++) {
        out[c] = seed_X[4 + c] - 4 * w0;
        out[4 + c] = seed_X[4 + c] - 4 * w1;
    }
    lse[0] = 35 + log1p(exp(-20.0));
    lse[1] = 87 + log1p(exp(-52.0));
}

static void identity(double *W, size_t n)
{
    for (size_t i = 0; i < n * n; i++)
        W[i] = i % (n + 1) == 0;
}

static void f32_of(const double *x, float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
}

/* clang-format off */
#include "type_bf16.h"
#define TO_HALF mha_convert_f32_to_bf16
#define TO_FLOAT mha_convert_bf16_to_f32
#include "api_half_impl.h"
#undef TO_HALF
#undef TO_FLOAT
#include "type_end.h"

#include "type_f16.h"
#define TO_HALF mha_convert_f32_to_f16
#define TO_FLOAT mha_convert_f16_to_f32
#include "api_half_impl.h"
#undef TO_HALF
#undef TO_FLOAT
#include "type_end.h"
/* clang-format on */

/* The bf16 and f16 entry points, on the seed example: the projections' weights are those of
 * `projections` below, the attention's results those of `general_attention`. */
static void half_operations(void **state)
{
    (void)state;
    double W[16], Wf[48] = {0}, want_qkv[24], want[8], want_lse[2];
    identity(W, 4);
    for (size_t r = 0; r < 4; r++)
        for (size_t p = 0; p < 3; p++)
            Wf[r * 12 + p * 4 + r] = 1;
    for (size_t i = 0; i < 2; i++)
        for (size_t p = 0; p < 3; p++)
            for (size_t c = 0; c < 4; c++)
                want_qkv[i * 12 + p * 4 + c] = seed_X[i * 4 + c];
    one_head(want, want_lse);
    half_entry_points_bf16(W, Wf, want_qkv, want, want_lse, 0x1p-8);
    half_entry_points_f16(W, Wf, want_qkv, want, want_lse, 0x1p-11);
}

static void status_and_version(void **state)
{
    (void)state;
    assert_string_equal(mha_status_string(MHA_OK), "success");
    assert_non_null(mha_status_string(MHA_ERR_OVERLAP));
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", MHA_VERSION_MAJOR, MHA_VERSION_MINOR,
             MHA_VERSION_PATCH);
    assert_string_equal(mha_version(), want);
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

#define TERMINATED(field) assert_true(memchr(field, '\0', sizeof field) != NULL)

/* The runtime report: NULL refused, every string terminated and from its documented set, counts
 * positive, a reason exactly when the kernels are flagged. (test_blas_threads checks its BLAS
 * fields against OpenBLAS's own answers.) */
static void runtime_report(void **state)
{
    (void)state;
    assert_int_equal(mha_runtime_info(NULL), MHA_ERR_NULL_POINTER);
    mha_runtime r;
    fill_sentinel(&r, sizeof r);
    assert_int_equal(mha_runtime_info(&r), MHA_OK);
    TERMINATED(r.gemm_backend);
    TERMINATED(r.bf16_gemm);
    TERMINATED(r.blas_name);
    TERMINATED(r.blas_version);
    TERMINATED(r.blas_core);
    TERMINATED(r.blas_threading);
    TERMINATED(r.softmax_isa);
    TERMINATED(r.cpu_isa);
    TERMINATED(r.reason);
    TERMINATED(r.setup);
    const char *const backends[] = {"cblas", "onednn", "cblas threaded"};
    assert_true(one_of(r.gemm_backend, backends, 3));
    assert_true(r.setup[0] != '\0');
    assert_true(r.blas_name[0] != '\0');
    const char *const threading[] = {"openmp", "pthreads", "sequential", "unknown"};
    const char *const softmax[] = {"avx512bf16", "avx512f", "avx2", "scalar"};
    const char *const cpu[] = {"avx512f", "avx2", "sse2", ""};
    assert_true(one_of(r.blas_threading, threading, 4));
    assert_true(one_of(r.softmax_isa, softmax, 4));
    assert_true(one_of(r.cpu_isa, cpu, 4));
    const char *const bf16[] = {"onednn avx512_core_amx", "onednn avx512_core_bf16",
                                "float (widened)"};
    assert_true(one_of(r.bf16_gemm, bf16, 3));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    /* No bf16 units, no native bf16 (clang 14 cannot name the feature). */
    if (!__builtin_cpu_supports("avx512bf16"))
        assert_string_equal(r.bf16_gemm, "float (widened)");
#endif
    assert_true(r.blas_threads >= 1);
    assert_true(r.workers >= 1);
    assert_true(r.blas_below_cpu == 0 || r.blas_below_cpu == 1);
    assert_true((r.blas_below_cpu == 1) == (r.reason[0] != '\0'));
    /* The softmax never runs a wider kernel than the CPU has. */
    if (strncmp(r.softmax_isa, "avx512", 6) == 0)
        assert_string_equal(r.cpu_isa, "avx512f");
    print_message("%s %s %s (%s, %d threads), %d workers, softmax %s, bf16 on %s, CPU %s%s%s\n",
                  r.blas_name, r.blas_version, r.blas_core, r.blas_threading, r.blas_threads,
                  r.workers, r.softmax_isa, r.bf16_gemm, r.cpu_isa, r.blas_below_cpu ? ": " : "",
                  r.reason);
}

/* Q = X·I, K = X·2I, V = X·P (P swaps columns 0 and 1), three ways and two fused. */
static void projections(void **state)
{
    (void)state;
    double Wq[16], Wk[16] = {0}, Wv[16] = {0}, Wf[4 * 12] = {0}, Q[8], K[8], V[8], QKV[24];
    float Xf[8], Wqf[16], Wkf[16], Wvf[16], Wff[48], Qf[8], Kf[8], Vf[8], QKVf[24];
    identity(Wq, 4);
    for (size_t r = 0; r < 4; r++) {
        Wk[r * 4 + r] = 2;
        Wv[r * 4 + (r < 2 ? 1 - r : r)] = 1;
        for (size_t c = 0; c < 4; c++) {
            Wf[r * 12 + c] = Wq[r * 4 + c];
            Wf[r * 12 + 4 + c] = Wk[r * 4 + c];
            Wf[r * 12 + 8 + c] = Wv[r * 4 + c];
        }
    }
    double wantK[8], wantV[8], want_fused[24];
    for (size_t i = 0; i < 2; i++)
        for (size_t c = 0; c < 4; c++) {
            wantK[i * 4 + c] = 2 * seed_X[i * 4 + c];
            wantV[i * 4 + c] = seed_X[i * 4 + (c < 2 ? 1 - c : c)];
            want_fused[i * 12 + c] = seed_X[i * 4 + c];
            want_fused[i * 12 + 4 + c] = wantK[i * 4 + c];
            want_fused[i * 12 + 8 + c] = wantV[i * 4 + c];
        }
    /* Small integers: every product and sum is exact in both precisions. */
    assert_int_equal(mha_compute_qkv_f64(seed_X, Wq, Wk, Wv, 2, 4, Q, K, V), MHA_OK);
    assert_true(close_enough("Q", Q, seed_X, 8, 0, 0) && close_enough("K", K, wantK, 8, 0, 0) &&
                close_enough("V", V, wantV, 8, 0, 0));
    assert_int_equal(mha_compute_qkv_fused_f64(seed_X, Wf, 2, 4, QKV), MHA_OK);
    assert_true(close_enough("QKV", QKV, want_fused, 24, 0, 0));
    f32_of(seed_X, Xf, 8), f32_of(Wq, Wqf, 16), f32_of(Wk, Wkf, 16), f32_of(Wv, Wvf, 16);
    f32_of(Wf, Wff, 48);
    assert_int_equal(mha_compute_qkv(Xf, Wqf, Wkf, Wvf, 2, 4, Qf, Kf, Vf), MHA_OK);
    assert_true(close_enough_f32("Qf", Qf, seed_X, 8, 0, 0) &&
                close_enough_f32("Kf", Kf, wantK, 8, 0, 0) &&
                close_enough_f32("Vf", Vf, wantV, 8, 0, 0));
    assert_int_equal(mha_compute_qkv_fused(Xf, Wff, 2, 4, QKVf), MHA_OK);
    assert_true(close_enough_f32("QKVf", QKVf, want_fused, 24, 0, 0));
}

static void seed_attention(void **state)
{
    (void)state;
    double out[8], want[8], want_lse[2];
    float Xf[8], outf[8];
    one_head(want, want_lse);
    f32_of(seed_X, Xf, 8);
    assert_int_equal(mha_self_attention_f64(seed_X, seed_X, seed_X, 2, 4, out), MHA_OK);
    assert_true(close_enough("self f64", out, want, 8, 1e-14, 1e-14));
    assert_int_equal(mha_self_attention(Xf, Xf, Xf, 2, 4, outf), MHA_OK);
    assert_true(close_enough_f32("self f32", outf, want, 8, 0, 4e-6));
    assert_int_equal(mha_multi_head_attention_f64(seed_X, seed_X, seed_X, 2, 4, 2, out), MHA_OK);
    assert_true(close_enough("mha f64", out, seed_two_heads, 8, 1e-14, 1e-14));
    assert_int_equal(mha_multi_head_attention(Xf, Xf, Xf, 2, 4, 2, outf), MHA_OK);
    assert_true(close_enough_f32("mha f32", outf, seed_two_heads, 8, 0, 4e-6));
}

/* The general entry points on the one-head case (scale 1/2 is the default 1/sqrt(4)), with lse,
 * allocating and on a caller's workspace. */
static void general_attention(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 1, 1, 4, 4);
    double out[8], lse[2], want[8], want_lse[2];
    float Xf[8], outf[8], lsef[2];
    one_head(want, want_lse);
    f32_of(seed_X, Xf, 8);
    size_t bytes = 0, bytes_f64 = 0;
    assert_int_equal(mha_attention_workspace_size(&d, &bytes), MHA_OK);
    assert_int_equal(mha_attention_workspace_size_f64(&d, &bytes_f64), MHA_OK);
    assert_true(bytes > 0 && bytes_f64 > 0);
    void *ws = xcalloc(bytes > bytes_f64 ? bytes : bytes_f64, 1);

    assert_int_equal(mha_attention_f64(&d, seed_X, seed_X, seed_X, NULL, out, lse), MHA_OK);
    assert_true(close_enough("attention f64", out, want, 8, 1e-14, 1e-14));
    assert_true(close_enough("lse f64", lse, want_lse, 2, 0, 1e-15));
    fill_sentinel(out, sizeof out);
    assert_int_equal(
        mha_attention_ws_f64(&d, seed_X, seed_X, seed_X, NULL, out, lse, ws, bytes_f64), MHA_OK);
    assert_true(close_enough("attention_ws f64", out, want, 8, 1e-14, 1e-14));

    assert_int_equal(mha_attention(&d, Xf, Xf, Xf, NULL, outf, lsef), MHA_OK);
    assert_true(close_enough_f32("attention f32", outf, want, 8, 0, 4e-6));
    assert_true(close_enough_f32("lse f32", lsef, want_lse, 2, 0, 1e-6));
    fill_sentinel(outf, sizeof outf);
    assert_int_equal(mha_attention_ws(&d, Xf, Xf, Xf, NULL, outf, lsef, ws, bytes), MHA_OK);
    assert_true(close_enough_f32("attention_ws f32", outf, want, 8, 0, 4e-6));
    free(ws);
}

/* Two heads attending to key 0 and to key 1 separately, merged: the seed example's result. */
static void merge_halves(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 1, 2, 2, 2, 2);
    double oa[8], la[4], ob[8], lb[4], out[8], lse[4];
    float Xf[8], oaf[8], laf[4], obf[8], lbf[4], outf[8], lsef[4];
    f32_of(seed_X, Xf, 8);
    assert_int_equal(mha_attention_f64(&d, seed_X, seed_X, seed_X, NULL, oa, la), MHA_OK);
    assert_int_equal(mha_attention_f64(&d, seed_X, seed_X + 4, seed_X + 4, NULL, ob, lb), MHA_OK);
    assert_int_equal(mha_attention_merge_f64(2, 2, 2, 4, oa, la, ob, lb, out, lse), MHA_OK);
    assert_true(close_enough("merge f64", out, seed_two_heads, 8, 1e-14, 1e-14));
    assert_int_equal(mha_attention(&d, Xf, Xf, Xf, NULL, oaf, laf), MHA_OK);
    assert_int_equal(mha_attention(&d, Xf, Xf + 4, Xf + 4, NULL, obf, lbf), MHA_OK);
    assert_int_equal(mha_attention_merge(2, 2, 2, 4, oaf, laf, obf, lbf, outf, lsef), MHA_OK);
    assert_true(close_enough_f32("merge f32", outf, seed_two_heads, 8, 0, 4e-6));
}

/* The four conversions on a few values worked out by hand: 1/3 = 0x3EAAAAAB rounds up to bf16
 * 0x3EAB (dropped half 0xAAAB > 0x8000) and down to f16 0x3555 = 1365/4096; 65520 = 0x477FF000 is
 * f16's overflow threshold (Inf) and rounds up to bf16 0x4780 = 65536; 2^−24 is f16's smallest
 * subnormal. */
static void half_precision(void **state)
{
    (void)state;
    static const struct {
        float x;
        uint16_t bf16, f16;
        float bf16_back, f16_back; /* the values the bits stand for */
    } cases[] = {
        {1.0f, 0x3F80, 0x3C00, 1.0f, 1.0f},
        {-2.5f, 0xC020, 0xC100, -2.5f, -2.5f},
        {1.0f / 3, 0x3EAB, 0x3555, 0x1.56p-2f, 0x1.554p-2f},
        {65520.0f, 0x4780, 0x7C00, 65536.0f, INFINITY},
        {0x1p-24f, 0x3380, 0x0001, 0x1p-24f, 0x1p-24f},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    float x[N], back[N];
    mha_bf16 b[N];
    mha_f16 h[N];
    for (size_t i = 0; i < N; i++)
        x[i] = cases[i].x;
    assert_int_equal(mha_convert_f32_to_bf16(x, b, N), MHA_OK);
    assert_int_equal(mha_convert_f32_to_f16(x, h, N), MHA_OK);
    for (size_t i = 0; i < N; i++)
        assert_true(b[i].bits == cases[i].bf16 && h[i].bits == cases[i].f16);
    assert_int_equal(mha_convert_bf16_to_f32(b, back, N), MHA_OK);
    for (size_t i = 0; i < N; i++)
        assert_true(back[i] == cases[i].bf16_back);
    assert_int_equal(mha_convert_f16_to_f32(h, back, N), MHA_OK);
    for (size_t i = 0; i < N; i++)
        assert_true(back[i] == cases[i].f16_back);
    assert_int_equal(mha_convert_f16_to_f32(NULL, back, 1), MHA_ERR_NULL_POINTER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_and_version), cmocka_unit_test(projections),
        cmocka_unit_test(seed_attention),     cmocka_unit_test(general_attention),
        cmocka_unit_test(merge_halves),       cmocka_unit_test(runtime_report),
        cmocka_unit_test(half_precision),     cmocka_unit_test(half_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
