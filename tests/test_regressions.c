/* SPDX-License-Identifier: MIT */
/* Bugs found by the fuzz target (tests/fuzz), each kept as the smallest call that showed it, with
 * expected values worked out by hand. */
#include "common/test_util.h"
#include "mha.h"

#include <limits.h>

/* Empty buffers may be NULL (mha.h). With d_head == 0, Q and K are empty: every score is 0, so
 * each row is the mean of V and lse = log(seq_kv). The driver used to compute NULL + offset, which
 * C leaves undefined (UBSan: "applying zero offset to null pointer"). */
static void empty_q_k_may_be_null(void **state)
{
    (void)state;
    const double V[3 * 2] = {1, 2, 3, 4, 8, 9};
    double out[2 * 2], lse[2];
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 3, 1, 1, 0, 2);
    assert_int_equal(mha_attention_f64(&d, NULL, NULL, V, NULL, out, lse), MHA_OK);
    const double want[4] = {4, 5, 4, 5}, want_lse[2] = {log(3.0), log(3.0)};
    assert_true(close_enough("out", out, want, 4, 1e-15, 1e-15));
    assert_true(close_enough("lse", lse, want_lse, 2, 1e-15, 1e-15));

    const float Vf[6] = {1, 2, 3, 4, 8, 9};
    float outf[4], lsef[2];
    assert_int_equal(mha_attention(&d, NULL, NULL, Vf, NULL, outf, lsef), MHA_OK);
    assert_true(close_enough_f32("out f32", outf, want, 4, 1e-6, 1e-6));
    assert_true(close_enough_f32("lse f32", lsef, want_lse, 2, 1e-6, 1e-6));
}

/* With d_v == 0, V and out are empty; lse is still computed: scores q·k = {0, 1} scaled by 1. */
static void empty_v_out_may_be_null(void **state)
{
    (void)state;
    const double Q[1] = {1}, K[2] = {0, 1};
    double lse[1];
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 2, 1, 1, 1, 0);
    assert_int_equal(mha_attention_f64(&d, Q, K, NULL, NULL, NULL, lse), MHA_OK);
    const double want = log(1 + exp(1.0));
    assert_true(close_enough("lse", lse, &want, 1, 1e-15, 1e-15));

    /* merge with d_v == 0: only lse is merged, the outputs are NULL. */
    const double la[2] = {0, -HUGE_VAL}, lb[2] = {0, -HUGE_VAL};
    double l[2];
    assert_int_equal(mha_attention_merge_f64(2, 1, 0, 0, NULL, la, NULL, lb, NULL, l), MHA_OK);
    const double want_l[2] = {log(2.0), -HUGE_VAL};
    assert_true(close_enough("merged lse", l, want_l, 2, 1e-15, 1e-15));
}

/* seq_kv == 0 makes K and V empty, so their batch strides mean nothing: a stride whose multiple
 * wraps around must not be turned into a pointer (UBSan: "addition of unsigned offset ...
 * overflowed"). Rows with no key are zeros with lse −inf. */
static void empty_k_v_with_wild_strides(void **state)
{
    (void)state;
    const float Q[2 * 2 * 2] = {1, 2, 3, 4, 5, 6, 7, 8}, KV[1] = {0};
    float out[2 * 2 * 2], lse[2 * 2];
    fill_sentinel(out, sizeof out);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 0, 1, 1, 2, 2);
    d.batch = 2;
    d.batch_stride_k = d.batch_stride_v = SIZE_MAX - 1;
    d.batch_stride_mask = SIZE_MAX / 2;
    assert_int_equal(mha_attention(&d, Q, KV, KV, KV, out, lse), MHA_OK);
    for (int i = 0; i < 8; i++)
        assert_true(out[i] == 0);
    for (int i = 0; i < 4; i++)
        assert_true(lse[i] == -INFINITY);
}

/* Batch items of out packed as tightly as their rows allow: item b's last row ends at
 * b·stride + (seq_q−1)·ld_out + width, so stride = (seq_q−1)·ld_out + width is disjoint. It used to
 * be rejected as overlapping (the item's extent was taken as seq_q·ld_out). */
static void out_items_packed_tightly(void **state)
{
    (void)state;
    /* seq_q = seq_kv = 1, one head of width 2: out = V. ld_out 5 > width 2, stride 2. */
    const double Q[2] = {1, 1}, K[2] = {1, 1}, V[2 * 2] = {3, 4, 5, 6};
    double out[8];
    fill_sentinel(out, sizeof out);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 1, 1, 1, 2, 2);
    d.batch = 2;
    d.batch_stride_q = 0;
    d.batch_stride_k = 0;
    d.batch_stride_v = 2;
    d.ld_out = 5;
    d.batch_stride_out = 2;
    assert_int_equal(mha_attention_f64(&d, Q, K, V, NULL, out, NULL), MHA_OK);
    const double want[4] = {3, 4, 5, 6};
    assert_true(close_enough("out", out, want, 4, 0, 0));
    assert_true(is_sentinel(out + 4, 4 * sizeof *out));
    /* seq_q = 2: stride (2−1)·5 + 2 = 7 is disjoint, 6 is not. */
    d.seq_q = 2;
    d.batch_stride_out = 7;
    assert_int_equal(mha_attention_workspace_size_f64(&d, &(size_t){0}), MHA_OK);
    d.batch_stride_out = 6;
    assert_int_equal(mha_attention_workspace_size_f64(&d, &(size_t){0}), MHA_ERR_INVALID_ARGUMENT);
}

/* The score tile's row stride was seq_kv rounded up to a cache line, and it is handed to the BLAS
 * as a leading dimension: for seq_kv within a line of INT_MAX it exceeded INT_MAX and reached
 * cblas as a negative int (or tripped the internal assert). It was then refused as
 * MHA_ERR_TOO_LARGE, which also refused empty calls (issue 10). Now long key ranges are walked in
 * blocks (issue 13): the stride is the block's, and such a call needs the workspace of any long
 * call — the same at 2²⁰ keys and at INT_MAX, and far below what one pass over the keys took. */
static void padded_score_stride_fits_the_blas(void **state)
{
    (void)state;
    mha_attention_desc d;
    size_t at_max = 0, at_2_20 = 0;
    const size_t lengths[] = {(size_t)INT_MAX, (size_t)INT_MAX - 15};
    for (size_t i = 0; i < 2; i++) {
        mha_attention_desc_init(&d, 1, lengths[i], 1, 1, 1, 1);
        d.n_threads = 1;
        assert_int_equal(mha_attention_workspace_size(&d, &at_max), MHA_OK);
        assert_int_equal(mha_attention_workspace_size_f64(&d, &at_max), MHA_OK);
        mha_attention_desc_init(&d, 1, (size_t)1 << 20, 1, 1, 1, 1);
        d.n_threads = 1;
        assert_int_equal(mha_attention_workspace_size_f64(&d, &at_2_20), MHA_OK);
        assert_int_equal(at_max, at_2_20);
        assert_true(at_max < ((size_t)1 << 20) * sizeof(double) / 64);
    }
    /* Issue 13's bound: a million keys of d_model 512 in 8 heads, every worker, ≤ 16 MiB. */
    mha_attention_desc_init(&d, (size_t)1 << 20, (size_t)1 << 20, 8, 8, 64, 64);
    assert_int_equal(mha_attention_workspace_size(&d, &at_2_20), MHA_OK);
    assert_true(at_2_20 <= (size_t)16 << 20);
    assert_int_equal(mha_attention_workspace_size_f64(&d, &at_2_20), MHA_OK);
    assert_true(at_2_20 <= (size_t)16 << 20);
}

/* A workspace between one worker's size and the queried one runs fewer workers, which use less
 * of it; the overlap test counted only the bytes they use, so an output placed in the rest was
 * accepted — for a larger worker count the same bytes would have been written. Found by the
 * fixed-seed fuzz run of CI (the oracle's rule: the caller's workspace is the library's up to the
 * queried size). */
static void workspace_tail_counts_for_overlap(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 64, 64, 4, 4, 8, 8);
    d.n_threads = 2;
    size_t all = 0, one = 0;
    assert_int_equal(mha_attention_workspace_size(&d, &all), MHA_OK);
    d.n_threads = 1;
    assert_int_equal(mha_attention_workspace_size(&d, &one), MHA_OK);
    d.n_threads = 2;
    if (all == one) { /* a build without OpenMP has one worker only: no tail to test */
        print_message("one worker only: nothing between the two sizes\n");
        return;
    }
    size_t n = 64 * 32, ws_bytes = one + (all - one) / 2;
    float *qkv = xcalloc(3 * n, sizeof *qkv);
    unsigned char *block = xcalloc(ws_bytes + n * sizeof(float), 1);
    /* out starts 8 bytes before the workspace ends: in its tail, beyond what one worker uses */
    unsigned char *ws = block;
    float *out = (float *)(void *)(block + ws_bytes - 8);
    fill_sentinel(out, n * sizeof *out);
    assert_int_equal(mha_attention_ws(&d, qkv, qkv + n, qkv + 2 * n, NULL, out, NULL, ws, ws_bytes),
                     MHA_ERR_OVERLAP);
    assert_true(is_sentinel(out, n * sizeof *out));
    free(qkv);
    free(block);
}

/* Issue 26: a random fuzz campaign stalled on a valid call of zero-width heads over a huge key
 * count: seq_q 5, seq_kv 838 862 435, 1635 heads, d_head = d_v = 0, an lse. K and V take no
 * memory, yet the driver walked every (head, row, key) score, about 7·10¹² of them: hours for a
 * few bytes of arguments. With d_head == 0 every score is 0, so row i's lse is log n_i, n_i its
 * visible keys (mha.h: a call's work is bounded by its bytes and its non-empty products). Here
 * every call writes 5 rows × 1635 heads per item and must return at once; hours before the fix.
 * Not timed: a regression hangs the test until its timeout. By hand, with L = 838 862 435:
 *   no mask, not causal: n_i = L for every row;
 *   causal (bottom right): n_i = i + 1 + L − 5 = L − 4 + i;
 *   kv_lens {L, 3, 0}, causal: item 0 as above; item 1 n_i = i − 1: −inf, −inf, log 1, log 2,
 *   log 3; item 2 sees nothing: −inf. */
enum { ISSUE26_HEADS = 1635, ISSUE26_ROWS = 5 };
#define ISSUE26_KEYS ((size_t)838862435)

/* The lse the issue's shape must give: item b, row i (the same in every head). */
static double issue26_lse(bool causal, const size_t *lens, size_t b, size_t i)
{
    const size_t L = lens ? lens[b] : ISSUE26_KEYS;
    if (!causal)
        return L ? log((double)L) : -HUGE_VAL;
    return i + 1 + L <= ISSUE26_ROWS ? -HUGE_VAL : log((double)(i + 1 + L - ISSUE26_ROWS));
}

static void zero_widths_cost_no_pass_over_keys(void **state)
{
    (void)state;
    static const size_t lens[3] = {ISSUE26_KEYS, 3, 0};
    static const size_t kv_heads[2] = {ISSUE26_HEADS, 5}; /* 1635 = 5·327: GQA too */
    const size_t per_item = ISSUE26_HEADS * ISSUE26_ROWS;
    double *lse = xcalloc(3 * per_item, sizeof *lse), *want = xcalloc(3 * per_item, sizeof *want);
    float *lsef = xcalloc(3 * per_item, sizeof *lsef);
    for (int variant = 0; variant < 6; variant++) {
        const bool causal = variant & 1, ragged = variant >= 4;
        mha_attention_desc d;
        mha_attention_desc_init(&d, ISSUE26_ROWS, ISSUE26_KEYS, ISSUE26_HEADS,
                                kv_heads[variant / 2 % 2], 0, 0);
        d.flags = causal ? MHA_CAUSAL : 0;
        d.batch = ragged ? 3 : 1;
        d.kv_lens = ragged ? lens : NULL;
        const size_t n = d.batch * per_item;
        for (size_t b = 0; b < d.batch; b++)
            for (size_t h = 0; h < ISSUE26_HEADS; h++)
                for (size_t i = 0; i < ISSUE26_ROWS; i++)
                    want[(b * ISSUE26_HEADS + h) * ISSUE26_ROWS + i] =
                        issue26_lse(causal, d.kv_lens, b, i);
        fill_sentinel(lse, n * sizeof *lse);
        assert_int_equal(mha_attention_f64(&d, NULL, NULL, NULL, NULL, NULL, lse), MHA_OK);
        assert_true(close_enough("zero widths f64", lse, want, n, 0, 1e-15));
        fill_sentinel(lsef, n * sizeof *lsef);
        assert_int_equal(mha_attention(&d, NULL, NULL, NULL, NULL, NULL, lsef), MHA_OK);
        assert_true(close_enough_f32("zero widths f32", lsef, want, n, 0, 1e-6));
        fill_sentinel(lsef, n * sizeof *lsef);
        assert_int_equal(mha_attention_bf16(&d, NULL, NULL, NULL, NULL, NULL, lsef), MHA_OK);
        assert_true(close_enough_f32("zero widths bf16", lsef, want, n, 0, 1e-6));
        /* Its workspace stays a few cache lines per worker: nothing in it follows seq_kv. */
        size_t bytes = 0;
        assert_int_equal(mha_attention_workspace_size_f64(&d, &bytes), MHA_OK);
        assert_true(bytes <= 64 * 64);
    }
    free(lse), free(want), free(lsef);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_q_k_may_be_null),
        cmocka_unit_test(empty_v_out_may_be_null),
        cmocka_unit_test(empty_k_v_with_wild_strides),
        cmocka_unit_test(out_items_packed_tightly),
        cmocka_unit_test(padded_score_stride_fits_the_blas),
        cmocka_unit_test(workspace_tail_counts_for_overlap),
        cmocka_unit_test(zero_widths_cost_no_pass_over_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
