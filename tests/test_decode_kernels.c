/* SPDX-License-Identifier: MIT */
/* The decode kernels (src/kernels/decode_kernels.h): every instruction set this CPU runs, for every
 * stored type, against the portable C row of the same table, on random shapes whose widths fall
 * on and off the vector lanes and whose row counts cross the register blocks. Only the order of
 * the sums differs between them, so they agree to a few ulps of the arithmetic (float for f32,
 * bf16, f16 caches; double for f64) of the terms' size. */
#include "common/test_util.h"
#include "convert.h"
#include "decode_kernels.h"
#include "plan.h"

#include <math.h>

enum { MAX_ROWS = 32, MAX_D = 80, MAX_N = 40, PAD = 3 };

/* Bytes of one element of the arithmetic of cache format t (q, S, P, O are in it). */
static size_t real_size(mha_format t)
{
    return t == MHA_FORMAT_F64 ? sizeof(double) : sizeof(float);
}

/* Bytes of one element of cache format t. */
static size_t store_size(mha_format t)
{
    return t == MHA_FORMAT_BF16 || t == MHA_FORMAT_F16 ? 2 : real_size(t);
}

/* n elements of one cache format, from numbers in [−1, 1] (rounded to the format). */
static void *stored(rng *r, mha_format t, size_t n)
{
    if (t == MHA_FORMAT_F64) {
        double *x = xcalloc(n, sizeof *x);
        for (size_t i = 0; i < n; i++)
            x[i] = rng_uniform(r, -1, 1);
        return x;
    }
    float *f = xcalloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)rng_uniform(r, -1, 1);
    if (t == MHA_FORMAT_F32)
        return f;
    void *h = xcalloc(n, 2);
    mha_convert_isas[mha_convert_isa_count - 1].narrow[t](f, h, n); /* the portable rounding */
    free(f);
    return h;
}

/* n random elements of the arithmetic of cache format t. */
static void *arith(rng *r, mha_format t, size_t n)
{
    return stored(r, t == MHA_FORMAT_F64 ? MHA_FORMAT_F64 : MHA_FORMAT_F32, n);
}

/* The scores kernel of cache format t (or its lanes kernel, on q transposed), scale 0.5: the
 * table's entry as its format's type (decode_kernels.h). */
static void scores_as(const mha_decode_isa *isa, bool lanes, mha_format t, const void *q,
                      size_t rows, size_t groups, size_t d, const void *k, size_t ld_k, size_t n,
                      void *S, size_t ld_s, const void *v, size_t ld_v, size_t d_v)
{
    mha_kernel_fn *fn = (lanes ? isa->lanes : isa->scores)[t];
    switch (t) {
    case MHA_FORMAT_F32:
        ((mha_decode_scores_fn_f32 *)fn)(q, rows, groups, d, k, ld_k, n, 0.5f, S, ld_s, v, ld_v,
                                         d_v);
        break;
    case MHA_FORMAT_F64:
        ((mha_decode_scores_fn_f64 *)fn)(q, rows, groups, d, k, ld_k, n, 0.5, S, ld_s, v, ld_v,
                                         d_v);
        break;
    case MHA_FORMAT_BF16:
        ((mha_decode_scores_fn_bf16 *)fn)(q, rows, groups, d, k, ld_k, n, 0.5f, S, ld_s, v, ld_v,
                                          d_v);
        break;
    case MHA_FORMAT_F16:
        ((mha_decode_scores_fn_f16 *)fn)(q, rows, groups, d, k, ld_k, n, 0.5f, S, ld_s, v, ld_v,
                                         d_v);
        break;
    default:
        fail_msg("format %d: no kernel type here", (int)t);
    }
}

/* rows = groups of `rows / groups` rows: keys of group gi at k + gi·d, ld_k ≥ groups·d. */
static void scores(const mha_decode_isa *isa, mha_format t, const void *q, size_t rows, size_t d,
                   const void *k, size_t ld_k, size_t n, void *S, size_t ld_s, const void *v,
                   size_t ld_v, size_t d_v)
{
    const size_t groups = rows % 3 == 0 ? 3 : rows % 2 == 0 ? 2 : 1;
    scores_as(isa, false, t, q, rows / groups, groups, d, k, ld_k, n, S, ld_s, v, ld_v, d_v);
}

static void pv(const mha_decode_isa *isa, mha_format t, const void *P, size_t ld_p, size_t rows,
               size_t n, const void *v, size_t ld_v, size_t d_v, void *O,
               const mha_decode_ahead *ahead)
{
    switch (t) {
    case MHA_FORMAT_F32:
        ((mha_decode_pv_fn_f32 *)isa->pv[t])(P, ld_p, rows, n, v, ld_v, d_v, O, ahead);
        break;
    case MHA_FORMAT_F64:
        ((mha_decode_pv_fn_f64 *)isa->pv[t])(P, ld_p, rows, n, v, ld_v, d_v, O, ahead);
        break;
    case MHA_FORMAT_BF16:
        ((mha_decode_pv_fn_bf16 *)isa->pv[t])(P, ld_p, rows, n, v, ld_v, d_v, O, ahead);
        break;
    case MHA_FORMAT_F16:
        ((mha_decode_pv_fn_f16 *)isa->pv[t])(P, ld_p, rows, n, v, ld_v, d_v, O, ahead);
        break;
    default:
        fail_msg("format %d: no kernel type here", (int)t);
    }
}

/* Element i of an arithmetic buffer of cache type t. */
static double at(mha_format t, const void *x, size_t i)
{
    return t == MHA_FORMAT_F64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

/* |a − b| ≤ tol · (terms + 1), tol a few ulps of the arithmetic (1e-5 float, 1e-13 double): the
 * sums hold up to MAX_D or MAX_N terms of magnitude ≤ 1. */
static void same_up_to_order(const char *what, mha_format t, const void *a, const void *b, size_t n,
                             size_t terms)
{
    const double tol = (t == MHA_FORMAT_F64 ? 1e-13 : 1e-5) * (double)(terms + 1);
    for (size_t i = 0; i < n; i++)
        if (!(fabs(at(t, a, i) - at(t, b, i)) <= tol))
            fail_msg("%s, cache format %d: element %zu is %.17g, portable C gives %.17g", what,
                     (int)t, i, at(t, a, i), at(t, b, i));
}

/* A case of a kernel test: one vector row `isa` of the table against the portable one, cache
 * format t, random sizes from r. */
typedef void kernel_case(const mha_decode_isa *isa, const mha_decode_isa *portable, mha_format t,
                         int round, rng *r);

/* check, 60 rounds in every cache format, on each vector row of the table that this CPU runs. */
static void each_vector_isa(kernel_case *check, uint64_t seed)
{
    const mha_decode_isa *portable = &mha_decode_isas[mha_decode_isa_count - 1];
    rng r = rng_seeded(seed);
    for (size_t i = 0; i + 1 < mha_decode_isa_count; i++)
        if (mha_decode_isas[i].runs())
            for (int round = 0; round < 60; round++)
                for (mha_format t = 0; t < MHA_FORMAT_COUNT; t++)
                    check(&mha_decode_isas[i], portable, t, round, &r);
}

static void scores_and_pv_case(const mha_decode_isa *isa, const mha_decode_isa *portable,
                               mha_format t, int round, rng *r)
{
    const size_t rows = rng_range(r, 1, MAX_ROWS);
    /* Half the widths whole vectors, where the 16-accumulator blocks run. */
    const size_t d = round % 2 ? rng_range(r, 0, MAX_D) : 16 * rng_range(r, 1, MAX_D / 16);
    const size_t d_v = rng_range(r, 0, MAX_D), n = rng_range(r, 0, MAX_N);
    /* Room for 3 groups' keys side by side (scores splits rows into groups). */
    const size_t ld_k = 3 * d + rng_range(r, 0, PAD);
    const size_t ld_v = 3 * d_v + rng_range(r, 0, PAD);
    const size_t ld_s = n + rng_range(r, 0, PAD), es = real_size(t);
    void *q = arith(r, t, rows * d + 1), *P = arith(r, t, rows * ld_s);
    void *k = stored(r, t, n * ld_k + 1), *v = stored(r, t, n * ld_v + 1);
    void *S = xcalloc(rows * ld_s + 1, es), *S0 = xcalloc(rows * ld_s + 1, es);
    void *O = arith(r, t, rows * d_v + 1), *O0 = xcalloc(rows * d_v + 1, es);
    memcpy(O0, O, (rows * d_v + 1) * es);
    scores(isa, t, q, rows, d, k, ld_k, n, S, ld_s, v, ld_v, d_v);
    scores(portable, t, q, rows, d, k, ld_k, n, S0, ld_s, v, ld_v, d_v);
    same_up_to_order(isa->name, t, S, S0, rows * ld_s, d);
    /* The vector kernels prefetch the K rows meanwhile (a hint: same results). */
    const mha_decode_ahead ahead = {k, d * store_size(t), ld_k * store_size(t), n};
    pv(isa, t, P, ld_s, rows, n, v, ld_v, d_v, O, &ahead);
    pv(portable, t, P, ld_s, rows, n, v, ld_v, d_v, O0, NULL);
    same_up_to_order(isa->name, t, O, O0, rows * d_v + 1, n);
    free(q), free(P), free(k), free(v), free(S), free(S0), free(O), free(O0);
}

static void every_isa_matches_portable(void **state)
{
    (void)state;
    each_vector_isa(scores_and_pv_case, 51);
}

/* qt as decode_kernels.h lays it out: group gi at gi·d·rp, element (r, c) at c·rp + r, rows
 * padded with zeros to a multiple of MHA_DECODE_LANE_ROWS; elements of es bytes. */
static void *transposed(const void *q, size_t es, size_t rows, size_t groups, size_t d)
{
    const size_t rp =
        (rows + MHA_DECODE_LANE_ROWS - 1) / MHA_DECODE_LANE_ROWS * MHA_DECODE_LANE_ROWS;
    assert_int_equal(rp, mha_decode_lane_pad(rows));
    unsigned char *qt = xcalloc(groups * d * rp + 1, es);
    for (size_t g = 0; g < groups; g++)
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < d; c++)
                memcpy(qt + (g * d * rp + c * rp + r) * es,
                       (const unsigned char *)q + ((g * rows + r) * d + c) * es, es);
    return qt;
}

static void lanes_case(const mha_decode_isa *isa, const mha_decode_isa *portable, mha_format t,
                       int round, rng *r)
{
    (void)round;
    const size_t rows = rng_range(r, MHA_DECODE_LANE_ROWS, 40), groups = rng_range(r, 1, 2),
                 d = rng_range(r, 0, 150), n = rng_range(r, 0, 70);
    const size_t ld_k = groups * d + rng_range(r, 0, PAD);
    const size_t ld_s = n + rng_range(r, 0, PAD), cells = groups * rows * ld_s + 1;
    const size_t es = real_size(t);
    void *q = arith(r, t, groups * rows * d + 1);
    void *qt = transposed(q, es, rows, groups, d);
    void *k = stored(r, t, n * ld_k + 1);
    void *S = arith(r, t, cells), *S0 = xcalloc(cells, es);
    memcpy(S0, S, cells * es);
    scores_as(isa, true, t, qt, rows, groups, d, k, ld_k, n, S, ld_s, NULL, 0, 0);
    scores_as(portable, false, t, q, rows, groups, d, k, ld_k, n, S0, ld_s, NULL, 0, 0);
    same_up_to_order(isa->name, t, S, S0, cells, d);
    free(q), free(qt), free(k), free(S), free(S0);
}

/* The lanes kernels (groups of ≥ MHA_DECODE_LANE_ROWS rows, on q transposed) against the portable
 * scores kernel: rows on and off the 16-row padding and the register blocks, key counts across
 * the W-key transposes, widths across the 64-column widening chunks; S's padding columns and
 * the element past the last row stay as they were. */
static void lanes_match_portable_scores(void **state)
{
    (void)state;
    const mha_decode_isa *portable = &mha_decode_isas[mha_decode_isa_count - 1];
    for (mha_format t = 0; t < MHA_FORMAT_COUNT; t++)
        assert_null(portable->lanes[t]);
    each_vector_isa(lanes_case, 52);
}

/* The portable row runs anywhere and is the last; best() picks a row that runs; every row has
 * scores and pv kernels of every cache format, and the vector rows lanes kernels too. */
static void table_is_well_formed(void **state)
{
    (void)state;
    assert_true(mha_decode_isa_count >= 1);
    for (size_t i = 0; i < mha_decode_isa_count; i++)
        for (mha_format t = 0; t < MHA_FORMAT_COUNT; t++) {
            assert_non_null(mha_decode_isas[i].scores[t]);
            assert_non_null(mha_decode_isas[i].pv[t]);
            assert_true(i + 1 == mha_decode_isa_count || mha_decode_isas[i].lanes[t] != NULL);
        }
    assert_string_equal(mha_decode_isas[mha_decode_isa_count - 1].name, "scalar");
    assert_true(mha_decode_isas[mha_decode_isa_count - 1].runs());
    assert_true(mha_decode_isa_best()->runs());
}

/* Split-KV's cut (plan.c), from the shape alone: a batch-1 cache (32/8 heads of 128, one work
 * item of all 8 groups) of 1024 keys or more is cut in at least two chunks, each of at least
 * the smaller of 1024 keys and half the cache, a multiple of the 64-key block; a long one in
 * about 32 chunks. Worked out by hand from those rules. */
static void split_kv_cut(void **state)
{
    (void)state;
    const struct {
        size_t seq_kv, chunks, keys;
    } cases[] = {{1000, 1, 1000}, {1023, 1, 1023}, {1024, 2, 512},    {1500, 2, 768},
                 {2048, 2, 1024}, {4096, 4, 1024}, {32768, 32, 1024}, {131072, 32, 4096}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mha_attention_desc d;
        mha_attention_desc_init(&d, 1, cases[i].seq_kv, 32, 8, 128, 128);
        mha_plan plan;
        assert_true(mha_plan_attention(&d, MHA_DTYPE_F32, &plan));
        assert_int_equal(plan.schedule, MHA_SCHEDULE_DECODE);
        assert_int_equal(plan.decode.n_chunks, cases[i].chunks);
        assert_int_equal(plan.decode.chunk_keys, cases[i].keys);
        assert_int_equal(plan.n_tiles, cases[i].chunks);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_well_formed),
        cmocka_unit_test(every_isa_matches_portable),
        cmocka_unit_test(lanes_match_portable_scores),
        cmocka_unit_test(split_kv_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
