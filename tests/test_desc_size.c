/* SPDX-License-Identifier: MIT */
/* mha_attention_desc.struct_size as programs built against different mha.h see it, through the
 * shared libmha as they link it. A program of the first release's header (a local copy of its
 * struct, struct_size = its sizeof, filled by mha_attention_desc_init_sized as its inline init
 * would) runs causal, GQA, decode, ragged (kv_lens), masked and lse calls in float and double:
 * the float64 reference's results, and the same bits as a full descriptor; its struct is followed
 * by bytes the library must neither read nor write. Sizes below the first release's, not a
 * struct's, or above this library's (a newer header) are MHA_ERR_INVALID_ARGUMENT before any
 * other rule, with every output and *bytes untouched; a newer program that lowers struct_size to
 * the first release's runs. */
#include "common/problem.h"
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

#include <stdalign.h>
#include <stddef.h>

/* The first release's descriptor, field for field as its mha.h declared it: what a program
 * compiled against that header holds. It never changes: later fields go to mha.h alone. */
typedef struct desc_v1 {
    size_t struct_size;
    size_t batch, seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v;
    size_t ld_q, ld_k, ld_v, ld_out, ld_mask;
    size_t batch_stride_q, batch_stride_k, batch_stride_v, batch_stride_out, batch_stride_mask;
    double scale;
    unsigned flags;
    size_t n_threads;
    const size_t *kv_lens;
} desc_v1;

/* A v1 program's descriptor with bytes after it that are not the program's: they keep the
 * sentinel, and a library that read them as fields would see garbage. */
typedef struct v1_program {
    desc_v1 d;
    unsigned char after[64];
} v1_program;

/* A program of a newer header: this library's fields, then two it does not know. */
typedef struct newer_desc {
    mha_attention_desc d;
    size_t window_left;
    double softcap;
} newer_desc;

/* ------------------------------------------------------------------------------------------ */
/* The layout                                                                                  */

#define SAME_OFFSET(field)                                                                         \
    assert_int_equal(offsetof(desc_v1, field), offsetof(mha_attention_desc, field))

/* Every field of the first release where it was: a field inserted before kv_lens would move some
 * and change MHA_ATTENTION_DESC_SIZE_1. */
static void first_release_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(desc_v1), MHA_ATTENTION_DESC_SIZE_1);
    if (sizeof(void *) == 8 && sizeof(size_t) == 8)
        assert_int_equal(MHA_ATTENTION_DESC_SIZE_1, 176); /* 18 size_t, double, unsigned + 4
                                                             padding, size_t, pointer */
    assert_true(sizeof(mha_attention_desc) >= MHA_ATTENTION_DESC_SIZE_1);
    SAME_OFFSET(struct_size), SAME_OFFSET(batch), SAME_OFFSET(seq_q), SAME_OFFSET(seq_kv);
    SAME_OFFSET(n_heads), SAME_OFFSET(n_kv_heads), SAME_OFFSET(d_head), SAME_OFFSET(d_v);
    SAME_OFFSET(ld_q), SAME_OFFSET(ld_k), SAME_OFFSET(ld_v), SAME_OFFSET(ld_out);
    SAME_OFFSET(ld_mask), SAME_OFFSET(batch_stride_q), SAME_OFFSET(batch_stride_k);
    SAME_OFFSET(batch_stride_v), SAME_OFFSET(batch_stride_out), SAME_OFFSET(batch_stride_mask);
    SAME_OFFSET(scale), SAME_OFFSET(flags), SAME_OFFSET(n_threads), SAME_OFFSET(kv_lens);
}

/* ------------------------------------------------------------------------------------------ */
/* mha_attention_desc_init_sized                                                               */

/* mha.h's defaults for (seq_q 3, seq_kv 5, heads 4 over 2, d_head 6, d_v 7), worked out by hand. */
static void check_defaults(const desc_v1 *v)
{
    assert_int_equal(v->batch, 1);
    assert_int_equal(v->seq_q, 3), assert_int_equal(v->seq_kv, 5);
    assert_int_equal(v->n_heads, 4), assert_int_equal(v->n_kv_heads, 2);
    assert_int_equal(v->d_head, 6), assert_int_equal(v->d_v, 7);
    assert_int_equal(v->ld_q, 24), assert_int_equal(v->ld_k, 12), assert_int_equal(v->ld_v, 14);
    assert_int_equal(v->ld_out, 28), assert_int_equal(v->ld_mask, 5);
    assert_int_equal(v->batch_stride_q, 72), assert_int_equal(v->batch_stride_k, 60);
    assert_int_equal(v->batch_stride_v, 70), assert_int_equal(v->batch_stride_out, 84);
    assert_int_equal(v->batch_stride_mask, 0);
    assert_true(v->scale == 1 / sqrt(6.0));
    assert_int_equal(v->flags, 0), assert_int_equal(v->n_threads, 0);
    assert_null(v->kv_lens);
}

static void init_writes_its_struct_size_only(void **state)
{
    (void)state;
    mha_attention_desc_init_sized(NULL, sizeof(mha_attention_desc), 3, 5, 4, 2, 6, 7);

    /* The first release's program: its fields, and not one byte after them. */
    v1_program *p = xcalloc(1, sizeof *p);
    fill_sentinel(p, sizeof *p);
    mha_attention_desc_init_sized((mha_attention_desc *)&p->d, sizeof p->d, 3, 5, 4, 2, 6, 7);
    assert_int_equal(p->d.struct_size, sizeof p->d);
    check_defaults(&p->d);
    assert_true(is_sentinel(p->after, sizeof p->after));

    /* No release's struct is smaller: nothing written at all. */
    const size_t small[] = {0, 1, sizeof(size_t), MHA_ATTENTION_DESC_SIZE_1 - 1};
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
        fill_sentinel(p, sizeof *p);
        mha_attention_desc_init_sized((mha_attention_desc *)&p->d, small[k], 3, 5, 4, 2, 6, 7);
        assert_true(is_sentinel(p, sizeof *p));
    }
    free(p);

    /* A newer program: this library's fields, zeros in those it does not know, its own size. */
    struct {
        newer_desc d;
        unsigned char after[32];
    } *n = xcalloc(1, sizeof *n);
    fill_sentinel(n, sizeof *n);
    mha_attention_desc_init_sized(&n->d.d, sizeof n->d, 3, 5, 4, 2, 6, 7);
    assert_int_equal(n->d.d.struct_size, sizeof n->d);
    check_defaults((const desc_v1 *)&n->d.d);
    const unsigned char *tail = (const unsigned char *)&n->d + sizeof(mha_attention_desc);
    for (size_t i = 0; i < sizeof n->d - sizeof(mha_attention_desc); i++)
        assert_int_equal(tail[i], 0);
    assert_true(is_sentinel(n->after, sizeof n->after));
    free(n);

    /* The header's inline init: this header's size. */
    mha_attention_desc d;
    mha_attention_desc_init(&d, 3, 5, 4, 2, 6, 7);
    assert_int_equal(d.struct_size, sizeof(mha_attention_desc));
    check_defaults((const desc_v1 *)&d);
}

/* ------------------------------------------------------------------------------------------ */
/* A first-release program against this library                                                */

static mha_status attend(const prec *pr, const void *d, const void *Q, const void *K, const void *V,
                         const void *M, void *out, void *lse)
{
    return pr->f32 ? mha_attention(d, Q, K, V, M, out, lse)
                   : mha_attention_f64(d, Q, K, V, M, out, lse);
}

static mha_status attend_ws(const prec *pr, const void *d, const void *Q, const void *K,
                            const void *V, const void *M, void *out, void *lse, void *ws,
                            size_t ws_bytes)
{
    return pr->f32 ? mha_attention_ws(d, Q, K, V, M, out, lse, ws, ws_bytes)
                   : mha_attention_ws_f64(d, Q, K, V, M, out, lse, ws, ws_bytes);
}

static mha_status ws_size(const prec *pr, const void *d, size_t *bytes)
{
    return pr->f32 ? mha_attention_workspace_size(d, bytes)
                   : mha_attention_workspace_size_f64(d, bytes);
}

/* Copies of double values in the precision's type (the values are already rounded to it). */
static void *native(const prec *pr, const double *x, size_t n)
{
    if (x == NULL)
        return NULL;
    if (pr->f32)
        return to_f32(x, n);
    double *c = xcalloc(n, sizeof *c);
    memcpy(c, x, n * sizeof *c);
    return c;
}

static double get(const prec *pr, const void *p, size_t i)
{
    return pr->f32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* One shape of the checks below: mha_attention_desc_init's arguments, then what differs. */
typedef struct shape {
    const char *name;
    size_t seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v, batch, pad;
    unsigned flags;
    double scale; /* 0: the default */
    const size_t *kv_lens;
    bool mask, lse;
} shape;

/* The v1 program's descriptor: its own init (its sizeof), then the shape's changes, made on its
 * own fields. */
static void v1_of(const shape *s, desc_v1 *v)
{
    mha_attention_desc_init_sized((mha_attention_desc *)v, sizeof *v, s->seq_q, s->seq_kv,
                                  s->n_heads, s->n_kv_heads, s->d_head, s->d_v);
    v->batch = s->batch;
    v->ld_q += s->pad, v->ld_k += 2 * s->pad, v->ld_v += s->pad, v->ld_out += 3 * s->pad;
    v->batch_stride_q = v->seq_q * v->ld_q + s->pad;
    v->batch_stride_k = v->seq_kv * v->ld_k;
    v->batch_stride_v = v->seq_kv * v->ld_v + 2 * s->pad;
    v->batch_stride_out = v->seq_q * v->ld_out + s->pad;
    v->batch_stride_mask = s->batch > 1 ? v->seq_q * v->ld_mask : 0;
    v->flags = s->flags;
    if (s->scale != 0)
        v->scale = s->scale;
    v->kv_lens = s->kv_lens;
}

/* This header's descriptor of the same call: the v1 fields, and this library's defaults for any
 * field after them (from its own init). */
static mha_attention_desc full_of(const desc_v1 *v)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, v->seq_q, v->seq_kv, v->n_heads, v->n_kv_heads, v->d_head, v->d_v);
    memcpy(&d, v, sizeof *v);
    d.struct_size = sizeof d;
    return d;
}

/* The call through the v1 descriptor (with bytes after it, then in a block of exactly its size)
 * and through the full one: the reference's results within the precision's tolerance, and the
 * same bits every way, with and without a workspace. */
static void check_shape(const prec *pr, const shape *s, uint64_t seed)
{
    v1_program *prog = xcalloc(1, sizeof *prog);
    fill_sentinel(prog, sizeof *prog);
    v1_of(s, &prog->d);
    assert_true(is_sentinel(prog->after, sizeof prog->after));
    desc_v1 *exact = xcalloc(1, sizeof *exact); /* a read past it trips ASan and valgrind */
    *exact = prog->d;
    const mha_attention_desc full = full_of(&prog->d);

    rng r = rng_seeded(seed);
    problem p = problem_new(&full, s->mask);
    fill_uniform_f64(&r, p.Q, p.nq, -1, 1);
    fill_uniform_f64(&r, p.K, p.nk, -1, 1);
    fill_uniform_f64(&r, p.V, p.nv, -1, 1);
    for (size_t i = 0; p.M && i < p.nm; i++)
        p.M[i] = rng_range(&r, 1, 6) == 1 ? -HUGE_VAL : rng_uniform(&r, -2, 2);
    problem_round(pr, &p);
    result want = result_new(&p);
    run_ref(&p, &want);

    const size_t es = pr->f32 ? sizeof(float) : sizeof(double), ob = p.no * es, lb = p.nl * es;
    void *Q = native(pr, p.Q, p.nq), *K = native(pr, p.K, p.nk), *V = native(pr, p.V, p.nv),
         *M = native(pr, p.M, p.nm);
    const void *descs[3] = {&full, &prog->d, exact};
    unsigned char *out[4], *lse[4];
    size_t need[3];
    for (int k = 0; k < 3; k++)
        assert_int_equal(ws_size(pr, descs[k], &need[k]), MHA_OK);
    assert_int_equal(need[1], need[0]), assert_int_equal(need[2], need[0]);
    unsigned char *ws = xcalloc(need[0] + 1, 1);
    for (int k = 0; k < 4; k++) {
        out[k] = xcalloc(p.no, es), lse[k] = xcalloc(p.nl, es);
        fill_sentinel(out[k], ob), fill_sentinel(lse[k], lb);
        void *l = s->lse ? lse[k] : NULL;
        assert_int_equal(k < 3 ? attend(pr, descs[k], Q, K, V, M, out[k], l)
                               : attend_ws(pr, exact, Q, K, V, M, out[k], l, ws, need[0]),
                         MHA_OK);
    }
    for (int k = 1; k < 4; k++) {
        assert_memory_equal(out[k], out[0], ob);
        assert_memory_equal(lse[k], lse[0], lb);
    }
    assert_true(is_sentinel(prog->after, sizeof prog->after));

    /* Against the reference, on the elements the call writes (padding keeps the sentinel). */
    const mha_attention_desc *d = &full;
    for (size_t b = 0; b < d->batch; b++)
        for (size_t i = 0; i < d->seq_q; i++)
            for (size_t c = 0; c < d->n_heads * d->d_v; c++) {
                const size_t at = b * d->batch_stride_out + i * d->ld_out + c;
                const double g = get(pr, out[0], at);
                if (!close_enough(s->name, &g, &want.out[at], 1, pr->atol, pr->rtol))
                    fail_msg("%s (%s): out[%zu]", s->name, pr->f32 ? "float" : "double", at);
            }
    for (size_t i = 0; s->lse && i < p.nl; i++) {
        const double g = get(pr, lse[0], i);
        if (!close_enough(s->name, &g, &want.lse[i], 1, pr->atol, pr->rtol))
            fail_msg("%s (%s): lse[%zu]", s->name, pr->f32 ? "float" : "double", i);
    }
    for (int k = 0; k < 4; k++)
        free(out[k]), free(lse[k]);
    free(Q), free(K), free(V), free(M), free(ws), free(exact), free(prog);
    result_free(&want);
    problem_free(&p);
}

static void first_release_program(void **state)
{
    (void)state;
    static const size_t lens[3] = {7, 0, 3};
    const shape shapes[] = {
        {"causal GQA, lse", 5, 9, 4, 2, 8, 8, 2, 0, MHA_CAUSAL, 0, NULL, false, true},
        {"decode MQA", 1, 40, 8, 1, 16, 16, 1, 0, 0, 0, NULL, false, true},
        {"ragged kv_lens, causal", 4, 7, 2, 2, 4, 6, 3, 0, MHA_CAUSAL, 0, lens, false, true},
        {"mask with -inf, padded, d_v != d_head", 6, 11, 3, 1, 5, 3, 2, 2, 0, 0, NULL, true, true},
        {"mask and causal, scale, no lse", 7, 7, 2, 1, 4, 4, 1, 1, MHA_CAUSAL, 0.3, NULL, true,
         false},
        {"long keys (blocked)", 3, 1100, 2, 2, 4, 4, 1, 0, 0, 0, NULL, false, true},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        check_shape(&F32, &shapes[k], 100 + k);
        check_shape(&F64, &shapes[k], 200 + k);
    }
}

/* A newer program (fields this library lacks) runs here once it lowers struct_size to the first
 * release's: then the fields past it are never read. */
static void newer_program_that_lowers_struct_size(void **state)
{
    (void)state;
    newer_desc n;
    mha_attention_desc_init_sized(&n.d, sizeof n, 2, 3, 1, 1, 2, 2);
    n.window_left = 1, n.softcap = 30; /* options of the newer header */
    const double Q[4] = {1, 0, 0, 1}, K[6] = {1, 0, 0, 1, 1, 1}, V[6] = {1, 2, 3, 4, 5, 6};
    double out[4], out_full[4];
    fill_sentinel(out, sizeof out);
    assert_int_equal(mha_attention_f64(&n.d, Q, K, V, NULL, out, NULL), MHA_ERR_INVALID_ARGUMENT);
    assert_true(is_sentinel(out, sizeof out));
    n.d.struct_size = MHA_ATTENTION_DESC_SIZE_1;
    assert_int_equal(mha_attention_f64(&n.d, Q, K, V, NULL, out, NULL), MHA_OK);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 3, 1, 1, 2, 2);
    assert_int_equal(mha_attention_f64(&d, Q, K, V, NULL, out_full, NULL), MHA_OK);
    assert_memory_equal(out, out_full, sizeof out);
}

/* ------------------------------------------------------------------------------------------ */
/* Sizes no library can honour                                                                 */

/* A 2 × 2 call, 1 head of 2, whose descriptor has room for 64 bytes past this library's (zeros):
 * every entry point must refuse its struct_size with MHA_ERR_INVALID_ARGUMENT, outputs and *bytes
 * untouched. */
typedef struct roomy {
    mha_attention_desc d;
    unsigned char newer[64];
} roomy;

static void refuse(const roomy *r, const char *what)
{
    const mha_attention_desc *d = &r->d;
    const float f[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const double g[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const mha_bf16 hb[8] = {{0}};
    const mha_f16 hf[8] = {{0}};
    float out[4], lse[2];
    double out64[4], lse64[2];
    mha_bf16 outb[4];
    mha_f16 outh[4];
    size_t bytes = 0xA5A5A5A5u;
    unsigned char ws[1 << 12];
    fill_sentinel(out, sizeof out), fill_sentinel(lse, sizeof lse);
    fill_sentinel(out64, sizeof out64), fill_sentinel(lse64, sizeof lse64);
    fill_sentinel(outb, sizeof outb), fill_sentinel(outh, sizeof outh);
    fill_sentinel(ws, sizeof ws);
    const mha_status got[] = {
        mha_attention(d, f, f, f, NULL, out, lse),
        mha_attention_f64(d, g, g, g, NULL, out64, lse64),
        mha_attention_bf16(d, hb, hb, hb, NULL, outb, lse),
        mha_attention_f16(d, hf, hf, hf, NULL, outh, lse),
        mha_attention_ws(d, f, f, f, NULL, out, lse, ws, sizeof ws),
        mha_attention_ws_f64(d, g, g, g, NULL, out64, lse64, ws, sizeof ws),
        mha_attention_ws_bf16(d, hb, hb, hb, NULL, outb, lse, ws, sizeof ws),
        mha_attention_ws_f16(d, hf, hf, hf, NULL, outh, lse, ws, sizeof ws),
        mha_attention_workspace_size(d, &bytes),
        mha_attention_workspace_size_f64(d, &bytes),
        mha_attention_workspace_size_bf16(d, &bytes),
        mha_attention_workspace_size_f16(d, &bytes),
    };
    for (size_t k = 0; k < sizeof got / sizeof got[0]; k++)
        if (got[k] != MHA_ERR_INVALID_ARGUMENT)
            fail_msg("%s, struct_size %zu: entry point %zu returned %s", what, d->struct_size, k,
                     mha_status_string(got[k]));
    assert_true(is_sentinel(out, sizeof out) && is_sentinel(lse, sizeof lse));
    assert_true(is_sentinel(out64, sizeof out64) && is_sentinel(lse64, sizeof lse64));
    assert_true(is_sentinel(outb, sizeof outb) && is_sentinel(outh, sizeof outh));
    assert_true(is_sentinel(ws, sizeof ws));
    assert_int_equal(bytes, 0xA5A5A5A5u);
}

static void no_break(mha_attention_desc *d)
{
    (void)d;
}

static void heads_zero(mha_attention_desc *d)
{
    d->n_heads = 0;
}

static void too_large(mha_attention_desc *d)
{
    d->seq_kv = (size_t)INT32_MAX + 1, d->ld_mask = d->seq_kv;
}

static void bad_stride(mha_attention_desc *d)
{
    d->ld_out = 1;
}

/* Each size no release has, alone and with another rule broken (the other rule must not win),
 * through every attention entry point. */
static void bad_sizes(void **state)
{
    (void)state;
    const size_t ours = sizeof(mha_attention_desc), first = MHA_ATTENTION_DESC_SIZE_1;
    /* Below the first release's; no struct's size (and above ours today); a newer header's. */
    const size_t sizes[] = {0,
                            1,
                            sizeof(size_t),
                            first - alignof(mha_attention_desc),
                            first - 1,
                            first + 1,
                            ours + alignof(mha_attention_desc),
                            ours + 64,
                            SIZE_MAX};
    void (*const spoil[])(mha_attention_desc *) = {no_break, heads_zero, too_large, bad_stride};
    const char *const spoiled[] = {"only struct_size", "and n_heads 0", "and seq_kv above INT_MAX",
                                   "and ld_out too small"};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (size_t m = 0; m < sizeof spoil / sizeof spoil[0]; m++) {
            roomy r;
            memset(&r, 0, sizeof r);
            mha_attention_desc_init(&r.d, 2, 2, 1, 1, 2, 2);
            spoil[m](&r.d);
            r.d.struct_size = sizes[k];
            refuse(&r, spoiled[m]);
        }
    /* Beside each: NULL buffers and overlapping outputs lose to struct_size too. */
    roomy r;
    memset(&r, 0, sizeof r);
    mha_attention_desc_init(&r.d, 2, 2, 1, 1, 2, 2);
    r.d.struct_size = 0;
    float x[4] = {0};
    assert_int_equal(mha_attention(&r.d, NULL, NULL, NULL, NULL, NULL, NULL),
                     MHA_ERR_INVALID_ARGUMENT);
    assert_int_equal(mha_attention(&r.d, x, x, x, NULL, x, NULL), MHA_ERR_INVALID_ARGUMENT);
    /* No descriptor is still a NULL pointer. */
    assert_int_equal(mha_attention(NULL, x, x, x, NULL, x, NULL), MHA_ERR_NULL_POINTER);
    size_t bytes;
    assert_int_equal(mha_attention_workspace_size(NULL, &bytes), MHA_ERR_NULL_POINTER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_release_layout),
        cmocka_unit_test(init_writes_its_struct_size_only),
        cmocka_unit_test(first_release_program),
        cmocka_unit_test(newer_program_that_lowers_struct_size),
        cmocka_unit_test(bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
