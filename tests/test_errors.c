/* SPDX-License-Identifier: MIT */
/* Every error rule of every public function, in float and double: each failing call is made with
 * every buffer pre-filled with the sentinel and checked untouched afterwards. Also the legal edge
 * cases beside each rule (empty calls with NULL, aliased inputs, adjacent buffers, in-place merge,
 * unaligned workspace), mha_status_string and mha_version. */
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

#include <float.h>
#include <limits.h>

#define MAX_BUFS 8
/* The arena and workspace of the descriptor tests (elements, bytes). */
enum { DESC_ARENA = 4096, DESC_WS = 1 << 16 };

/* fill_uniform_f32's double twin: the data and an exact copy for the reference. */
static void fill_pair_f64(rng *r, double *x, double *x64, size_t n, double lo, double hi)
{
    fill_uniform_f64(r, x, n, lo, hi);
    memcpy(x64, x, n * sizeof *x);
}

/* Tolerances for the few results checked here (≤ 7-term sums of O(1) values, or exact by hand):
 * a few ulp of the working precision, with an order of margin. */
#include "type_f32.h"
#define FILL fill_uniform_f32
#define CLOSE close_enough_f32
#define ATOL 1e-5
#define RTOL 1e-5
#define SCALE_TOO_BIG 1e39 /* finite in double, +inf in float */
#include "errors_impl.h"
#include "type_end.h"
#undef FILL
#undef CLOSE
#undef ATOL
#undef RTOL
#undef SCALE_TOO_BIG

#include "type_f64.h"
#define FILL fill_pair_f64
#define CLOSE close_enough
#define ATOL 1e-13
#define RTOL 1e-13
#define SCALE_TOO_BIG 0.0 /* none: no finite double overflows double */
#include "errors_impl.h"

/* A double scale that is finite but overflows float is fine in double: with Q = 0 every score is
 * 0·1e39 = 0, so each row averages V: (1+3)/2 = 2, (2+4)/2 = 3. */
static void scale_beyond_float_is_fine_in_double(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 2, 1, 1, 2, 2);
    d.scale = 1e39;
    const double Q[2] = {0, 0}, K[4] = {1, 2, 3, 4}, V[4] = {1, 2, 3, 4}, want[2] = {2, 3};
    double out[2];
    assert_int_equal(mha_attention_f64(&d, Q, K, V, NULL, out, NULL), MHA_OK);
    assert_true(close_enough("out", out, want, 2, 0, 1e-15));
}

static void status_strings(void **state)
{
    (void)state;
    const mha_status all[] = {
        MHA_OK,          MHA_ERR_NULL_POINTER,  MHA_ERR_INVALID_ARGUMENT,   MHA_ERR_TOO_LARGE,
        MHA_ERR_OVERLAP, MHA_ERR_OUT_OF_MEMORY, MHA_ERR_WORKSPACE_TOO_SMALL};
    const size_t n = sizeof all / sizeof all[0];
    /* The values are pinned: stored or sent across processes, they must never move. */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(all[i], i);
    const char *unknown = mha_status_string((mha_status)n);
    assert_non_null(unknown);
    for (size_t i = 0; i < n; i++) {
        const char *s = mha_status_string(all[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, mha_status_string(all[j]));
    }
    /* Any other value gets the generic text, never NULL. */
    const int others[] = {-1, (int)n, 8, 100, INT_MAX, INT_MIN};
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
        assert_string_equal(mha_status_string((mha_status)others[k]), unknown);
}

static void version_matches_macros(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", MHA_VERSION_MAJOR, MHA_VERSION_MINOR,
             MHA_VERSION_PATCH);
    assert_non_null(mha_version());
    assert_string_equal(mha_version(), want);
    assert_ptr_equal(mha_version(), mha_version()); /* static storage */
}

static void desc_init(void **state)
{
    (void)state;
    mha_attention_desc_init(NULL, 1, 2, 3, 4, 5, 6); /* a no-op, not a crash */
    mha_attention_desc d;
    fill_sentinel(&d, sizeof d);
    mha_attention_desc_init(&d, 3, 5, 8, 2, 16, 4);
    assert_int_equal(d.batch, 1);
    assert_int_equal(d.seq_q, 3);
    assert_int_equal(d.seq_kv, 5);
    assert_int_equal(d.n_heads, 8);
    assert_int_equal(d.n_kv_heads, 2);
    assert_int_equal(d.d_head, 16);
    assert_int_equal(d.d_v, 4);
    assert_int_equal(d.ld_q, 8 * 16);
    assert_int_equal(d.ld_k, 2 * 16);
    assert_int_equal(d.ld_v, 2 * 4);
    assert_int_equal(d.ld_out, 8 * 4);
    assert_int_equal(d.ld_mask, 5);
    assert_int_equal(d.batch_stride_q, 3 * 8 * 16);
    assert_int_equal(d.batch_stride_k, 5 * 2 * 16);
    assert_int_equal(d.batch_stride_v, 5 * 2 * 4);
    assert_int_equal(d.batch_stride_out, 3 * 8 * 4);
    assert_int_equal(d.batch_stride_mask, 0);
    assert_true(d.scale == 0.25); /* 1/sqrt(16) */
    assert_int_equal(d.flags, 0);
    assert_int_equal(d.n_threads, 0);
    assert_null(d.kv_lens);
    mha_attention_desc_init(&d, 1, 1, 1, 1, 0, 1);
    assert_true(d.scale == 1.0);
}

#define BOTH(name) cmocka_unit_test(name##_f32), cmocka_unit_test(name##_f64)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(qkv_buffer_rules),
        BOTH(attention_seed_buffer_rules),
        BOTH(seed_empty_calls),
        BOTH(mha_heads_rule),
        BOTH(seed_too_large),
        BOTH(empty_calls_never_too_large),
        BOTH(seed_aliased_inputs),
        BOTH(desc_null),
        BOTH(desc_heads),
        BOTH(desc_leading_dimensions),
        BOTH(desc_scale_and_flags),
        BOTH(desc_output_items),
        BOTH(desc_kv_lens),
        BOTH(desc_too_large),
        BOTH(attention_buffer_rules),
        BOTH(overlap_is_by_span),
        BOTH(attention_empty_calls),
        BOTH(attention_degenerate_shapes),
        BOTH(attention_aliased_inputs),
        BOTH(workspace_rules),
        BOTH(merge_buffer_rules),
        BOTH(merge_rules),
        BOTH(merge_by_hand),
        cmocka_unit_test(scale_beyond_float_is_fine_in_double),
        cmocka_unit_test(status_strings),
        cmocka_unit_test(version_matches_macros),
        cmocka_unit_test(desc_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
