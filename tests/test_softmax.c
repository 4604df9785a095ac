/* SPDX-License-Identifier: MIT */
/* The row-softmax kernels and their vector exps, every variant this CPU runs (the others are
 * skipped with a message), against references in long double / double libm. */
#include "common/test_util.h"
#include "convert.h"
#include "softmax_kernels.h"

#include <float.h>

/* INFINITY and NAN are float constants; these are double, as every value below. */
#define INF ((double)INFINITY)
#define QNAN ((double)NAN)

/* ------------------------------------------------------------------------------------------ */
/* The variants                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* One kernel of either type. Tests hand it double data that is exact in its type. */
typedef struct kernel {
    const char *name;
    bool f64;
    mha_softmax_row_fn_f32 *row32;
    mha_softmax_row_fn_f64 *row64;
    mha_exp_fn_f32 *exp32; /* NULL: no vector exp (scalar) */
    mha_exp_fn_f64 *exp64;
    bool (*runs)(void);
} kernel;

/* The kernels of every row of the library's table (softmax_kernels.h), in both types. */
#define MAX_KERNELS 16
static kernel kernels[MAX_KERNELS];
static size_t n_kernels;
static char kernel_names[MAX_KERNELS][32];

static void collect_kernels(void)
{
    assert_true(2 * mha_softmax_isa_count <= MAX_KERNELS);
    for (size_t i = 0; i < mha_softmax_isa_count; i++) {
        const mha_softmax_isa *isa = &mha_softmax_isas[i];
        for (int f64 = 0; f64 < 2; f64++) {
            snprintf(kernel_names[n_kernels], sizeof kernel_names[0], "%s_%s", isa->name,
                     f64 ? "f64" : "f32");
            /* The table's f32 or f64 column, as its types (softmax_kernels.h). */
            kernel k = {.name = kernel_names[n_kernels], .f64 = f64, .runs = isa->runs};
            if (f64) {
                k.row64 = (mha_softmax_row_fn_f64 *)isa->row[MHA_FORMAT_F64];
                k.exp64 = (mha_exp_fn_f64 *)isa->exp[MHA_FORMAT_F64];
            } else {
                k.row32 = (mha_softmax_row_fn_f32 *)isa->row[MHA_FORMAT_F32];
                k.exp32 = (mha_exp_fn_f32 *)isa->exp[MHA_FORMAT_F32];
            }
            kernels[n_kernels] = k;
            n_kernels++;
        }
    }
}

static bool has_vector_exp(const kernel *k)
{
    return k->exp32 != NULL || k->exp64 != NULL;
}

/* The test's kernel, or a visible skip when this CPU lacks its instructions. */
static const kernel *kernel_of(void **state)
{
    const kernel *k = *state;
    if (!k->runs()) {
        print_message("[ SKIP     ] %s: this CPU lacks the instructions\n", k->name);
        skip();
    }
    return k;
}

/* ------------------------------------------------------------------------------------------ */
/* Running a kernel                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* Elements of untouched guard around every row, 64 bytes or more, so offset 0 is 64-byte aligned
 * as the driver's rows are. */
#define GUARD 16

/* A buffer of n elements of k's type at `offset` elements past a 64-byte boundary, with sentinel
 * guards on both sides; holds x (exact in that type). */
typedef struct buffer {
    unsigned char *base;
    size_t elem, lead, bytes;
} buffer;

static buffer buffer_of(const kernel *k, const double *x, size_t n, size_t offset)
{
    buffer b = {NULL, k->f64 ? sizeof(double) : sizeof(float), (GUARD + offset), 0};
    b.bytes = (b.lead + n + GUARD) * b.elem;
    b.base = aligned_alloc(64, (b.bytes + 63) / 64 * 64);
    assert_non_null(b.base);
    fill_sentinel(b.base, b.bytes);
    for (size_t j = 0; j < n; j++) {
        if (k->f64) {
            ((double *)b.base)[b.lead + j] = x[j];
        } else {
            ((float *)b.base)[b.lead + j] = (float)x[j];
            assert_true((double)(float)x[j] == x[j] || isnan(x[j]));
        }
    }
    return b;
}

static void *buffer_row(const buffer *b)
{
    return b->base + b->lead * b->elem;
}

/* Copies the n elements back to x, checks the guards, frees. */
static void buffer_done(buffer *b, double *x, size_t n)
{
    for (size_t j = 0; j < n && x; j++)
        x[j] = b->elem == sizeof(double) ? ((double *)b->base)[b->lead + j]
                                         : (double)((float *)b->base)[b->lead + j];
    assert_true(is_sentinel(b->base, b->lead * b->elem));
    assert_true(is_sentinel(b->base + (b->lead + n) * b->elem, GUARD * b->elem));
    free(b->base);
}

/* Softmaxes row (n values exact in k's type) in place through k, the row at `offset` elements past
 * a 64-byte boundary and the mask (NULL: none) one element further, with `floor` for the running
 * max (softmax.h); returns the sum. */
static double run_floor(const kernel *k, double *row, const double *mask, size_t n, size_t offset,
                        double floor, double *row_max)
{
    buffer b = buffer_of(k, row, n, offset), bm = {0};
    if (mask)
        bm = buffer_of(k, mask, n, offset + 1);
    double sum;
    if (k->f64) {
        *row_max = floor;
        sum = k->row64(buffer_row(&b), mask ? buffer_row(&bm) : NULL, n, row_max);
    } else {
        float m = (float)floor;
        sum = (double)k->row32(buffer_row(&b), mask ? buffer_row(&bm) : NULL, n, &m);
        *row_max = (double)m;
    }
    buffer_done(&b, row, n);
    if (mask)
        buffer_done(&bm, NULL, n);
    return sum;
}

/* run_floor with no floor: a row on its own. */
static double run(const kernel *k, double *row, const double *mask, size_t n, size_t offset,
                  double *row_max)
{
    return run_floor(k, row, mask, n, offset, -INFINITY, row_max);
}

/* v rounded to k's type. */
static double round_to(const kernel *k, double v)
{
    return k->f64 ? v : (double)(float)v;
}

/* Random values uniform in [lo, hi), rounded to k's type. */
static void fill_exact(const kernel *k, rng *r, double *x, size_t n, double lo, double hi)
{
    for (size_t j = 0; j < n; j++)
        x[j] = round_to(k, rng_uniform(r, lo, hi));
}

/* ------------------------------------------------------------------------------------------ */
/* The reference                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* p = softmax(x + mask) in long double (64-bit significand on x86-64), normalised; the max of
 * x + mask in *max, each sum rounded to the kernel's type as the kernel sees it. */
static void ref_softmax(const kernel *k, const double *x, const double *mask, size_t n, double *p,
                        double *max)
{
    long double m = -(long double)INFINITY, sum = 0;
    long double *e = xcalloc(n, sizeof *e);
    for (size_t j = 0; j < n; j++) {
        double s = mask ? x[j] + mask[j] : x[j];
        e[j] = (long double)round_to(k, s);
        m = e[j] > m ? e[j] : m;
    }
    for (size_t j = 0; j < n; j++)
        sum += e[j] = expl(e[j] - m);
    for (size_t j = 0; j < n; j++)
        p[j] = (double)(e[j] / sum);
    *max = (double)m;
    free(e);
}

/* Tolerance on normalised probabilities, |p − ref| ≤ rtol·ref. The error of exp(x − m) is a few ulp
 * plus the rounding of x − m, which is |x − m|·u for |x − m| up to 40 here (u = 2^−24 or 2^−53);
 * the sum adds about (n/32 + log2 n)·u. 1e−5 (float) and 1e−13 (double) are ~100 times that at
 * n = 2049, and far below any wrong-exp or wrong-max failure. */
static double rtol_of(const kernel *k)
{
    return k->f64 ? 1e-13 : 1e-5;
}

/* Normalises row by sum and compares with the reference; the max must be exact. */
static void check_row(const kernel *k, const char *what, const double *row, double sum, double max,
                      const double *x, const double *mask, size_t n)
{
    double *p = xcalloc(n, sizeof *p), *want = xcalloc(n, sizeof *want), want_max;
    ref_softmax(k, x, mask, n, want, &want_max);
    assert_true(sum >= 1); /* the max's own term is exactly 1 */
    for (size_t j = 0; j < n; j++)
        p[j] = row[j] / sum;
    if (max != want_max)
        print_error("%s: max %.17g, reference %.17g\n", what, max, want_max);
    assert_true(max == want_max);
    assert_true(close_enough(what, p, want, n, 0, rtol_of(k)));
    free(p);
    free(want);
}

/* ------------------------------------------------------------------------------------------ */
/* Softmax properties, for every kernel                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Lengths 0..100 and two long odd rows, every alignment offset mod 16, with and without a mask,
 * against the reference. */
static void rows_match_reference(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(11);
    const size_t max_n = 2049;
    double *x = xcalloc(max_n, sizeof *x), *row = xcalloc(max_n, sizeof *row),
           *mask = xcalloc(max_n, sizeof *mask);
    for (size_t n = 0; n <= 102; n++) {
        size_t len = n <= 100 ? n : n == 101 ? 2047 : 2049;
        bool masked = n % 2;
        fill_exact(k, &r, x, len, -20, 20);
        fill_exact(k, &r, mask, len, -20, 0);
        for (size_t j = 0; j < len; j++)
            if (masked && rng_range(&r, 0, 7) == 0)
                mask[j] = -INF; /* some masked-out keys */
        memcpy(row, x, len * sizeof *row);
        double max = 0, sum = run(k, row, masked ? mask : NULL, len, n % 16, &max);
        if (len == 0) {
            assert_true(sum == 0 && max == -INF);
            continue;
        }
        check_row(k, k->name, row, sum, max, x, masked ? mask : NULL, len);
    }
    free(x);
    free(row);
    free(mask);
}

/* After the deferred division a row sums to 1 (within a few ulp per term). */
static void rows_sum_to_one(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(12);
    double row[300];
    for (size_t t = 0; t < 50; t++) {
        size_t n = rng_range(&r, 1, 300);
        fill_exact(k, &r, row, n, -30, 30);
        double max, sum = run(k, row, NULL, n, t % 8, &max);
        long double total = 0;
        for (size_t j = 0; j < n; j++)
            total += (long double)(row[j] / sum);
        assert_true(fabsl(total - 1) <= (long double)(k->f64 ? 1e-14 : 1e-6));
    }
}

/* Adding a constant to every score changes nothing. With scores on a 2^−10 grid in [−16, 16] and a
 * shift of 1024, x + c is exact and x − max is exact in both rows, so the results agree bit for
 * bit — any other outcome means the max was not subtracted. */
static void shift_changes_nothing(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(13);
    double x[77], y[77];
    for (size_t j = 0; j < 77; j++) {
        x[j] = (double)rng_range(&r, 0, 32768) / 1024 - 16;
        y[j] = x[j] + 1024;
    }
    double mx, my, sx = run(k, x, NULL, 77, 3, &mx), sy = run(k, y, NULL, 77, 5, &my);
    assert_true(my == mx + 1024);
    assert_true(sx == sy);
    assert_memory_equal(x, y, sizeof x);
}

/* Scores of ±1e6 (attention logits of a badly scaled model) stay finite: no overflow, no NaN. */
static void huge_scores_stay_finite(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(14);
    double x[61], row[61];
    fill_exact(k, &r, x, 61, -1e6, 1e6);
    x[7] = 1e6;
    x[8] = -1e6;
    x[40] = 1e6 - 2; /* a close second, so the output is not just one-hot */
    memcpy(row, x, sizeof x);
    double max, sum = run(k, row, NULL, 61, 1, &max);
    assert_true(isfinite(sum));
    for (size_t j = 0; j < 61; j++)
        assert_true(isfinite(row[j]) && row[j] >= 0 && row[j] <= 1);
    check_row(k, "±1e6", row, sum, max, x, NULL, 61);
}

/* No visible key — every score −inf, or every key masked with −inf, or n == 0 — gives zeros,
 * max −inf and sum 0, never NaN. */
static void unseen_rows_are_zero(void **state)
{
    const kernel *k = kernel_of(state);
    double row[70], mask[70];
    for (size_t n = 0; n <= 70; n++) {
        for (size_t masked = 0; masked < 2; masked++) {
            for (size_t j = 0; j < n; j++) {
                row[j] = masked ? 5.0 - (double)j : -INF;
                mask[j] = -INF;
            }
            double max = 0, sum = run(k, row, masked ? mask : NULL, n, n % 16, &max);
            assert_true(sum == 0);
            assert_true(max == -INF);
            for (size_t j = 0; j < n; j++)
                assert_true(row[j] == 0);
        }
    }
}

/* The floor is the running max of earlier key blocks (online softmax): above the row's max, the
 * row is exp(x − floor) and the max stays the floor; below it, it changes nothing, bit for bit; a
 * row with no visible key leaves it as it came; a NaN still gives a NaN sum. */
static void floor_is_the_running_max(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(21);
    enum { N = 67 };
    double x[N], row[N], same[N];
    fill_exact(k, &r, x, N, -3, 3);
    memcpy(row, x, sizeof x);
    double max, sum = run_floor(k, row, NULL, N, 5, 10, &max);
    assert_true(max == 10);
    double tol = k->f64 ? 1e-14 : 2e-6, want_sum = 0;
    for (size_t j = 0; j < N; j++) {
        double want = exp(x[j] - 10);
        want_sum += want;
        assert_true(fabs(row[j] - want) <= tol * want);
    }
    assert_true(fabs(sum - want_sum) <= tol * want_sum);

    double free_max, below_max;
    memcpy(row, x, sizeof x);
    memcpy(same, x, sizeof x);
    double free_sum = run(k, row, NULL, N, 5, &free_max);
    double below_sum = run_floor(k, same, NULL, N, 5, -100, &below_max);
    assert_true(free_sum == below_sum && free_max == below_max);
    assert_memory_equal(row, same, sizeof row);

    for (size_t j = 0; j < N; j++)
        row[j] = -INF;
    assert_true(run_floor(k, row, NULL, N, 3, 5, &max) == 0);
    assert_true(max == 5);
    for (size_t j = 0; j < N; j++)
        assert_true(row[j] == 0);

    memcpy(row, x, sizeof x);
    row[30] = QNAN;
    assert_true(isnan(run_floor(k, row, NULL, N, 3, 10, &max)));
}

/* A NaN anywhere — among finite scores, among −inf, in the mask, in the tail — or a +inf makes
 * the sum NaN, as the textbook formula does; never a crash and never a finite lie. */
static void nan_or_inf_gives_nan(void **state)
{
    const kernel *k = kernel_of(state);
    double row[37], mask[37] = {0};
    const size_t n = 37;
    for (size_t at = 0; at < n; at += 5) {
        for (int kind = 0; kind < 4; kind++) {
            for (size_t j = 0; j < n; j++)
                row[j] = kind == 1 ? -INF : (double)(j % 7) - 3;
            mask[at] = kind == 2 ? QNAN : 0;
            row[at] = kind == 3 ? INF : kind == 2 ? 1 : QNAN;
            double max, sum = run(k, row, kind == 2 ? mask : NULL, n, at % 16, &max);
            if (!isnan(sum))
                print_error("%s: kind %d at %zu gives sum %g\n", k->name, kind, at, sum);
            assert_true(isnan(sum));
            mask[at] = 0;
        }
    }
}

/* The fused mask gives the same bits as adding it beforehand (both round x + mask once). */
static void fused_mask_is_an_add(void **state)
{
    const kernel *k = kernel_of(state);
    rng r = rng_seeded(15);
    double x[150], mask[150], pre[150];
    for (size_t n = 1; n <= 150; n += 7) {
        fill_exact(k, &r, x, n, -8, 8);
        fill_exact(k, &r, mask, n, -8, 8);
        for (size_t j = 0; j < n; j++)
            pre[j] = k->f64 ? x[j] + mask[j] : (double)((float)x[j] + (float)mask[j]);
        double mx, mp, sx = run(k, x, mask, n, 2, &mx), sp = run(k, pre, NULL, n, 2, &mp);
        assert_true(mx == mp && sx == sp);
        assert_memory_equal(x, pre, n * sizeof *x);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The vector exps                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* One ulp of the type at the exact value v > 0, subnormals included. */
static long double ulp_at(bool f64, long double v)
{
    int e;
    frexpl(v, &e); /* v = f·2^e, f in [0.5, 1): the binade's ulp is 2^(e − precision) */
    int min_e = f64 ? DBL_MIN_EXP : FLT_MIN_EXP, digits = f64 ? DBL_MANT_DIG : FLT_MANT_DIG;
    return ldexpl(1, (e < min_e ? min_e : e) - digits);
}

/* Runs k's exp on x[0..n) (exact in its type) into y. */
static void run_exp(const kernel *k, const double *x, double *y, size_t n)
{
    buffer bx = buffer_of(k, x, n, 3), by = buffer_of(k, x, n, 5);
    if (k->f64)
        k->exp64(buffer_row(&by), buffer_row(&bx), n);
    else
        k->exp32(buffer_row(&by), buffer_row(&bx), n);
    buffer_done(&bx, NULL, n);
    buffer_done(&by, y, n);
}

/* Largest error, in ulp of the exact result, over x[0..n). The reference is expl (64-bit
 * significand): its own error is ~2^−11 of a double's ulp, nothing next to the kernel's. */
static double max_ulp_error(const kernel *k, const double *x, size_t n, double *worst_x)
{
    double *y = xcalloc(n, sizeof *y), worst = 0;
    run_exp(k, x, y, n);
    for (size_t i = 0; i < n; i++) {
        long double want = expl((long double)x[i]);
        double err = (double)(fabsl((long double)y[i] - want) / ulp_at(k->f64, want));
        if (!(err <= worst)) { /* a NaN result counts as worst */
            worst = isnan(err) ? INF : err;
            *worst_x = x[i];
        }
    }
    free(y);
    return worst;
}

/* Measured here (AVX2 and AVX-512 agree bit for bit): 0.93 ulp for float over [−104, 0], 0.88 ulp
 * for double over [−746, 0] (the test prints it). The analysis agrees, about 0.9: the last Horner
 * step rounds (0.5 ulp), r carries the rounding of its LN2_LO step (≤ 2^−(p+2) absolute for
 * |r| < 0.35, so ≤ 0.25 ulp of the result), the earlier Horner steps and the truncated series add
 * < 0.15. The bound leaves room over that; a series one term shorter already fails it (2.7 ulp). */
#define EXP_MAX_ULP 1.5

/* A dense sweep of the whole range the softmax uses — [−104, 0] for float (below, exp rounds to 0),
 * [−746, 0] for double — plus the region near 0 where exp(x) ≈ 1 + x. */
static void exp_is_accurate(void **state)
{
    const kernel *k = kernel_of(state);
    const size_t chunk = 1u << 16, n = k->f64 ? 1u << 21 : 1u << 22;
    const double lo = k->f64 ? -746 : -104;
    double *x = xcalloc(chunk, sizeof *x), worst = 0, worst_x = 0;
    for (size_t start = 0; start <= n; start += chunk) {
        size_t m = 0;
        for (size_t i = start; i <= n && i < start + chunk; i++, m++) {
            x[m] = round_to(k, lo - lo * (double)i / (double)n);
        }
        double wx = 0, w = max_ulp_error(k, x, m, &wx);
        if (w > worst) {
            worst = w;
            worst_x = wx;
        }
    }
    for (int e = 1; e <= 60; e++) /* −2^−e, and the values around it */
        for (int d = -2; d <= 2; d++) {
            double t = -ldexp(1 + d * 0x1p-23, -e), wx = 0;
            x[0] = round_to(k, t);
            double w = max_ulp_error(k, x, 1, &wx);
            if (w > worst) {
                worst = w;
                worst_x = wx;
            }
        }
    print_message("%s exp: max error %.3f ulp (at x = %.9g)\n", k->name, worst, worst_x);
    assert_true(worst <= EXP_MAX_ULP);
    free(x);
}

/* The special values, at every lane position and tail length. */
static void exp_special_values(void **state)
{
    const kernel *k = kernel_of(state);
    const double zero_at[] = {-INF,
                              k->f64 ? -DBL_MAX : (double)-FLT_MAX,
                              -1e30,
                              -1000,
                              -800,
                              k->f64 ? -746 : -104,
                              k->f64 ? -745.2 : -103.98};
    const size_t nz = sizeof zero_at / sizeof *zero_at;
    double x[40], y[40];
    for (size_t n = 1; n <= 40; n++) { /* tails of every length for 4, 8 and 16 lanes */
        for (size_t i = 0; i < n; i++) {
            size_t kind = (i + n) % (nz + 3);
            x[i] = round_to(k, kind < nz        ? zero_at[kind]
                               : kind == nz     ? 0.0
                               : kind == nz + 1 ? -0.0
                                                : QNAN);
        }
        run_exp(k, x, y, n);
        for (size_t i = 0; i < n; i++) {
            if (isnan(x[i]))
                assert_true(isnan(y[i]));
            else if (x[i] == 0)
                assert_true(y[i] == 1); /* exactly */
            else
                assert_true(y[i] == 0 && !signbit(y[i])); /* exactly +0 */
        }
    }
    /* Just above the threshold the result is the least subnormal, not 0 (gradual underflow). */
    x[0] = k->f64 ? -745.1 : (double)-103.9f;
    run_exp(k, x, y, 1);
    assert_true(y[0] == (k->f64 ? 0x1p-1074 : 0x1p-149));
}

/* The vector exps compute the same operations in the same order (AVX-512's VSCALEF rounds
 * exactly as AVX2's two-step scaling), so they agree bit for bit: results do not depend on the
 * machine. Each is compared with the first of its type that this CPU runs. */
static void exp_variants_agree(void **state)
{
    const kernel *k = kernel_of(state), *first = NULL;
    for (size_t i = 0; first == NULL && i < n_kernels; i++)
        if (has_vector_exp(&kernels[i]) && kernels[i].f64 == k->f64 && kernels[i].runs())
            first = &kernels[i];
    const size_t n = 100003;
    double *x = xcalloc(n, sizeof *x), *ya = xcalloc(n, sizeof *ya), *yb = xcalloc(n, sizeof *yb);
    rng r = rng_seeded(16);
    fill_exact(k, &r, x, n, k->f64 ? -750 : -110, 0);
    run_exp(first, x, ya, n);
    run_exp(k, x, yb, n);
    print_message("%s against %s\n", k->name, first->name);
    assert_memory_equal(ya, yb, n * sizeof *ya);
    free(x);
    free(ya);
    free(yb);
}

/* The kernels that also write P in bf16 (softmax.h): the same max as the row kernel, and exps
 * within 3.3e−7 of its own (the coarser exp for P: softmax.h), so a sum within that relative
 * distance and p the rounding (to nearest even) of a value in [e·(1 − 3.3e−7), e·(1 + 3.3e−7)]:
 * the rounding of one end or the other, since rounding is monotonic. An exp below 2^−126 may
 * become 0 (VCVTNE2PS2BF16 reads subnormals as zero, mha.h). Masks with −inf, a floor, rows that
 * see nothing, every tail length. */
static void p_in_bf16_is_the_rounded_row(void **state)
{
    (void)state;
    rng r = rng_seeded(61);
    size_t tested = 0;
    for (size_t i = 0; i < mha_softmax_isa_count; i++) {
        const mha_softmax_isa *isa = &mha_softmax_isas[i];
        mha_softmax_row_to_fn_bf16 *to_bf16 =
            (mha_softmax_row_to_fn_bf16 *)isa->row_to[MHA_FORMAT_BF16];
        mha_softmax_row_fn_f32 *row = (mha_softmax_row_fn_f32 *)isa->row[MHA_FORMAT_F32];
        if (to_bf16 == NULL || !isa->runs())
            continue;
        tested++;
        for (size_t n = 0; n <= 100; n++) {
            float x[100], exps[100], scores[100], mask[100], floor = n % 3 ? -INFINITY : 2.0f;
            mha_bf16 p[100];
            for (size_t j = 0; j < n; j++) {
                x[j] = (float)rng_uniform(&r, -120, 8);
                mask[j] = rng_range(&r, 0, 9) == 0 || n % 17 == 5 ? -INFINITY : 0;
            }
            memcpy(exps, x, sizeof x), memcpy(scores, x, sizeof x);
            float max_a = floor, max_b = floor;
            float sum_a = row(exps, mask, n, &max_a);
            float sum_b = to_bf16(scores, mask, n, &max_b, p);
            const float rel = 3.3e-7f;
            assert_true(max_a == max_b || (isnan(max_a) && isnan(max_b)));
            assert_true(fabsf(sum_b - sum_a) <= rel * sum_a || (isnan(sum_a) && isnan(sum_b)));
            for (size_t j = 0; j < n; j++) {
                mha_bf16 lo = mha_float_to_bf16(exps[j] * (1 - rel)),
                         hi = mha_float_to_bf16(exps[j] * (1 + rel));
                bool flushed = exps[j] < 0x1p-126f && p[j].bits == 0;
                if (p[j].bits != lo.bits && p[j].bits != hi.bits && !flushed)
                    fail_msg("%s, n %zu, j %zu: p %#x, exp %a rounds to %#x or %#x", isa->name, n,
                             j, p[j].bits, (double)exps[j], lo.bits, hi.bits);
            }
        }
    }
    print_message("%zu kernel set(s) write P in bf16 on this CPU\n", tested);
}

/* The driver gets the widest kernel the CPU runs, asked here of the CPU directly. */
static void pick_follows_the_cpu(void **state)
{
    (void)state;
    const char *want = "scalar";
#if defined(MHA_X86_BF16_KERNELS)
    if (mha_cpu_has_avx512bf16())
        want = "avx512bf16";
    else
#endif
#if defined(MHA_X86_KERNELS)
        if (mha_cpu_has_avx512f())
        want = "avx512f";
    else if (mha_cpu_has_avx2_fma())
        want = "avx2";
#endif
    print_message("this CPU runs the %s kernels\n", want);
    for (size_t i = 0; i < mha_softmax_isa_count; i++) {
        if (strcmp(mha_softmax_isas[i].name, want) == 0) {
            assert_true((mha_kernel_fn *)mha_softmax_pick_f32() ==
                        mha_softmax_isas[i].row[MHA_FORMAT_F32]);
            assert_true((mha_kernel_fn *)mha_softmax_pick_f64() ==
                        mha_softmax_isas[i].row[MHA_FORMAT_F64]);
            assert_true((mha_kernel_fn *)mha_softmax_pick_to_bf16() ==
                        mha_softmax_isas[i].row_to[MHA_FORMAT_BF16]);
            assert_null(mha_softmax_pick_to_f16());
            return;
        }
    }
    fail_msg("no kernel set named %s in the table", want);
}

/* ------------------------------------------------------------------------------------------ */

/* The tests, each run on every kernel (vector_only: on those with a vector exp). */
typedef struct kernel_test {
    const char *name;
    CMUnitTestFunction fn;
    bool vector_only;
} kernel_test;

/* clang-format off */
#define EVERY_KERNEL(fn) {#fn, fn, false}
#define VECTOR_KERNELS(fn) {#fn, fn, true}
static const kernel_test kernel_tests[] = {
    EVERY_KERNEL(rows_match_reference),  EVERY_KERNEL(rows_sum_to_one),
    EVERY_KERNEL(shift_changes_nothing), EVERY_KERNEL(huge_scores_stay_finite),
    EVERY_KERNEL(unseen_rows_are_zero),  EVERY_KERNEL(nan_or_inf_gives_nan),
    EVERY_KERNEL(floor_is_the_running_max), EVERY_KERNEL(fused_mask_is_an_add),
    VECTOR_KERNELS(exp_is_accurate),     VECTOR_KERNELS(exp_special_values),
    VECTOR_KERNELS(exp_variants_agree),
};
/* clang-format on */
#define N_KERNEL_TESTS (sizeof kernel_tests / sizeof kernel_tests[0])

int main(void)
{
    static struct CMUnitTest tests[N_KERNEL_TESTS * MAX_KERNELS + 2];
    static char names[N_KERNEL_TESTS * MAX_KERNELS][64];
    size_t n = 0;
    collect_kernels();
    for (size_t t = 0; t < N_KERNEL_TESTS; t++) {
        for (size_t k = 0; k < n_kernels; k++) {
            if (kernel_tests[t].vector_only && !has_vector_exp(&kernels[k]))
                continue;
            snprintf(names[n], sizeof names[0], "%s/%s", kernel_tests[t].name, kernels[k].name);
            tests[n] = (struct CMUnitTest){names[n], kernel_tests[t].fn, NULL, NULL, &kernels[k]};
            n++;
        }
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(pick_follows_the_cpu);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(p_in_bf16_is_the_rounded_row);
    return _cmocka_run_group_tests("test_softmax", tests, n, NULL, NULL);
}
