/* SPDX-License-Identifier: MIT */
/* float ↔ bf16/f16: every kernel variant this CPU runs (the others are skipped with a message)
 * against a reference that decodes the fields with ldexp and rounds in double, every variant
 * against the portable one, and the exported functions' statuses. */
#include "common/test_util.h"
#include "convert.h"

#include <float.h>

#define N_PATTERNS 65536

/* ------------------------------------------------------------------------------------------ */
/* The reference: field decoding and rounding in double, sharing no code with the library      */
/* ------------------------------------------------------------------------------------------ */

/* A binary format with 1 sign, `exp_bits` exponent and `frac_bits` fraction bits; its column in
 * the library's table. */
typedef struct format {
    const char *name;
    int exp_bits, frac_bits;
    mha_format column;
} format;

static const format BF16 = {"bf16", 8, 7, MHA_FORMAT_BF16};
static const format F16 = {"f16", 5, 10, MHA_FORMAT_F16};

static int bias_of(format f)
{
    return (1 << (f.exp_bits - 1)) - 1;
}

static bool ref_is_nan(format f, uint16_t p)
{
    const unsigned e = (p >> f.frac_bits) & ((1u << f.exp_bits) - 1);
    return e == (1u << f.exp_bits) - 1 && (p & ((1u << f.frac_bits) - 1)) != 0;
}

/* The value of pattern p: (−1)^s·2^(e−bias)·(1 + m/2^frac_bits), subnormals
 * (−1)^s·2^(1−bias)·(m/2^frac_bits). */
static double ref_value(format f, uint16_t p)
{
    const unsigned e = (p >> f.frac_bits) & ((1u << f.exp_bits) - 1);
    const unsigned m = p & ((1u << f.frac_bits) - 1);
    const double frac = (double)m / (double)(1u << f.frac_bits);
    double v;
    if (e == (1u << f.exp_bits) - 1)
        v = m ? (double)NAN : (double)INFINITY;
    else if (e == 0)
        v = ldexp(frac, 1 - bias_of(f));
    else
        v = ldexp(1 + frac, (int)e - bias_of(f));
    return (p & 0x8000) ? -v : v;
}

/* The largest finite value: (2 − 2^−frac_bits)·2^bias. */
static double ref_max(format f)
{
    return ldexp(2 - ldexp(1, -f.frac_bits), bias_of(f));
}

/* x rounded to the format, nearest even: the two neighbours on the format's grid around |x| (its
 * spacing 2^(e − frac_bits), e clamped to the smallest normal exponent for subnormals), the
 * nearer taken, the even one on a tie; above the largest finite value, Inf. x is a float, so
 * |x|/spacing is exact in double. */
static double ref_round(format f, double x)
{
    if (isnan(x) || isinf(x) || x == 0)
        return x;
    const double ax = fabs(x);
    int e = ilogb(ax);
    if (e < 1 - bias_of(f))
        e = 1 - bias_of(f);
    const double ulp = ldexp(1, e - f.frac_bits), q = ax / ulp, lo = floor(q), d = q - lo;
    const double pick = d > 0.5 || (d == 0.5 && fmod(lo, 2) == 1) ? lo + 1 : lo;
    const double r = pick * ulp > ref_max(f) ? (double)INFINITY : pick * ulp;
    return copysign(r, x);
}

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Same value and sign (for ±0), or both NaN. */
static bool same_value(double got, double want)
{
    return isnan(want) ? isnan(got) : got == want && !signbit(got) == !signbit(want);
}

/* ------------------------------------------------------------------------------------------ */
/* The variants                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* A kernel of either format in either direction, on raw 16-bit patterns: the table's column. */
typedef struct kernels {
    const mha_convert_isa *k;
    format f;
} kernels;

static void widen(kernels v, const uint16_t *src, float *dst, size_t n)
{
    v.k->widen[v.f.column](src, dst, n);
}

static void narrow(kernels v, const float *src, uint16_t *dst, size_t n)
{
    v.k->narrow[v.f.column](src, dst, n);
}

/* Variant i if this CPU runs it; else NULL, with a visible skip message. */
static const mha_convert_isa *variant(size_t i)
{
    const mha_convert_isa *k = &mha_convert_isas[i];
    if (k->runs())
        return k;
    print_message("[ SKIP     ] %s: this CPU lacks the instructions\n", k->name);
    return NULL;
}

/* The portable variant: the last. */
static const mha_convert_isa *scalar(void)
{
    return &mha_convert_isas[mha_convert_isa_count - 1];
}

static const format FORMATS[2] = {{"bf16", 8, 7, MHA_FORMAT_BF16}, {"f16", 5, 10, MHA_FORMAT_F16}};

/* Every test below runs on every variant the CPU has, in both formats. */
#define FOR_EACH_KERNELS(v)                                                                        \
    for (size_t vi_ = 0; vi_ < mha_convert_isa_count; vi_++)                                       \
        for (size_t fi_ = 0; fi_ < 2; fi_++)                                                       \
            for (kernels v = {variant(vi_), FORMATS[fi_]}; v.k != NULL; v.k = NULL)

/* The quiet bit of a float NaN. */
#define QUIET32 0x00400000u

/* ------------------------------------------------------------------------------------------ */
/* Widening                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* All 65536 patterns: exact values and signs; NaN stays NaN with its sign, quiet. */
static void widen_every_pattern(void **state)
{
    (void)state;
    uint16_t *p = xcalloc(N_PATTERNS, sizeof *p);
    float *out = xcalloc(N_PATTERNS, sizeof *out);
    for (size_t i = 0; i < N_PATTERNS; i++)
        p[i] = (uint16_t)i;
    FOR_EACH_KERNELS(v)
    {
        widen(v, p, out, N_PATTERNS);
        for (size_t i = 0; i < N_PATTERNS; i++) {
            const double want = ref_value(v.f, p[i]);
            const bool ok = same_value((double)out[i], want) &&
                            (!isnan(want) ||
                             ((bits_of(out[i]) & QUIET32) && !signbit(out[i]) == !(p[i] & 0x8000)));
            if (!ok)
                print_error("%s %s: %04x widened to %a (%08x), want %a\n", v.k->name, v.f.name,
                            p[i], (double)out[i], bits_of(out[i]), want);
            assert_true(ok);
        }
    }
    free(p);
    free(out);
}

/* ------------------------------------------------------------------------------------------ */
/* Narrowing                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Narrows n floats through v and checks each result against want[i], bit for bit. */
static void expect_bits(kernels v, const float *x, const uint16_t *want, size_t n)
{
    uint16_t *got = xcalloc(n, sizeof *got);
    narrow(v, x, got, n);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            print_error("%s %s: %a (%08x) narrowed to %04x, want %04x\n", v.k->name, v.f.name,
                        (double)x[i], bits_of(x[i]), got[i], want[i]);
        assert_int_equal(got[i], want[i]);
    }
    free(got);
}

/* Every value of the format, as a float (exact), narrows back to its own pattern; every NaN
 * pattern, as a float NaN with its payload, narrows to a NaN. */
static void narrow_round_trips(void **state)
{
    (void)state;
    float *x = xcalloc(N_PATTERNS, sizeof *x);
    uint16_t *want = xcalloc(N_PATTERNS, sizeof *want), *got = xcalloc(N_PATTERNS, sizeof *got);
    FOR_EACH_KERNELS(v)
    {
        size_t n = 0;
        for (size_t i = 0; i < N_PATTERNS; i++) {
            if (ref_is_nan(v.f, (uint16_t)i))
                continue;
            x[n] = (float)ref_value(v.f, (uint16_t)i);
            assert_true((double)x[n] == ref_value(v.f, (uint16_t)i)); /* exact in float */
            want[n++] = (uint16_t)i;
        }
        expect_bits(v, x, want, n);
        n = 0;
        for (size_t i = 0; i < N_PATTERNS; i++)
            if (ref_is_nan(v.f, (uint16_t)i))
                x[n++] = float_of(v.f.exp_bits == BF16.exp_bits
                                      ? (uint32_t)i << 16
                                      : (uint32_t)(i & 0x8000) << 16 | 0x7F800000u |
                                            (uint32_t)(i & 0x3FF) << 13); /* same payload */
        narrow(v, x, got, n);
        for (size_t i = 0; i < n; i++)
            assert_true(ref_is_nan(v.f, got[i]));
    }
    free(x);
    free(want);
    free(got);
}

/* Between every two adjacent finite values a < b of the format, of either sign (0 and the
 * smallest subnormal, the largest subnormal and the smallest normal included): the midpoint
 * goes to the even pattern, one float above it to b, one float below to a. */
static void narrow_midpoints(void **state)
{
    (void)state;
    float *x = xcalloc(3 * N_PATTERNS, sizeof *x);
    uint16_t *want = xcalloc(3 * N_PATTERNS, sizeof *want);
    FOR_EACH_KERNELS(v)
    {
        size_t n = 0;
        const uint16_t max_pattern = (uint16_t)((((1u << v.f.exp_bits) - 1) << v.f.frac_bits) - 1);
        for (uint16_t p = 0; p < max_pattern; p++) {
            for (unsigned sign = 0; sign <= 0x8000; sign += 0x8000) {
                const double a = ref_value(v.f, (uint16_t)(p | sign));
                const double b = ref_value(v.f, (uint16_t)((p + 1) | sign));
                const float mid = (float)((a + b) / 2);
                assert_true((double)mid == (a + b) / 2); /* one more bit: exact in float */
                x[n] = mid;
                want[n++] = (uint16_t)(((p & 1) ? p + 1 : p) | sign);
                x[n] = nextafterf(mid, copysignf(INFINITY, mid));
                want[n++] = (uint16_t)((p + 1) | sign);
                x[n] = nextafterf(mid, 0);
                want[n++] = (uint16_t)(p | sign);
            }
        }
        expect_bits(v, x, want, n);
    }
    free(x);
    free(want);
}

/* One float input and the pattern it must give, for both formats. */
typedef struct special {
    uint32_t in;
    uint16_t bf16, f16;
} special;

/* clang-format off */
static const special SPECIALS[] = {
    {0x00000000, 0x0000, 0x0000}, /* +0 */
    {0x80000000, 0x8000, 0x8000}, /* −0 keeps its sign */
    {0x7F800000, 0x7F80, 0x7C00}, /* ±Inf */
    {0xFF800000, 0xFF80, 0xFC00},
    {0x477FE000, 0x4780, 0x7BFF}, /* 65504, f16's largest */
    {0x477FF000, 0x4780, 0x7C00}, /* 65520 = 65504 + half its ulp: the tie goes to even, Inf */
    {0xC77FF000, 0xC780, 0xFC00},
    {0x477FEFFF, 0x4780, 0x7BFF}, /* just below 65520 */
    {0x477FF001, 0x4780, 0x7C00}, /* just above */
    {0x7F7FFFFF, 0x7F80, 0x7C00}, /* FLT_MAX: above bf16's largest plus half an ulp, Inf */
    {0x7F7F8000, 0x7F80, 0x7C00}, /* bf16's largest (0x7F7F, odd) plus half an ulp: Inf */
    {0x7F7F7FFF, 0x7F7F, 0x7C00}, /* just below it: bf16's largest */
    {0xFF7F8000, 0xFF80, 0xFC00},
    {0x33000000, 0x3300, 0x0000}, /* 2^−25, half of f16's smallest subnormal: tie, even is 0 */
    {0xB3000000, 0xB300, 0x8000}, /* −2^−25: −0 */
    {0x33000001, 0x3300, 0x0001}, /* just above: the smallest subnormal */
    {0x33800000, 0x3380, 0x0001}, /* 2^−24 */
    {0x33C00000, 0x33C0, 0x0002}, /* 1.5·2^−24: tie between 1 and 2, even is 2 */
    {0x34200000, 0x3420, 0x0002}, /* 2.5·2^−24: tie between 2 and 3, even is 2 */
    {0x387FE000, 0x3880, 0x0400}, /* midpoint of 0x3FF and 0x400 (the smallest normal): even */
    {0x38800000, 0x3880, 0x0400}, /* 2^−14, f16's smallest normal */
    {0x00000001, 0x0000, 0x0000}, /* the smallest f32 subnormal: 0 in both, never a flush */
    {0x80000001, 0x8000, 0x8000},
    {0x00008000, 0x0000, 0x0000}, /* 2^−134, half of bf16's smallest subnormal: tie, 0 */
    {0x00008001, 0x0001, 0x0000}, /* just above: bf16's smallest subnormal */
    {0x00010000, 0x0001, 0x0000}, /* 2^−133, bf16's smallest subnormal, exact */
    {0x00018000, 0x0002, 0x0000}, /* 1.5 units: tie between 1 and 2, even is 2 */
    {0x00028000, 0x0002, 0x0000}, /* 2.5 units: tie between 2 and 3, even is 2 */
    {0x007FFFFF, 0x0080, 0x0000}, /* the largest f32 subnormal rounds up to FLT_MIN in bf16 */
    {0x807F0000, 0x807F, 0x8000}, /* a bf16 subnormal, exact */
    {0x3F808000, 0x3F80, 0x3C04}, /* 1 + 2^−8: bf16 tie, even is 1 */
    {0x3F818000, 0x3F82, 0x3C0C}, /* 1 + 3·2^−8: bf16 tie, even is 1 + 2^−6 */
    {0x3F801000, 0x3F80, 0x3C00}, /* 1 + 2^−11: f16 tie, even is 1 */
    {0x3F803000, 0x3F80, 0x3C02}, /* 1 + 3·2^−11: f16 tie, even is 1 + 2^−9 */
    /* NaN: sign and top payload bits kept, quiet bit set; signalling ones come out quiet. */
    {0x7FC00000, 0x7FC0, 0x7E00}, /* the default quiet NaN */
    {0xFFC00000, 0xFFC0, 0xFE00},
    {0x7F800001, 0x7FC0, 0x7E00}, /* signalling, payload only in the low bits: still NaN */
    {0xFF800001, 0xFFC0, 0xFE00},
    {0x7FBFFFFF, 0x7FFF, 0x7FFF}, /* signalling, full payload */
    {0x7FFFFFFF, 0x7FFF, 0x7FFF}, /* quiet: rounding would carry it into Inf's neighbour */
    {0x7FA12345, 0x7FE1, 0x7F09},
};
/* clang-format on */

static void narrow_special_values(void **state)
{
    (void)state;
    const size_t n = sizeof SPECIALS / sizeof SPECIALS[0];
    float x[sizeof SPECIALS / sizeof SPECIALS[0]];
    uint16_t want[sizeof SPECIALS / sizeof SPECIALS[0]];
    for (size_t i = 0; i < n; i++)
        x[i] = float_of(SPECIALS[i].in);
    FOR_EACH_KERNELS(v)
    {
        for (size_t i = 0; i < n; i++) {
            want[i] = v.f.exp_bits == BF16.exp_bits ? SPECIALS[i].bf16 : SPECIALS[i].f16;
            /* The table's non-NaN entries against the reference first: it is checked, not trusted.
             */
            if (!isnan(x[i]))
                assert_true(same_value(ref_value(v.f, want[i]), ref_round(v.f, (double)x[i])));
        }
        expect_bits(v, x, want, n);
    }
}

/* A random float: any bit pattern half of the time (every exponent, subnormals, Inf and NaN),
 * else a sign, an exponent within 3 binades of the format's range and a random fraction. */
static float random_float(rng *r, format f)
{
    const uint64_t u = rng_next(r);
    if (u & 1)
        return float_of((uint32_t)(u >> 32));
    const int lo = 1 - bias_of(f) - f.frac_bits - 3, hi = bias_of(f) + 3;
    const int e = (int)rng_range(r, 0, (size_t)(hi - lo)) + lo;
    const uint32_t frac = (uint32_t)(u >> 40) & 0x7FFFFFu;
    const double x = ldexp(1 + (double)frac * 0x1p-23, e);
    return (float)((u & 2) ? -x : x); /* above FLT_MAX for bf16's top: Inf, also fine */
}

/* Random floats against ref_round. */
static void narrow_random_vs_reference(void **state)
{
    (void)state;
    const size_t n = 1u << 18;
    float *x = xcalloc(n, sizeof *x);
    uint16_t *got = xcalloc(n, sizeof *got);
    FOR_EACH_KERNELS(v)
    {
        rng r = rng_seeded(21);
        for (size_t i = 0; i < n; i++)
            x[i] = random_float(&r, v.f);
        narrow(v, x, got, n);
        for (size_t i = 0; i < n; i++) {
            const double want = ref_round(v.f, (double)x[i]), g = ref_value(v.f, got[i]);
            const bool ok = same_value(g, want);
            if (!ok)
                print_error("%s %s: %a narrowed to %04x (%a), reference %a\n", v.k->name, v.f.name,
                            (double)x[i], got[i], g, want);
            assert_true(ok);
        }
    }
    free(x);
    free(got);
}

/* ------------------------------------------------------------------------------------------ */
/* Every variant gives the portable variant's bits                                             */
/* ------------------------------------------------------------------------------------------ */

#define GUARD 32 /* bytes of sentinel on each side of an output */

/* A sentinel-guarded output of `bytes` at `offset` bytes past a 64-byte boundary. */
typedef struct guarded {
    unsigned char *base;
    size_t offset, bytes;
} guarded;

static guarded guarded_of(size_t bytes, size_t offset)
{
    guarded g = {NULL, GUARD + offset, bytes};
    const size_t total = (g.offset + bytes + GUARD + 63) / 64 * 64;
    g.base = aligned_alloc(64, total);
    assert_non_null(g.base);
    fill_sentinel(g.base, total);
    return g;
}

static void *guarded_data(guarded g)
{
    return g.base + g.offset;
}

/* Frees g after checking that nothing outside its data was written. */
static void guarded_done(guarded g)
{
    assert_true(is_sentinel(g.base, g.offset));
    assert_true(is_sentinel(g.base + g.offset + g.bytes, GUARD));
    free(g.base);
}

/* Random bits, and some special values among them. */
static uint32_t random_bits(rng *r)
{
    static const uint32_t specials[] = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000,
                                        0x7FC00000, 0x7F800001, 0x477FF000, 0x33000000,
                                        0x00008000, 0x7F7F8000, 0x007FFFFF, 0x387FE000};
    const uint64_t u = rng_next(r);
    return (u & 7) == 0 ? specials[(u >> 3) % (sizeof specials / sizeof specials[0])]
                        : (uint32_t)(u >> 32);
}

/* Lengths 0..80 (every tail of both vector widths, several times) and two long ones, at several
 * alignments, both directions: the same bits as the portable variant, nothing written past the
 * row. */
static void variants_match_scalar(void **state)
{
    (void)state;
    rng r = rng_seeded(31);
    const size_t max_n = 1043;
    float *x = xcalloc(max_n, sizeof *x), *wide_want = xcalloc(max_n, sizeof *wide_want);
    uint16_t *h = xcalloc(max_n, sizeof *h), *narrow_want = xcalloc(max_n, sizeof *narrow_want);
    FOR_EACH_KERNELS(v)
    {
        const kernels ref = {scalar(), v.f};
        for (size_t t = 0; t <= 82; t++) {
            const size_t n = t <= 80 ? t : t == 81 ? 1024 : max_n, offset = t % 5;
            for (size_t i = 0; i < n; i++) {
                x[i] = float_of(random_bits(&r));
                h[i] = (uint16_t)random_bits(&r);
            }
            narrow(ref, x, narrow_want, n);
            widen(ref, h, wide_want, n);

            guarded gn = guarded_of(n * sizeof *h, 2 * offset);
            narrow(v, x, guarded_data(gn), n);
            assert_memory_equal(guarded_data(gn), narrow_want, n * sizeof *h);
            guarded_done(gn);

            guarded gw = guarded_of(n * sizeof *x, 4 * offset);
            widen(v, h, guarded_data(gw), n);
            assert_memory_equal(guarded_data(gw), wide_want, n * sizeof *x);
            guarded_done(gw);
        }
    }
    free(x);
    free(wide_want);
    free(h);
    free(narrow_want);
}

/* The four conversions of random floats (and back), through the dispatching kernels or the
 * public functions, give the portable kernels' bits. */
static void converts_as_scalar(uint64_t seed, bool public_api)
{
    rng r = rng_seeded(seed);
    enum { N = 53 };
    float x[N], wide[N], wide_want[N];
    mha_bf16 b[N], b_want[N];
    mha_f16 f[N], f_want[N];
    for (size_t i = 0; i < N; i++)
        x[i] = float_of(random_bits(&r));
    if (public_api) {
        assert_int_equal(mha_convert_f32_to_bf16(x, b, N), MHA_OK);
        assert_int_equal(mha_convert_f32_to_f16(x, f, N), MHA_OK);
    } else {
        mha_narrow_bf16(x, b, N);
        mha_narrow_f16(x, f, N);
    }
    scalar()->narrow[MHA_FORMAT_BF16](x, b_want, N);
    scalar()->narrow[MHA_FORMAT_F16](x, f_want, N);
    assert_memory_equal(b, b_want, sizeof b);
    assert_memory_equal(f, f_want, sizeof f);
    for (int half = 0; half < 2; half++) {
        if (public_api)
            assert_int_equal(half ? mha_convert_f16_to_f32(f, wide, N)
                                  : mha_convert_bf16_to_f32(b, wide, N),
                             MHA_OK);
        else if (half)
            mha_widen_f16(f, wide, N);
        else
            mha_widen_bf16(b, wide, N);
        if (half)
            scalar()->widen[MHA_FORMAT_F16](f, wide_want, N);
        else
            scalar()->widen[MHA_FORMAT_BF16](b, wide_want, N);
        assert_memory_equal(wide, wide_want, sizeof wide);
    }
}

/* The driver's kernels are the widest variant this CPU runs; the four dispatching functions give
 * its bits. */
static void pick_follows_the_cpu(void **state)
{
    (void)state;
    size_t v = 0;
    while (!mha_convert_isas[v].runs())
        v++;
    print_message("this CPU runs the %s conversions\n", mha_convert_isas[v].name);
    assert_ptr_equal(mha_convert_isa_best(), &mha_convert_isas[v]);
    assert_string_equal(scalar()->name, "scalar");

    converts_as_scalar(41, false);
}

/* The inline helpers the driver uses for scalar tails agree with the portable kernels (which are
 * loops over them) on every 16-bit pattern and on the specials. */
static void scalar_helpers(void **state)
{
    (void)state;
    for (uint32_t p = 0; p < N_PATTERNS; p++) {
        const double b = ref_value(BF16, (uint16_t)p), f = ref_value(F16, (uint16_t)p);
        assert_true(same_value((double)mha_bf16_to_float((mha_bf16){(uint16_t)p}), b));
        assert_true(same_value((double)mha_f16_to_float((mha_f16){(uint16_t)p}), f));
    }
    for (size_t i = 0; i < sizeof SPECIALS / sizeof SPECIALS[0]; i++) {
        assert_int_equal(mha_float_to_bf16(float_of(SPECIALS[i].in)).bits, SPECIALS[i].bf16);
        assert_int_equal(mha_float_to_f16(float_of(SPECIALS[i].in)).bits, SPECIALS[i].f16);
    }
    /* Widening makes signalling NaNs quiet, payload kept. */
    assert_int_equal(bits_of(mha_bf16_to_float((mha_bf16){0x7F81})), 0x7FC10000);
    assert_int_equal(bits_of(mha_f16_to_float((mha_f16){0xFC01})), 0xFFC02000);
}

/* ------------------------------------------------------------------------------------------ */
/* The exported functions                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The four exported functions on one byte buffer each way: src at byte src_at of buf, dst at
 * dst_at (both multiples of 4), n elements. */
static mha_status call(int which, unsigned char *buf, size_t src_at, size_t dst_at, size_t n)
{
    void *src = buf ? buf + src_at : NULL, *dst = buf ? buf + dst_at : NULL;
    switch (which) {
    case 0:
        return mha_convert_f32_to_bf16(src, dst, n);
    case 1:
        return mha_convert_bf16_to_f32(src, dst, n);
    case 2:
        return mha_convert_f32_to_f16(src, dst, n);
    default:
        return mha_convert_f16_to_f32(src, dst, n);
    }
}

/* Element sizes of function `which`'s source and destination. */
static size_t src_elem(int which)
{
    return which % 2 == 0 ? sizeof(float) : sizeof(uint16_t);
}

static size_t dst_elem(int which)
{
    return which % 2 == 0 ? sizeof(uint16_t) : sizeof(float);
}

/* The exported functions give the kernels' bits (through the dispatch). */
static void api_converts(void **state)
{
    (void)state;
    converts_as_scalar(51, true);
}

/* n == 0 is an empty call: MHA_OK with NULL pointers, and nothing written through real ones. */
static void api_empty(void **state)
{
    (void)state;
    unsigned char buf[64];
    for (int which = 0; which < 4; which++) {
        assert_int_equal(call(which, NULL, 0, 0, 0), MHA_OK);
        fill_sentinel(buf, sizeof buf);
        assert_int_equal(call(which, buf, 0, 32, 0), MHA_OK);
        assert_int_equal(call(which, buf, 0, 0, 0), MHA_OK); /* empty ranges overlap nothing */
        assert_true(is_sentinel(buf, sizeof buf));
        if (which % 2 == 0)
            assert_int_equal(mha_convert_f32_to_bf16(NULL, (mha_bf16 *)buf, 0), MHA_OK);
        assert_true(is_sentinel(buf, sizeof buf));
    }
}

/* NULL src or dst with n > 0: MHA_ERR_NULL_POINTER, dst untouched. */
static void api_null(void **state)
{
    (void)state;
    float f[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char dst[32];
    fill_sentinel(dst, sizeof dst);
    assert_int_equal(mha_convert_f32_to_bf16(NULL, (mha_bf16 *)dst, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_f32_to_f16(NULL, (mha_f16 *)dst, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_bf16_to_f32(NULL, (float *)dst, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_f16_to_f32(NULL, (float *)dst, 8), MHA_ERR_NULL_POINTER);
    assert_true(is_sentinel(dst, sizeof dst));
    assert_int_equal(mha_convert_f32_to_bf16(f, NULL, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_f32_to_f16(f, NULL, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_bf16_to_f32((const mha_bf16 *)f, NULL, 8), MHA_ERR_NULL_POINTER);
    assert_int_equal(mha_convert_f16_to_f32((const mha_f16 *)f, NULL, 8), MHA_ERR_NULL_POINTER);
}

/* src and dst byte ranges sharing a byte, in place or shifted either way: MHA_ERR_OVERLAP, the
 * buffer untouched. Ranges that only touch are fine. */
static void api_overlap(void **state)
{
    (void)state;
    enum { N = 8, BYTES = 128 };
    _Alignas(16) unsigned char buf[BYTES];
    for (int which = 0; which < 4; which++) {
        const size_t s_bytes = N * src_elem(which), d_bytes = N * dst_elem(which);
        const size_t base = 48;
        /* dst at base − d_bytes + 4 ends 4 bytes into src; at base + s_bytes − 4 starts 4 bytes
         * before src's end; at base, in place. */
        const size_t overlapping[3] = {base - d_bytes + 4, base + s_bytes - 4, base};
        for (size_t k = 0; k < 3; k++) {
            fill_sentinel(buf, sizeof buf);
            assert_int_equal(call(which, buf, base, overlapping[k], N), MHA_ERR_OVERLAP);
            assert_true(is_sentinel(buf, sizeof buf));
        }
        memset(buf + base, 0, s_bytes);
        assert_int_equal(call(which, buf, base, base - d_bytes, N), MHA_OK);
        assert_int_equal(call(which, buf, base, base + s_bytes, N), MHA_OK);
    }
}

/* n·sizeof(float) overflowing size_t: MHA_ERR_TOO_LARGE before anything is read or written, and
 * before a NULL pointer is reported. */
static void api_too_large(void **state)
{
    (void)state;
    unsigned char buf[64];
    const size_t sizes[2] = {SIZE_MAX / 2, SIZE_MAX / sizeof(float) + 1};
    for (int which = 0; which < 4; which++) {
        for (size_t k = 0; k < 2; k++) {
            fill_sentinel(buf, sizeof buf);
            assert_int_equal(call(which, buf, 0, 32, sizes[k]), MHA_ERR_TOO_LARGE);
            assert_true(is_sentinel(buf, sizeof buf));
            assert_int_equal(call(which, NULL, 0, 0, sizes[k]), MHA_ERR_TOO_LARGE);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(widen_every_pattern),
        cmocka_unit_test(narrow_round_trips),
        cmocka_unit_test(narrow_midpoints),
        cmocka_unit_test(narrow_special_values),
        cmocka_unit_test(narrow_random_vs_reference),
        cmocka_unit_test(variants_match_scalar),
        cmocka_unit_test(pick_follows_the_cpu),
        cmocka_unit_test(scalar_helpers),
        cmocka_unit_test(api_converts),
        cmocka_unit_test(api_empty),
        cmocka_unit_test(api_null),
        cmocka_unit_test(api_overlap),
        cmocka_unit_test(api_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
