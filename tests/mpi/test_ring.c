/* SPDX-License-Identifier: MIT */
/* Ring attention under mpirun (any number of ranks): each rank's rows of mha_ring_attention()
 * and mha_ring_attention_ex() against the single-process mha_attention_f64() over the whole
 * sequence (itself checked against the naive reference here), in both layouts (contiguous,
 * zigzag), for even, uneven (zigzag: chunks differing by one row), one-row and zero-row shards
 * (zigzag: empty chunks and ranks, total < 2P), causal and not, GQA, batches and padded strides,
 * in double and float, and in bf16 and f16 (mha_ring_attention[_ex]_bf16/_f16, every case: against
 * the exact attention of the half inputs within one rounding, and against the single-process
 * mha_attention_bf16/_f16() within mha.h's half bound; their shards half the float bytes, their
 * float lse's span in the error rules); mha_ring_shard_rows() by hand and as a
 * partition; the messages each rank sends (contiguous causal stops shards at the last rank);
 * isolation from the caller's own messages; and the collective error rules (the same status on
 * every rank, no data sent, outputs untouched, bounded time). tests/mpi/test_ring_oom.c has the
 * out-of-memory path.
 *
 * Plain C rather than cmocka: a failed check must not leave the test function, or this rank
 * would skip collectives that the others are waiting in. Failures are printed by the rank that
 * sees them, every case's verdict is agreed by MPI_Allreduce, and every rank exits non-zero if
 * any rank failed. */
#include "mha_mpi.h"
#include "ref.h"

#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library's double path and the single-process call differ only in summation order (per
 * shard, then merged) and exp/log's last ulp: far below 1e-12 for O(1) data. float: inputs are
 * exact in both precisions; rounding in the float GEMMs and the merges stays well below 1e-4 (the
 * same budget as tests/test_random.c). */
#define ATOL_F64 1e-12
#define RTOL_F64 1e-12
#define ATOL_F32 1e-4
#define RTOL_F32 1e-4

static int rank, size;
static long failures; /* this rank's failed checks */

static void fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rank %d: %s:%d: ", rank, file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__FILE__, __LINE__, __VA_ARGS__);                                                 \
    } while (0)

#define CHECK_STATUS(got, want)                                                                    \
    do {                                                                                           \
        mha_status got_ = (got), want_ = (want);                                                   \
        CHECK(got_ == want_, "%s is %d (%s), want %d (%s)", #got, (int)got_,                       \
              mha_mpi_status_string(got_), (int)want_, mha_mpi_status_string(want_));              \
    } while (0)

static void *xcalloc(size_t n, size_t elem)
{
    void *p = calloc(n ? n : 1, elem);
    if (p == NULL) {
        fprintf(stderr, "rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    return p;
}

/* xorshift64*, seeded the same on every rank: every rank builds the same global data. */
typedef struct rng {
    uint64_t s;
} rng;

static rng rng_seeded(uint64_t seed)
{
    return (rng){seed * 0x9E3779B97F4A7C15ull + 1};
}

static uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static size_t rng_range(rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(rng_next(r) % (hi - lo + 1));
}

/* Uniform in [-1, 1), rounded to float so that both precisions see the same numbers. */
static double rng_value(rng *r)
{
    return (double)(float)(-1.0 + 2.0 * (double)(rng_next(r) >> 11) * 0x1.0p-53);
}

static bool close_to(double got, double want, double atol, double rtol)
{
    if (isinf(want))
        return got == want;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

/* Messages the ring sends, counted through MPI's profiling interface: this definition of
 * MPI_Isend is the one the library's calls resolve to. */
static long isend_calls;
static long long isend_bytes; /* and their payload */

int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
              MPI_Request *request)
{
    int type_size = 0;
    MPI_Type_size(datatype, &type_size);
    isend_calls++;
    isend_bytes += (long long)count * type_size;
    return PMPI_Isend(buf, count, datatype, dest, tag, comm, request);
}

/* A value no computation here produces: marks output elements that must stay unwritten. */
#define SENTINEL 12345.5

/* ------------------------------------------------------------------------------------------ */
/* Ring against the single process                                                             */

typedef struct shape {
    size_t batch, n_heads, n_kv_heads, d_head, d_v;
    double scale; /* 0: the default 1/sqrt(d_head) */
    bool causal;
    size_t pad; /* extra elements on every row and batch stride of the local buffers */
} shape;

/* Elements spanned by `items` items of `rows` rows. */
static size_t extent(size_t items, size_t item_stride, size_t rows, size_t ld)
{
    return rows == 0 ? 0 : (items - 1) * item_stride + rows * ld;
}

/* Global row of this rank's local row i: contiguous, after the earlier ranks' rows; zigzag, the
 * two ranges of mha_ring_shard_rows() one after the other. */
static size_t global_row(mha_ring_layout layout, const size_t *lens, size_t total, size_t i)
{
    size_t first[2], count[2];
    if (layout == MHA_RING_ZIGZAG) {
        mha_ring_shard_rows(layout, total, size, rank, first, count);
        return i < count[0] ? first[0] + i : first[1] + (i - count[0]);
    }
    size_t o = 0;
    for (int r = 0; r < rank; r++)
        o += lens[r];
    return o + i;
}

/* Every rank's zigzag length for `total` rows. */
static void zigzag_lens(size_t total, size_t *lens)
{
    for (int r = 0; r < size; r++) {
        size_t first[2], count[2];
        mha_ring_shard_rows(MHA_RING_ZIGZAG, total, size, r, first, count);
        lens[r] = count[0] + count[1];
    }
}

/* Both precisions of the ring on one rank's buffers: the contiguous layout through the plain
 * entry points (mha_ring_attention_ex() in that layout is the same call), zigzag through _ex. */
static void ring_both(const mha_attention_desc *d, mha_ring_layout layout, const double *Q,
                      const double *K, const double *V, double *O, double *L, const float *Qf,
                      const float *Kf, const float *Vf, float *Of, float *Lf)
{
    if (layout == MHA_RING_CONTIGUOUS) {
        CHECK_STATUS(mha_ring_attention_f64(d, MPI_COMM_WORLD, Q, K, V, O, L), MHA_OK);
        CHECK_STATUS(mha_ring_attention(d, MPI_COMM_WORLD, Qf, Kf, Vf, Of, Lf), MHA_OK);
    } else {
        CHECK_STATUS(mha_ring_attention_ex_f64(d, MPI_COMM_WORLD, layout, Q, K, V, O, L), MHA_OK);
        CHECK_STATUS(mha_ring_attention_ex(d, MPI_COMM_WORLD, layout, Qf, Kf, Vf, Of, Lf), MHA_OK);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The half types                                                                              */

/* One half type behind void pointers (its elements are 16 bits): conversions, the single-process
 * call, and the ring (contiguous: through the plain entry point, as ring_both()). */
typedef struct half_type {
    const char *name;
    double u; /* unit roundoff: 2^-8 bf16, 2^-11 f16 (mha.h) */
    mha_status (*narrow)(const float *src, void *dst, size_t n);
    mha_status (*widen)(const void *src, float *dst, size_t n);
    mha_status (*attention)(const mha_attention_desc *d, const void *Q, const void *K,
                            const void *V, void *out, float *lse);
    mha_status (*ring)(const mha_attention_desc *d, mha_ring_layout layout, const void *Q,
                       const void *K, const void *V, void *out, float *lse);
} half_type;

#define HALF_TYPE(T, U)                                                                            \
    static mha_status narrow_##T(const float *src, void *dst, size_t n)                            \
    {                                                                                              \
        return mha_convert_f32_to_##T(src, dst, n);                                                \
    }                                                                                              \
    static mha_status widen_##T(const void *src, float *dst, size_t n)                             \
    {                                                                                              \
        return mha_convert_##T##_to_f32(src, dst, n);                                              \
    }                                                                                              \
    static mha_status attention_##T(const mha_attention_desc *d, const void *Q, const void *K,     \
                                    const void *V, void *out, float *lse)                          \
    {                                                                                              \
        return mha_attention_##T(d, Q, K, V, NULL, out, lse);                                      \
    }                                                                                              \
    static mha_status ring_##T(const mha_attention_desc *d, mha_ring_layout layout, const void *Q, \
                               const void *K, const void *V, void *out, float *lse)                \
    {                                                                                              \
        if (layout == MHA_RING_CONTIGUOUS)                                                         \
            return mha_ring_attention_##T(d, MPI_COMM_WORLD, Q, K, V, out, lse);                   \
        return mha_ring_attention_ex_##T(d, MPI_COMM_WORLD, layout, Q, K, V, out, lse);            \
    }                                                                                              \
    static const half_type half_##T = {#T, U, narrow_##T, widen_##T, attention_##T, ring_##T};

HALF_TYPE(bf16, 0x1p-8)
HALF_TYPE(f16, 0x1p-11)

/* One test's data: the whole sequence (g, packed; Qg, Kg, Vg exact in float) and this rank's
 * shard (d's padded layout; Qf, Kf, Vf). */
typedef struct ring_case {
    const char *what;
    mha_ring_layout layout;
    const size_t *lens;
    size_t total;
    const mha_attention_desc *g, *d;
    const double *Qg, *Kg, *Vg;
    const float *Qf, *Kf, *Vf;
    bool want_lse;
} ring_case;

/* n floats rounded to the half type: a new buffer of n halves. */
static void *halves_of_floats(const half_type *t, const float *src, size_t n)
{
    uint16_t *h = xcalloc(n, sizeof *h);
    CHECK_STATUS(t->narrow(src, h, n), MHA_OK);
    return h;
}

/* n doubles (exact in float) rounded to the half type. */
static void *halves_of(const half_type *t, const double *src, size_t n)
{
    float *f = xcalloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)src[i];
    void *h = halves_of_floats(t, f, n);
    free(f);
    return h;
}

/* n halves, exactly, as floats and as doubles (either may be NULL). */
static void widen_halves(const half_type *t, const void *h, size_t n, float *f, double *dbl)
{
    float *w = f ? f : xcalloc(n, sizeof *w);
    CHECK_STATUS(t->widen(h, w, n), MHA_OK);
    for (size_t i = 0; dbl && i < n; i++)
        dbl[i] = w[i];
    if (w != f)
        free(w);
}

/* The ring in half type t on this rank's shard (its float inputs rounded to t), against the exact
 * attention of the rounded whole sequence (mha_attention_f64() on them): within one rounding to t
 * (u·|x|) plus float rounding — the ring computes in float and rounds once; and against the
 * single-process mha_attention_T() on the same half inputs: within mha.h's half bound,
 * 3u·max|V| plus float rounding (not bitwise: the ring merges float partials, and the single call
 * may round P to bf16). The float lse against both; out's padding untouched. */
static void check_half(const half_type *t, const ring_case *rc)
{
    const mha_attention_desc *g = rc->g, *d = rc->d;
    const size_t B = g->batch, H = g->n_heads, T = rc->total, n = d->seq_q;
    const size_t gq = B * T * H * g->d_head, gk = B * T * g->n_kv_heads * g->d_head,
                 gv = B * T * g->n_kv_heads * g->d_v, ow = H * g->d_v, go = B * T * ow,
                 gl = B * H * T;
    /* The whole sequence in t; its exact attention; the single-process call on it. */
    void *Qh = halves_of(t, rc->Qg, gq), *Kh = halves_of(t, rc->Kg, gk),
         *Vh = halves_of(t, rc->Vg, gv), *Oh = xcalloc(go, 2);
    double *Qe = xcalloc(gq, 8), *Ke = xcalloc(gk, 8), *Ve = xcalloc(gv, 8), *Oe = xcalloc(go, 8),
           *Le = xcalloc(gl, 8);
    float *Os = xcalloc(go, 4), *Ls = xcalloc(gl, 4);
    widen_halves(t, Qh, gq, NULL, Qe), widen_halves(t, Kh, gk, NULL, Ke);
    widen_halves(t, Vh, gv, NULL, Ve);
    CHECK_STATUS(mha_attention_f64(g, Qe, Ke, Ve, NULL, Oe, Le), MHA_OK);
    CHECK_STATUS(t->attention(g, Qh, Kh, Vh, Oh, Ls), MHA_OK);
    widen_halves(t, Oh, go, Os, NULL);
    double max_v = 0;
    for (size_t i = 0; i < gv; i++)
        max_v = fmax(max_v, fabs(Ve[i]));

    /* This rank's shard in t, out filled with a sentinel, and the ring. */
    const size_t nq = extent(B, d->batch_stride_q, n, d->ld_q),
                 nk = extent(B, d->batch_stride_k, n, d->ld_k),
                 nv = extent(B, d->batch_stride_v, n, d->ld_v),
                 no = extent(B, d->batch_stride_out, n, d->ld_out), nl = B * H * n;
    void *q = halves_of_floats(t, rc->Qf, nq), *k = halves_of_floats(t, rc->Kf, nk),
         *v = halves_of_floats(t, rc->Vf, nv);
    const float sentinel = (float)SENTINEL;
    uint16_t mark;
    CHECK_STATUS(t->narrow(&sentinel, &mark, 1), MHA_OK);
    uint16_t *o = xcalloc(no, 2);
    float *of = xcalloc(no, 4), *l = xcalloc(nl, 4);
    for (size_t i = 0; i < no; i++)
        o[i] = mark;
    CHECK_STATUS(t->ring(d, rc->layout, q, k, v, o, rc->want_lse ? l : NULL), MHA_OK);
    widen_halves(t, o, no, of, NULL);

    long bad_exact = 0, bad_single = 0, pad_written = 0;
    const double bound = 3 * t->u * max_v + ATOL_F32;
    for (size_t e = 0; e < no; e++) {
        size_t b = e / d->batch_stride_out, rest = e % d->batch_stride_out;
        size_t i = rest / d->ld_out, c = rest % d->ld_out;
        if (b >= B || i >= n || c >= ow) {
            pad_written += o[e] != mark;
            continue;
        }
        const size_t at = (b * T + global_row(rc->layout, rc->lens, T, i)) * ow + c;
        const double got = of[e], exact = Oe[at], single = Os[at];
        const bool ok_exact = fabs(got - exact) <= t->u * fabs(exact) + ATOL_F32;
        const bool ok_single = fabs(got - single) <= bound;
        if ((!ok_exact || !ok_single) && bad_exact + bad_single == 0)
            fprintf(stderr,
                    "rank %d: %s %s: out row %zu col %zu: ring %.9g exact %.9g single %.9g\n", rank,
                    t->name, rc->what, at / ow, c, got, exact, single);
        bad_exact += !ok_exact, bad_single += !ok_single;
    }
    for (size_t b = 0; rc->want_lse && b < B; b++)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < n; i++) {
                const size_t at = (b * H + h) * T + global_row(rc->layout, rc->lens, T, i);
                const double got = l[(b * H + h) * n + i];
                bad_exact += !close_to(got, Le[at], ATOL_F32, RTOL_F32);
                bad_single += !close_to(got, Ls[at], ATOL_F32, RTOL_F32);
            }
    CHECK(bad_exact == 0, "%s %s: %ld values off the exact attention of the half inputs", t->name,
          rc->what, bad_exact);
    CHECK(bad_single == 0, "%s %s: %ld values off mha_attention_%s() beyond the half bound",
          t->name, rc->what, bad_single, t->name);
    CHECK(pad_written == 0, "%s %s: %ld padding elements of out written", t->name, rc->what,
          pad_written);

    free(Qh), free(Kh), free(Vh), free(Oh), free(Qe), free(Ke), free(Ve), free(Oe), free(Le);
    free(Os), free(Ls), free(q), free(k), free(v), free(o), free(of), free(l);
}

/* The half types' shards travel in 16 bits: a half call sends exactly half the bytes of the float
 * one. Their lse is float, so its span is 4-byte elements: an out across the back half of the lse's
 * bytes is MHA_ERR_OVERLAP on every rank, one right after it is fine; a NULL out on rank 0 fails
 * every rank. On error nothing is sent and no byte of out or lse is written. */
static void half_ring_bytes_and_errors(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    zigzag_lens(6 * (size_t)size, lens);
    const size_t n = lens[rank], W = 2 * 4, nl = 2 * n, bytes = nl * 4 + n * W * 2;
    float *xf = xcalloc(n * W, sizeof *xf), *of = xcalloc(n * W, sizeof *of);
    for (size_t i = 0; i < n * W; i++)
        xf[i] = (float)(i % 7) / 7;
    mha_attention_desc d;
    mha_attention_desc_init(&d, n, n, 2, 2, 4, 4);
    long long before = isend_bytes;
    CHECK_STATUS(mha_ring_attention_ex(&d, MPI_COMM_WORLD, MHA_RING_ZIGZAG, xf, xf, xf, of, NULL),
                 MHA_OK);
    const long long float_bytes = isend_bytes - before;
    const struct {
        size_t out_at; /* out's byte offset in buf, after the lse's nl floats */
        int null_rank;
        mha_status want;
    } cases[] = {
        {nl * 4, -1, MHA_OK},
        {nl * 2, -1, MHA_ERR_OVERLAP},
        {nl * 4, 0, MHA_ERR_NULL_POINTER},
    };
    const half_type *types[] = {&half_bf16, &half_f16};
    for (int t = 0; t < 2; t++) {
        void *x = halves_of_floats(types[t], xf, n * W);
        unsigned char *buf = xcalloc(bytes, 1);
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            memset(buf, 0x5a, bytes);
            void *out = rank == cases[k].null_rank ? NULL : buf + cases[k].out_at;
            before = isend_bytes;
            CHECK_STATUS(types[t]->ring(&d, MHA_RING_ZIGZAG, x, x, x, out, (float *)buf),
                         cases[k].want);
            const long long sent = isend_bytes - before;
            if (cases[k].want == MHA_OK) {
                CHECK(2 * sent == float_bytes, "%s: sent %lld bytes, float %lld", types[t]->name,
                      sent, float_bytes);
                continue;
            }
            bool untouched = true;
            for (size_t i = 0; i < bytes; i++)
                untouched &= buf[i] == 0x5a;
            CHECK(sent == 0 && untouched, "%s case %zu: sent %lld bytes, outputs %s on error",
                  types[t]->name, k, sent, untouched ? "untouched" : "written");
        }
        free(x), free(buf);
    }
    free(xf), free(of), free(lens);
}

/* Shard lengths lens[size] of a test (zigzag: zigzag_lens()): the ring on this rank's shard
 * against the whole sequence, in double and float, then in bf16 and f16. */
static void check_ring_in(const char *what, shape sh, mha_ring_layout layout, const size_t *lens,
                          uint64_t seed)
{
    size_t total = 0;
    for (int r = 0; r < size; r++)
        total += lens[r];
    const size_t n = lens[rank], B = sh.batch, H = sh.n_heads;
    const size_t qw = H * sh.d_head, kw = sh.n_kv_heads * sh.d_head, vw = sh.n_kv_heads * sh.d_v,
                 ow = H * sh.d_v;

    /* The whole sequence, packed, and the single-process result over it. */
    mha_attention_desc g;
    mha_attention_desc_init(&g, total, total, H, sh.n_kv_heads, sh.d_head, sh.d_v);
    g.batch = B;
    g.batch_stride_q = total * qw, g.batch_stride_k = total * kw;
    g.batch_stride_v = total * vw, g.batch_stride_out = total * ow;
    if (sh.scale != 0)
        g.scale = sh.scale;
    g.flags = sh.causal ? MHA_CAUSAL : 0;
    rng r = rng_seeded(seed);
    double *Qg = xcalloc(B * total * qw, 8), *Kg = xcalloc(B * total * kw, 8),
           *Vg = xcalloc(B * total * vw, 8), *Og = xcalloc(B * total * ow, 8),
           *Lg = xcalloc(B * H * total, 8), *Or = xcalloc(B * total * ow, 8),
           *Lr = xcalloc(B * H * total, 8);
    for (size_t i = 0; i < B * total * qw; i++)
        Qg[i] = rng_value(&r);
    for (size_t i = 0; i < B * total * kw; i++)
        Kg[i] = rng_value(&r);
    for (size_t i = 0; i < B * total * vw; i++)
        Vg[i] = rng_value(&r);
    CHECK_STATUS(mha_attention_f64(&g, Qg, Kg, Vg, NULL, Og, Lg), MHA_OK);
    /* The expected values are only as good as the single-process call: hold it to the naive
     * reference first. */
    ref_attention(&g, Qg, Kg, Vg, NULL, Or, Lr);
    for (size_t i = 0; i < B * total * ow; i++)
        CHECK(close_to(Og[i], Or[i], ATOL_F64, RTOL_F64), "%s: single process vs reference", what);

    /* This rank's shard in padded local layouts. */
    mha_attention_desc d;
    mha_attention_desc_init(&d, n, n, H, sh.n_kv_heads, sh.d_head, sh.d_v);
    d.batch = B;
    d.ld_q += sh.pad, d.ld_k += 2 * sh.pad, d.ld_v += sh.pad, d.ld_out += 3 * sh.pad;
    d.batch_stride_q = n * d.ld_q + sh.pad, d.batch_stride_k = n * d.ld_k + sh.pad;
    d.batch_stride_v = n * d.ld_v, d.batch_stride_out = n * d.ld_out + 2 * sh.pad;
    d.scale = g.scale;
    d.flags = g.flags;
    const size_t nq = extent(B, d.batch_stride_q, n, d.ld_q),
                 nk = extent(B, d.batch_stride_k, n, d.ld_k),
                 nv = extent(B, d.batch_stride_v, n, d.ld_v),
                 no = extent(B, d.batch_stride_out, n, d.ld_out), nl = B * H * n;
    double *Q = xcalloc(nq, 8), *K = xcalloc(nk, 8), *V = xcalloc(nv, 8), *O = xcalloc(no, 8),
           *L = xcalloc(nl, 8);
    float *Qf = xcalloc(nq, 4), *Kf = xcalloc(nk, 4), *Vf = xcalloc(nv, 4), *Of = xcalloc(no, 4),
          *Lf = xcalloc(nl, 4);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < n; i++) {
            size_t row = b * total + global_row(layout, lens, total, i);
            for (size_t c = 0; c < qw; c++)
                Q[b * d.batch_stride_q + i * d.ld_q + c] = Qg[row * qw + c];
            for (size_t c = 0; c < kw; c++)
                K[b * d.batch_stride_k + i * d.ld_k + c] = Kg[row * kw + c];
            for (size_t c = 0; c < vw; c++)
                V[b * d.batch_stride_v + i * d.ld_v + c] = Vg[row * vw + c];
        }
    for (size_t i = 0; i < nq; i++)
        Qf[i] = (float)Q[i];
    for (size_t i = 0; i < nk; i++)
        Kf[i] = (float)K[i];
    for (size_t i = 0; i < nv; i++)
        Vf[i] = (float)V[i];
    for (size_t i = 0; i < no; i++)
        O[i] = SENTINEL, Of[i] = (float)SENTINEL;
    /* lse on every other rank only: it is optional per rank. */
    const bool want_lse = rank % 2 == 0;
    ring_both(&d, layout, Q, K, V, O, want_lse ? L : NULL, Qf, Kf, Vf, Of, want_lse ? Lf : NULL);

    /* Every output element against the whole-sequence result; padding untouched. */
    long bad64 = 0, bad32 = 0, pad_written = 0;
    for (size_t e = 0; e < no; e++) {
        size_t b = e / d.batch_stride_out, rest = e % d.batch_stride_out;
        size_t i = rest / d.ld_out, c = rest % d.ld_out;
        if (b >= B || i >= n || c >= ow) {
            pad_written += O[e] != SENTINEL || Of[e] != (float)SENTINEL;
            continue;
        }
        const size_t gi = global_row(layout, lens, total, i);
        double want = Og[(b * total + gi) * ow + c];
        bad64 += !close_to(O[e], want, ATOL_F64, RTOL_F64);
        bad32 += !close_to((double)Of[e], want, ATOL_F32, RTOL_F32);
        if (bad64 + bad32 == 1 && !(close_to(O[e], want, ATOL_F64, RTOL_F64) &&
                                    close_to((double)Of[e], want, ATOL_F32, RTOL_F32)))
            fprintf(stderr,
                    "rank %d: %s: out batch %zu row %zu col %zu: f64 %.17g f32 %.9g want %.17g\n",
                    rank, what, b, gi, c, O[e], (double)Of[e], want);
    }
    for (size_t b = 0; want_lse && b < B; b++)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < n; i++) {
                double want = Lg[(b * H + h) * total + global_row(layout, lens, total, i)];
                size_t at = (b * H + h) * n + i;
                bad64 += !close_to(L[at], want, ATOL_F64, RTOL_F64);
                bad32 += !close_to((double)Lf[at], want, ATOL_F32, RTOL_F32);
            }
    CHECK(bad64 == 0, "%s: %ld double values off the single-process result", what, bad64);
    CHECK(bad32 == 0, "%s: %ld float values off the single-process result", what, bad32);
    CHECK(pad_written == 0, "%s: %ld padding elements of out written", what, pad_written);

    const ring_case rc = {what, layout, lens, total, &g, &d, Qg, Kg, Vg, Qf, Kf, Vf, want_lse};
    check_half(&half_bf16, &rc);
    check_half(&half_f16, &rc);

    free(Qg), free(Kg), free(Vg), free(Og), free(Lg), free(Or), free(Lr);
    free(Q), free(K), free(V), free(O), free(L), free(Qf), free(Kf), free(Vf), free(Of), free(Lf);
}

static void check_ring(const char *what, shape sh, const size_t *lens, uint64_t seed)
{
    check_ring_in(what, sh, MHA_RING_CONTIGUOUS, lens, seed);
}

static const shape MHA_SHAPE = {1, 2, 2, 8, 8, 0, false, 0};

static void ring_even_shards(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (int r = 0; r < size; r++)
        lens[r] = 24;
    for (int causal = 0; causal < 2; causal++) {
        shape sh = MHA_SHAPE;
        sh.causal = causal;
        check_ring(causal ? "even causal" : "even", sh, lens, 1);
    }
    free(lens);
}

/* GQA, MQA, d_v != d_head, custom scale, batches and padded strides over random uneven shards;
 * d_head 0 (every score 0: each row averages the V rows it sees, across shards). */
static void ring_uneven_shards_gqa(void)
{
    const shape shapes[] = {
        {1, 4, 2, 8, 8, 0, false, 0},   {1, 4, 2, 8, 8, 0, true, 0},
        {2, 3, 1, 5, 7, -0.8, true, 3}, {2, 6, 3, 4, 9, 0, false, 1},
        {3, 2, 1, 16, 4, 0.3, true, 2}, {2, 4, 2, 0, 5, 0, true, 1},
        {1, 3, 3, 0, 4, 0, false, 0},
    };
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    rng r = rng_seeded(99);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        for (int k = 0; k < size; k++)
            lens[k] = rng_range(&r, 1, 37);
        char what[64];
        snprintf(what, sizeof what, "uneven shape %zu", t);
        check_ring(what, shapes[t], lens, 10 + t);
    }
    free(lens);
}

static void ring_one_row_shards(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (int r = 0; r < size; r++)
        lens[r] = 1;
    for (int causal = 0; causal < 2; causal++) {
        shape sh = {2, 4, 1, 6, 6, 0, causal, 1};
        check_ring(causal ? "one row causal" : "one row", sh, lens, 20);
    }
    free(lens);
}

/* Zero-row shards at the start, in the middle and at the end of the sequence. */
static void ring_zero_row_shards(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (int pattern = 0; pattern < 3; pattern++) {
        for (int r = 0; r < size; r++)
            lens[r] = 5 + (size_t)r;
        int empty = pattern == 0 ? 0 : pattern == 1 ? size / 2 : size - 1;
        lens[empty] = 0;
        if (size == 1)
            lens[0] = pattern == 0 ? 0 : 7; /* one rank: empty call, then a lone shard */
        for (int causal = 0; causal < 2; causal++) {
            shape sh = {1, 2, 2, 4, 4, 0, causal, 2};
            char what[64];
            snprintf(what, sizeof what, "zero-row shard at rank %d%s", empty,
                     causal ? " causal" : "");
            check_ring(what, sh, lens, 30 + (uint64_t)pattern);
        }
    }
    free(lens);
}

/* Shards longer than the ring's block of query rows (128): several blocks per shard, and on the
 * own shard the causal mask cut across blocks. */
static void ring_long_shards(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (int r = 0; r < size; r++)
        lens[r] = r % 2 ? 40 : 300;
    for (int causal = 0; causal < 2; causal++) {
        shape sh = {1, 2, 1, 8, 8, 0, causal, 1};
        check_ring(causal ? "long causal" : "long", sh, lens, 40);
    }
    free(lens);
}

/* The ring's messages run on a private communicator: a receive the caller has posted for any
 * source and tag stays pending through the call, and gets the caller's own message after it. */
static void ring_leaves_caller_messages_alone(void)
{
    double pending = 0, mine = 42.0 + rank;
    MPI_Request req;
    MPI_Irecv(&pending, 1, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &req);
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (int r = 0; r < size; r++)
        lens[r] = 3;
    check_ring("pending caller receive", MHA_SHAPE, lens, 50);
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    CHECK(!done, "the caller's pending receive matched a ring message");
    MPI_Send(&mine, 1, MPI_DOUBLE, rank, 7, MPI_COMM_WORLD);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    CHECK(pending == mine, "the caller's receive got %g, want %g", pending, mine);
    free(lens);
}

/* Messages per call: P − 1 per rank; causal, r + 1 from rank r < P − 1 and none from the last
 * rank (shards never travel past it: no rank after the wrap-around needs them). */
static void ring_causal_sends_only_what_is_needed(void)
{
    enum { N = 6, W = 2 * 4 };
    double Q[N * W], K[N * W], V[N * W], out[N * W];
    for (size_t i = 0; i < N * W; i++)
        Q[i] = K[i] = V[i] = (double)(i % 7) / 7;
    mha_attention_desc d;
    mha_attention_desc_init(&d, N, N, 2, 2, 4, 4);
    for (int causal = 0; causal < 2; causal++) {
        d.flags = causal ? MHA_CAUSAL : 0;
        long before = isend_calls;
        CHECK_STATUS(mha_ring_attention_f64(&d, MPI_COMM_WORLD, Q, K, V, out, NULL), MHA_OK);
        long sent = isend_calls - before;
        long want = !causal ? size - 1 : rank < size - 1 ? rank + 1 : 0;
        CHECK(sent == want, "%s: rank sent %ld shard messages, want %ld",
              causal ? "causal" : "full", sent, want);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Zigzag                                                                                      */

/* mha_ring_shard_rows() by hand: chunks of T / C rows, the first T mod C one row longer. */
static void shard_rows_by_hand(void)
{
    /* Worked out on paper. T = 10, P = 2, zigzag: chunks 3, 3, 2, 2 → rank 0 rows 0–2 and 8–9,
     * rank 1 3–5 and 6–7. T = 3, P = 2: chunks 1, 1, 1, 0 → rank 0 row 0 and an empty chunk at
     * 3, rank 1 rows 1, 2. T = 13, P = 3: chunks 3, 2, 2, 2, 2, 2 → rank 2 holds chunks 2 (rows
     * 5–6) and 3 (7–8), rank 0 chunks 0 (0–2) and 5 (11–12). Contiguous, T = 10, P = 3: rows
     * 0–3, 4–6, 7–9; the second range empty, right after the first. */
    static const struct {
        mha_ring_layout layout;
        size_t total;
        int n_ranks, rank;
        size_t first[2], count[2];
    } cases[] = {
        {MHA_RING_ZIGZAG, 10, 2, 0, {0, 8}, {3, 2}},
        {MHA_RING_ZIGZAG, 10, 2, 1, {3, 6}, {3, 2}},
        {MHA_RING_ZIGZAG, 3, 2, 0, {0, 3}, {1, 0}},
        {MHA_RING_ZIGZAG, 3, 2, 1, {1, 2}, {1, 1}},
        {MHA_RING_ZIGZAG, 13, 3, 2, {5, 7}, {2, 2}},
        {MHA_RING_ZIGZAG, 13, 3, 0, {0, 11}, {3, 2}},
        {MHA_RING_CONTIGUOUS, 10, 3, 1, {4, 7}, {3, 0}},
        {MHA_RING_CONTIGUOUS, 10, 3, 0, {0, 4}, {4, 0}},
    };
    size_t f[2], c[2];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_STATUS(mha_ring_shard_rows(cases[i].layout, cases[i].total, cases[i].n_ranks,
                                         cases[i].rank, f, c),
                     MHA_OK);
        CHECK(f[0] == cases[i].first[0] && c[0] == cases[i].count[0] && f[1] == cases[i].first[1] &&
                  c[1] == cases[i].count[1],
              "shard rows worked out by hand");
    }
    /* Errors write nothing. */
    f[0] = f[1] = c[0] = c[1] = 77;
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, 10, 2, 2, f, c), MHA_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, 10, 2, -1, f, c), MHA_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, 10, 0, 0, f, c), MHA_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mha_ring_shard_rows((mha_ring_layout)2, 10, 2, 0, f, c), MHA_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, 10, 2, 0, NULL, c), MHA_ERR_NULL_POINTER);
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, 10, 2, 0, f, NULL), MHA_ERR_NULL_POINTER);
    CHECK(f[0] == 77 && f[1] == 77 && c[0] == 77 && c[1] == 77, "written on error");
    /* Huge totals: no product wraps. */
    CHECK_STATUS(mha_ring_shard_rows(MHA_RING_ZIGZAG, SIZE_MAX, 3, 2, f, c), MHA_OK);
    const size_t q = SIZE_MAX / 6, e = SIZE_MAX % 6;
    CHECK(c[0] == q + (2 < e) && c[1] == q + (3 < e) && f[0] == 2 * q + (2 < e ? 2 : e),
          "zigzag SIZE_MAX/3 rank 2");
}

/* Over all ranks, the ranges of each layout partition [0, T): every row held exactly once; and
 * the chunks' lengths differ by at most one. */
static void shard_rows_partition(void)
{
    unsigned char held[64];
    for (int layout = 0; layout < 2; layout++)
        for (int P = 1; P <= 7; P++)
            for (size_t T = 0; T <= sizeof held; T++) {
                memset(held, 0, sizeof held);
                size_t lo = SIZE_MAX, hi = 0;
                for (int r = 0; r < P; r++) {
                    size_t f[2], c[2];
                    mha_ring_shard_rows((mha_ring_layout)layout, T, P, r, f, c);
                    for (int k = 0; k < 2; k++) {
                        for (size_t i = f[k]; i < f[k] + c[k] && i < sizeof held; i++)
                            held[i]++;
                        CHECK(f[k] + c[k] <= T, "range past the end (T %zu P %d)", T, P);
                        if (k == 0 || layout == MHA_RING_ZIGZAG) {
                            lo = c[k] < lo ? c[k] : lo;
                            hi = c[k] > hi ? c[k] : hi;
                        }
                    }
                }
                bool once = true;
                for (size_t i = 0; i < T; i++)
                    once &= held[i] == 1;
                CHECK(once, "layout %d, T %zu, P %d: not a partition", layout, T, P);
                CHECK(hi - lo <= 1, "layout %d, T %zu, P %d: chunks %zu..%zu", layout, T, P, lo,
                      hi);
            }
}

static void zigzag_even(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    zigzag_lens(48 * (size_t)size, lens);
    for (int causal = 0; causal < 2; causal++) {
        shape sh = MHA_SHAPE;
        sh.causal = causal;
        check_ring_in(causal ? "zigzag even causal" : "zigzag even", sh, MHA_RING_ZIGZAG, lens, 60);
    }
    free(lens);
}

/* Totals whose 2P chunks differ by one row, over GQA, MQA, d_v != d_head, custom scale, batches
 * and padded strides, and d_head 0. */
static void zigzag_uneven_gqa(void)
{
    const shape shapes[] = {
        {1, 4, 2, 8, 8, 0, true, 0},    {1, 4, 2, 8, 8, 0, false, 0},
        {2, 3, 1, 5, 7, -0.8, true, 3}, {2, 6, 3, 4, 9, 0, false, 1},
        {3, 2, 1, 16, 4, 0.3, true, 2}, {2, 4, 4, 8, 8, 0, true, 1},
        {2, 4, 2, 0, 5, 0, true, 1},
    };
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        /* 2P chunks of 9 or 10 rows: t + 1 chunks get the extra row (the last case: none). */
        const size_t total = 18 * (size_t)size + (t + 1) % (2 * (size_t)size);
        zigzag_lens(total, lens);
        char what[64];
        snprintf(what, sizeof what, "zigzag uneven shape %zu (total %zu)", t, total);
        check_ring_in(what, shapes[t], MHA_RING_ZIGZAG, lens, 70 + t);
    }
    free(lens);
}

/* Fewer rows than chunks: empty chunks, and ranks with no rows at all (total < P). */
static void zigzag_empty_chunks(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    const size_t totals[] = {0, 1, (size_t)size, 2 * (size_t)size - 1, 2 * (size_t)size + 1};
    for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++)
        for (int causal = 0; causal < 2; causal++) {
            zigzag_lens(totals[t], lens);
            shape sh = {2, 2, 1, 4, 4, 0, causal, 1};
            char what[64];
            snprintf(what, sizeof what, "zigzag total %zu%s", totals[t], causal ? " causal" : "");
            check_ring_in(what, sh, MHA_RING_ZIGZAG, lens, 80 + t);
        }
    free(lens);
}

/* Chunks longer than the ring's block of query rows (128): several blocks per piece, the causal
 * diagonal cut across blocks, a back piece seeing the front piece and part of itself. */
static void zigzag_long_chunks(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    zigzag_lens(2 * (size_t)size * 150 + 3, lens);
    for (int causal = 0; causal < 2; causal++) {
        shape sh = {1, 2, 1, 8, 8, 0, causal, 1};
        check_ring_in(causal ? "zigzag long causal" : "zigzag long", sh, MHA_RING_ZIGZAG, lens, 90);
    }
    free(lens);
}

/* mha_ring_attention_ex() in the contiguous layout is mha_ring_attention(), bit for bit. */
static void ex_contiguous_is_plain(void)
{
    enum { N = 7, W = 2 * 4 };
    double Q[N * W], out_a[N * W], out_b[N * W], lse_a[2 * N], lse_b[2 * N];
    for (size_t i = 0; i < N * W; i++)
        Q[i] = (double)((i * 5 + (size_t)rank) % 11) / 11;
    mha_attention_desc d;
    mha_attention_desc_init(&d, N, N, 2, 2, 4, 4);
    d.flags = MHA_CAUSAL;
    CHECK_STATUS(mha_ring_attention_f64(&d, MPI_COMM_WORLD, Q, Q, Q, out_a, lse_a), MHA_OK);
    CHECK_STATUS(
        mha_ring_attention_ex_f64(&d, MPI_COMM_WORLD, MHA_RING_CONTIGUOUS, Q, Q, Q, out_b, lse_b),
        MHA_OK);
    CHECK(memcmp(out_a, out_b, sizeof out_a) == 0 && memcmp(lse_a, lse_b, sizeof lse_a) == 0,
          "contiguous _ex differs from the plain call");
}

/* Zigzag: every rank sends P − 1 messages, causal or not (every shard's front chunk is in every
 * rank's past). */
static void zigzag_sends(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    zigzag_lens(6 * (size_t)size, lens);
    const size_t n = lens[rank], W = 2 * 4;
    double *x = xcalloc(n * W, sizeof *x), *out = xcalloc(n * W, sizeof *out);
    for (size_t i = 0; i < n * W; i++)
        x[i] = (double)(i % 7) / 7;
    mha_attention_desc d;
    mha_attention_desc_init(&d, n, n, 2, 2, 4, 4);
    for (int causal = 0; causal < 2; causal++) {
        d.flags = causal ? MHA_CAUSAL : 0;
        long before = isend_calls;
        CHECK_STATUS(
            mha_ring_attention_ex_f64(&d, MPI_COMM_WORLD, MHA_RING_ZIGZAG, x, x, x, out, NULL),
            MHA_OK);
        CHECK(isend_calls - before == size - 1, "zigzag %s: rank sent %ld messages, want %d",
              causal ? "causal" : "full", isend_calls - before, size - 1);
    }
    free(x), free(out);
    free(lens);
}

/* The layout's own errors, collective like the others: lengths that are not the zigzag split,
 * layouts differing between ranks, an unknown layout on one rank. */
static void check_layout_error(const char *what, const size_t *lens, const mha_ring_layout *layouts,
                               mha_status want)
{
    const size_t n = lens[rank], W = 2 * 4;
    double *x = xcalloc(n * W, sizeof *x), *out = xcalloc(n * W, sizeof *out);
    double lse[64];
    for (size_t i = 0; i < n * W; i++)
        out[i] = SENTINEL;
    for (size_t i = 0; i < 64; i++)
        lse[i] = SENTINEL;
    mha_attention_desc d;
    mha_attention_desc_init(&d, n, n, 2, 2, 4, 4);
    d.flags = MHA_CAUSAL;
    long sends_before = isend_calls;
    CHECK_STATUS(mha_ring_attention_ex_f64(&d, MPI_COMM_WORLD, layouts[rank], x, x, x, out, lse),
                 want);
    CHECK(want == MHA_OK || isend_calls == sends_before, "%s: data sent before the error", what);
    bool untouched = true;
    for (size_t i = 0; want != MHA_OK && i < n * W; i++)
        untouched &= out[i] == SENTINEL;
    for (size_t i = 0; want != MHA_OK && i < 64; i++)
        untouched &= lse[i] == SENTINEL;
    CHECK(untouched, "%s: output written on error", what);
    free(x), free(out);
}

static void zigzag_errors_are_collective(void)
{
    size_t *lens = xcalloc((size_t)size, sizeof *lens);
    mha_ring_layout *layouts = xcalloc((size_t)size, sizeof *layouts);
    for (int r = 0; r < size; r++)
        layouts[r] = MHA_RING_ZIGZAG;
    /* 4P + 1 rows with the extra row on the last rank: the zigzag split gives it to rank 0
     * (chunk 0), so with P ≥ 2 ranks this is not the zigzag split; with one rank it is. */
    for (int r = 0; r < size; r++)
        lens[r] = 4 + (r == size - 1);
    size_t *zz = xcalloc((size_t)size, sizeof *zz);
    zigzag_lens(4 * (size_t)size + 1, zz);
    const bool same = memcmp(lens, zz, (size_t)size * sizeof *lens) == 0;
    check_layout_error("lengths not the zigzag split", lens, layouts,
                       same ? MHA_OK : MHA_ERR_INVALID_ARGUMENT);
    zigzag_lens(4 * (size_t)size + 1, lens);
    layouts[size - 1] = MHA_RING_CONTIGUOUS;
    check_layout_error("layouts differ between ranks", lens, layouts,
                       size > 1 ? MHA_ERR_INVALID_ARGUMENT : MHA_OK);
    layouts[size - 1] = (mha_ring_layout)7;
    check_layout_error("unknown layout on the last rank", lens, layouts, MHA_ERR_INVALID_ARGUMENT);
    free(zz);
    free(layouts);
    free(lens);
}

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

/* A small valid call on every rank whose descriptor and buffers `spoil` may break on chosen
 * ranks; every rank must return `want`, with its outputs untouched. */
typedef struct call {
    mha_attention_desc d;
    const mha_attention_desc *desc;
    double *Q, *K, *V, *out, *lse;
} call;

enum { ERR_N = 4, ERR_W = 8 };

static void check_error(const char *what, void (*spoil)(call *c), mha_status want)
{
    double Q[ERR_N * ERR_W] = {0}, K[ERR_N * ERR_W] = {0}, V[ERR_N * ERR_W] = {0},
                     out[ERR_N * ERR_W], lse[2 * ERR_N];
    call c = {.Q = Q, .K = K, .V = V, .out = out, .lse = lse};
    mha_attention_desc_init(&c.d, ERR_N, ERR_N, 2, 2, 4, 4);
    c.desc = &c.d;
    spoil(&c);
    for (size_t i = 0; i < ERR_N * ERR_W; i++)
        out[i] = SENTINEL;
    for (size_t i = 0; i < 2 * ERR_N; i++)
        lse[i] = SENTINEL;
    double t0 = MPI_Wtime();
    long sends_before = isend_calls;
    mha_status s = mha_ring_attention_f64(c.desc, MPI_COMM_WORLD, c.Q, c.K, c.V, c.out, c.lse);
    CHECK(want == MHA_OK || isend_calls == sends_before, "%s: data sent before the error", what);
    CHECK(s == want, "%s: status %d (%s), want %d (%s)", what, (int)s, mha_mpi_status_string(s),
          (int)want, mha_mpi_status_string(want));
    bool untouched = true;
    for (size_t i = 0; want != MHA_OK && i < ERR_N * ERR_W; i++)
        untouched &= out[i] == SENTINEL || (c.out == c.Q && out[i] == 0);
    for (size_t i = 0; want != MHA_OK && i < 2 * ERR_N; i++)
        untouched &= lse[i] == SENTINEL;
    CHECK(untouched, "%s: output written on error", what);
    CHECK(MPI_Wtime() - t0 < 10, "%s: took %.1f s", what, MPI_Wtime() - t0);
}

static int last_rank(void)
{
    return size - 1;
}

static void bad_ld_on_last_rank(call *c)
{
    if (rank == last_rank())
        c->d.ld_q = 3; /* below n_heads·d_head */
}

static void null_out_on_rank0(call *c)
{
    if (rank == 0)
        c->out = NULL;
}

static void null_desc_on_last_rank(call *c)
{
    if (rank == last_rank())
        c->desc = NULL;
}

static void out_overlaps_q_on_rank0(call *c)
{
    if (rank == 0)
        c->out = c->Q;
}

/* Rank 0 overlaps, the last rank has a bad ld: the lowest failing rank (0) wins. */
static void two_errors(call *c)
{
    out_overlaps_q_on_rank0(c);
    if (rank == last_rank() && rank != 0)
        c->d.ld_k = 1;
}

static void seq_q_ne_seq_kv_on_last_rank(call *c)
{
    if (rank == last_rank())
        c->d.seq_kv = ERR_N - 1;
}

static void heads_differ_on_last_rank(call *c)
{
    if (rank == last_rank() && rank != 0)
        mha_attention_desc_init(&c->d, ERR_N, ERR_N, 1, 1, 8, 8); /* valid alone */
}

static void scale_differs_on_last_rank(call *c)
{
    if (rank == last_rank() && rank != 0)
        c->d.scale *= 2;
}

static void causal_on_rank0_only(call *c)
{
    if (rank == 0 && size > 1)
        c->d.flags = MHA_CAUSAL;
}

static void batch_differs_on_rank0(call *c)
{
    if (rank == 0 && size > 1)
        c->d.batch = 0;
}

/* The descriptor's own size, read before any other rule (mha.h, struct_size). */
static void struct_size_below_first_release_on_last_rank(call *c)
{
    if (rank == last_rank())
        c->d.struct_size = MHA_ATTENTION_DESC_SIZE_1 - sizeof(size_t);
}

/* A newer mha.h's descriptor (call.desc follows d, so the claimed bytes exist). */
static void struct_size_above_library_on_rank0(call *c)
{
    if (rank == 0)
        c->d.struct_size = sizeof c->d + sizeof(size_t);
}

/* A program built against the first release's mha.h on one rank: valid, and nothing differs. */
static void first_release_size_on_last_rank(call *c)
{
    if (rank == last_rank())
        c->d.struct_size = MHA_ATTENTION_DESC_SIZE_1;
}

static void nothing(call *c)
{
    (void)c;
}

static void empty_everywhere(call *c)
{
    c->d.seq_q = c->d.seq_kv = 0;
}

static void ring_errors_are_collective(void)
{
    const mha_status mismatch = size > 1 ? MHA_ERR_INVALID_ARGUMENT : MHA_OK;
    check_error("bad ld_q on the last rank", bad_ld_on_last_rank, MHA_ERR_INVALID_ARGUMENT);
    check_error("NULL out on rank 0", null_out_on_rank0, MHA_ERR_NULL_POINTER);
    check_error("NULL desc on the last rank", null_desc_on_last_rank, MHA_ERR_NULL_POINTER);
    check_error("out overlaps Q on rank 0", out_overlaps_q_on_rank0, MHA_ERR_OVERLAP);
    check_error("two ranks fail: the lowest wins", two_errors, MHA_ERR_OVERLAP);
    check_error("seq_q != seq_kv on the last rank", seq_q_ne_seq_kv_on_last_rank,
                MHA_ERR_INVALID_ARGUMENT);
    check_error("n_heads differ between ranks", heads_differ_on_last_rank, mismatch);
    check_error("scale differs between ranks", scale_differs_on_last_rank, mismatch);
    check_error("causal on rank 0 only", causal_on_rank0_only, mismatch);
    check_error("batch differs between ranks", batch_differs_on_rank0, mismatch);
    check_error("struct_size below the first release's on the last rank",
                struct_size_below_first_release_on_last_rank, MHA_ERR_INVALID_ARGUMENT);
    check_error("struct_size above the library's on rank 0", struct_size_above_library_on_rank0,
                MHA_ERR_INVALID_ARGUMENT);
    check_error("the first release's struct_size on the last rank", first_release_size_on_last_rank,
                MHA_OK);
    check_error("valid call", nothing, MHA_OK);
    check_error("every shard empty", empty_everywhere, MHA_OK);
    /* An empty call writes nothing: the check above used want == MHA_OK, so test it here. */
    double out = SENTINEL;
    mha_attention_desc d;
    mha_attention_desc_init(&d, 0, 0, 2, 2, 4, 4);
    CHECK_STATUS(mha_ring_attention_f64(&d, MPI_COMM_WORLD, NULL, NULL, NULL, &out, NULL), MHA_OK);
    CHECK(out == SENTINEL, "empty call wrote its output");
    /* No communicator: refused on every rank, without communicating. */
    mha_attention_desc_init(&d, 2, 2, 1, 1, 1, 1);
    double x[2] = {0};
    CHECK_STATUS(mha_ring_attention_f64(&d, MPI_COMM_NULL, x, x, x, &out, NULL),
                 MHA_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mha_ring_attention(NULL, MPI_COMM_NULL, NULL, NULL, NULL, NULL, NULL),
                 MHA_ERR_INVALID_ARGUMENT);
    /* An intercommunicator (even and odd ranks): refused on every rank alike. */
    if (size >= 2) {
        MPI_Comm half, inter;
        MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
        MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rank % 2 ? 0 : 1, 99, &inter);
        CHECK_STATUS(mha_ring_attention_f64(&d, inter, x, x, x, &out, NULL),
                     MHA_ERR_INVALID_ARGUMENT);
        MPI_Comm_free(&inter);
        MPI_Comm_free(&half);
    }
}

static void status_strings(void)
{
    const char *s = mha_mpi_status_string(MHA_ERR_MPI);
    CHECK(s != NULL && strstr(s, "MPI") != NULL, "MHA_ERR_MPI has no message");
    CHECK((int)MHA_ERR_MPI == 100, "MHA_ERR_MPI is pinned at 100");
    for (int v = 0; v <= 6; v++)
        CHECK(strcmp(mha_mpi_status_string((mha_status)v), mha_status_string((mha_status)v)) == 0,
              "core status %d has another message", v);
}

/* ------------------------------------------------------------------------------------------ */

typedef struct test_case {
    const char *name;
    void (*run)(void);
} test_case;

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const test_case tests[] = {
        {"ring_even_shards", ring_even_shards},
        {"ring_uneven_shards_gqa", ring_uneven_shards_gqa},
        {"ring_one_row_shards", ring_one_row_shards},
        {"ring_zero_row_shards", ring_zero_row_shards},
        {"ring_long_shards", ring_long_shards},
        {"ring_leaves_caller_messages_alone", ring_leaves_caller_messages_alone},
        {"ring_causal_sends_only_what_is_needed", ring_causal_sends_only_what_is_needed},
        {"shard_rows_by_hand", shard_rows_by_hand},
        {"shard_rows_partition", shard_rows_partition},
        {"zigzag_even", zigzag_even},
        {"zigzag_uneven_gqa", zigzag_uneven_gqa},
        {"zigzag_empty_chunks", zigzag_empty_chunks},
        {"zigzag_long_chunks", zigzag_long_chunks},
        {"ex_contiguous_is_plain", ex_contiguous_is_plain},
        {"zigzag_sends", zigzag_sends},
        {"half_ring_bytes_and_errors", half_ring_bytes_and_errors},
        {"zigzag_errors_are_collective", zigzag_errors_are_collective},
        {"ring_errors_are_collective", ring_errors_are_collective},
        {"status_strings", status_strings},
    };
    const int n_tests = (int)(sizeof tests / sizeof tests[0]);
    int failed_tests = 0;
    for (int t = 0; t < n_tests; t++) {
        long before = failures, mine, all;
        tests[t].run();
        mine = failures - before;
        MPI_Allreduce(&mine, &all, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        failed_tests += all != 0;
        if (rank == 0 || mine != 0)
            printf("[%s] %s (%d ranks)%s\n", all ? "  FAILED  " : "       OK ", tests[t].name, size,
                   mine ? " <- this rank failed" : "");
    }
    if (failed_tests != 0)
        printf("rank %d of %d: %d of %d tests FAILED\n", rank, size, failed_tests, n_tests);
    else if (rank == 0)
        printf("all %d tests passed on %d ranks\n", n_tests, size);
    MPI_Finalize();
    /* After MPI_Finalize, MPI may not be called: the ring says so instead of calling it. */
    mha_attention_desc d;
    mha_attention_desc_init(&d, 1, 1, 1, 1, 1, 1);
    double x = 1, out = 0;
    mha_status s = mha_ring_attention_f64(&d, MPI_COMM_WORLD, &x, &x, &x, &out, NULL);
    if (s != MHA_ERR_MPI) {
        printf("rank %d: after MPI_Finalize: %s, want MHA_ERR_MPI\n", rank,
               mha_mpi_status_string(s));
        failed_tests++;
    }
    return failed_tests != 0;
}
