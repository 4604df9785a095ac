/* SPDX-License-Identifier: MIT */
/* One attention problem (descriptor and double inputs) run in float or double and by the
 * reference, results widened to double: shared by the property and targeted-case tests. */
#ifndef MHA_TEST_PROBLEM_H
#define MHA_TEST_PROBLEM_H

#include "test_util.h"

#include "mha.h"
#include "ref.h"

#include <float.h>

/* How the matrices (Q, K, V, out; X, W) are stored: in the arithmetic's type, or in a half type
 * (computed in float, mha.h "Half precision"). */
typedef enum storage { STORED_AS_REAL, STORED_AS_BF16, STORED_AS_F16 } storage;

/* One precision under test. Inputs are generated in double and rounded to the precision first, so
 * the reference (double) and the library see exactly the same numbers. Tolerances for ordinary
 * O(1) data are those of test_random.c, with the same reasoning. Half types add the bound of
 * mha.h to the output's: half_u·3·max|V| (u = 2⁻⁸ bf16, 2⁻¹¹ f16), for P rounded to the type
 * and the output's own rounding; their lse is float's. */
typedef struct prec {
    bool f32;               /* the arithmetic (scores, mask, lse) is float */
    double atol, rtol, max; /* max: the largest finite value of the stored type */
    storage half;
    double half_u;
} prec;

static const prec F32 = {true, 1e-4, 1e-4, (double)FLT_MAX, STORED_AS_REAL, 0};
static const prec F64 = {false, 1e-12, 1e-12, DBL_MAX, STORED_AS_REAL, 0};
static const prec BF16 = {true, 1e-4, 1e-4, 0x1.fep127, STORED_AS_BF16, 0x1p-8};
static const prec F16 = {true, 1e-4, 1e-4, 65504, STORED_AS_F16, 0x1p-11};

/* A descriptor and its inputs; out and lse of a run, widened to double. */
typedef struct problem {
    mha_attention_desc d;
    size_t nq, nk, nv, nm, no, nl;
    double *Q, *K, *V, *M; /* M is NULL when there is no mask */
} problem;

typedef struct result {
    double *out, *lse;
} result;

static inline problem problem_new(const mha_attention_desc *d, bool mask)
{
    problem p = {*d, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL};
    p.nq = extent(d->batch, d->batch_stride_q, d->seq_q, d->ld_q, d->n_heads * d->d_head);
    p.nk = extent(d->batch, d->batch_stride_k, d->seq_kv, d->ld_k, d->n_kv_heads * d->d_head);
    p.nv = extent(d->batch, d->batch_stride_v, d->seq_kv, d->ld_v, d->n_kv_heads * d->d_v);
    p.nm = extent(d->batch, d->batch_stride_mask, d->seq_q, d->ld_mask, d->seq_kv);
    p.no = extent(d->batch, d->batch_stride_out, d->seq_q, d->ld_out, d->n_heads * d->d_v);
    p.nl = d->batch * d->n_heads * d->seq_q;
    p.Q = xcalloc(p.nq, 8), p.K = xcalloc(p.nk, 8), p.V = xcalloc(p.nv, 8);
    p.M = mask ? xcalloc(p.nm, 8) : NULL;
    return p;
}

static inline void problem_free(problem *p)
{
    free(p->Q), free(p->K), free(p->V), free(p->M);
}

static inline result result_new(const problem *p)
{
    return (result){xcalloc(p->no, 8), xcalloc(p->nl, 8)};
}

static inline void result_free(result *r)
{
    free(r->out), free(r->lse);
}

/* x rounded to the half type through float (the library's converter; the reference then takes
 * whatever value came out, so the rounding's own accuracy does not matter here). */
static inline double half_value(storage half, double x)
{
    float f = (float)x;
    if (half == STORED_AS_BF16) {
        mha_bf16 h;
        assert_int_equal(mha_convert_f32_to_bf16(&f, &h, 1), MHA_OK);
        assert_int_equal(mha_convert_bf16_to_f32(&h, &f, 1), MHA_OK);
    } else {
        mha_f16 h;
        assert_int_equal(mha_convert_f32_to_f16(&f, &h, 1), MHA_OK);
        assert_int_equal(mha_convert_f16_to_f32(&h, &f, 1), MHA_OK);
    }
    return (double)f;
}

/* Round n values to the stored type of the matrices. */
static inline void round_to(const prec *pr, double *x, size_t n)
{
    for (size_t i = 0; i < n && pr->f32; i++)
        x[i] = pr->half != STORED_AS_REAL ? half_value(pr->half, x[i]) : (double)(float)x[i];
}

/* Round n values to the arithmetic's type (masks). */
static inline void round_to_real(const prec *pr, double *x, size_t n)
{
    for (size_t i = 0; i < n && pr->f32; i++)
        x[i] = (double)(float)x[i];
}

/* Round every input to the precision (call after filling, before the reference). */
static inline void problem_round(const prec *pr, problem *p)
{
    round_to(pr, p->Q, p->nq), round_to(pr, p->K, p->nk), round_to(pr, p->V, p->nv);
    if (p->M)
        round_to_real(pr, p->M, p->nm);
}

/* The output tolerance for p: the precision's, plus the half types' 3u·max|V|. */
static inline double out_atol(const prec *pr, const problem *p)
{
    double max_v = 0;
    for (size_t i = 0; i < p->nv; i++)
        max_v = fabs(p->V[i]) > max_v ? fabs(p->V[i]) : max_v;
    return pr->atol + 3 * pr->half_u * max_v;
}

static inline float *to_f32(const double *x, size_t n)
{
    if (x == NULL)
        return NULL;
    float *f = xcalloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    return f;
}

/* Run the library in precision pr; out padding (if any) reads back as 0. */
static inline void run(const prec *pr, const problem *p, result *r)
{
    if (!pr->f32) {
        assert_int_equal(mha_attention_f64(&p->d, p->Q, p->K, p->V, p->M, r->out, r->lse), MHA_OK);
        return;
    }
    float *Q = to_f32(p->Q, p->nq), *K = to_f32(p->K, p->nk), *V = to_f32(p->V, p->nv),
          *M = to_f32(p->M, p->nm), *out = xcalloc(p->no, sizeof *out),
          *lse = xcalloc(p->nl, sizeof *lse);
    assert_int_equal(mha_attention(&p->d, Q, K, V, M, out, lse), MHA_OK);
    for (size_t i = 0; i < p->no; i++)
        r->out[i] = (double)out[i];
    for (size_t i = 0; i < p->nl; i++)
        r->lse[i] = (double)lse[i];
    free(Q), free(K), free(V), free(M), free(out), free(lse);
}

static inline void run_ref(const problem *p, result *r)
{
    ref_attention(&p->d, p->Q, p->K, p->V, p->M, r->out, r->lse);
}

#endif
