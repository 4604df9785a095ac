/* SPDX-License-Identifier: MIT */
/* The bf16 GEMM of gemm.h (oneDNN) against a double-precision reference on bf16-exact inputs
 * when this build and CPU run it natively; otherwise, that every call declines and writes
 * nothing. */
#include "common/test_util.h"
#include "gemm.h"

/* One product: C (m×n, ldc) = alpha · A (m×k, lda) · op(B) + beta · C. */
typedef struct gemm_case {
    bool trans_b;
    size_t m, n, k, pad_a, pad_b, pad_c; /* ld = width + pad */
    float alpha, beta;
} gemm_case;

static const gemm_case cases[] = {
    {true, 256, 512, 64, 0, 0, 0, 0.125f, 0}, /* Q·Kᵀ, dense: AMX where there is one */
    {false, 256, 64, 512, 0, 0, 0, 1, 1},     /* P·V accumulating */
    {true, 37, 53, 29, 11, 3, 7, 0.3f, 0},    /* odd sizes, strided views */
    {false, 37, 53, 29, 5, 19, 1, 1, 0},      /* odd sizes, no scaling */
    {false, 33, 17, 70, 2, 2, 2, -1.5f, 1},   /* alpha and beta together */
    {true, 1, 40, 31, 3, 1, 9, 2, 0.5f},      /* m == 1 */
    {false, 45, 1, 31, 0, 4, 2, 1, 1},        /* n == 1 */
    {true, 20, 30, 0, 1, 1, 1, 3, 1},         /* k == 0: C = beta·C */
    {false, 20, 30, 0, 1, 1, 1, 3, 0},        /* k == 0, beta 0: C = 0 */
    {true, 100, 100, 300, 28, 20, 12, 1, 0.25f},
};
#define N_CASES (sizeof cases / sizeof cases[0])

typedef struct operands {
    mha_bf16 *A, *B;
    double *A64, *B64, *C0; /* the same values in double; C0 the initial C */
    size_t lda, ldb, ldc, rows_b, b_size, c_size;
} operands;

/* A bf16-exact value in [-1, 1): a float with its low 16 bits cleared. */
static mha_bf16 bf16_exact(rng *r, double *value)
{
    float f = (float)rng_uniform(r, -1, 1);
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u &= 0xffff0000u;
    memcpy(&f, &u, sizeof f);
    *value = f;
    return (mha_bf16){(uint16_t)(u >> 16)};
}

static double bf16_value(mha_bf16 x)
{
    uint32_t u = (uint32_t)x.bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static operands operands_new(const gemm_case *c, uint64_t seed)
{
    rng r = rng_seeded(seed);
    operands o;
    o.lda = c->k + c->pad_a;
    o.ldb = (c->trans_b ? c->k : c->n) + c->pad_b;
    o.ldc = c->n + c->pad_c;
    o.rows_b = c->trans_b ? c->n : c->k;
    size_t a_size = c->m * o.lda;
    o.b_size = o.rows_b * o.ldb;
    o.c_size = c->m * o.ldc;
    o.A = xcalloc(a_size, sizeof *o.A);
    o.B = xcalloc(o.b_size, sizeof *o.B);
    o.A64 = xcalloc(a_size, sizeof *o.A64);
    o.B64 = xcalloc(o.b_size, sizeof *o.B64);
    o.C0 = xcalloc(o.c_size, sizeof *o.C0);
    for (size_t i = 0; i < a_size; i++)
        o.A[i] = bf16_exact(&r, &o.A64[i]);
    for (size_t i = 0; i < o.b_size; i++)
        o.B[i] = bf16_exact(&r, &o.B64[i]);
    for (size_t i = 0; i < o.c_size; i++)
        o.C0[i] = (float)rng_uniform(&r, -1, 1);
    return o;
}

static void operands_free(operands *o)
{
    free(o->A), free(o->B), free(o->A64), free(o->B64), free(o->C0);
}

/* Reference entry (i, j) in double, and the bound on the f32 result's error: products of bf16
 * are exact in f32, the k-term f32 sum errs by at most k·2⁻²⁴·Σ|a·b|, and scaling by alpha,
 * adding beta·C and that addition's rounding add a few 2⁻²⁴ of the magnitudes involved. */
static double reference(const gemm_case *c, const operands *o, double beta, size_t i, size_t j,
                        double *bound)
{
    double sum = 0, mag = 0;
    for (size_t p = 0; p < c->k; p++) {
        double b = c->trans_b ? o->B64[j * o->ldb + p] : o->B64[p * o->ldb + j];
        sum += o->A64[i * o->lda + p] * b;
        mag += fabs(o->A64[i * o->lda + p] * b);
    }
    double alpha = c->k == 0 ? 0 : c->alpha; /* an empty sum is not scaled */
    double c0 = beta * o->C0[i * o->ldc + j];
    *bound = (double)(c->k + 4) * 0x1p-24 * (fabs(alpha) * mag + fabs(c0));
    return alpha * sum + c0;
}

/* Each entry of C (f32, or bf16 with beta 0) within its bound, the padding between rows
 * untouched. bf16 adds half a bf16 unit to the f32 bound (at most 2⁻⁸ relative). */
static void check(const gemm_case *c, const operands *o, const void *C, bool bf16)
{
    const size_t size = bf16 ? sizeof(mha_bf16) : sizeof(float);
    for (size_t i = 0; i < c->m; i++) {
        for (size_t j = 0; j < o->ldc; j++) {
            const void *at = (const unsigned char *)C + (i * o->ldc + j) * size;
            if (j >= c->n) {
                assert_true(is_sentinel(at, size));
                continue;
            }
            double bound, want = reference(c, o, bf16 ? 0 : c->beta, i, j, &bound);
            double got = bf16 ? bf16_value(*(const mha_bf16 *)at) : (double)*(const float *)at;
            if (bf16)
                bound += 0x1p-8 * (fabs(want) + bound);
            if (!(fabs(got - want) <= bound)) {
                print_error("%s (%zu, %zu) of %zux%zux%zu: got %.9g, want %.9g ± %.3g\n",
                            bf16 ? "bf16" : "f32", i, j, c->m, c->n, c->k, got, want, bound);
                fail();
            }
        }
    }
}

/* C preset to C0 where the product writes, sentinel in the padding. */
static float *f32_output(const gemm_case *c, const operands *o)
{
    float *C = xcalloc(o->c_size, sizeof *C);
    fill_sentinel(C, o->c_size * sizeof *C);
    for (size_t i = 0; i < c->m; i++)
        for (size_t j = 0; j < c->n; j++)
            C[i * o->ldc + j] = (float)o->C0[i * o->ldc + j];
    return C;
}

/* Every case through the plain calls and through one cache (twice: a miss, then a hit), with
 * more shapes than the cache holds so that entries are replaced. */
static void native_matches_reference(void **state)
{
    (void)state;
    if (!mha_gemm_bf16_native()) {
        print_message("no native bf16 GEMM here: the declining path is tested instead\n");
        assert_false(mha_gemm_bf16_native());
        return;
    }
    mha_gemm_half_cache *cache = mha_gemm_half_cache_create();
    assert_non_null(cache);
    for (int round = 0; round < 2; round++) {
        for (size_t t = 0; t < N_CASES; t++) {
            const gemm_case *c = &cases[t];
            operands o = operands_new(c, 100 + t);
            float *C = f32_output(c, &o), *C_cached = f32_output(c, &o);
            assert_true(mha_gemm_bf16(c->trans_b, c->m, c->n, c->k, c->alpha, o.A, o.lda, o.B,
                                      o.ldb, c->beta, C, o.ldc));
            check(c, &o, C, false);
            assert_true(mha_gemm_bf16_cached(cache, c->trans_b, c->m, c->n, c->k, c->alpha, o.A,
                                             o.lda, o.B, o.ldb, c->beta, C_cached, o.ldc));
            /* the same primitive, rebuilt or kept: the same bits */
            assert_memory_equal(C, C_cached, o.c_size * sizeof *C);

            mha_bf16 *H = xcalloc(o.c_size, sizeof *H), *H_cached = xcalloc(o.c_size, sizeof *H);
            fill_sentinel(H, o.c_size * sizeof *H);
            fill_sentinel(H_cached, o.c_size * sizeof *H);
            assert_true(mha_gemm_bf16_out_bf16(c->trans_b, c->m, c->n, c->k, c->alpha, o.A, o.lda,
                                               o.B, o.ldb, H, o.ldc));
            check(c, &o, H, true);
            assert_true(mha_gemm_bf16_out_bf16_cached(cache, c->trans_b, c->m, c->n, c->k, c->alpha,
                                                      o.A, o.lda, o.B, o.ldb, H_cached, o.ldc));
            assert_memory_equal(H, H_cached, o.c_size * sizeof *H);
            free(H), free(H_cached), free(C), free(C_cached);
            operands_free(&o);
        }
    }
    mha_gemm_half_cache_destroy(cache);
}

/* bf16 output rounds the f32 accumulator to nearest even: 1 + 2⁻⁸ (a tie) goes to 1, and
 * 1 + 3·2⁻⁸ to 1 + 2⁻⁶ (also a tie, to the even neighbour above). */
static void native_rounds_to_nearest_even(void **state)
{
    (void)state;
    if (!mha_gemm_bf16_native()) {
        assert_false(mha_gemm_bf16_native());
        return;
    }
    /* A = [1, 2⁻⁸, 2⁻⁸, 2⁻⁸] (1×4), B = [1; 1; 0; 0] and [1; 1; 1; 1] as two columns (4×2). */
    const mha_bf16 A[4] = {{0x3f80}, {0x3b80}, {0x3b80}, {0x3b80}};
    const mha_bf16 B[8] = {{0x3f80}, {0x3f80}, {0x3f80}, {0x3f80},
                           {0x0000}, {0x3f80}, {0x0000}, {0x3f80}};
    mha_bf16 C[2];
    assert_true(mha_gemm_bf16_out_bf16(false, 1, 2, 4, 1, A, 4, B, 2, C, 2));
    assert_int_equal(C[0].bits, 0x3f80); /* 1 + 2⁻⁸ → 1 */
    assert_int_equal(C[1].bits, 0x3f82); /* 1 + 3·2⁻⁸ → 1 + 2⁻⁶ */
}

/* Without the backend: false from every call, no cache, C untouched. With it, the same calls
 * succeed (checked above), so here only that NULL destroys nothing. */
static void declines_without_backend(void **state)
{
    (void)state;
    mha_gemm_half_cache_destroy(NULL);
    if (mha_gemm_bf16_native()) {
        mha_gemm_half_cache *cache = mha_gemm_half_cache_create();
        assert_non_null(cache);
        mha_gemm_half_cache_destroy(cache);
        return;
    }
    assert_null(mha_gemm_half_cache_create());
    const gemm_case *c = &cases[2];
    operands o = operands_new(c, 7);
    float *C = xcalloc(o.c_size, sizeof *C);
    mha_bf16 *H = xcalloc(o.c_size, sizeof *H);
    fill_sentinel(C, o.c_size * sizeof *C);
    fill_sentinel(H, o.c_size * sizeof *H);
    assert_false(mha_gemm_bf16(c->trans_b, c->m, c->n, c->k, c->alpha, o.A, o.lda, o.B, o.ldb,
                               c->beta, C, o.ldc));
    assert_false(mha_gemm_bf16_cached(NULL, c->trans_b, c->m, c->n, c->k, c->alpha, o.A, o.lda, o.B,
                                      o.ldb, c->beta, C, o.ldc));
    assert_false(mha_gemm_bf16_out_bf16(c->trans_b, c->m, c->n, c->k, c->alpha, o.A, o.lda, o.B,
                                        o.ldb, H, o.ldc));
    assert_false(mha_gemm_bf16_out_bf16_cached(NULL, c->trans_b, c->m, c->n, c->k, c->alpha, o.A,
                                               o.lda, o.B, o.ldb, H, o.ldc));
    /* k == 0 declines too: "not native" means every call */
    assert_false(mha_gemm_bf16(false, 2, 2, 0, 1, o.A, 1, o.B, 2, 1, C, 2));
    assert_true(is_sentinel(C, o.c_size * sizeof *C));
    assert_true(is_sentinel(H, o.c_size * sizeof *H));
    free(C), free(H);
    operands_free(&o);
}

int main(void)
{
    print_message("bf16 GEMM: %s\n", mha_gemm_bf16_native() ? "native (oneDNN)" : "declines");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(native_matches_reference),
        cmocka_unit_test(native_rounds_to_nearest_even),
        cmocka_unit_test(declines_without_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
