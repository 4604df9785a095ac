/* SPDX-License-Identifier: MIT */
/* The vectorised row softmax and its exp, written once over the vector layer (vec.h) and the type
 * traits (type_<T>.h). Included by softmax_avx2.c, softmax_avx512.c and softmax_avx512bf16.c
 * after their vector layer and TARGET (the target attribute of every function here), once per
 * element format (each_type_impl.h); a half format computes in float and has no kernels of its
 * own. Every function here is KSFX(name), e.g. name_avx2_f32. A file whose kernel also writes P
 * in bf16 (softmax.h's row_to kernels) defines
 *   VSTORE_BF16(p, v) / VSTORE_BF16_TAIL(p, n, v) / VSTORE_BF16_PAIR(p, lo, hi)
 *                          v (or lo then hi) rounded to bf16 (nearest even) into p */
#ifndef WIDEN
#include "convert.h"
#include "softmax_kernels.h"

#include <math.h>

/* exp(x) = 2^k · exp(r), x = k·ln2 + r, k = round(x·log2e), |r| ≤ ln2/2 (a hair more when x·log2e
 * rounds across a half). ln2 is split Cody–Waite style into LN2_HI = ln2 rounded to REAL and
 * LN2_LO = (ln2 − LN2_HI) rounded, together ln2 to twice REAL's precision. r1 = x − k·LN2_HI is
 * exact in an FMA: the product is exact; when k ≠ 0, |x| > 1/4, so x and k·LN2_HI are both
 * multiples of 2^−(p+1) (p = 24 or 53 bits), and |r1| < 1/2 = 2^p · 2^−(p+1) fits in REAL. Only the
 * LN2_LO step rounds: half an ulp of r at most. */
#if REAL_BYTES == 8
/* exp(x) < 2^−1075 (half the least subnormal) rounds to 0 from −1075·ln2 ≈ −745.133 down; clamping
 * at −746 keeps that result (exp(−746) ≈ 1.0e−324 → 0) and bounds k by −1076. */
#define EXP_MIN (-746.0)
#define LOG2E 0x1.71547652b82fep+0   /* 1.4426950408889634 */
#define LN2_HI 0x1.62e42fefa39efp-1  /* 0.69314718055994529 */
#define LN2_LO 0x1.abc9e3b39803fp-56 /* 2.3190468138462996e−17 */
#else
/* Float: exp(x) < 2^−150 rounds to 0 from −150·ln2 ≈ −103.972 down; clamping at −104 keeps that
 * result (exp(−104) ≈ 6.8e−46 → 0) and bounds k by −150. */
#define EXP_MIN (-104.0f)
#define LOG2E 0x1.715476p+0f   /* 1.44269502 */
#define LN2_HI 0x1.62e430p-1f  /* 0.693147182 */
#define LN2_LO -0x1.05c61p-29f /* −1.90465421e−9 */
#endif

/* 1/n! rounded to REAL, from a double quotient the compiler folds. */
#define INV_FACT(n) ((REAL)(1.0 / (n)))

/* exp(r) on |r| ≤ 0.3466 by its Taylor polynomial in Horner form. The truncation error is below
 * |r|^(d+1)/(d+1)!·e^|r|: 7.3e−9 (0.06 ulp) for float at degree d = 7, 5.9e−18 (0.05 ulp) for
 * double at d = 13, well under the rounding of the last step. A minimax fit would save one FMA
 * (float) or two (double); Taylor keeps every coefficient checkable by eye. The last two steps are
 * fma(·, r, 1), so r = 0 gives exactly 1. */
static inline TARGET vec KSFX(exp_poly)(vec r)
{
#if REAL_BYTES == 8
    vec p = vfma(vset1(INV_FACT(6227020800.0)), r, vset1(INV_FACT(479001600.0))); /* 13!, 12! */
    p = vfma(p, r, vset1(INV_FACT(39916800.0)));
    p = vfma(p, r, vset1(INV_FACT(3628800.0)));
    p = vfma(p, r, vset1(INV_FACT(362880.0)));
    p = vfma(p, r, vset1(INV_FACT(40320.0)));
    p = vfma(p, r, vset1(INV_FACT(5040.0)));
    p = vfma(p, r, vset1(INV_FACT(720.0)));
#else
    vec p = vfma(vset1(INV_FACT(5040.0)), r, vset1(INV_FACT(720.0))); /* 7!, 6! */
#endif
    p = vfma(p, r, vset1(INV_FACT(120.0)));
    p = vfma(p, r, vset1(INV_FACT(24.0)));
    p = vfma(p, r, vset1(INV_FACT(6.0)));
    p = vfma(p, r, vset1(INV_FACT(2.0)));
    p = vfma(p, r, vset1((REAL)1));
    return vfma(p, r, vset1((REAL)1));
}

/* exp(x) for x ≤ 0, −inf or NaN (the contract in softmax_kernels.h). */
static inline TARGET vec KSFX(vexp)(vec x)
{
    /* −inf and everything below EXP_MIN become EXP_MIN, whose exp rounds to 0 anyway; this keeps
     * k inside vscale2's range. vmax returns its second operand on NaN, so NaN stays NaN (and
     * flows through every step below). */
    x = vmax(vset1(EXP_MIN), x);
    const vec k = vround(vmul(x, vset1(LOG2E)));
    vec r = vfma(k, vset1(-LN2_HI), x); /* exact, see LN2_HI */
    r = vfma(k, vset1(-LN2_LO), r);
    return vscale2(KSFX(exp_poly)(r), k);
}

#ifdef VSTORE_BF16
/* exp for probabilities that are rounded to bf16 (8 bits) next: relative error below 3.3e-7
 * (about 5 float ulps at the far end, 2e-8 within a few units of the max), against bf16's 2^−9
 * rounding, for 14 vector operations where vexp takes 17 (measured: the bf16 attention's exp pass
 * is compute-bound). Three savings: k = round(x·log2e) by the 1.5·2^23 shift trick (an FMA and a
 * subtraction, where VRNDSCALEPS is two operations on one port); one reduction step with LN2_HI
 * alone (its error, |k|·1.9e−9 with |k| ≤ 150, is the 3.3e−7); a degree-6 polynomial fitted for
 * relative error on |r| ≤ 0.3466 (1.8e−8; fitted here, by weighted least squares on Chebyshev
 * nodes), with c0 = c1 = 1 so r = 0 gives exactly 1. −inf, underflow and NaN as vexp. */
static inline TARGET vec KSFX(vexp_coarse)(vec x)
{
    x = vmax(vset1(EXP_MIN), x);
    const vec shift = vset1(0x1.8p23f);
    const vec k = vsub(vfma(x, vset1(LOG2E), shift), shift); /* nearest, ties to even */
    const vec r = vfma(k, vset1(-LN2_HI), x);                /* exact, as in vexp */
    vec p = vfma(vset1(0x1.6a8788p-10f), r, vset1(0x1.126cbap-7f));
    p = vfma(p, r, vset1(0x1.5558e2p-5f));
    p = vfma(p, r, vset1(0x1.55540cp-3f));
    p = vfma(p, r, vset1(0x1.fffffap-2f));
    p = vfma(p, r, vset1((REAL)1));
    return vscale2(vfma(p, r, vset1((REAL)1)), k);
}
/* The exps of exp_sum_pass: the coarse ones where they go to p in bf16. */
#define EXPS_FOR(p, x) ((p) ? KSFX(vexp_coarse)(x) : KSFX(vexp)(x))
#else
#define EXPS_FOR(p, x) KSFX(vexp)(x)
#endif

/* x = row[j .. j+W) + mask[j .. j+W), written back to the row; just the row when mask is NULL. The
 * branch is the same for a whole row, so it predicts perfectly. */
static inline TARGET vec KSFX(load_scores)(REAL *row, const REAL *mask, size_t j)
{
    vec x = vload(row + j);
    if (mask) {
        x = vadd(x, vload(mask + j));
        vstore(row + j, x);
    }
    return x;
}

/* max_j (row[j] + mask[j]), the sums left in row. NaN may or may not win (vmax), which is fine:
 * a NaN left behind is caught by the exp pass or by unseen_row. */
static TARGET REAL KSFX(max_pass)(REAL *row, const REAL *mask, size_t n)
{
    /* Four accumulators, so the loop waits on load bandwidth rather than on vmax's latency; −inf
     * is max's identity, and the fill of the tail's missing lanes. */
    vec m0 = vset1(-(REAL)INFINITY), m1 = m0, m2 = m0, m3 = m0;
    size_t j = 0;
    for (; j + 4 * W <= n; j += 4 * W) {
        m0 = vmax(m0, KSFX(load_scores)(row, mask, j));
        m1 = vmax(m1, KSFX(load_scores)(row, mask, j + W));
        m2 = vmax(m2, KSFX(load_scores)(row, mask, j + 2 * W));
        m3 = vmax(m3, KSFX(load_scores)(row, mask, j + 3 * W));
    }
    for (; j + W <= n; j += W)
        m0 = vmax(m0, KSFX(load_scores)(row, mask, j));
    if (j < n) {
        vec x = vload_tail(row + j, n - j, -(REAL)INFINITY);
        if (mask) {
            x = vadd(x, vload_tail(mask + j, n - j, 0));
            vstore_tail(row + j, n - j, x);
        }
        m1 = vmax(m1, x);
    }
    return vhmax(vmax(vmax(m0, m1), vmax(m2, m3)));
}

/* Where exp_sum_pass puts each vector of exps: back into the row, or (p not NULL, kernels with
 * VSTORE_BF16 only) rounded to bf16 into p. The branch is the same for a whole row. */
#ifdef VSTORE_BF16
#define PUT_EXPS(row, p, j, e) ((p) ? VSTORE_BF16((p) + (j), e) : vstore((row) + (j), e))
#define PUT_EXPS_TAIL(row, p, j, n, e)                                                             \
    ((p) ? VSTORE_BF16_TAIL((p) + (j), n, e) : vstore_tail((row) + (j), n, e))
#define PUT_EXPS_PAIR(row, p, j, e0, e1)                                                           \
    ((p) ? VSTORE_BF16_PAIR((p) + (j), e0, e1)                                                     \
         : (vstore((row) + (j), e0), vstore((row) + (j) + W, e1)))
#else
#define PUT_EXPS(row, p, j, e) vstore((row) + (j), e)
#define PUT_EXPS_TAIL(row, p, j, n, e) vstore_tail((row) + (j), n, e)
#define PUT_EXPS_PAIR(row, p, j, e0, e1) (vstore((row) + (j), e0), vstore((row) + (j) + W, e1))
#endif

/* row[j] = exp(row[j] − m) (or into p, PUT_EXPS), returning the sum of the exps. m is finite,
 * +inf or NaN here, so every argument is ≤ 0, −inf or NaN: inside vexp's contract, and exp cannot
 * overflow. */
static TARGET REAL KSFX(exp_sum_pass)(REAL *row, size_t n, REAL m, mha_bf16 *p)
{
    (void)p;
    const vec vm = vset1(m);
    /* Two vectors per step give the out-of-order core two independent exp chains. The sum stays
     * in REAL, as mha.h promises, but spread over 2·W lane accumulators and a final tree, so each
     * accumulator adds only n/(2·W) terms: far less rounding than one running scalar sum. */
    vec s0 = vset1((REAL)0), s1 = s0;
    size_t j = 0;
    for (; j + 2 * W <= n; j += 2 * W) {
        const vec e0 = EXPS_FOR(p, vsub(vload(row + j), vm));
        const vec e1 = EXPS_FOR(p, vsub(vload(row + j + W), vm));
        PUT_EXPS_PAIR(row, p, j, e0, e1);
        s0 = vadd(s0, e0);
        s1 = vadd(s1, e1);
    }
    if (j + W <= n) {
        const vec e = EXPS_FOR(p, vsub(vload(row + j), vm));
        PUT_EXPS(row, p, j, e);
        s0 = vadd(s0, e);
        j += W;
    }
    if (j < n) {
        /* Missing lanes read −inf: exp(−inf − m) = 0 adds nothing (unless m is NaN, and then
         * the sum is NaN anyway). */
        const vec e = EXPS_FOR(p, vsub(vload_tail(row + j, n - j, -(REAL)INFINITY), vm));
        PUT_EXPS_TAIL(row, p, j, n - j, e);
        s1 = vadd(s1, e);
    }
    return vhadd(vadd(s0, s1));
}

/* softmax.h's row kernel: x = row + mask, m = max x, row = exp(x − m), returns Σ row. */
TARGET REAL KSFX(mha_softmax_row)(REAL *row, const REAL *mask, size_t n, REAL *row_max)
{
    REAL m = KSFX(max_pass)(row, mask, n);
    if (m == -(REAL)INFINITY)
        return SFX(mha_softmax_unseen_row)(row, n, row_max);
    if (*row_max > m) /* the floor: false for NaN, which the exp pass then spreads */
        m = *row_max;
    *row_max = m;
    return KSFX(exp_sum_pass)(row, n, m, NULL);
}

#ifdef VSTORE_BF16
/* softmax.h's row_to_bf16 kernel: the row kernel, with P written to p in bf16, in one pass. */
TARGET REAL KSFX(mha_softmax_row_to_bf16)(REAL *row, const REAL *mask, size_t n, REAL *row_max,
                                          mha_bf16 *p)
{
    REAL m = KSFX(max_pass)(row, mask, n);
    if (m == -(REAL)INFINITY) {
        REAL sum = SFX(mha_softmax_unseen_row)(row, n, row_max);
        mha_narrow_bf16(row, p, n); /* zeros, or the NaN row */
        return sum;
    }
    if (*row_max > m)
        m = *row_max;
    *row_max = m;
    return KSFX(exp_sum_pass)(row, n, m, p); /* the sum of the exps before rounding (mha.h) */
}
#endif

/* y = exp(x) elementwise, x ≤ 0 (softmax_kernels.h); for the tests. */
TARGET void KSFX(mha_exp)(REAL *y, const REAL *x, size_t n)
{
    size_t j = 0;
    for (; j + W <= n; j += W)
        vstore(y + j, KSFX(vexp)(vload(x + j)));
    if (j < n)
        vstore_tail(y + j, n - j, KSFX(vexp)(vload_tail(x + j, n - j, 0)));
}

#undef EXP_MIN
#undef LOG2E
#undef LN2_HI
#undef LN2_LO
#undef INV_FACT
#undef EXPS_FOR
#undef PUT_EXPS
#undef PUT_EXPS_TAIL
#undef PUT_EXPS_PAIR
#endif
