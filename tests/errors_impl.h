/* SPDX-License-Identifier: MIT */
/* The error tests of one precision. test_errors.c includes this once per type, after the type's
 * traits (src/type_f32.h: REAL, REAL_MAX, PUB(), SFX() for the test's own names) and with CLOSE
 * (close_enough_f32 or close_enough), ATOL/RTOL (tolerances of that precision) and SCALE_TOO_BIG (a
 * finite double that overflows REAL, or 0 if there is none) defined.
 *
 * Every error case pre-fills the whole arena (inputs and outputs) with the sentinel and checks it
 * byte for byte afterwards: "outputs untouched on error" is asserted for every buffer there is. */

/* The template's own types, one set per precision. */
#define SPEC SFX(spec)
#define ARENA SFX(arena)
#define SEED_CTX SFX(seed_ctx)
#define ATT_CTX SFX(att_ctx)
#define MERGE_CTX SFX(merge_ctx)

/* ------------------------------------------------------------------------------------------ */
/* Generic buffer rules: NULL, partial overlaps, adjacency                                      */
/* ------------------------------------------------------------------------------------------ */

/* One call whose buffers come as one array, inputs first. len[i] is the span of buffer i in
 * elements (first to one past the last element touched, rounded up for a byte-sized workspace);
 * optional buffers treat NULL as "absent"; may_equal[o] = j + 1 when output o may start exactly on
 * buffer j (in-place merge). */
typedef struct SPEC {
    const char *name;
    mha_status (*call)(REAL *const *b, const void *ctx);
    const void *ctx;
    size_t n_in, n_out;
    size_t len[MAX_BUFS];
    bool optional[MAX_BUFS];
    size_t may_equal[MAX_BUFS];
} SPEC;

/* Buffers live in slots far enough apart that moving one output next to (or onto the edge of)
 * another buffer never touches a third. */
typedef struct ARENA {
    REAL *base;
    size_t n, slot;
} ARENA;

static ARENA SFX(arena_for)(const SPEC *s)
{
    size_t max = 1, nb = s->n_in + s->n_out;
    for (size_t i = 0; i < nb; i++)
        max = s->len[i] > max ? s->len[i] : max;
    ARENA a = {NULL, 0, 2 * max + 16};
    a.n = (nb + 2) * a.slot;
    a.base = xcalloc(a.n, sizeof(REAL));
    return a;
}

static void SFX(place_home)(const SPEC *s, const ARENA *a, REAL **b)
{
    for (size_t i = 0; i < s->n_in + s->n_out; i++)
        b[i] = a->base + (i + 1) * a->slot;
}

/* Sentinel-fill the arena, call, and require `want`; on a failure status, require that not one
 * byte of the arena changed. */
static void SFX(expect)(const SPEC *s, const ARENA *a, REAL *const *b, mha_status want,
                        const char *what, size_t i, size_t j)
{
    fill_sentinel(a->base, a->n * sizeof(REAL));
    mha_status got = s->call(b, s->ctx);
    if (got != want)
        fail_msg("%s: %s (buffers %zu, %zu): got %d (%s), expected %d (%s)", s->name, what, i, j,
                 got, mha_status_string(got), want, mha_status_string(want));
    if (want != MHA_OK && !is_sentinel(a->base, a->n * sizeof(REAL)))
        fail_msg("%s: %s (buffers %zu, %zu): a buffer was written on error", s->name, what, i, j);
}

/* The rules every entry point shares: the spec's own layout succeeds; NULL for each required
 * non-empty buffer is MHA_ERR_NULL_POINTER; each output starting on another buffer's last
 * element, ending on its first, or equal to it is MHA_ERR_OVERLAP (unless in-place is allowed);
 * an output right next to another buffer, on either side, is fine. Returns the checks made. */
static unsigned SFX(check_buffer_rules)(const SPEC *s)
{
    ARENA a = SFX(arena_for)(s);
    REAL *b[MAX_BUFS];
    size_t nb = s->n_in + s->n_out;
    unsigned checks = 0;

    SFX(place_home)(s, &a, b);
    SFX(expect)(s, &a, b, MHA_OK, "home layout", 0, 0), checks++;

    for (size_t i = 0; i < nb; i++) {
        if (s->optional[i] || s->len[i] == 0)
            continue;
        SFX(place_home)(s, &a, b);
        b[i] = NULL;
        SFX(expect)(s, &a, b, MHA_ERR_NULL_POINTER, "NULL buffer", i, i), checks++;
    }

    for (size_t o = s->n_in; o < nb; o++) {
        for (size_t j = 0; j < nb; j++) {
            if (j == o)
                continue;
            SFX(place_home)(s, &a, b);
            REAL *at = b[j];
            b[o] = at + s->len[j] - 1; /* starts on j's last element */
            SFX(expect)(s, &a, b, MHA_ERR_OVERLAP, "output starts on last element", o, j);
            b[o] = at - s->len[o] + 1; /* ends on j's first element */
            SFX(expect)(s, &a, b, MHA_ERR_OVERLAP, "output ends on first element", o, j);
            b[o] = at;
            const mha_status equal = s->may_equal[o] == j + 1 ? MHA_OK : MHA_ERR_OVERLAP;
            SFX(expect)(s, &a, b, equal, "output equal to buffer", o, j);
            b[o] = at + s->len[j]; /* adjacent after: no common byte */
            SFX(expect)(s, &a, b, MHA_OK, "output just after buffer", o, j);
            b[o] = at - s->len[o]; /* adjacent before */
            SFX(expect)(s, &a, b, MHA_OK, "output just before buffer", o, j);
            checks += 5;
        }
    }
    free(a.base);
    return checks;
}

/* Sentinel-fill `bytes` at p, run the call, and require `want` with p untouched. */
#define EXPECT_UNTOUCHED(p, bytes, want, call)                                                     \
    do {                                                                                           \
        fill_sentinel((p), (bytes));                                                               \
        assert_int_equal((call), (want));                                                          \
        assert_true(is_sentinel((p), (bytes)));                                                    \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Seed operations                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct SEED_CTX {
    size_t seq, d, heads;
} SEED_CTX;

static mha_status SFX(call_qkv)(REAL *const *b, const void *ctx)
{
    const SEED_CTX *c = ctx;
    return PUB(mha_compute_qkv)(b[0], b[1], b[2], b[3], c->seq, c->d, b[4], b[5], b[6]);
}

static mha_status SFX(call_fused)(REAL *const *b, const void *ctx)
{
    const SEED_CTX *c = ctx;
    return PUB(mha_compute_qkv_fused)(b[0], b[1], c->seq, c->d, b[2]);
}

static mha_status SFX(call_self)(REAL *const *b, const void *ctx)
{
    const SEED_CTX *c = ctx;
    return PUB(mha_self_attention)(b[0], b[1], b[2], c->seq, c->d, b[3]);
}

static mha_status SFX(call_mha)(REAL *const *b, const void *ctx)
{
    const SEED_CTX *c = ctx;
    return PUB(mha_multi_head_attention)(b[0], b[1], b[2], c->seq, c->d, c->heads, b[3]);
}

static void SFX(qkv_buffer_rules)(void **state)
{
    (void)state;
    const SEED_CTX c = {3, 4, 1};
    const SPEC s = {"compute_qkv", SFX(call_qkv), &c, 4, 3, {12, 16, 16, 16, 12, 12, 12}, {0}, {0}};
    /* 1 home + 7 NULLs + 3 outputs × 6 other buffers × 5 placements */
    assert_int_equal(SFX(check_buffer_rules)(&s), 98);
    const SEED_CTX f = {3, 4, 1};
    const SPEC sf = {"compute_qkv_fused", SFX(call_fused), &f, 2, 1, {12, 48, 36}, {0}, {0}};
    assert_int_equal(SFX(check_buffer_rules)(&sf), 1 + 3 + 1 * 2 * 5);
}

static void SFX(attention_seed_buffer_rules)(void **state)
{
    (void)state;
    const SEED_CTX c = {3, 4, 2};
    const SPEC self = {"self_attention", SFX(call_self), &c, 3, 1, {12, 12, 12, 12}, {0}, {0}};
    assert_int_equal(SFX(check_buffer_rules)(&self), 1 + 4 + 1 * 3 * 5);
    const SPEC mh = {"multi_head_attention", SFX(call_mha), &c, 3, 1, {12, 12, 12, 12}, {0}, {0}};
    assert_int_equal(SFX(check_buffer_rules)(&mh), 1 + 4 + 1 * 3 * 5);
}

/* A zero dimension is an empty call: MHA_OK, nothing written, NULL allowed for empty buffers —
 * but not for a buffer that is still non-empty (W when only seq_len is 0). */
static void SFX(seed_empty_calls)(void **state)
{
    (void)state;
    const size_t n = 256;
    REAL *a = xcalloc(n, sizeof(REAL)), *W = a + 64, *o = a + 128;
    const size_t bytes = n * sizeof(REAL);
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_compute_qkv)(NULL, W, W, W, 0, 4, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_compute_qkv)(a, W, W, W, 0, 4, o, o + 16, o + 32));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_compute_qkv)(NULL, NULL, NULL, NULL, 5, 0, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_compute_qkv)(NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_compute_qkv)(NULL, NULL, W, W, 0, 4, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_compute_qkv_fused)(NULL, W, 0, 4, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_compute_qkv_fused)(NULL, NULL, 7, 0, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_compute_qkv_fused)(NULL, NULL, 0, 4, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_self_attention)(NULL, NULL, NULL, 0, 4, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_self_attention)(NULL, NULL, NULL, 5, 0, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_self_attention)(a, a, a, 0, 4, o));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 0, 6, 3, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 5, 0, 3, NULL));
    free(a);
}

/* n_heads == 0 or not dividing d_model is an invalid argument, checked before anything else —
 * even when the call is otherwise empty and every pointer is NULL. */
static void SFX(mha_heads_rule)(void **state)
{
    (void)state;
    const size_t n = 64;
    REAL *a = xcalloc(n, sizeof(REAL));
    const size_t bytes = n * sizeof(REAL);
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(a, a, a, 2, 4, 0, a + 32));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(a, a, a, 2, 6, 4, a + 32));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(a, a, a, 2, 4, 5, a + 32));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 0, 4, 0, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 0, 6, 4, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 0, 0, 0, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(NULL, NULL, NULL, 3, 0, 0, NULL));
    /* An invalid argument wins over a NULL pointer and an overlap. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_multi_head_attention)(NULL, a, a, 2, 6, 4, a));
    free(a);
}

/* Dimensions above INT_MAX (the BLAS's int) and sizes whose byte count or address range
 * overflows: rejected before any memory is touched, so small real buffers are enough. */
static void SFX(seed_too_large)(void **state)
{
    (void)state;
    const size_t n = 256, big = (size_t)INT_MAX + 1, imax = (size_t)INT_MAX;
    REAL *a = xcalloc(n, sizeof(REAL)), *W = a + 64, *o = a + 128;
    const size_t bytes = n * sizeof(REAL);
    /* (INT_MAX, INT_MAX): both fit the BLAS, but INT_MAX² elements of W overflow size_t in double;
     * in float they are 2⁶⁴ − 2³⁴ + 4 bytes, so the end address wraps for any buffer above 16 GiB
     * of address space — every heap address on a 64-bit Linux. */
    const size_t dims[][2] = {{big, 1},     {1, big},   {SIZE_MAX, 1},    {1, SIZE_MAX},
                              {imax, imax}, {big, big}, {SIZE_MAX / 2, 4}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        size_t s = dims[k][0], d = dims[k][1], span;
        /* Where the span's end does not wrap (valgrind's heap sits below 16 GiB), the float
         * (INT_MAX, INT_MAX) buffers are representable and it is their overlap that is caught.
         * (The fused width 3·d_model is above INT_MAX whatever the address.) */
        mha_status want = MHA_ERR_TOO_LARGE;
        if (!__builtin_mul_overflow(s * d, sizeof(REAL), &span) && s <= imax && d <= imax &&
            (uintptr_t)a <= UINTPTR_MAX - span - bytes)
            want = MHA_ERR_OVERLAP;
        EXPECT_UNTOUCHED(a, bytes, want, PUB(mha_compute_qkv)(a, W, W, W, s, d, o, o + 32, o + 64));
        EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE, PUB(mha_compute_qkv_fused)(a, W, s, d, o));
        EXPECT_UNTOUCHED(a, bytes, want, PUB(mha_self_attention)(a, a, a, s, d, o));
        EXPECT_UNTOUCHED(a, bytes, want, PUB(mha_multi_head_attention)(a, a, a, s, d, 1, o));
    }
    /* The fused output is 3·d_model wide: above INT_MAX although d_model is not, and 3·d_model
     * overflowing size_t. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_compute_qkv_fused)(a, W, 1, imax / 3 + 1, o));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_compute_qkv_fused)(a, W, 1, SIZE_MAX / 3 + 1, o));
    /* Many heads do not shrink the rows: d_model above INT_MAX is too large however it is split. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_multi_head_attention)(a, a, a, 2, (size_t)1 << 32, (size_t)1 << 4, o));
    free(a);
}

/* An empty call runs no GEMM, so no size it would have handed the BLAS rejects it: not a
 * dimension above INT_MAX, not the score row padded to a cache line (above INT_MAX for seq_kv near
 * it), not the absent mask's or lse's extent, not a tile count or workspace. Found by the fuzzer
 * (issue 10): mha_self_attention_f64(NULL, NULL, NULL, 1811939328, 0, NULL) was TOO_LARGE. The
 * extents of buffers that are passed are still checked. */
static void SFX(empty_calls_never_too_large)(void **state)
{
    (void)state;
    const size_t imax = (size_t)INT_MAX, huge = (size_t)1 << 40;
    REAL *a = xcalloc(64, sizeof(REAL));
    const size_t bytes = 64 * sizeof(REAL);
    const size_t seqs[] = {1811939328, imax - 1, imax, imax + 1, huge};
    for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++) {
        size_t n = seqs[k];
        EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_self_attention)(NULL, NULL, NULL, n, 0, NULL));
        EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                         PUB(mha_multi_head_attention)(NULL, NULL, NULL, n, 0, 1, NULL));
        EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                         PUB(mha_multi_head_attention)(NULL, NULL, NULL, n, 0, 8, NULL));
        EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                         PUB(mha_compute_qkv)(NULL, NULL, NULL, NULL, n, 0, NULL, NULL, NULL));
        EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_compute_qkv_fused)(NULL, NULL, n, 0, NULL));
        EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                         PUB(mha_attention_merge)(n, 0, 4, 4, NULL, NULL, NULL, NULL, NULL, NULL));
    }
    /* A zero dimension does not make a non-empty buffer empty: W is d_model², 2⁸⁰ elements. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_compute_qkv)(a, a, a, a, 0, huge, a, a, a));

    /* mha_attention: d_v == 0 without an lse, and no batch item or no query row. */
    mha_attention_desc d;
    mha_attention_desc_init(&d, imax, imax, 1, 1, 0, 0);
    unsigned char ws[64];
    const struct {
        size_t batch, seq_q, n_heads;
    } cases[] = {
        {1, imax, 1}, {huge, imax, 1}, {huge, imax, imax}, {0, SIZE_MAX, 1}, {0, SIZE_MAX, 6}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        d.batch = cases[k].batch, d.seq_q = cases[k].seq_q;
        d.n_heads = d.n_kv_heads = cases[k].n_heads;
        EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                         PUB(mha_attention)(&d, NULL, NULL, NULL, NULL, NULL, NULL));
        EXPECT_UNTOUCHED(ws, sizeof ws, MHA_OK,
                         PUB(mha_attention_ws)(&d, NULL, NULL, NULL, NULL, NULL, NULL, ws, 0));
    }
    /* No batch item: nothing at all, even where n_heads·seq_q (the lse's stride) overflows. */
    d.batch = 0, d.d_head = d.d_v = 2, d.ld_q = d.ld_k = d.ld_v = d.ld_out = 12;
    size_t ws_bytes = 1;
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &ws_bytes), MHA_OK);
    assert_int_equal(ws_bytes, 0);
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, NULL, NULL, NULL, NULL, NULL, a));
    /* No query row: K and V are real, but nothing is computed, planned or needed. */
    mha_attention_desc_init(&d, 0, imax, 1, 1, 1, 1);
    ws_bytes = 1;
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &ws_bytes), MHA_OK);
    assert_int_equal(ws_bytes, 0);
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, NULL, a, a, NULL, NULL, NULL));
    free(a);
}

/* Inputs may alias (Q == K == V, W_q == W_k == W_v, even X == W_q): the reference's result. */
static void SFX(seed_aliased_inputs)(void **state)
{
    (void)state;
    rng r = rng_seeded(11);
    enum { S = 6, D = 6, H = 3 };
    REAL X[S * D], out[3 * S * D];
    double X64[S * D], ref[S * D], ref3[3 * S * D];
    FILL(&r, X, X64, S * D, -1, 1);
    /* X is square, so it serves as the input and as all three weights at once. */
    ref_matmul(X64, X64, S, D, D, ref);
    assert_int_equal(PUB(mha_compute_qkv)(X, X, X, X, S, D, out, out + S * D, out + 2 * S * D),
                     MHA_OK);
    for (int p = 0; p < 3; p++)
        assert_true(CLOSE("qkv aliased", out + p * S * D, ref, S * D, ATOL, RTOL));
    ref_multi_head_attention(X64, X64, X64, S, D, H, ref);
    assert_int_equal(PUB(mha_multi_head_attention)(X, X, X, S, D, H, out), MHA_OK);
    assert_true(CLOSE("mha Q==K==V", out, ref, S * D, ATOL, RTOL));
    ref_multi_head_attention(X64, X64, X64, S, D, 1, ref);
    assert_int_equal(PUB(mha_self_attention)(X, X, X, S, D, out), MHA_OK);
    assert_true(CLOSE("self Q==K==V", out, ref, S * D, ATOL, RTOL));
    /* Fused weights [X | X | X]: all three products equal X·X. */
    REAL W[D * 3 * D];
    for (size_t i = 0; i < D; i++)
        for (size_t p = 0; p < 3; p++)
            for (size_t c = 0; c < D; c++)
                W[i * 3 * D + p * D + c] = X[i * D + c];
    ref_matmul(X64, X64, S, D, D, ref);
    for (size_t i = 0; i < S; i++)
        for (size_t p = 0; p < 3; p++)
            for (size_t c = 0; c < D; c++)
                ref3[i * 3 * D + p * D + c] = ref[i * D + c];
    assert_int_equal(PUB(mha_compute_qkv_fused)(X, W, S, D, out), MHA_OK);
    assert_true(CLOSE("fused", out, ref3, 3 * S * D, ATOL, RTOL));
}

/* ------------------------------------------------------------------------------------------ */
/* General attention: descriptor rules                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A small valid descriptor with every stride padded: batch 2, GQA 4/2, d_head ≠ d_v. */
static mha_attention_desc SFX(small_desc)(void)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, 3, 5, 4, 2, 3, 2);
    d.batch = 2;
    d.ld_q += 1, d.ld_k += 2, d.ld_v += 1, d.ld_out += 3, d.ld_mask += 1;
    d.batch_stride_q = d.seq_q * d.ld_q + 2;
    d.batch_stride_k = d.seq_kv * d.ld_k + 1;
    d.batch_stride_v = d.seq_kv * d.ld_v;
    d.batch_stride_out = d.seq_q * d.ld_out + 1;
    d.batch_stride_mask = d.seq_q * d.ld_mask;
    return d;
}

/* Every entry point answers *d with its expected status, whatever the buffers (small real ones
 * here; the descriptor's sizes may be absurd): `bare` without mask and lse, `full` with both,
 * `query` from the workspace query. A failing call writes nothing — not even the workspace or the
 * queried size. */
typedef struct SFX(desc_want) {
    mha_status bare, full, query;
} SFX(desc_want);

static void SFX(expect_desc_each)(const mha_attention_desc *d, SFX(desc_want) w, const char *what)
{
    REAL *a = xcalloc(DESC_ARENA, sizeof(REAL));
    unsigned char *ws = xcalloc(DESC_WS, 1);
    const size_t bytes = DESC_ARENA * sizeof(REAL);
    REAL *Q = a, *K = a + 512, *V = a + 1024, *M = a + 1536, *out = a + 2048, *lse = a + 3072;
    for (int opt = 0; opt < 2; opt++) {
        const REAL *mask = opt ? M : NULL;
        REAL *l = opt ? lse : NULL;
        const mha_status want = opt ? w.full : w.bare;
        fill_sentinel(a, bytes);
        mha_status got = PUB(mha_attention)(d, Q, K, V, mask, out, l);
        if (got != want)
            fail_msg("%s: mha_attention gave %d (%s), expected %d", what, got,
                     mha_status_string(got), want);
        assert_true(want == MHA_OK || is_sentinel(a, bytes));
        fill_sentinel(ws, DESC_WS);
        got = PUB(mha_attention_ws)(d, Q, K, V, mask, out, l, ws, DESC_WS);
        if (got != want)
            fail_msg("%s: mha_attention_ws gave %d (%s), expected %d", what, got,
                     mha_status_string(got), want);
        assert_true(want == MHA_OK || (is_sentinel(a, bytes) && is_sentinel(ws, DESC_WS)));
    }
    size_t ws_bytes;
    fill_sentinel(&ws_bytes, sizeof ws_bytes);
    mha_status got = PUB(mha_attention_workspace_size)(d, &ws_bytes);
    if (got != w.query)
        fail_msg("%s: workspace_size gave %d (%s), expected %d", what, got, mha_status_string(got),
                 w.query);
    assert_true(w.query == MHA_OK || is_sentinel(&ws_bytes, sizeof ws_bytes));
    free(a);
    free(ws);
}

/* Every entry point rejects *d with `want` (or accepts it, for MHA_OK), with or without mask and
 * lse. */
static void SFX(expect_desc)(const mha_attention_desc *d, mha_status want, const char *what)
{
    SFX(expect_desc_each)(d, (SFX(desc_want)){want, want, want}, what);
}

/* want for *d, and the same for the empty call (batch 0) with the same rule broken. */
static void SFX(expect_desc_even_empty)(mha_attention_desc d, mha_status want, const char *what)
{
    SFX(expect_desc)(&d, want, what);
    d.batch = 0;
    SFX(expect_desc)(&d, want, what);
    d.batch = 1;
    d.seq_q = 0;
    SFX(expect_desc)(&d, want, what);
}

static void SFX(desc_null)(void **state)
{
    (void)state;
    REAL *a = xcalloc(64, sizeof(REAL));
    unsigned char ws[256];
    const size_t bytes = 64 * sizeof(REAL);
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention)(NULL, a, a, a, NULL, a + 32, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention_ws)(NULL, a, a, a, a, a + 32, a + 48, ws, sizeof ws));
    EXPECT_UNTOUCHED(ws, sizeof ws, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention_ws)(NULL, a, a, a, a, a + 32, a + 48, ws, sizeof ws));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention)(NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    size_t ws_bytes;
    EXPECT_UNTOUCHED(&ws_bytes, sizeof ws_bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention_workspace_size)(NULL, &ws_bytes));
    const mha_attention_desc d = SFX(small_desc)();
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, NULL), MHA_ERR_NULL_POINTER);
    assert_int_equal(PUB(mha_attention_workspace_size)(NULL, NULL), MHA_ERR_NULL_POINTER);
    free(a);
}

static void SFX(desc_heads)(void **state)
{
    (void)state;
    mha_attention_desc d = SFX(small_desc)();
    d.n_heads = 0;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "n_heads 0");
    d = SFX(small_desc)();
    d.n_kv_heads = 0;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "n_kv_heads 0");
    d = SFX(small_desc)();
    d.n_heads = d.n_kv_heads = 0;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "both 0");
    d = SFX(small_desc)();
    d.n_kv_heads = 3; /* does not divide 4 */
    d.ld_k = d.ld_v = 64;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "n_kv_heads 3 of 4");
    d = SFX(small_desc)();
    d.n_heads = 2, d.n_kv_heads = 4; /* more kv heads than query heads */
    d.ld_k = d.ld_v = 64;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "n_kv_heads 4 of 2");
}

static void SFX(desc_leading_dimensions)(void **state)
{
    (void)state;
    const mha_attention_desc base = SFX(small_desc)();
    mha_attention_desc d = base;
    d.ld_q = d.n_heads * d.d_head - 1;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_q");
    d = base;
    d.ld_k = d.n_kv_heads * d.d_head - 1;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_k");
    d = base;
    d.ld_v = d.n_kv_heads * d.d_v - 1;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_v");
    d = base;
    d.ld_out = d.n_heads * d.d_v - 1;
    d.batch_stride_out = 64;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_out");
    /* Checked like a BLAS checks lda: also when the mask is NULL (expect_desc tries both). */
    d = base;
    d.ld_mask = d.seq_kv - 1;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_mask");
    d = base;
    d.ld_q = 0;
    SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "ld_q 0");
    /* Exactly the row width is fine (packed). */
    mha_attention_desc_init(&d, 3, 5, 4, 2, 3, 2);
    SFX(expect_desc)(&d, MHA_OK, "packed");
}

static void SFX(desc_scale_and_flags)(void **state)
{
    (void)state;
    const mha_attention_desc base = SFX(small_desc)();
    const double bad[] = {(double)NAN, -(double)NAN,  HUGE_VAL,
                          -HUGE_VAL,   SCALE_TOO_BIG, -SCALE_TOO_BIG};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (bad[k] == 0)
            continue; /* double has no finite scale that overflows it */
        mha_attention_desc d = base;
        d.scale = bad[k];
        SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "scale");
    }
    const unsigned flags[] = {2u, 4u, MHA_CAUSAL | 2u, 0x80000000u, ~0u};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        mha_attention_desc d = base;
        d.flags = flags[k];
        SFX(expect_desc_even_empty)(d, MHA_ERR_INVALID_ARGUMENT, "flags");
    }
    /* The edges that are fine: 0, negative, the largest finite REAL, causal. */
    const double good[] = {0.0, -0.0, -3.5, 1e-300, (double)REAL_MAX, -(double)REAL_MAX};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        mha_attention_desc d = base;
        d.scale = good[k];
        d.flags = MHA_CAUSAL;
        SFX(expect_desc)(&d, MHA_OK, "good scale");
    }
}

/* A ragged batch's lengths must stay within seq_kv (every entry is read, checked before anything
 * is written); an empty batch reads none of them. */
static void SFX(desc_kv_lens)(void **state)
{
    (void)state;
    mha_attention_desc d = SFX(small_desc)();
    size_t lens[2] = {d.seq_kv, d.seq_kv + 1};
    d.batch = 1;
    d.kv_lens = lens;
    SFX(expect_desc)(&d, MHA_OK, "kv_lens = seq_kv");
    lens[0] = 0;
    SFX(expect_desc)(&d, MHA_OK, "kv_lens 0");
    lens[0] = d.seq_kv + 1;
    SFX(expect_desc)(&d, MHA_ERR_INVALID_ARGUMENT, "kv_lens above seq_kv");
    lens[0] = SIZE_MAX;
    SFX(expect_desc)(&d, MHA_ERR_INVALID_ARGUMENT, "kv_lens SIZE_MAX");
    d.seq_q = 0; /* an empty call still checks the descriptor's rules */
    SFX(expect_desc)(&d, MHA_ERR_INVALID_ARGUMENT, "kv_lens above seq_kv, seq_q 0");
    d.batch = 0;
    d.kv_lens = (const size_t *)(uintptr_t)8; /* never read: no item */
    SFX(expect_desc)(&d, MHA_OK, "kv_lens of an empty batch");
}

/* Output batch items must not overlap each other; one after the other or interleaved row by row
 * (seq × batch × d) are the legal layouts. */
static void SFX(desc_output_items)(void **state)
{
    (void)state;
    const mha_attention_desc base = SFX(small_desc)();
    const size_t width = base.n_heads * base.d_v, item = (base.seq_q - 1) * base.ld_out + width;
    const struct {
        size_t batch, stride, ld;
        mha_status want;
    } cases[] = {
        {2, 0, base.ld_out, MHA_ERR_INVALID_ARGUMENT},        /* every item on the first */
        {2, item - 1, base.ld_out, MHA_ERR_INVALID_ARGUMENT}, /* last element shared */
        {2, item, base.ld_out, MHA_OK},                       /* back to back */
        {3, width - 1, 3 * width, MHA_ERR_INVALID_ARGUMENT},  /* interleaved, rows overlap */
        {3, width, 3 * width - 1, MHA_ERR_INVALID_ARGUMENT},  /* interleaved, row too short */
        {3, width, 3 * width, MHA_OK},                        /* seq × batch × d */
        {3, width + 1, 3 * width + 5, MHA_OK},                /* interleaved with padding */
        {2, width, width, MHA_ERR_INVALID_ARGUMENT},          /* packed rows, stride one row */
        {1, 0, base.ld_out, MHA_OK},                          /* one item: stride unused */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mha_attention_desc d = base;
        d.batch = cases[k].batch;
        d.batch_stride_out = cases[k].stride;
        d.ld_out = cases[k].ld;
        SFX(expect_desc)(&d, cases[k].want, "output items");
    }
    /* Inputs may overlap across items: a batch stride of 0 shares Q, K, V or the mask. */
    mha_attention_desc d = base;
    d.batch_stride_q = d.batch_stride_k = d.batch_stride_v = d.batch_stride_mask = 0;
    SFX(expect_desc)(&d, MHA_OK, "shared inputs");
}

static void SFX(desc_too_large)(void **state)
{
    (void)state;
    const mha_attention_desc base = SFX(small_desc)();
    const size_t big = (size_t)INT_MAX + 1;
    mha_attention_desc d;
#define TOO_LARGE(field_changes)                                                                   \
    do {                                                                                           \
        d = base;                                                                                  \
        field_changes;                                                                             \
        SFX(expect_desc)(&d, MHA_ERR_TOO_LARGE, #field_changes);                                   \
    } while (0)
    /* Dimensions above INT_MAX (leading dimensions raised with them, so no other rule breaks). */
    TOO_LARGE((d.seq_kv = big, d.ld_mask = big));
    TOO_LARGE((d.d_head = big, d.ld_q = 4 * big, d.ld_k = 2 * big));
    TOO_LARGE((d.d_v = big, d.ld_v = 2 * big, d.ld_out = 4 * big, d.batch = 1));
    TOO_LARGE(
        (d.n_heads = big, d.n_kv_heads = 1, d.ld_q = 3 * big, d.ld_out = 2 * big, d.batch = 1));
    TOO_LARGE(d.ld_q = big);
    TOO_LARGE(d.ld_k = big);
    TOO_LARGE(d.ld_v = big);
    TOO_LARGE((d.ld_out = big, d.batch = 1));
    /* Products that overflow size_t. */
    TOO_LARGE((d.n_heads = (size_t)1 << 33, d.n_kv_heads = 1, d.d_head = (size_t)1 << 32));
    TOO_LARGE(d.seq_q = SIZE_MAX);
    TOO_LARGE(d.seq_q = SIZE_MAX - d.seq_kv);
    TOO_LARGE((d.batch = SIZE_MAX / 4, d.batch_stride_out = 1 << 10));
    TOO_LARGE((d.batch = 3, d.batch_stride_q = SIZE_MAX / 2));
    TOO_LARGE((d.batch = 3, d.batch_stride_k = SIZE_MAX / 2));
    TOO_LARGE((d.batch = 3, d.batch_stride_v = SIZE_MAX / 2));
    /* The mask's extent only matters when there is a mask. */
    const SFX(desc_want) mask_only = {MHA_OK, MHA_ERR_TOO_LARGE, MHA_OK};
    d = base, d.batch = 3, d.batch_stride_mask = SIZE_MAX / 2;
    SFX(expect_desc_each)(&d, mask_only, "mask batch stride");
    TOO_LARGE((d.batch = 3, d.batch_stride_out = SIZE_MAX / 2));
    d = base, d.ld_mask = SIZE_MAX / 2;
    SFX(expect_desc_each)(&d, mask_only, "ld_mask");
    /* The lse alone: batch·n_heads·seq_q elements (the rest is shared or empty). Without an lse
     * the call is empty (d_v == 0); the workspace query sizes the call with one. */
    d = base, d.batch = (size_t)1 << 40, d.seq_q = (size_t)1 << 24, d.d_v = 0, d.ld_out = 0;
    d.batch_stride_out = d.batch_stride_q = d.batch_stride_k = d.batch_stride_v = 0;
    SFX(expect_desc_each)
    (&d, (SFX(desc_want)){MHA_OK, MHA_ERR_TOO_LARGE, MHA_ERR_TOO_LARGE}, "lse alone");
    /* mha_attention_desc_init's products may wrap; the call must still be refused. */
    mha_attention_desc_init(&d, 1, 1, (size_t)1 << 33, 1, (size_t)1 << 31, 1);
    SFX(expect_desc)(&d, MHA_ERR_TOO_LARGE, "init with wrapping products");
#undef TOO_LARGE
}

/* ------------------------------------------------------------------------------------------ */
/* General attention: buffers                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct ATT_CTX {
    const mha_attention_desc *d;
    bool ws;
    size_t ws_bytes;
} ATT_CTX;

static mha_status SFX(call_attention)(REAL *const *b, const void *ctx)
{
    const ATT_CTX *c = ctx;
    if (c->ws)
        return PUB(mha_attention_ws)(c->d, b[0], b[1], b[2], b[3], b[4], b[5], b[6], c->ws_bytes);
    return PUB(mha_attention)(c->d, b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* Q, K, V, mask in; out, lse (and the workspace) out — each against every other. */
static SPEC SFX(attention_spec)(const mha_attention_desc *d, const ATT_CTX *c)
{
    SPEC s = {c->ws ? "attention_ws" : "attention",
              SFX(call_attention),
              c,
              4,
              c->ws ? 3 : 2,
              {0},
              {0},
              {0}};
    s.len[0] = extent(d->batch, d->batch_stride_q, d->seq_q, d->ld_q, d->n_heads * d->d_head);
    s.len[1] = extent(d->batch, d->batch_stride_k, d->seq_kv, d->ld_k, d->n_kv_heads * d->d_head);
    s.len[2] = extent(d->batch, d->batch_stride_v, d->seq_kv, d->ld_v, d->n_kv_heads * d->d_v);
    s.len[3] = extent(d->batch, d->batch_stride_mask, d->seq_q, d->ld_mask, d->seq_kv);
    s.len[4] = extent(d->batch, d->batch_stride_out, d->seq_q, d->ld_out, d->n_heads * d->d_v);
    s.len[5] = d->batch * d->n_heads * d->seq_q;
    s.len[6] = (c->ws_bytes + sizeof(REAL) - 1) / sizeof(REAL);
    s.optional[3] = s.optional[5] = true;
    return s;
}

static void SFX(attention_buffer_rules)(void **state)
{
    (void)state;
    mha_attention_desc d = SFX(small_desc)();
    for (int variant = 0; variant < 3; variant++) {
        if (variant == 1)
            d.flags = MHA_CAUSAL, d.batch_stride_mask = 0;
        if (variant == 2) /* decode: one query row, the heads of a group stacked into one tile */
            d.seq_q = 1, d.batch_stride_q = d.ld_q, d.batch_stride_out = d.ld_out;
        size_t ws_bytes = 0;
        assert_int_equal(PUB(mha_attention_workspace_size)(&d, &ws_bytes), MHA_OK);
        assert_true(ws_bytes > 0);
        ATT_CTX c = {&d, false, 0};
        SPEC s = SFX(attention_spec)(&d, &c);
        /* NULL for Q, K, V, out (mask and lse are optional); out and lse against 5 others each */
        assert_int_equal(SFX(check_buffer_rules)(&s), 1 + 4 + 2 * 5 * 5);
        ATT_CTX cw = {&d, true, ws_bytes};
        SPEC sw = SFX(attention_spec)(&d, &cw);
        assert_int_equal(SFX(check_buffer_rules)(&sw), 1 + 5 + 3 * 6 * 5);
    }
}

/* Spans are compared, not elements: an output threaded through the padding of a strided input is
 * an overlap, as mha.h says. */
static void SFX(overlap_is_by_span)(void **state)
{
    (void)state;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 4, 4, 1, 1, 2, 2);
    d.ld_q = d.ld_out = 4; /* Q in columns 0-1, out in columns 2-3 of the same rows */
    REAL *a = xcalloc(64, sizeof(REAL)), *K = a + 32, *V = a + 48;
    const size_t bytes = 64 * sizeof(REAL);
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_OVERLAP, PUB(mha_attention)(&d, a, K, V, NULL, a + 2, NULL));
    free(a);
}

/* Zero dimensions: MHA_OK, nothing written, NULL allowed exactly for the empty buffers. */
static void SFX(attention_empty_calls)(void **state)
{
    (void)state;
    REAL *a = xcalloc(DESC_ARENA, sizeof(REAL));
    const size_t bytes = DESC_ARENA * sizeof(REAL);
    REAL *Q = a, *K = a + 512, *V = a + 1024, *M = a + 1536, *out = a + 2048, *lse = a + 3072;
    unsigned char ws[64];
    mha_attention_desc d = SFX(small_desc)();
    size_t ws_bytes = 1;

    d.batch = 0; /* everything empty */
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, NULL, NULL, NULL, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, Q, K, V, M, out, lse));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_attention_ws)(&d, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0));
    EXPECT_UNTOUCHED(ws, sizeof ws, MHA_OK,
                     PUB(mha_attention_ws)(&d, Q, K, V, M, out, lse, ws, sizeof ws));
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &ws_bytes), MHA_OK);
    assert_int_equal(ws_bytes, 0);

    d = SFX(small_desc)();
    d.seq_q = 0; /* Q, mask, out, lse empty; K and V are not */
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, NULL, K, V, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, NULL, K, V, M, out, lse));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention)(&d, NULL, NULL, V, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention)(&d, NULL, K, NULL, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_attention_ws)(&d, NULL, K, V, NULL, NULL, NULL, NULL, 0));

    d = SFX(small_desc)();
    d.d_v = 0; /* V and out empty; nothing to compute when lse is not asked for */
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention)(&d, Q, K, NULL, M, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_NULL_POINTER,
                     PUB(mha_attention)(&d, NULL, K, NULL, M, NULL, NULL));
    /* The query sizes the call with an lse; without one the call needs no workspace at all. */
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &ws_bytes), MHA_OK);
    assert_true(ws_bytes > sizeof ws);
    EXPECT_UNTOUCHED(ws, sizeof ws, MHA_OK,
                     PUB(mha_attention_ws)(&d, Q, K, NULL, M, NULL, NULL, ws, sizeof ws));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_attention_ws)(&d, Q, K, NULL, M, NULL, NULL, NULL, ws_bytes));
    EXPECT_UNTOUCHED(ws, sizeof ws, MHA_ERR_WORKSPACE_TOO_SMALL,
                     PUB(mha_attention_ws)(&d, Q, K, NULL, M, NULL, lse, ws, sizeof ws));
    free(a);
}

/* Calls with an empty buffer that still compute something: the empty buffers may be NULL and the
 * result is worked out by hand. */
static void SFX(attention_degenerate_shapes)(void **state)
{
    (void)state;
    REAL V[3 * 2] = {1, 10, 2, 20, 6, 60}, Q[2 * 6] = {0}, out[2 * 4], lse[4];
    mha_attention_desc d;

    /* seq_kv = 0: no key at all. Every row is zeros with lse −inf; K, V, mask may be NULL. */
    mha_attention_desc_init(&d, 2, 0, 2, 1, 3, 2);
    fill_sentinel(out, sizeof out), fill_sentinel(lse, sizeof lse);
    assert_int_equal(PUB(mha_attention)(&d, Q, NULL, NULL, NULL, out, lse), MHA_OK);
    for (size_t i = 0; i < 8; i++)
        assert_true(out[i] == 0);
    for (size_t i = 0; i < 4; i++)
        assert_true(isinf(lse[i]) && lse[i] < 0);

    /* d_head = 0: every score is an empty dot product, 0, so each row weighs the 3 keys equally:
     * out = mean of V's rows = (3, 30), lse = log(3·e⁰) = log 3. Q and K may be NULL. */
    mha_attention_desc_init(&d, 2, 3, 1, 1, 0, 2);
    fill_sentinel(out, sizeof out), fill_sentinel(lse, sizeof lse);
    assert_int_equal(PUB(mha_attention)(&d, NULL, NULL, V, NULL, out, lse), MHA_OK);
    const double mean[4] = {3, 30, 3, 30}, log3[2] = {log(3.0), log(3.0)};
    assert_true(CLOSE("d_head 0 out", out, mean, 4, ATOL, RTOL));
    assert_true(CLOSE("d_head 0 lse", lse, log3, 2, ATOL, RTOL));

    /* d_v = 0 with lse: out and V are empty (NULL) but the lse is still the scores' log-sum-exp.
     * Q = K = 0 rows, scale 1: scores 0 → lse = log 3 for both rows. */
    REAL zeros[3 * 2] = {0};
    mha_attention_desc_init(&d, 2, 3, 1, 1, 2, 0);
    fill_sentinel(lse, sizeof lse);
    assert_int_equal(PUB(mha_attention)(&d, zeros, zeros, NULL, NULL, NULL, lse), MHA_OK);
    assert_true(CLOSE("d_v 0 lse", lse, log3, 2, ATOL, RTOL));
    assert_true(is_sentinel(lse + 2, 2 * sizeof(REAL)));
}

/* Q == K == V (one buffer, all three roles) is legal, and gives the reference's result. */
static void SFX(attention_aliased_inputs)(void **state)
{
    (void)state;
    rng r = rng_seeded(5);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 7, 7, 2, 2, 3, 3);
    d.batch = 2;
    d.flags = MHA_CAUSAL;
    const size_t n = 2 * 7 * 6;
    REAL *X = xcalloc(n, sizeof(REAL)), *out = xcalloc(n, sizeof(REAL)),
         *lse = xcalloc(2 * 2 * 7, sizeof(REAL));
    double *X64 = xcalloc(n, 8), *ref = xcalloc(n, 8), *ref_lse = xcalloc(2 * 2 * 7, 8);
    FILL(&r, X, X64, n, -1, 1);
    ref_attention(&d, X64, X64, X64, NULL, ref, ref_lse);
    assert_int_equal(PUB(mha_attention)(&d, X, X, X, NULL, out, lse), MHA_OK);
    assert_true(CLOSE("Q==K==V out", out, ref, n, ATOL, RTOL));
    assert_true(CLOSE("Q==K==V lse", lse, ref_lse, 2 * 2 * 7, ATOL, RTOL));
    /* The mask may be the very same buffer too: its first 7 × 7 elements, read with ld_mask 7. */
    d.ld_mask = 7;
    ref_attention(&d, X64, X64, X64, X64, ref, ref_lse);
    assert_int_equal(PUB(mha_attention)(&d, X, X, X, X, out, lse), MHA_OK);
    assert_true(CLOSE("mask==Q out", out, ref, n, ATOL, RTOL));
    free(X), free(out), free(lse), free(X64), free(ref), free(ref_lse);
}

/* ------------------------------------------------------------------------------------------ */
/* Workspace                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void SFX(workspace_rules)(void **state)
{
    (void)state;
    rng r = rng_seeded(3);
    mha_attention_desc d = SFX(small_desc)();
    d.flags = MHA_CAUSAL;
    d.n_threads = 1; /* one worker: the queried size is exactly what the call needs */
    size_t need = 0;
    assert_int_equal(PUB(mha_attention_workspace_size)(&d, &need), MHA_OK);
    assert_true(need > 1);
    /* One arena: inputs, the outputs of the allocating call, and those of the _ws call. */
    const size_t n = DESC_ARENA, half = 512 * sizeof(REAL);
    REAL *a = xcalloc(n, sizeof(REAL));
    double *junk = xcalloc(2048, 8);
    REAL *Q = a, *K = a + 512, *V = a + 1024, *M = a + 1536;
    REAL *out = a + 2048, *lse = out + 256, *out_ws = a + 3072, *lse_ws = out_ws + 256;
    const size_t out_n = extent(d.batch, d.batch_stride_out, d.seq_q, d.ld_out, d.n_heads * d.d_v),
                 lse_n = d.batch * d.n_heads * d.seq_q;
    FILL(&r, a, junk, 2048, -1, 1);
    unsigned char *ws = xcalloc(need + 64, 1);

    /* One byte short, or none: refused, nothing written (outputs, workspace). */
    fill_sentinel(out_ws, half);
    EXPECT_UNTOUCHED(ws, need + 64, MHA_ERR_WORKSPACE_TOO_SMALL,
                     PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, ws, need - 1));
    EXPECT_UNTOUCHED(ws, need + 64, MHA_ERR_WORKSPACE_TOO_SMALL,
                     PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, NULL, 0));
    /* Enough bytes but no pointer. */
    assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, NULL, need),
                     MHA_ERR_NULL_POINTER);
    assert_true(is_sentinel(out_ws, half));

    /* Exactly the queried size, at every misalignment: the same bits as the allocating call. */
    fill_sentinel(out, half);
    assert_int_equal(PUB(mha_attention)(&d, Q, K, V, M, out, lse), MHA_OK);
    for (size_t off = 0; off < 64; off += off < 8 ? 1 : 17) {
        fill_sentinel(out_ws, half);
        assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, ws + off, need),
                         MHA_OK);
        assert_memory_equal(out_ws, out, half);
    }
    /* More workers (as allowed, or the default) want more, but one worker's workspace is enough:
     * the call runs fewer workers, with the same bits. Below one worker's, it is too small. */
    for (size_t threads = 0; threads <= 2; threads += 2) {
        mha_attention_desc dn = d;
        dn.n_threads = threads;
        size_t more = 0;
        assert_int_equal(PUB(mha_attention_workspace_size)(&dn, &more), MHA_OK);
        assert_true(more >= need);
        fill_sentinel(out_ws, half);
        assert_int_equal(PUB(mha_attention_ws)(&dn, Q, K, V, M, out_ws, lse_ws, ws + 5, need),
                         MHA_OK);
        assert_memory_equal(out_ws, out, half);
        fill_sentinel(out_ws, half);
        EXPECT_UNTOUCHED(ws, need + 64, MHA_ERR_WORKSPACE_TOO_SMALL,
                         PUB(mha_attention_ws)(&dn, Q, K, V, M, out_ws, lse_ws, ws, need - 1));
        assert_true(is_sentinel(out_ws, half));
    }
    /* A workspace overlapping an output or an input, partially: its last byte on the output's
     * first, its first byte on the lse's last, its first byte inside K or the mask. */
    unsigned char *const over[] = {
        (unsigned char *)out_ws - need + 1,    (unsigned char *)(out_ws + out_n) - 1,
        (unsigned char *)(lse_ws + lse_n) - 1, (unsigned char *)K + 1,
        (unsigned char *)M - need + 1,         (unsigned char *)Q};
    for (size_t k = 0; k < sizeof over / sizeof over[0]; k++) {
        fill_sentinel(out_ws, half);
        assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, over[k], need),
                         MHA_ERR_OVERLAP);
        assert_true(is_sentinel(out_ws, half));
    }
    /* Right beside the outputs, not over them: fine (and inside the arena). */
    assert_true((size_t)((unsigned char *)(a + n) - (unsigned char *)(lse_ws + lse_n)) >= need);
    assert_int_equal(PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws,
                                           (unsigned char *)(lse_ws + lse_n), need),
                     MHA_OK);
    assert_int_equal(
        PUB(mha_attention_ws)(&d, Q, K, V, M, out_ws, lse_ws, (unsigned char *)out_ws - need, need),
        MHA_OK);
    free(a), free(junk), free(ws);
}

/* ------------------------------------------------------------------------------------------ */
/* Merge                                                                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct MERGE_CTX {
    size_t rows, heads, d_v, ld;
} MERGE_CTX;

static mha_status SFX(call_merge)(REAL *const *b, const void *ctx)
{
    const MERGE_CTX *c = ctx;
    return PUB(mha_attention_merge)(c->rows, c->heads, c->d_v, c->ld, b[0], b[1], b[2], b[3], b[4],
                                    b[5]);
}

static void SFX(merge_buffer_rules)(void **state)
{
    (void)state;
    const MERGE_CTX c = {3, 2, 2, 5};
    const size_t o = 2 * 5 + 4, l = 6; /* rows × ld span of out, heads × rows of lse */
    /* in: out_a, lse_a, out_b, lse_b; out: out, lse. out may be exactly out_a, lse exactly lse_a.
     */
    SPEC s = {"merge", SFX(call_merge), &c, 4, 2, {o, l, o, l, o, l}, {0}, {0}};
    s.may_equal[4] = 0 + 1;
    s.may_equal[5] = 1 + 1;
    assert_int_equal(SFX(check_buffer_rules)(&s), 1 + 6 + 2 * 5 * 5);
}

static void SFX(merge_rules)(void **state)
{
    (void)state;
    REAL *a = xcalloc(256, sizeof(REAL));
    const size_t bytes = 256 * sizeof(REAL);
    REAL *oa = a, *la = a + 32, *ob = a + 64, *lb = a + 96, *o = a + 128, *l = a + 160;
    /* ld below n_heads·d_v, even when rows is 0. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_attention_merge)(3, 2, 2, 3, oa, la, ob, lb, o, l));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_INVALID_ARGUMENT,
                     PUB(mha_attention_merge)(0, 2, 2, 3, NULL, NULL, NULL, NULL, NULL, NULL));
    /* Sizes that overflow. */
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_attention_merge)(3, (size_t)1 << 33, (size_t)1 << 33, SIZE_MAX, oa, la,
                                              ob, lb, o, l));
    EXPECT_UNTOUCHED(a, bytes, MHA_ERR_TOO_LARGE,
                     PUB(mha_attention_merge)(SIZE_MAX / 2, 2, 2, 4, oa, la, ob, lb, o, l));
    EXPECT_UNTOUCHED(
        a, bytes, MHA_ERR_TOO_LARGE,
        PUB(mha_attention_merge)((size_t)1 << 33, (size_t)1 << 33, 0, 0, oa, la, ob, lb, o, l));
    /* Empty calls: every pointer may be NULL. */
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_attention_merge)(0, 2, 2, 4, NULL, NULL, NULL, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK,
                     PUB(mha_attention_merge)(3, 0, 2, 4, NULL, NULL, NULL, NULL, NULL, NULL));
    EXPECT_UNTOUCHED(a, bytes, MHA_OK, PUB(mha_attention_merge)(0, 2, 2, 4, oa, la, ob, lb, o, l));
    /* d_v = 0: the outputs rows are empty (NULL is fine) but the lse still merges:
     * log(e¹ + e¹) = 1 + log 2; log(e⁰ + e^−inf) = 0; −inf with −inf stays −inf. */
    REAL lse_a[3] = {1, 0, -(REAL)INFINITY}, lse_b[3] = {1, -(REAL)INFINITY, -(REAL)INFINITY},
         lse[3];
    assert_int_equal(PUB(mha_attention_merge)(3, 1, 0, 0, NULL, lse_a, NULL, lse_b, NULL, lse),
                     MHA_OK);
    const double want[3] = {1 + log(2.0), 0, -HUGE_VAL};
    assert_true(CLOSE("d_v 0 lse", lse, want, 3, ATOL, RTOL));
    free(a);
}

/* The merge formula by hand, out of place and in place. Head 0, row 0: lse_a = 0, lse_b = log 3,
 * so w_a : w_b = 1 : 3 and out = (1·2 + 3·6)/4 = 5, lse = log 4. Row 1: lse_b = −inf, so out =
 * out_a, lse = lse_a. Row 2: both −inf: zeros and −inf (out_a's garbage does not leak). */
static void SFX(merge_by_hand)(void **state)
{
    (void)state;
    const REAL ninf = -(REAL)INFINITY;
    REAL out_a[3 * 3] = {2, 20, 99, 7, 8, 99, (REAL)1e30, -(REAL)1e30, 99};
    REAL out_b[3 * 3] = {6, 60, 99, 5, 5, 99, 3, 3, 99};
    REAL lse_a[3] = {0, (REAL)0.5, ninf}, lse_b[3] = {(REAL)log(3.0), ninf, ninf};
    REAL out[3 * 3], lse[3];
    const double want[3 * 3] = {5, 50, 99, 7, 8, 99, 0, 0, 99};
    const double want_lse[3] = {log(4.0), 0.5, -HUGE_VAL};
    for (size_t i = 0; i < 9; i++)
        out[i] = 99; /* the padding column must stay */
    assert_int_equal(PUB(mha_attention_merge)(3, 1, 2, 3, out_a, lse_a, out_b, lse_b, out, lse),
                     MHA_OK);
    assert_true(CLOSE("merge out", out, want, 9, ATOL, RTOL));
    assert_true(CLOSE("merge lse", lse, want_lse, 3, ATOL, RTOL));
    /* In place: out = out_a, lse = lse_a. */
    assert_int_equal(PUB(mha_attention_merge)(3, 1, 2, 3, out_a, lse_a, out_b, lse_b, out_a, lse_a),
                     MHA_OK);
    assert_true(CLOSE("in-place out", out_a, want, 9, ATOL, RTOL));
    assert_true(CLOSE("in-place lse", lse_a, want_lse, 3, ATOL, RTOL));
}

#undef SPEC
#undef ARENA
#undef SEED_CTX
#undef ATT_CTX
#undef MERGE_CTX
