/* SPDX-License-Identifier: MIT */
/* Special values: NaN, ±Inf, −inf masks, huge and denormal inputs. The library must never crash
 * and must give the reference's NaN/Inf pattern (tests/ref, in double): a NaN in Q row i makes
 * row i of that head NaN; a +inf score makes its row NaN; an Inf in V makes the column +/-Inf
 * where the key has weight; −inf mask entries weigh nothing and fully masked rows are zeros with
 * lse −inf (mha.h). Finite values are compared within the tolerances of test_random.c. */
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

#include <float.h>

#define ATOL_F64 1e-12
#define ATOL_F32 1e-4

/* One attention problem in both precisions: the float inputs are the double ones rounded, and the
 * reference runs on the rounded values for the float comparison. */
typedef struct problem {
    mha_attention_desc d;
    double *Q, *K, *V, *M;
    float *Qf, *Kf, *Vf, *Mf;
    size_t nq, nk, nv, nm, no, nl;
} problem;

static problem make(size_t seq_q, size_t seq_kv, size_t n_heads, size_t d_head, unsigned flags,
                    bool mask, uint64_t seed)
{
    problem p;
    mha_attention_desc_init(&p.d, seq_q, seq_kv, n_heads, n_heads, d_head, d_head);
    p.d.flags = flags;
    p.nq = seq_q * p.d.ld_q, p.nk = seq_kv * p.d.ld_k, p.nv = seq_kv * p.d.ld_v;
    p.nm = mask ? seq_q * seq_kv : 0, p.no = seq_q * p.d.ld_out, p.nl = n_heads * seq_q;
    rng r = rng_seeded(seed);
    p.Q = xcalloc(p.nq, 8), p.K = xcalloc(p.nk, 8), p.V = xcalloc(p.nv, 8);
    p.Qf = xcalloc(p.nq, 4), p.Kf = xcalloc(p.nk, 4), p.Vf = xcalloc(p.nv, 4);
    fill_uniform_f32(&r, p.Qf, p.Q, p.nq, -1, 1);
    fill_uniform_f32(&r, p.Kf, p.K, p.nk, -1, 1);
    fill_uniform_f32(&r, p.Vf, p.V, p.nv, -1, 1);
    p.M = mask ? xcalloc(p.nm, 8) : NULL;
    p.Mf = mask ? xcalloc(p.nm, 4) : NULL;
    if (mask)
        fill_uniform_f32(&r, p.Mf, p.M, p.nm, -1, 1);
    return p;
}

static void release(problem *p)
{
    free(p->Q), free(p->K), free(p->V), free(p->M);
    free(p->Qf), free(p->Kf), free(p->Vf), free(p->Mf);
}

/* Sets element i of a buffer in both precisions (v may be NaN or ±Inf). */
static void set(double *x, float *xf, size_t i, double v)
{
    x[i] = v;
    xf[i] = (float)v;
}

/* Runs f64 and f32 against the reference; both must match its values and its NaN/Inf pattern.
 * Returns the reference output (caller frees) for further checks. */
static double *check_both(const problem *p, const char *what)
{
    double *want = xcalloc(p->no, 8), *want_lse = xcalloc(p->nl, 8);
    double *out = xcalloc(p->no, 8), *lse = xcalloc(p->nl, 8);
    float *outf = xcalloc(p->no, 4), *lsef = xcalloc(p->nl, 4);
    ref_attention(&p->d, p->Q, p->K, p->V, p->M, want, want_lse);
    assert_int_equal(mha_attention_f64(&p->d, p->Q, p->K, p->V, p->M, out, lse), MHA_OK);
    if (!close_enough(what, out, want, p->no, ATOL_F64, ATOL_F64) ||
        !close_enough(what, lse, want_lse, p->nl, ATOL_F64, ATOL_F64))
        fail_msg("%s: f64 differs from the reference", what);
    assert_int_equal(mha_attention(&p->d, p->Qf, p->Kf, p->Vf, p->Mf, outf, lsef), MHA_OK);
    if (!close_enough_f32(what, outf, want, p->no, ATOL_F32, ATOL_F32) ||
        !close_enough_f32(what, lsef, want_lse, p->nl, ATOL_F32, ATOL_F32))
        fail_msg("%s: f32 differs from the reference", what);
    free(want_lse), free(out), free(lse), free(outf), free(lsef);
    return want;
}

static size_t count_nan(const double *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += isnan(x[i]) != 0;
    return k;
}

/* NaN in Q row i, head h: that row of that head is NaN, every other output finite. */
static void nan_in_q_poisons_its_row_and_head(void **state)
{
    (void)state;
    for (unsigned causal = 0; causal <= MHA_CAUSAL; causal++) {
        problem p = make(4, 5, 2, 3, causal, false, 1);
        set(p.Q, p.Qf, 1 * p.d.ld_q + 0 * 3 + 1, (double)NAN); /* row 1, head 0, column 1 */
        double *want = check_both(&p, "NaN in Q");
        for (size_t c = 0; c < 3; c++)
            assert_true(isnan(want[1 * p.d.ld_out + c]));
        assert_int_equal(count_nan(want, p.no), 3); /* and nothing else */
        free(want);
        release(&p);
    }
}

/* q·k = +inf for one key: a +inf score makes the row NaN (exp(inf − inf)), as the textbook formula
 * does (mha.h). q·k = −inf for every key: the row sees no key — zeros and lse −inf. */
static void infinite_scores(void **state)
{
    (void)state;
    problem p = make(3, 4, 1, 2, 0, false, 2);
    for (size_t j = 0; j < 4; j++) /* K column 0 positive */
        set(p.K, p.Kf, j * 2, 0.5 + 0.1 * (double)j);
    set(p.Q, p.Qf, 0 * 2 + 0, HUGE_VAL);  /* row 0: every score +inf */
    set(p.Q, p.Qf, 2 * 2 + 0, -HUGE_VAL); /* row 2: every score −inf */
    double *want = check_both(&p, "infinite scores");
    assert_true(isnan(want[0]) && isnan(want[1]));
    assert_true(want[4] == 0 && want[5] == 0);
    assert_true(isfinite(want[2]) && isfinite(want[3]));
    double lse[3];
    assert_int_equal(mha_attention_f64(&p.d, p.Q, p.K, p.V, NULL, (double[6]){0}, lse), MHA_OK);
    assert_true(isnan(lse[0]) && isfinite(lse[1]) && lse[2] == -HUGE_VAL);
    free(want);
    release(&p);
}

/* V[j][c] = +inf: column c of every row that gives key j weight is +inf; the other columns stay
 * finite. A −inf mask on key j gives it weight 0, and 0·inf is NaN in the reference's and the
 * library's P·V alike (mha.h: keep V finite where a row does not look). */
static void inf_in_v(void **state)
{
    (void)state;
    problem p = make(3, 4, 1, 3, 0, true, 3);
    set(p.V, p.Vf, 2 * 3 + 1, HUGE_VAL);  /* key 2, column 1 */
    set(p.M, p.Mf, 1 * 4 + 2, -HUGE_VAL); /* row 1 does not look at key 2 */
    double *want = check_both(&p, "Inf in V");
    assert_true(want[0 * 3 + 1] == HUGE_VAL && want[2 * 3 + 1] == HUGE_VAL);
    assert_true(isnan(want[1 * 3 + 1]));
    assert_int_equal(count_nan(want, p.no), 1);
    free(want);
    release(&p);
}

/* Causal: a NaN or Inf in K at a key in a row's future never reaches that row (the row's scores
 * stop at its horizon), in the library as in the reference. */
static void non_finite_k_in_the_future_is_ignored(void **state)
{
    (void)state;
    problem p = make(5, 5, 1, 2, MHA_CAUSAL, false, 4);
    set(p.K, p.Kf, 4 * 2 + 0, (double)NAN); /* key 4: only row 4 sees it */
    set(p.K, p.Kf, 3 * 2 + 1, HUGE_VAL);    /* key 3: rows 3 and 4, score +inf where q > 0 */
    set(p.Q, p.Qf, 3 * 2 + 1, 0.5);
    set(p.Q, p.Qf, 4 * 2 + 1, 0.5);
    double *want = check_both(&p, "non-finite K in the future");
    assert_int_equal(count_nan(want, p.no), 2 * 2);
    for (size_t i = 0; i < 3 * 2; i++)
        assert_true(isfinite(want[i]));
    free(want);
    release(&p);
}

/* Causal: an Inf in V at a key in a row's future. Rows that see the key get ±Inf/NaN as the
 * reference; a row that does not see it is either NaN (0·inf, when the key is inside the block of
 * keys its tile multiplies) or the finite value it has with that key removed — mha.h leaves which
 * to the blocking. Checked on a long sequence so that several query blocks exist. */
static void inf_in_v_in_the_future(void **state)
{
    (void)state;
    const size_t n = 600, key = 500;
    problem p = make(n, n, 1, 2, MHA_CAUSAL, false, 5);
    problem finite = make(n, n, 1, 2, MHA_CAUSAL, false, 5); /* same values, V[key] = 0 */
    set(p.V, p.Vf, key * 2, HUGE_VAL);
    set(finite.V, finite.Vf, key * 2, 0);
    double *want = xcalloc(n * 2, 8), *want_finite = xcalloc(n * 2, 8), *out = xcalloc(n * 2, 8);
    ref_attention(&p.d, p.Q, p.K, p.V, NULL, want, NULL);
    ref_attention(&finite.d, finite.Q, finite.K, finite.V, NULL, want_finite, NULL);
    assert_int_equal(mha_attention_f64(&p.d, p.Q, p.K, p.V, NULL, out, NULL), MHA_OK);
    size_t nan_rows = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < 2; c++) {
            double g = out[i * 2 + c];
            if (i >= key) { /* sees the key: as the reference (+inf in column 0) */
                assert_true(c == 0 ? g == want[i * 2] : fabs(g - want[i * 2 + 1]) <= ATOL_F64);
            } else if (c == 0 && isnan(g)) {
                nan_rows++;
            } else {
                assert_true(fabs(g - want_finite[i * 2 + c]) <= ATOL_F64);
            }
        }
    /* How many depends on the query tiles and key blocks (all 500 where one tile spans rows 0 to
     * 511, as with the key-blocked tiles of test_special_small_blocks). */
    print_message("Inf in V at key %zu: %zu of %zu earlier rows NaN (their tile reaches it)\n", key,
                  nan_rows, key);
    free(want), free(want_finite), free(out);
    release(&p), release(&finite);
}

/* −inf mask entries weigh nothing; a fully masked row (mask alone, or mask and causal together)
 * is zeros with lse −inf, never NaN. */
static void minus_inf_mask(void **state)
{
    (void)state;
    for (unsigned causal = 0; causal <= MHA_CAUSAL; causal++) {
        problem p = make(4, 6, 2, 3, causal, true, 6);
        for (size_t j = 0; j < 6; j++)
            set(p.M, p.Mf, 1 * 6 + j, -HUGE_VAL); /* row 1 fully masked */
        set(p.M, p.Mf, 3 * 6 + 0, -HUGE_VAL);     /* row 3 partly */
        set(p.M, p.Mf, 3 * 6 + 4, -HUGE_VAL);
        if (causal) /* row 0 sees keys 0..2: mask those, and it is fully masked too */
            for (size_t j = 0; j < 3; j++)
                set(p.M, p.Mf, j, -HUGE_VAL);
        double *want = check_both(&p, "-inf mask");
        assert_int_equal(count_nan(want, p.no), 0);
        for (size_t c = 0; c < 6; c++) {
            assert_true(want[1 * p.d.ld_out + c] == 0);
            if (causal)
                assert_true(want[c] == 0);
        }
        double lse[8];
        float lsef[8];
        assert_int_equal(mha_attention_f64(&p.d, p.Q, p.K, p.V, p.M, (double[24]){0}, lse), MHA_OK);
        assert_int_equal(mha_attention(&p.d, p.Qf, p.Kf, p.Vf, p.Mf, (float[24]){0}, lsef), MHA_OK);
        for (size_t h = 0; h < 2; h++) {
            assert_true(lse[h * 4 + 1] == -HUGE_VAL && lsef[h * 4 + 1] == -INFINITY);
            assert_true(isfinite(lse[h * 4 + 3]));
        }
        free(want);
        release(&p);
    }
}

/* A NaN in the mask: that row is NaN. */
static void nan_in_mask(void **state)
{
    (void)state;
    problem p = make(3, 3, 1, 2, 0, true, 7);
    set(p.M, p.Mf, 2 * 3 + 1, (double)NAN);
    double *want = check_both(&p, "NaN in mask");
    assert_int_equal(count_nan(want, p.no), 2);
    assert_true(isnan(want[4]) && isnan(want[5]));
    free(want);
    release(&p);
}

/* Scores of ±1e4 (far beyond exp's range) stay finite: the row max is subtracted first. */
static void huge_finite_scores(void **state)
{
    (void)state;
    problem p = make(6, 7, 1, 4, 0, false, 8);
    for (size_t i = 0; i < p.nq; i++)
        set(p.Q, p.Qf, i, (double)p.Qf[i] * 1e4);
    double *want = xcalloc(p.no, 8), *out = xcalloc(p.no, 8);
    float *outf = xcalloc(p.no, 4);
    ref_attention(&p.d, p.Q, p.K, p.V, NULL, want, NULL);
    assert_int_equal(mha_attention_f64(&p.d, p.Q, p.K, p.V, NULL, out, NULL), MHA_OK);
    assert_true(close_enough("1e4 scores f64", out, want, p.no, 1e-9, 1e-9));
    assert_int_equal(mha_attention(&p.d, p.Qf, p.Kf, p.Vf, NULL, outf, NULL), MHA_OK);
    /* float scores of 1e4 carry ~1e-3 absolute error: the weights follow, so a loose bound. */
    assert_true(close_enough_f32("1e4 scores f32", outf, want, p.no, 2e-2, 0));
    free(want), free(out), free(outf);
    release(&p);
}

/* Denormal inputs compute without trouble: tiny Q and K give uniform weights, tiny V tiny
 * outputs; compared with an absolute tolerance, so flushing denormals to zero would pass too. */
static void denormal_inputs(void **state)
{
    (void)state;
    problem p = make(5, 6, 1, 4, MHA_CAUSAL, false, 9);
    for (size_t i = 0; i < p.nq; i++)
        set(p.Q, p.Qf, i, (double)p.Qf[i] * 1e-39);
    for (size_t i = 0; i < p.nk; i++)
        set(p.K, p.Kf, i, (double)p.Kf[i] * 1e-39);
    double *want = check_both(&p, "denormal Q, K");
    free(want);
    for (size_t i = 0; i < p.nv; i++) {
        p.V[i] *= 1e-310; /* double denormals */
        p.Vf[i] *= 1e-39f;
    }
    want = xcalloc(p.no, 8);
    double *out = xcalloc(p.no, 8);
    ref_attention(&p.d, p.Q, p.K, p.V, NULL, want, NULL);
    assert_int_equal(mha_attention_f64(&p.d, p.Q, p.K, p.V, NULL, out, NULL), MHA_OK);
    assert_true(close_enough("denormal V", out, want, p.no, 1e-300, 0));
    float *outf = xcalloc(p.no, 4);
    assert_int_equal(mha_attention(&p.d, p.Qf, p.Kf, p.Vf, NULL, outf, NULL), MHA_OK);
    for (size_t i = 0; i < p.no; i++)
        assert_true(isfinite(outf[i]) && fabsf(outf[i]) <= 1e-38f);
    free(want), free(out), free(outf);
    release(&p);
}

/* merge: a side with lse −inf contributes nothing; both −inf give zeros and −inf; a NaN lse
 * poisons its row. */
static void merge_special_lse(void **state)
{
    (void)state;
    const double a[3 * 2] = {1, 2, 3, 4, 5, 6}, b[3 * 2] = {7, 8, 9, 10, 11, 12};
    const double la[3] = {-HUGE_VAL, 0.5, -HUGE_VAL}, lb[3] = {0.25, (double)NAN, -HUGE_VAL};
    double out[6], lse[3], want[6], want_lse[3];
    ref_attention_merge(3, 1, 2, 2, a, la, b, lb, want, want_lse);
    assert_int_equal(mha_attention_merge_f64(3, 1, 2, 2, a, la, b, lb, out, lse), MHA_OK);
    assert_true(close_enough("merge", out, want, 6, 1e-15, 1e-15));
    assert_true(close_enough("merge lse", lse, want_lse, 3, 1e-15, 1e-15));
    assert_true(out[0] == 7 && out[1] == 8 && lse[0] == 0.25);
    assert_true(isnan(out[2]) && isnan(out[3]) && isnan(lse[1]));
    assert_true(out[4] == 0 && out[5] == 0 && lse[2] == -HUGE_VAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nan_in_q_poisons_its_row_and_head),
        cmocka_unit_test(infinite_scores),
        cmocka_unit_test(inf_in_v),
        cmocka_unit_test(non_finite_k_in_the_future_is_ignored),
        cmocka_unit_test(inf_in_v_in_the_future),
        cmocka_unit_test(minus_inf_mask),
        cmocka_unit_test(nan_in_mask),
        cmocka_unit_test(huge_finite_scores),
        cmocka_unit_test(denormal_inputs),
        cmocka_unit_test(merge_special_lse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
