/* SPDX-License-Identifier: MIT */
/* Numerical properties of mha_attention in float and double: huge and ±1e6 scores stay finite and
 * match the reference; shifting a row's scores changes nothing; attention weights sum to 1; rows
 * with no visible key are zeros with lse −inf, never NaN, whatever V holds. */
#include "common/problem.h"
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

static bool all_not_nan(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return false;
    return true;
}

/* The scaled, masked, causal scores of row i of head h, item b (what ref_attention computes). */
static void scores_of(const problem *p, size_t b, size_t h, size_t i, double *s)
{
    const mha_attention_desc *d = &p->d;
    size_t g = h / (d->n_heads / d->n_kv_heads);
    const double *q = p->Q + b * d->batch_stride_q + i * d->ld_q + h * d->d_head;
    for (size_t j = 0; j < d->seq_kv; j++) {
        const double *k = p->K + b * d->batch_stride_k + j * d->ld_k + g * d->d_head;
        double dot = 0;
        for (size_t c = 0; c < d->d_head; c++)
            dot += q[c] * k[c];
        s[j] = d->scale * dot + (p->M ? p->M[b * d->batch_stride_mask + i * d->ld_mask + j] : 0);
        if ((d->flags & MHA_CAUSAL) && (double)j > (double)i + (double)d->seq_kv - (double)d->seq_q)
            s[j] = -HUGE_VAL;
    }
}

/* ------------------------------------------------------------------------------------------ */

/* Scores of magnitude c ∈ {1e4, 1e5, 1e6}: the max shift keeps exp in range, so the output is
 * finite and equals the reference's. In double the only error is the scores' rounding, ~c·1e-15
 * absolute, which moves a weight by at most that relative amount: 1e-8 absolute on outputs of
 * magnitude ≤ 1 leaves orders of margin. In float the scores' rounding is ~c·1e-6 — as large as 1
 * at c = 1e6 — so the float output can only match when no second key is within a few units of a
 * row's best: the test checks that premise (every row's top-two gap exceeds twice the scores'
 * error bound by 20, so a runner-up weighs < e⁻²⁰ with or without rounding), then holds float to
 * float rounding of the V sum, and the lse to the dot products' standard error bound. */
static void huge_scores(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(101);
    const double mags[] = {1e4, 1e5, 1e6};
    for (size_t t = 0; t < 3; t++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 16, 24, 4, 2, 8, 4);
        d.batch = 2;
        d.flags = t == 1 ? MHA_CAUSAL : 0;
        d.batch_stride_mask = d.seq_q * d.ld_mask;
        problem p = problem_new(&d, t == 2);
        /* uniform [-a, a] entries: a dot product of 8 has standard deviation a²·√(8/9) ≈ a², and
         * the scale 1/√8 brings it to ≈ a²/3; a² = 3c gives scores of magnitude c. */
        double a = sqrt(3 * mags[t]);
        fill_uniform_f64(&r, p.Q, p.nq, -a, a);
        fill_uniform_f64(&r, p.K, p.nk, -a, a);
        fill_uniform_f64(&r, p.V, p.nv, -1, 1);
        if (p.M) /* a mask of the same magnitude, some keys masked out */
            for (size_t i = 0; i < p.nm; i++)
                p.M[i] = rng_range(&r, 0, 7) == 0 ? -HUGE_VAL : rng_uniform(&r, -mags[t], mags[t]);
        problem_round(pr, &p);
        result got = result_new(&p), want = result_new(&p);
        run_ref(&p, &want);
        run(pr, &p, &got);
        assert_true(all_not_nan(got.out, p.no) && all_not_nan(got.lse, p.nl));
        for (size_t i = 0; i < p.no; i++)
            assert_true(isfinite(got.out[i]));
        if (!pr->f32) {
            assert_true(close_enough("huge f64 out", got.out, want.out, p.no, 1e-8, 1e-8));
            assert_true(close_enough("huge f64 lse", got.lse, want.lse, p.nl, 0, 1e-12));
        } else {
            /* |fl(q·k) − q·k| ≤ d·u·Σ|q_c k_c| ≤ 8·2⁻²⁴·8a², times the scale; plus the mask add. */
            const double bound = 8 * 0x1p-24 * 8 * a * a * d.scale + 2 * 0x1p-24 * 3 * mags[t];
            double *s = xcalloc(d.seq_kv, 8), min_gap = HUGE_VAL;
            for (size_t b = 0; b < d.batch; b++)
                for (size_t h = 0; h < d.n_heads; h++)
                    for (size_t i = 0; i < d.seq_q; i++) {
                        scores_of(&p, b, h, i, s);
                        double top = -HUGE_VAL, second = -HUGE_VAL;
                        for (size_t j = 0; j < d.seq_kv; j++)
                            if (s[j] > top)
                                second = top, top = s[j];
                            else if (s[j] > second)
                                second = s[j];
                        if (isfinite(second))
                            min_gap = fmin(min_gap, top - second);
                    }
            free(s);
            /* Even with both top scores off by the bound, the runner-up weighs < e⁻²⁰. */
            assert_true(min_gap >= 2 * bound + 20);
            assert_true(close_enough("huge f32 out", got.out, want.out, p.no, 1e-5, 1e-5));
            assert_true(close_enough("huge f32 lse", got.lse, want.lse, p.nl, bound, 1e-6));
        }
        result_free(&got), result_free(&want), problem_free(&p);
    }
}

/* Scores of exactly ±s, worked out by hand. Q rows (scaled by a, scale 1): +a·e₀, −a·e₀, 0; K rows
 * ±a·e₀ with signs + − + − − +. Row 0 scores +a² on keys {0, 2, 5} and −a² on the rest, so
 * out = mean of V over {0, 2, 5} and lse = a² + log 3; row 1 the mirror image over {1, 3, 4}; row 2
 * scores 0 everywhere: the mean of all of V and lse = log 6. Done for a² = 1e6, for a² ≈ 1e30 in
 * float / 1e300 in double, and for a² at half the type's largest finite value, where the score
 * difference a² − (−a²) overflows to +inf and exp(−inf) must simply give 0. */
static void plus_minus_scores(void **state)
{
    const prec *pr = *state;
    const double sq[3] = {1e6, pr->f32 ? 1e30 : 1e300, pr->max / 2};
    const int sign[6] = {+1, -1, +1, -1, -1, +1};
    for (size_t t = 0; t < 3; t++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 3, 6, 1, 1, 4, 2);
        d.scale = 1;
        problem p = problem_new(&d, false);
        double a = pr->f32 ? (double)(float)sqrt(sq[t]) : sqrt(sq[t]);
        p.Q[0] = a, p.Q[4] = -a;
        for (size_t j = 0; j < 6; j++) {
            p.K[j * 4] = sign[j] * a;
            p.V[j * 2] = (double)j + 1, p.V[j * 2 + 1] = 10.0 * (double)(j * j);
        }
        /* V column 0 is 1..6, column 1 is 10·j². */
        const double want[6] = {
            (1 + 3 + 6) / 3.0, (0 + 40 + 250) / 3.0, (2 + 4 + 5) / 3.0, (10 + 90 + 160) / 3.0, 3.5,
            550 / 6.0};
        /* a² as the library's precision computes it (one product; the other terms are 0). */
        double s = pr->f32 ? (double)((float)a * (float)a) : a * a;
        const double want_lse[3] = {s + log(3.0), s + log(3.0), log(6.0)};
        result got = result_new(&p);
        run(pr, &p, &got);
        assert_true(close_enough("±s out", got.out, want, 6, pr->f32 ? 1e-6 : 1e-14,
                                 pr->f32 ? 1e-6 : 1e-14));
        assert_true(close_enough("±s lse", got.lse, want_lse, 3, 1e-6, pr->f32 ? 1e-7 : 1e-15));
        result_free(&got), problem_free(&p);
    }
}

/* Adding a constant c_i to every score of row i (through the additive mask) changes nothing.
 * With integer data the scores are exact integers in both precisions and so are s + c_i
 * (|s + c_i| < 2²⁴), so the shifted softmax sees bit-identical differences s_j − max: the output
 * must be bit-identical, and lse must move by exactly c_i up to its own rounding. */
static void shift_invariance_exact(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(202);
    const double shifts[] = {1e6, -1e6, 1024, -37, 0, 4096, -65536, 3};
    for (int causal = 0; causal < 2; causal++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 8, 16, 4, 2, 4, 3);
        d.batch = 2;
        d.scale = 1;
        d.flags = causal ? MHA_CAUSAL : 0;
        d.batch_stride_mask = d.seq_q * d.ld_mask;
        problem p = problem_new(&d, true), shifted = problem_new(&d, true);
        for (size_t i = 0; i < p.nq; i++)
            p.Q[i] = (double)rng_range(&r, 0, 6) - 3;
        for (size_t i = 0; i < p.nk; i++)
            p.K[i] = (double)rng_range(&r, 0, 6) - 3;
        fill_uniform_f64(&r, p.V, p.nv, -1, 1);
        for (size_t i = 0; i < p.nm; i++) /* integer mask in [-5, 5], some −inf */
            p.M[i] = rng_range(&r, 0, 6) == 0 ? -HUGE_VAL : (double)rng_range(&r, 0, 10) - 5;
        problem_round(pr, &p);
        memcpy(shifted.Q, p.Q, p.nq * 8), memcpy(shifted.K, p.K, p.nk * 8);
        memcpy(shifted.V, p.V, p.nv * 8);
        for (size_t b = 0; b < d.batch; b++)
            for (size_t i = 0; i < d.seq_q; i++)
                for (size_t j = 0; j < d.seq_kv; j++) {
                    size_t at = b * d.batch_stride_mask + i * d.ld_mask + j;
                    shifted.M[at] = p.M[at] + shifts[(b * d.seq_q + i) % 8];
                }
        result base = result_new(&p), moved = result_new(&p), want = result_new(&p);
        run(pr, &p, &base);
        run(pr, &shifted, &moved);
        assert_memory_equal(base.out, moved.out, p.no * 8);
        for (size_t b = 0; b < d.batch; b++)
            for (size_t h = 0; h < d.n_heads; h++)
                for (size_t i = 0; i < d.seq_q; i++) {
                    size_t at = (b * d.n_heads + h) * d.seq_q + i;
                    want.lse[at] = base.lse[at] + shifts[(b * d.seq_q + i) % 8];
                }
        /* lse ≤ ~1e6 + 40: float's ulp there is 1/16, double's 1e-10. */
        assert_true(
            close_enough("shifted lse", moved.lse, want.lse, p.nl, 0, pr->f32 ? 2e-7 : 1e-15));
        run_ref(&p, &want);
        assert_true(close_enough("exact vs ref", base.out, want.out, p.no, pr->atol, pr->rtol));
        result_free(&base), result_free(&moved), result_free(&want);
        problem_free(&p), problem_free(&shifted);
    }
}

/* The same with random data and random shifts up to ±1000: not bitwise any more (s + c rounds),
 * but within that rounding: s + c and max + c each round by ≤ 1000·u, which moves every weight by
 * a factor within e^(±4·1000·u) and the output (|V| ≤ 1) by at most 4·1000·u — 2.4e-4 in float,
 * 4.4e-13 in double; the tolerances are 3e-4 and 1e-10. */
static void shift_invariance_random(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(303);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 300, 8, 2, 16, 16); /* decode: heads of a group stacked */
    for (int shape = 0; shape < 2; shape++) {
        if (shape == 1)
            mha_attention_desc_init(&d, 40, 70, 2, 2, 16, 8), d.flags = MHA_CAUSAL;
        problem p = problem_new(&d, false), shifted = problem_new(&d, true);
        fill_uniform_f64(&r, p.Q, p.nq, -1, 1);
        fill_uniform_f64(&r, p.K, p.nk, -1, 1);
        fill_uniform_f64(&r, p.V, p.nv, -1, 1);
        problem_round(pr, &p);
        memcpy(shifted.Q, p.Q, p.nq * 8), memcpy(shifted.K, p.K, p.nk * 8);
        memcpy(shifted.V, p.V, p.nv * 8);
        for (size_t i = 0; i < d.seq_q; i++) {
            double c = rng_uniform(&r, -1000, 1000);
            for (size_t j = 0; j < d.seq_kv; j++)
                shifted.M[i * d.ld_mask + j] = c;
        }
        problem_round(pr, &shifted);
        result base = result_new(&p), moved = result_new(&p), want = result_new(&p);
        run(pr, &p, &base);
        run(pr, &shifted, &moved);
        run_ref(&p, &want);
        assert_true(close_enough("unshifted vs ref", base.out, want.out, p.no, pr->atol, pr->rtol));
        double tol = pr->f32 ? 3e-4 : 1e-10;
        assert_true(close_enough("shifted vs unshifted", moved.out, base.out, p.no, tol, 0));
        run_ref(&shifted, &want);
        assert_true(close_enough("shifted vs ref", moved.out, want.out, p.no, tol, 0));
        assert_true(close_enough("shifted lse vs ref", moved.lse, want.lse, p.nl, tol, pr->rtol));
        result_free(&base), result_free(&moved), result_free(&want);
        problem_free(&p), problem_free(&shifted);
    }
}

/* Attention weights sum to 1. With V = the identity (d_v = seq_kv) the output row is the weight
 * row itself: non-negative, exactly 0 on masked and causal-hidden keys, summing to 1 (to the
 * rounding of seq_kv terms: 1e-5 in float, 1e-14 in double) and equal to the reference. With V =
 * all ones the output is 1 everywhere a key is visible. */
static void weights_sum_to_one(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(404);
    const double sum_tol = pr->f32 ? 1e-5 : 1e-14;
    for (int shape = 0; shape < 3; shape++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 9, 20, 4, 2, 8, 20);
        if (shape == 1)
            d.flags = MHA_CAUSAL;
        if (shape == 2)
            d.seq_q = 1, d.batch_stride_q = d.ld_q, d.batch_stride_out = d.ld_out; /* decode */
        d.batch = 2;
        problem p = problem_new(&d, true);
        fill_uniform_f64(&r, p.Q, p.nq, -2, 2);
        fill_uniform_f64(&r, p.K, p.nk, -2, 2);
        for (size_t b = 0; b < d.batch; b++)
            for (size_t j = 0; j < d.seq_kv; j++)
                for (size_t g = 0; g < d.n_kv_heads; g++)
                    for (size_t c = 0; c < d.d_v; c++)
                        p.V[b * d.batch_stride_v + j * d.ld_v + g * d.d_v + c] = c == j;
        for (size_t i = 0; i < p.nm; i++)
            p.M[i] = rng_range(&r, 0, 4) == 0 ? -HUGE_VAL : rng_uniform(&r, -3, 3);
        problem_round(pr, &p);
        result got = result_new(&p), want = result_new(&p);
        run(pr, &p, &got);
        run_ref(&p, &want);
        assert_true(close_enough("weights vs ref", got.out, want.out, p.no, pr->atol, pr->rtol));
        double *s = xcalloc(d.seq_kv, 8);
        for (size_t b = 0; b < d.batch; b++)
            for (size_t h = 0; h < d.n_heads; h++)
                for (size_t i = 0; i < d.seq_q; i++) {
                    const double *w = got.out + b * d.batch_stride_out + i * d.ld_out + h * d.d_v;
                    scores_of(&p, b, h, i, s);
                    double sum = 0;
                    bool any = false;
                    for (size_t j = 0; j < d.seq_kv; j++) {
                        assert_true(w[j] >= 0);
                        if (s[j] == -HUGE_VAL)
                            assert_true(w[j] == 0);
                        any |= s[j] != -HUGE_VAL;
                        sum += w[j];
                    }
                    assert_true(any ? fabs(sum - 1) <= sum_tol : sum == 0);
                }
        free(s);
        /* V = all ones. */
        for (size_t i = 0; i < p.nv; i++)
            p.V[i] = 1;
        run(pr, &p, &got);
        run_ref(&p, &want); /* 1, or 0 for a row that sees no key */
        assert_true(close_enough("ones", got.out, want.out, p.no, sum_tol, 0));
        result_free(&got), result_free(&want), problem_free(&p);
    }
}

/* Check that rows with no visible key are exact zeros with lse −inf, that nothing is NaN, and that
 * every other row is the reference's. */
static void check_empty_rows(const prec *pr, const problem *p, const result *got,
                             size_t *empty_rows)
{
    const mha_attention_desc *d = &p->d;
    result want = result_new(p);
    run_ref(p, &want);
    assert_true(all_not_nan(got->out, p->no) && all_not_nan(got->lse, p->nl));
    for (size_t b = 0; b < d->batch; b++)
        for (size_t h = 0; h < d->n_heads; h++)
            for (size_t i = 0; i < d->seq_q; i++) {
                size_t at = (b * d->n_heads + h) * d->seq_q + i;
                const double *o = got->out + b * d->batch_stride_out + i * d->ld_out + h * d->d_v;
                if (want.lse[at] == -HUGE_VAL) {
                    ++*empty_rows;
                    assert_true(got->lse[at] == -HUGE_VAL);
                    for (size_t c = 0; c < d->d_v; c++)
                        assert_true(o[c] == 0);
                }
            }
    assert_true(close_enough("rows vs ref", got->out, want.out, p->no, pr->atol, pr->rtol));
    assert_true(close_enough("lse vs ref", got->lse, want.lse, p->nl, pr->atol, pr->rtol));
    result_free(&want);
}

/* Fully masked rows: by the mask (whole rows −inf), by causality (seq_q > seq_kv), by both
 * (the mask hides the few keys causality leaves), and by seq_kv == 0 — in the row-block and in
 * the stacked-heads (decode) tiles. */
static void fully_masked_rows(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(505);
    struct {
        size_t seq_q, seq_kv, heads, kv;
        bool causal, mask;
        size_t min_empty; /* rows that must come out empty, at least */
    } shapes[] = {
        {7, 12, 4, 2, false, true, 2 * 4 * 2}, /* rows 0 and 5 of each item masked */
        {9, 4, 2, 1, true, false, 2 * 2 * 5},  /* rows 0..4 see no key */
        {6, 6, 2, 2, true, true, 2 * 2 * 3},   /* rows 0..2: mask hides keys 0..2 */
        {1, 30, 8, 2, false, true, 2 * 8 * 1}, /* decode, stacked heads, item row masked */
        {3, 2, 8, 2, true, true, 2 * 8 * 1},   /* stacked heads (3 < 4), row 0 sees no key */
        {5, 0, 2, 1, false, false, 2 * 2 * 5}, /* no keys at all */
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, shapes[t].seq_q, shapes[t].seq_kv, shapes[t].heads,
                                shapes[t].kv, 5, 3);
        d.batch = 2;
        d.flags = shapes[t].causal ? MHA_CAUSAL : 0;
        d.batch_stride_mask = d.seq_q * d.ld_mask;
        problem p = problem_new(&d, shapes[t].mask);
        fill_uniform_f64(&r, p.Q, p.nq, -1, 1);
        fill_uniform_f64(&r, p.K, p.nk, -1, 1);
        fill_uniform_f64(&r, p.V, p.nv, -1, 1);
        if (p.M) {
            fill_uniform_f64(&r, p.M, p.nm, -1, 1);
            for (size_t b = 0; b < d.batch; b++)
                for (size_t i = 0; i < d.seq_q; i++)
                    for (size_t j = 0; j < d.seq_kv; j++) {
                        bool hide = t == 2 ? j <= 2 : i % 5 == 0;
                        if (hide)
                            p.M[b * d.batch_stride_mask + i * d.ld_mask + j] = -HUGE_VAL;
                    }
        }
        problem_round(pr, &p);
        result got = result_new(&p);
        run(pr, &p, &got);
        size_t empty = 0;
        check_empty_rows(pr, &p, &got, &empty);
        assert_true(empty >= shapes[t].min_empty);
        result_free(&got), problem_free(&p);
    }
}

/* V holding ±inf, NaN or the largest finite values in the keys of rows that see no key: those
 * rows still come out as exact zeros with lse −inf (0·inf would be NaN had they been computed
 * by the textbook formula). Rows that do see keys, with V huge but finite (1e30 in float, 1e300
 * in double, well below max / seq_kv), match the reference. */
static void masked_rows_ignore_huge_v(void **state)
{
    const prec *pr = *state;
    rng r = rng_seeded(606);
    const double wild[] = {HUGE_VAL, -HUGE_VAL, (double)NAN, pr->max, -pr->max};
    /* All rows masked, by the mask or by causality; V is entirely wild. */
    for (int how = 0; how < 3; how++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, how == 2 ? 1 : 6, 5, 4, 2, 4, 3);
        if (how == 1) /* causal, seq_q > seq_kv: rows 0 and 1 see nothing, the rest do */
            d.flags = MHA_CAUSAL, d.seq_q = 7, d.seq_kv = 5;
        problem p = problem_new(&d, how != 1);
        fill_uniform_f64(&r, p.Q, p.nq, -1, 1);
        fill_uniform_f64(&r, p.K, p.nk, -1, 1);
        for (size_t i = 0; i < p.nv; i++)
            p.V[i] = wild[rng_range(&r, 0, 4)];
        if (p.M)
            for (size_t i = 0; i < p.nm; i++)
                p.M[i] = -HUGE_VAL;
        problem_round(pr, &p);
        result got = result_new(&p);
        run(pr, &p, &got);
        for (size_t h = 0; h < d.n_heads; h++)
            for (size_t i = 0; i < (how == 1 ? 2 : d.seq_q); i++) {
                assert_true(got.lse[h * d.seq_q + i] == -HUGE_VAL);
                for (size_t c = 0; c < d.d_v; c++)
                    assert_true(got.out[i * d.ld_out + h * d.d_v + c] == 0);
            }
        result_free(&got), problem_free(&p);
    }
    /* Some rows masked, V huge but finite everywhere: masked rows zero, the others as the
     * reference (relative tolerance: the values are ~1e30 / 1e300). */
    mha_attention_desc d;
    mha_attention_desc_init(&d, 8, 10, 2, 1, 4, 3);
    problem p = problem_new(&d, true);
    const double big = pr->f32 ? 1e30 : 1e300;
    fill_uniform_f64(&r, p.Q, p.nq, -1, 1);
    fill_uniform_f64(&r, p.K, p.nk, -1, 1);
    fill_uniform_f64(&r, p.V, p.nv, -big, big);
    fill_uniform_f64(&r, p.M, p.nm, -1, 1);
    for (size_t i = 0; i < d.seq_q; i += 3)
        for (size_t j = 0; j < d.seq_kv; j++)
            p.M[i * d.ld_mask + j] = -HUGE_VAL;
    problem_round(pr, &p);
    result got = result_new(&p), want = result_new(&p);
    run(pr, &p, &got);
    run_ref(&p, &want);
    /* Absolute error ~ the weights' rounding times |V| ≤ big, summed over 10 keys. */
    assert_true(
        close_enough("huge V", got.out, want.out, p.no, big * (pr->f32 ? 1e-5 : 1e-13), pr->rtol));
    for (size_t i = 0; i < d.seq_q; i += 3)
        for (size_t c = 0; c < d.n_heads * d.d_v; c++)
            assert_true(got.out[i * d.ld_out + c] == 0);
    result_free(&got), result_free(&want), problem_free(&p);
}

#define BOTH(name)                                                                                 \
    cmocka_unit_test_prestate(name, (void *)&F32), cmocka_unit_test_prestate(name, (void *)&F64)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(huge_scores),
        BOTH(plus_minus_scores),
        BOTH(shift_invariance_exact),
        BOTH(shift_invariance_random),
        BOTH(weights_sum_to_one),
        BOTH(fully_masked_rows),
        BOTH(masked_rows_ignore_huge_v),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
