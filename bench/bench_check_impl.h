/* SPDX-License-Identifier: MIT */
/* Checks of one precision against the naive double reference (tests/ref), run before any timing.
 * Included by bench_cases_<T>.c after the type's traits (type_<T>.h), with ATOL and RTOL defined;
 * half types define HALF_U too, their unit roundoff. Made here: LOAD(x) (a STORE as the double it
 * holds) and, for the half types, ROUND_STORE (a double rounded to STORE as the library rounds a
 * float result), through the exported conversions (PUB_WIDEN, PUB_NARROW).
 *
 * Small calls are checked whole, and the reference is timed for the speed-up column ("full").
 * Calls too big for the naive loops are checked on a sample of rows and heads, each recomputed
 * from scratch by the reference ("rows"): a wrong tile edge, head offset or causal bound shows
 * up at the first, middle or last row. */
#include "ref.h"

#include <math.h>

#ifdef WIDEN
/* A half type: an element's exact value, and a double rounded as the library stores a float
 * result, to float and then to nearest even. */
static double SFX(load_half)(STORE x)
{
    float f;
    PUB_WIDEN(&x, &f, 1);
    return f;
}

static double SFX(round_half)(double x)
{
    const float f = (float)x;
    STORE h;
    PUB_NARROW(&f, &h, 1);
    return SFX(load_half)(h);
}
#define LOAD(x) SFX(load_half)(x)
#define ROUND_STORE(x) SFX(round_half)(x)
#else
#define LOAD(x) ((double)(x))
#endif

/* First, a third, half, two thirds and last: every tile-boundary class in a few rows. */
#define N_SAMPLES 5

typedef struct check {
    double max_err; /* max |library − reference| over what was compared */
    bool ok;        /* every element within atol + rtol·|reference| */
    const char *how;
    double ref_s;      /* seconds the reference took (full checks only), else NAN */
    double atol, rtol; /* ATOL and RTOL, or a half type's bounds (tol_attention, tol_projection) */
} check;

static check check_begin(bool full)
{
    return (check){0, true, full ? "full" : "rows", NAN, ATOL, RTOL};
}

/* The bounds of mha.h's "Half precision" for half storage; the float ones otherwise. Attention:
 * 3u·max|V| + 1e-3, the probabilities' and the output's roundings to the half type. */
static void tol_attention(check *k, double max_v)
{
#ifdef HALF_U
    k->atol = 3 * HALF_U * max_v + 1e-3;
    k->rtol = 0;
#else
    (void)k, (void)max_v;
#endif
}

/* Projection: 2u·max|result| (the output's rounding, with room) on top of the float bound of the
 * float accumulation (ATOL + RTOL·|ref|, as the f32 rows). */
static void tol_projection(check *k, double max_ref)
{
#ifdef HALF_U
    k->atol = ATOL + 2 * HALF_U * max_ref;
#else
    (void)k, (void)max_ref;
#endif
}

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

static void check_value(check *k, double got, double want)
{
    double err = fabs(got - want);
    /* Written so that a NaN fails: every comparison with NaN is false. */
    if (!(err <= k->atol + k->rtol * fabs(want)))
        k->ok = false;
    if (!(err <= k->max_err))
        k->max_err = err;
}

/* How many indices of [0, n) are compared: all, or N_SAMPLES of them. */
static size_t n_sampled(size_t n, bool all)
{
    return all ? n : N_SAMPLES;
}

/* The s-th compared index of [0, n); with repeats when n < N_SAMPLES, which is harmless. */
static size_t sampled(size_t n, bool all, size_t s)
{
    const size_t at[N_SAMPLES] = {0, n / 3, n / 2, 2 * n / 3, n - 1};
    return all ? s : at[s];
}

/* rows × cols of x (row stride ld) as packed doubles: exactly the values the library saw. */
static double *to_double(const STORE *x, size_t rows, size_t cols, size_t ld)
{
    double *y = bench_alloc(bench_mul(bench_mul(rows ? rows : 1, cols), sizeof *y));
    for (size_t i = 0; i < rows; i++)
        for (size_t c = 0; c < cols; c++)
            y[i * cols + c] = LOAD(x[i * ld + c]);
    return y;
}

/* The reference projection of some rows: R[p] row s = X[row s]·W_p, for the sampled rows or all
 * n of them (R[p] is then n × d). Returns the seconds the reference loops took. */
static double ref_projection(const STORE *X, const STORE *const W[3], size_t n, size_t d, bool all,
                             double *const R[3])
{
    double *Xd = to_double(X, n, d, d), *Wd[3];
    for (int p = 0; p < 3; p++)
        Wd[p] = to_double(W[p], d, d, d);
    double t0 = bench_now();
    for (int p = 0; p < 3; p++) {
        if (all) {
            ref_matmul(Xd, Wd[p], n, d, d, R[p]);
            continue;
        }
        for (size_t s = 0; s < N_SAMPLES; s++)
            ref_matmul(Xd + sampled(n, false, s) * d, Wd[p], 1, d, d, R[p] + s * d);
    }
    double t = bench_now() - t0;
    for (int p = 0; p < 3; p++)
        bench_free(Wd[p]);
    bench_free(Xd);
    return t;
}

/* The library's Q, K, V (at out[p], row stride ld) against ref_projection()'s rows. */
static check check_projection(const STORE *const out[3], size_t ld, size_t n, size_t d, bool all,
                              const double *const R[3])
{
    check k = check_begin(all);
    double max_ref = 0;
    for (int p = 0; p < 3; p++) {
        double m = max_abs(R[p], bench_mul(n_sampled(n, all), d));
        max_ref = m > max_ref ? m : max_ref;
    }
    tol_projection(&k, max_ref);
    for (int p = 0; p < 3; p++)
        for (size_t s = 0; s < n_sampled(n, all); s++)
            for (size_t c = 0; c < d; c++)
                check_value(&k, LOAD(out[p][sampled(n, all, s) * ld + c]), R[p][s * d + c]);
    return k;
}

/* The whole call through ref_attention() on double copies of its inputs (batch 1, no mask). */
static check check_attention_full(const mha_attention_desc *d, const STORE *Q, const STORE *K,
                                  const STORE *V, const STORE *out)
{
    check k = check_begin(true);
    double *Qd = to_double(Q, d->seq_q, d->ld_q, d->ld_q);
    double *Kd = to_double(K, d->seq_kv, d->ld_k, d->ld_k);
    double *Vd = to_double(V, d->seq_kv, d->ld_v, d->ld_v);
    tol_attention(&k, max_abs(Vd, bench_mul(d->seq_kv, d->ld_v)));
    double *Od = bench_alloc(bench_mul(bench_mul(d->seq_q, d->ld_out), sizeof *Od));
    double t0 = bench_now();
    ref_attention(d, Qd, Kd, Vd, NULL, Od, NULL);
    k.ref_s = bench_now() - t0;
    for (size_t i = 0; i < d->seq_q; i++)
        for (size_t c = 0; c < d->n_heads * d->d_v; c++)
            check_value(&k, LOAD(out[i * d->ld_out + c]), Od[i * d->ld_out + c]);
    bench_free(Od);
    bench_free(Vd);
    bench_free(Kd);
    bench_free(Qd);
    return k;
}

/* Keys query i sees (the bottom-right causal rule of mha.h), so that one row can be recomputed
 * as a non-causal call over exactly those keys. */
static size_t keys_seen(const mha_attention_desc *d, size_t i)
{
    if (!(d->flags & MHA_CAUSAL))
        return d->seq_kv;
    if (i + 1 + d->seq_kv <= d->seq_q)
        return 0;
    size_t n = i + 1 + d->seq_kv - d->seq_q;
    return n < d->seq_kv ? n : d->seq_kv;
}

/* One query row of one head through ref_attention(), on a packed copy of its kv head. */
static void check_attention_row(check *k, const mha_attention_desc *d, const STORE *Q,
                                const double *Kg, const double *Vg, const STORE *out, size_t h,
                                size_t i)
{
    const mha_attention_desc one = {.struct_size = sizeof(mha_attention_desc),
                                    .batch = 1,
                                    .seq_q = 1,
                                    .seq_kv = keys_seen(d, i),
                                    .n_heads = 1,
                                    .n_kv_heads = 1,
                                    .d_head = d->d_head,
                                    .d_v = d->d_v,
                                    .ld_q = d->d_head,
                                    .ld_k = d->d_head,
                                    .ld_v = d->d_v,
                                    .ld_out = d->d_v,
                                    .scale = d->scale};
    double *q = to_double(Q + i * d->ld_q + h * d->d_head, 1, d->d_head, d->d_head);
    double *o = bench_alloc(bench_mul(d->d_v ? d->d_v : 1, sizeof *o));
    ref_attention(&one, q, Kg, Vg, NULL, o, NULL);
    for (size_t c = 0; c < d->d_v; c++)
        check_value(k, LOAD(out[i * d->ld_out + h * d->d_v + c]), o[c]);
    bench_free(o);
    bench_free(q);
}

/* Sampled heads × sampled query rows, each recomputed alone. */
static check check_attention_rows(const mha_attention_desc *d, const STORE *Q, const STORE *K,
                                  const STORE *V, const STORE *out)
{
    check k = check_begin(false);
    size_t group = d->n_heads / d->n_kv_heads;
    for (size_t sh = 0; sh < N_SAMPLES; sh++) {
        size_t h = sampled(d->n_heads, false, sh), g = h / group;
        double *Kg = to_double(K + g * d->d_head, d->seq_kv, d->d_head, d->ld_k);
        double *Vg = to_double(V + g * d->d_v, d->seq_kv, d->d_v, d->ld_v);
        /* the bound of this head's rows: its own V's largest value (the sampled heads' largest
         * would do too, but this is tighter) */
        tol_attention(&k, max_abs(Vg, bench_mul(d->seq_kv, d->d_v)));
        for (size_t si = 0; si < N_SAMPLES; si++)
            check_attention_row(&k, d, Q, Kg, Vg, out, h, sampled(d->seq_q, false, si));
        bench_free(Vg);
        bench_free(Kg);
    }
    return k;
}

static check check_attention(const mha_attention_desc *d, const STORE *Q, const STORE *K,
                             const STORE *V, const STORE *out, bool full)
{
    return full ? check_attention_full(d, Q, K, V, out) : check_attention_rows(d, Q, K, V, out);
}

/* Exits (status 1) when a check failed: nothing wrong is ever timed. */
static void check_or_die(const check *k, const char *what, const char *shape)
{
    if (!k->ok)
        bench_die("FAIL: %s %s: max abs error %.3g against the reference is above the "
                  "tolerance %g + %g·|ref|",
                  what, shape, k->max_err, k->atol, k->rtol);
}
