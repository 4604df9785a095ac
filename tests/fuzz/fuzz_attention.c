/* SPDX-License-Identifier: MIT */
/* libFuzzer target: decodes arbitrary bytes into one call of the public API and checks what
 * mha.h promises about it.
 *
 * A call is any entry point (seed operations, mha_attention, _ws, the workspace query, merge), in
 * float or double, with any shape (0, 1, huge, heads that do not divide), strides, flags and
 * scale. Its buffers live in one arena, packed or at offsets the input chooses (so outputs can
 * overlap inputs), and hold tame values in [-2, 2] plus NaN/Inf/huge/denormal values where the
 * input puts them. An allocation failure can be injected (mha_alloc_fail_nth, internal copy).
 *
 * The checks, from the contract alone (never from the library's own code):
 *  - a call that breaks a documented rule fails; a call that breaks none succeeds (a dimension
 *    above INT_MAX, and rules the header leaves open, may go either way);
 *  - on failure not one byte of the arena changed and nothing was allocated;
 *  - on success only output elements (and the workspace) changed; _ws never allocates; and for
 *    tame inputs the outputs match tests/ref within a bound derived from the shape;
 *  - a shape too big for the arena is never honoured: if a size overflows the call gets the
 *    arena's pointers and must fail; if the shape is valid but big it gets NULL pointers and
 *    must fail with nothing allocated — huge shapes are rejected, never allocated. (Optional
 *    buffers too big are left out instead; a valid call that would allocate over 64 MiB of
 *    workspace is not made, see allocation_too_big(), nor one whose own cost by mha.h's rule is
 *    above a budget, see call_cost());
 *  - with d_head == 0 and no mask, the lse is the log of each row's visible key count, at any
 *    seq_kv (check_zero_width_lse()), where the reference would take hours;
 *  - a descriptor whose struct_size no release has (below MHA_ATTENTION_DESC_SIZE_1, not a
 *    multiple of the struct's alignment) or above this library's is refused with
 *    MHA_ERR_INVALID_ARGUMENT before any other rule but a NULL descriptor; a valid one is read no
 *    further than struct_size: it lies in a block of exactly that many bytes (size_desc()).
 *
 * Input format (missing bytes read as 0; gen_corpus.c writes seeds in it):
 *   op       bits 0-2 entry point (enum fn), bit 3 double, bit 7 struct_size from the input
 *   opts     OPT_* bits
 *   shape    per entry point, see decode_seed/desc/merge(): dims by dim(), paddings by pad()
 *   [size]   with op bit 7, after the descriptor: its struct_size (fuzz_format.h)
 *   [ws]     attention_ws: workspace size mode (queried, queried − 1, more, any) and its operand
 *   [null]   with OPT_NULL: which pointer is NULL (or the descriptor)
 *   place    packed: a gap byte; OPT_PLACE: a 16-bit element offset per buffer; the workspace
 *            adds a misalignment byte
 *   values   8-byte RNG seed, a count and (position, kind) pairs of special values, a byte
 *            selecting mask rows set to −inf
 *   [nth]    with OPT_FAIL_ALLOC: which allocation fails (1..3) */
#include "alloc.h"
#include "common/support.h"
#include "fuzz_format.h"
#include "mha.h"
#include "ref.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough to copy and compare on every run, large enough for every small shape. */
#define ARENA_BYTES ((size_t)1 << 17)
/* Tame values lie in [-TAME, TAME]; a tame call has |scale| <= TAME_SCALE. */
#define TAME 2.0
#define TAME_SCALE 4.0

enum fn {
    FN_QKV,
    FN_QKV_FUSED,
    FN_SELF,
    FN_MULTI_HEAD,
    FN_ATTENTION,
    FN_ATTENTION_WS,
    FN_WS_QUERY,
    FN_MERGE
};
static const char *const fn_names[8] = {
    "compute_qkv", "compute_qkv_fused", "self_attention", "multi_head_attention",
    "attention",   "attention_ws",      "workspace_size", "attention_merge"};

enum opt {
    OPT_PLACE = 1,      /* buffers at input-chosen offsets (may overlap) instead of packed */
    OPT_NULL = 2,       /* one pointer (or the descriptor) is NULL */
    OPT_FAIL_ALLOC = 4, /* the n-th allocation fails */
    OPT_MASK = 8,       /* attention: an additive mask */
    OPT_LSE = 16,       /* attention: lse output */
    OPT_SCALE = 32,     /* attention: a scale from scale_of() */
    OPT_RAW_FLAGS = 64, /* attention: flags from a whole byte (unknown bits) */
};

/* ---- reading the input ---------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static size_t u16(reader *r)
{
    size_t lo = u8(r);
    return lo | (size_t)u8(r) << 8;
}

static uint64_t u64(reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)u8(r) << (8 * i);
    return v;
}

/* A dimension: 0..12 mostly, else a value near a boundary, else 8 raw bytes. */
static size_t dim(reader *r)
{
    unsigned c = u8(r);
    if (c < 0xF0)
        return c % 13;
    if (c == 0xFF)
        return (size_t)u64(r);
    return fuzz_special_dims[c - 0xF0];
}

/* Padding added to a stride (wrapping, so a stride can end up below its width). */
static size_t pad(reader *r)
{
    static const size_t special[7] = {
        64, INT_MAX, (size_t)INT_MAX + 1, (size_t)1 << 32, SIZE_MAX / 2, (size_t)1 << 62, SIZE_MAX};
    unsigned c = u8(r);
    if (c < 0xF8)
        return c % 4;
    if (c == 0xFF)
        return (size_t)u64(r);
    return special[c - 0xF8];
}

static double scale_of(reader *r, double dflt)
{
    static const double table[15] = {1,      -1,      0.5,         0,        -0.0,
                                     3,      1e-30,   (double)NAN, HUGE_VAL, -HUGE_VAL,
                                     3.5e38, DBL_MAX, 4.9e-324,    1e30,     0.125};
    unsigned c = u8(r) % 17;
    if (c == 0)
        return dflt;
    if (c == 16) {
        uint64_t bits = u64(r);
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    return table[c - 1];
}

/* ---- buffers -------------------------------------------------------------------------------- */

/* One buffer of a call: `items` items `item_stride` apart, `rows` rows `ld` apart, `width`
 * elements each (all in elements of `elem` bytes; the workspace has elem 1). */
typedef struct buf {
    const char *name;
    size_t items, item_stride, rows, ld, width, elem;
    bool output, width_ok, present, minus_inf_ok;
    bool optional; /* NULL means absent (mask, lse), not a missing buffer */
    bool huge;     /* the byte extent overflows size_t (or the width did) */
    size_t bytes;  /* byte extent, first to one past the last element touched; 0 when empty */
    size_t off;    /* byte offset in the arena */
    bool placed;   /* [off, off + bytes) lies in the arena */
    void *ptr;
} buf;

enum { MAX_BUFS = 8 };
typedef enum expect { MUST_OK, MAY_FAIL, MUST_FAIL } expect;

typedef struct call {
    unsigned op, fn, opts;
    bool f64;
    size_t elem;
    buf b[MAX_BUFS];
    size_t n_bufs;
    expect expect;
    const char *why;
    /* seed operations and merge */
    size_t seq, d_model, n_heads, rows, d_v, ld;
    bool alias_out, alias_lse;
    /* attention: desc is the call as the harness sees it (every field, this library's
     * struct_size); desc_ptr what the library is handed, NULL, &desc or a sized copy */
    mha_attention_desc desc;
    const mha_attention_desc *desc_ptr;
    size_t desc_size;      /* the struct_size handed to the library */
    bool desc_size_broken; /* ... is one the library must refuse */
    size_t ws_bytes;
    mha_status query_status;
    size_t query_bytes, one_worker_bytes; /* the queried size, and that for n_threads = 1 */
    unsigned long fail_nth;
} call;

static const call *current; /* for the failure report */

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_attention: check failed: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (current)
        fprintf(stderr, "\n  call: %s (%s), expected %s (%s)\n", fn_names[current->fn],
                current->f64 ? "double" : "float",
                current->expect == MUST_OK     ? "success"
                : current->expect == MUST_FAIL ? "failure"
                                               : "either",
                current->why ? current->why : "no rule broken");
    abort();
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail(__VA_ARGS__);                                                                     \
    } while (0)

static void require(call *c, expect e, const char *why)
{
    if (e > c->expect) {
        c->expect = e;
        c->why = why;
    }
}

static buf *add_buf(call *c, const char *name, bool output, size_t items, size_t item_stride,
                    size_t rows, size_t ld, size_t width, bool width_ok)
{
    buf *b = &c->b[c->n_bufs++];
    *b = (buf){.name = name,
               .items = items,
               .item_stride = item_stride,
               .rows = rows,
               .ld = ld,
               .width = width,
               .elem = c->elem,
               .output = output,
               .width_ok = width_ok,
               .present = true};
    return b;
}

static buf *add_matrix(call *c, const char *name, bool output, size_t rows, size_t cols)
{
    return add_buf(c, name, output, 1, 0, rows, cols, cols, true);
}

/* The contract's span of a strided buffer, computed here without the library's helpers. */
static void measure(buf *b)
{
    b->huge = false;
    b->bytes = 0;
    if (b->items == 0 || b->rows == 0 || (b->width_ok && b->width == 0))
        return;
    size_t a, r, e;
    b->huge = !b->width_ok || __builtin_mul_overflow(b->items - 1, b->item_stride, &a) ||
              __builtin_mul_overflow(b->rows - 1, b->ld, &r) || __builtin_add_overflow(a, r, &e) ||
              __builtin_add_overflow(e, b->width, &e) ||
              __builtin_mul_overflow(e, b->elem, &b->bytes);
    if (b->huge)
        b->bytes = 0;
}

static bool fits_int(size_t n)
{
    return n <= (size_t)INT_MAX;
}

static size_t wmul(size_t a, size_t b, bool *ok)
{
    size_t p;
    if (__builtin_mul_overflow(a, b, &p))
        *ok = false;
    return p;
}

/* ---- decoding each entry point -------------------------------------------------------------- */

static void decode_seed(call *c, reader *r)
{
    c->seq = dim(r);
    c->d_model = dim(r);
    c->n_heads = c->fn == FN_MULTI_HEAD ? dim(r) : 1;
    size_t n = c->seq, d = c->d_model;
    /* An empty call (a zero dimension) hands the BLAS nothing, so no size can be too large for
     * it; nor can padding a score row, in any call. */
    if (n != 0 && d != 0 && (!fits_int(n) || !fits_int(d) || !fits_int(c->n_heads)))
        require(c, MAY_FAIL, "a dimension above INT_MAX");
    switch (c->fn) {
    case FN_QKV:
        add_matrix(c, "X", false, n, d);
        add_matrix(c, "W_q", false, d, d);
        add_matrix(c, "W_k", false, d, d);
        add_matrix(c, "W_v", false, d, d);
        add_matrix(c, "Q", true, n, d);
        add_matrix(c, "K", true, n, d);
        add_matrix(c, "V", true, n, d);
        break;
    case FN_QKV_FUSED: {
        bool ok = true;
        size_t w = wmul(d, 3, &ok);
        if (!ok || (n != 0 && d != 0 && !fits_int(w)))
            require(c, MAY_FAIL, "3·d_model above INT_MAX");
        add_matrix(c, "X", false, n, d);
        add_buf(c, "W_qkv", false, 1, 0, d, w, w, ok);
        add_buf(c, "QKV", true, 1, 0, n, w, w, ok);
        break;
    }
    default: /* self and multi-head attention */
        if (c->n_heads == 0 || d % c->n_heads != 0)
            require(c, MUST_FAIL, "n_heads is 0 or does not divide d_model");
        add_matrix(c, "Q", false, n, d);
        add_matrix(c, "K", false, n, d);
        add_matrix(c, "V", false, n, d);
        add_matrix(c, "out", true, n, d);
        break;
    }
}

/* The descriptor as a program of another mha.h would hand it over (op bit 7): struct_size from
 * the input, this library's fields copied as far as they fit, a newer header's fields past ours
 * zero or set, all in a block of exactly struct_size bytes (the struct_size field at least), so
 * that ASan sees any read past a struct_size the library takes. A struct_size too big for a
 * block (a raw value) gets this library's size and a newer header's room: the library must
 * refuse it without reading past its own fields. The block lives until the next input. */
static unsigned char *sized_desc;

static void size_desc(call *c, reader *r)
{
    const size_t ours = sizeof(mha_attention_desc), align = alignof(mha_attention_desc);
    const size_t room = ours + 8 * align;
    size_t n = ours;
    int fill = 0;
    switch (u8(r) % FUZZ_N_DESC_SIZES) {
    case FUZZ_DESC_SIZE_FIRST:
        n = MHA_ATTENTION_DESC_SIZE_1;
        break;
    case FUZZ_DESC_SIZE_BELOW:
        n = u8(r) % MHA_ATTENTION_DESC_SIZE_1;
        break;
    case FUZZ_DESC_SIZE_UNALIGNED:
        n = MHA_ATTENTION_DESC_SIZE_1 + 1 + u8(r) % (align - 1);
        break;
    case FUZZ_DESC_SIZE_NEWER:
        n = ours + align * (1 + u8(r) % 8);
        break;
    case FUZZ_DESC_SIZE_NEWER_SET:
        n = ours + align * (1 + u8(r) % 8);
        fill = 1 + (int)(u8(r) % 255);
        break;
    case FUZZ_DESC_SIZE_RAW:
        n = (size_t)u64(r);
        break;
    default:
        break;
    }
    const size_t bytes = n > room ? room : n < sizeof n ? sizeof n : n;
    free(sized_desc);
    sized_desc = malloc(bytes);
    if (sized_desc == NULL)
        abort();
    memcpy(sized_desc, &c->desc, bytes < ours ? bytes : ours);
    if (bytes > ours)
        memset(sized_desc + ours, fill, bytes - ours);
    memcpy(sized_desc, &n, sizeof n); /* struct_size, the first field */
    c->desc_ptr = (const mha_attention_desc *)(void *)sized_desc;
    c->desc_size = n;
    /* mha.h, mha_attention_desc.struct_size */
    if (n < MHA_ATTENTION_DESC_SIZE_1 || n % align != 0 || n > ours) {
        c->desc_size_broken = true;
        require(c, MUST_FAIL, "a struct_size no release has, or above this library's");
    }
}

/* A descriptor from the input: desc_init, then strides, flags and scale changed as told, then
 * (op bit 7) its struct_size. */
static void decode_desc(call *c, reader *r)
{
    mha_attention_desc *d = &c->desc;
    size_t batch = dim(r), seq_q = dim(r), seq_kv = dim(r), n_kv = dim(r), group = dim(r),
           d_head = dim(r), d_v = dim(r);
    unsigned shape = u8(r);
    size_t n_heads = shape & 1 ? dim(r) : n_kv * group; /* raw heads need not divide */
    mha_attention_desc_init(d, seq_q, seq_kv, n_heads, n_kv, d_head, d_v);
    d->batch = batch;
    if (shape & 2) {
        d->ld_q += pad(r);
        d->ld_k += pad(r);
        d->ld_v += pad(r);
        d->ld_out += pad(r);
        d->ld_mask += pad(r);
    }
    if (shape & 4) { /* batch items apart by their extent plus padding */
        d->batch_stride_q = seq_q * d->ld_q + pad(r);
        d->batch_stride_k = seq_kv * d->ld_k + pad(r);
        d->batch_stride_v = seq_kv * d->ld_v + pad(r);
        d->batch_stride_out = seq_q * d->ld_out + pad(r);
    }
    if (shape & 8) /* K and V shared by the batch */
        d->batch_stride_k = d->batch_stride_v = 0;
    if (shape & 16) /* a mask per batch item */
        d->batch_stride_mask = seq_q * d->ld_mask + pad(r);
    if (shape & 32) { /* out as seq × batch × (heads·d_v) */
        d->batch_stride_out = n_heads * d_v;
        d->ld_out = batch * n_heads * d_v + pad(r);
    }
    if (shape & 64) /* any batch stride for out: items may collide */
        d->batch_stride_out = dim(r);
    if (shape & 128) { /* any strides for the inputs */
        d->ld_q = dim(r);
        d->batch_stride_q = dim(r);
        d->ld_k = dim(r);
    }
    /* The flags byte: raw flags; or bit 0 causal and bits 1-3 n_threads (0: the library's
     * choice). */
    unsigned f = u8(r);
    d->flags = c->opts & OPT_RAW_FLAGS ? f : f & MHA_CAUSAL;
    d->n_threads = c->opts & OPT_RAW_FLAGS ? 0 : (f >> 1) & 7;
    if (c->opts & OPT_SCALE)
        d->scale = scale_of(r, d->scale);
    c->desc_ptr = d;
    c->desc_size = sizeof *d;
    if (c->op & FUZZ_OP_DESC_SIZE)
        size_desc(c, r);
}

/* mha.h's empty call: no batch item or query row, or d_v == 0 without an lse. The workspace query
 * sizes the call with an lse. Once the lse buffer is added (the sixth), it may still be left out
 * (OPT_NULL, or too big for the arena): then its presence decides. */
static bool attention_is_empty(const call *c)
{
    const mha_attention_desc *d = &c->desc;
    bool lse = c->fn == FN_WS_QUERY || (c->n_bufs > 5 ? c->b[5].present : c->opts & OPT_LSE);
    return d->batch == 0 || d->seq_q == 0 || (d->d_v == 0 && !lse);
}

/* The descriptor's rules (mha_attention's @return list), and the buffers it describes. */
static void decode_attention(call *c, reader *r)
{
    decode_desc(c, r);
    const mha_attention_desc *d = &c->desc;
    bool q_ok = true, k_ok = true, v_ok = true, o_ok = true, l_ok = true;
    size_t q_w = wmul(d->n_heads, d->d_head, &q_ok), k_w = wmul(d->n_kv_heads, d->d_head, &k_ok),
           v_w = wmul(d->n_kv_heads, d->d_v, &v_ok), o_w = wmul(d->n_heads, d->d_v, &o_ok);
    size_t lse_n = d->seq_q == 0 ? 0 : wmul(wmul(d->batch, d->n_heads, &l_ok), d->seq_q, &l_ok);
    if (d->n_heads == 0 || d->n_kv_heads == 0 || d->n_heads % d->n_kv_heads != 0)
        require(c, MUST_FAIL, "n_heads or n_kv_heads 0, or n_kv_heads does not divide n_heads");
    if (d->flags & ~MHA_CAUSAL)
        require(c, MUST_FAIL, "unknown flags");
    if (!isfinite(d->scale) || (!c->f64 && fabs(d->scale) > (double)FLT_MAX))
        require(c, MUST_FAIL, "scale not finite in the working precision");
    /* An empty call hands the BLAS nothing, so no size can be too large for it; nor can padding a
     * score row, in any call. */
    if (!attention_is_empty(c) &&
        (!fits_int(d->seq_q) || !fits_int(d->seq_kv) || !fits_int(d->n_heads) ||
         !fits_int(d->d_head) || !fits_int(d->d_v) || !fits_int(d->ld_q) || !fits_int(d->ld_k) ||
         !fits_int(d->ld_v) || !fits_int(d->ld_out) || !fits_int(d->ld_mask)))
        require(c, MAY_FAIL, "a dimension or stride above INT_MAX");

    add_buf(c, "Q", false, d->batch, d->batch_stride_q, d->seq_q, d->ld_q, q_w, q_ok);
    add_buf(c, "K", false, d->batch, d->batch_stride_k, d->seq_kv, d->ld_k, k_w, k_ok);
    add_buf(c, "V", false, d->batch, d->batch_stride_v, d->seq_kv, d->ld_v, v_w, v_ok);
    buf *m = add_buf(c, "mask", false, d->batch, d->batch_stride_mask, d->seq_q, d->ld_mask,
                     d->seq_kv, true);
    m->present = c->opts & OPT_MASK;
    m->optional = m->minus_inf_ok = true;
    add_buf(c, "out", true, d->batch, d->batch_stride_out, d->seq_q, d->ld_out, o_w, o_ok);
    buf *l = add_buf(c, "lse", true, 1, 0, 1, lse_n, lse_n, l_ok);
    l->present = c->opts & OPT_LSE;
    l->optional = l->minus_inf_ok = true;
    for (size_t i = 0; i < c->n_bufs; i++)
        measure(&c->b[i]);
}

/* The rules on mha_attention's buffers, once it is known which optional ones are passed. */
static void attention_buffer_rules(call *c)
{
    for (size_t i = 0; i < 6; i++) {
        const buf *b = &c->b[i];
        /* A stride below its row width: INVALID_ARGUMENT for a buffer that is there; for an empty
         * or absent one the header does not say. */
        if (b->width_ok && b->ld < b->width)
            require(c, b->present && b->bytes ? MUST_FAIL : MAY_FAIL, "a stride below its width");
        if (!b->width_ok || (b->huge && !b->present))
            require(c, MAY_FAIL, "a size that overflows, of an absent or empty buffer");
    }
    /* Output batch items whose spans overlap: rejected or not, by the library's rule. */
    const buf *o = &c->b[4];
    if (o->bytes && o->items > 1 && o->width_ok &&
        o->item_stride < (o->rows - 1) * o->ld + o->width)
        require(c, MAY_FAIL, "batch items of out may overlap");
}

static void decode_merge(call *c, reader *r)
{
    c->rows = dim(r);
    c->n_heads = dim(r);
    c->d_v = dim(r);
    bool ok = true;
    size_t w = wmul(c->n_heads, c->d_v, &ok);
    c->ld = w + pad(r);
    unsigned alias = u8(r);
    c->alias_out = alias & 1;
    c->alias_lse = alias & 2;
    if (!ok)
        require(c, MAY_FAIL, "n_heads·d_v overflows");
    add_buf(c, "out_a", false, 1, 0, c->rows, c->ld, w, ok);
    add_matrix(c, "lse_a", false, c->n_heads, c->rows)->minus_inf_ok = true;
    add_buf(c, "out_b", false, 1, 0, c->rows, c->ld, w, ok);
    add_matrix(c, "lse_b", false, c->n_heads, c->rows)->minus_inf_ok = true;
    add_buf(c, "out", true, 1, 0, c->rows, c->ld, w, ok);
    add_matrix(c, "lse", true, c->n_heads, c->rows);
    for (size_t i = 0; i < c->n_bufs; i++)
        measure(&c->b[i]);
    if (ok && c->ld < w)
        require(c, c->b[0].bytes ? MUST_FAIL : MAY_FAIL, "ld below n_heads·d_v");
}

/* ---- placement and the rules on buffers ----------------------------------------------------- */

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Packed: one gap byte, then buffers in order, `gap` elements apart. OPT_PLACE: a 16-bit element
 * offset per buffer, clamped into the arena. The workspace takes one more byte: its misalignment.
 * A buffer that is absent, overflows or cannot fit stays unplaced. */
static void place(call *c, reader *r)
{
    bool chosen = c->opts & OPT_PLACE;
    size_t gap = chosen ? 0 : u8(r) % 4, cursor = 0;
    for (size_t i = 0; i < c->n_bufs; i++) {
        buf *b = &c->b[i];
        size_t off = chosen ? u16(r) * c->elem % ARENA_BYTES : round_up(cursor, c->elem);
        if (b->elem == 1) /* the workspace may start anywhere */
            off += u8(r) % 64;
        if (!b->present || b->huge || b->bytes > ARENA_BYTES)
            continue;
        if (chosen && off > ARENA_BYTES - b->bytes)
            off = (ARENA_BYTES - b->bytes) / c->elem * c->elem;
        if (off > ARENA_BYTES || b->bytes > ARENA_BYTES - off)
            continue;
        b->off = off;
        b->placed = true;
        cursor = off + b->bytes + gap * c->elem;
    }
    if (c->fn == FN_MERGE) { /* in-place accumulation: out is out_a, lse is lse_a */
        if (c->alias_out && c->b[0].placed && c->b[4].placed)
            c->b[4].off = c->b[0].off;
        if (c->alias_lse && c->b[1].placed && c->b[5].placed)
            c->b[5].off = c->b[1].off;
    }
}

static bool spans_overlap(const buf *a, const buf *b)
{
    return a->ptr && b->ptr && a->bytes && b->bytes && a->off < b->off + b->bytes &&
           b->off < a->off + a->bytes;
}

/* Outputs against inputs and other outputs; merge may write exactly over its `a` side. */
static void overlap_rules(call *c)
{
    for (size_t o = 0; o < c->n_bufs; o++) {
        const buf *out = &c->b[o];
        if (!out->output || !out->present)
            continue;
        for (size_t i = 0; i < c->n_bufs; i++) {
            const buf *other = &c->b[i];
            if (i == o || !other->present || !spans_overlap(out, other))
                continue;
            bool in_place = c->fn == FN_MERGE && out->ptr == other->ptr &&
                            ((o == 4 && i == 0) || (o == 5 && i == 1));
            if (!in_place)
                require(c, MUST_FAIL, "an output overlaps another buffer");
        }
    }
}

/* Marks the bytes of each element of b with `tag`; false at the first element met twice (which
 * bounds the work by the arena's size, whatever the batch). */
static bool mark_elements(const buf *b, uint8_t tag, uint8_t *writable)
{
    for (size_t it = 0; it < b->items; it++)
        for (size_t row = 0; row < b->rows; row++)
            for (size_t col = 0; col < b->width; col++) {
                size_t at = b->off + (it * b->item_stride + row * b->ld + col) * b->elem;
                if (writable[at] == tag)
                    return false;
                memset(writable + at, tag, b->elem);
            }
    return true;
}

/* Marks the bytes each output may write; an element an output would write twice (its batch items
 * collide) is a rule broken; items whose spans merely overlap are the library's call. */
static void mark_writable(call *c, uint8_t *writable)
{
    memset(writable, 0, ARENA_BYTES);
    for (size_t o = 0; o < c->n_bufs; o++) {
        const buf *b = &c->b[o];
        if (!b->output || !b->present || !b->ptr || b->bytes == 0)
            continue;
        if (b->elem == 1) {
            memset(writable + b->off, 1, b->bytes);
            continue;
        }
        if (!mark_elements(b, (uint8_t)(2 + o), writable))
            require(c, MUST_FAIL, "batch items of an output collide");
        else if (b->items > 1 && b->item_stride < (b->rows - 1) * b->ld + b->width)
            require(c, MAY_FAIL, "batch items of an output interleave");
    }
}

/* ---- values --------------------------------------------------------------------------------- */

static void store(const call *c, unsigned char *arena, size_t index, double v)
{
    if (c->f64) {
        memcpy(arena + index * 8, &v, 8);
    } else {
        float f = (float)v;
        memcpy(arena + index * 4, &f, 4);
    }
}

static double load(const call *c, const unsigned char *arena, size_t index)
{
    if (c->f64) {
        double v;
        memcpy(&v, arena + index * 8, 8);
        return v;
    }
    float f;
    memcpy(&f, arena + index * 4, 4);
    return (double)f;
}

static double special_value(const call *c, unsigned kind, reader *r)
{
    double big = c->f64 ? DBL_MAX : (double)FLT_MAX;
    double tiny = c->f64 ? 4.9406564584124654e-324 : 1.40129846e-45;
    switch (kind % 14) {
    case 0:
        return (double)NAN;
    case 1:
        return HUGE_VAL;
    case 2:
        return -HUGE_VAL;
    case 3:
        return -0.0;
    case 4:
        return big;
    case 5:
        return -big;
    case 6:
        return tiny;
    case 7:
        return 1e30;
    case 8:
        return -1e30;
    case 9:
        return 1e5;
    case 10:
        return 89.0; /* exp overflows float */
    case 11:
        return 710.0; /* exp overflows double */
    case 12:
        return 1e-39; /* a float denormal, a normal double */
    default: {
        uint64_t bits = u64(r);
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    }
}

/* Tame values everywhere, then the input's special values, then whole mask rows at −inf. */
/* Elements from the arena's start to the end of the last buffer placed in it: nothing past them
 * is read or written by a call that keeps to its buffers. */
static size_t used_elems(const call *c)
{
    size_t end = 0;
    for (size_t i = 0; i < c->n_bufs; i++)
        if (c->b[i].placed && c->b[i].off + c->b[i].bytes > end)
            end = c->b[i].off + c->b[i].bytes;
    return (end + c->elem - 1) / c->elem;
}

static void fill(call *c, reader *r, unsigned char *arena)
{
    size_t n = ARENA_BYTES / c->elem, used = used_elems(c);
    /* The input's 8 bytes are the state itself, not a seed to mix (| 1: never 0), so the values
     * of every committed corpus file stay what they were. The values are drawn in order up to
     * the last buffer only (the rest of the arena is zeros): the same values where the buffers
     * are, for a fraction of the draws. */
    rng s = {u64(r) | 1};
    for (size_t i = 0; i < used; i++)
        store(c, arena, i, rng_uniform(&s, -TAME, TAME));
    memset(arena + used * c->elem, 0, ARENA_BYTES - used * c->elem);
    unsigned specials = u8(r) % 9;
    for (unsigned k = 0; k < specials; k++) {
        size_t at = u16(r) % n;
        store(c, arena, at, special_value(c, u8(r), r));
    }
    unsigned masked = u8(r);
    const buf *m = &c->b[3];
    /* (A mask whose rows overlap, ld_mask < seq_kv, is refused anyway; its rows may also be far
     * more than the arena holds, all in the same few bytes.) */
    if ((c->fn == FN_ATTENTION || c->fn == FN_ATTENTION_WS) && masked && m->present && m->ptr &&
        m->placed && m->bytes && m->ld >= m->width)
        for (size_t it = 0; it < (m->item_stride ? m->items : 1); it++) /* 0: one shared mask */
            for (size_t row = (masked >> 4) % m->rows; row < m->rows; row += 1 + masked % 4)
                for (size_t col = 0; col < m->width; col++)
                    store(c, arena, m->off / c->elem + it * m->item_stride + row * m->ld + col,
                          -HUGE_VAL);
}

/* Every input element within its span is finite and within ±TAME (−inf allowed in masks and
 * lse inputs), and the scale is moderate: then the reference comparison applies. */
static bool tame(const call *c, const unsigned char *arena)
{
    if ((c->fn == FN_ATTENTION || c->fn == FN_ATTENTION_WS) && !(fabs(c->desc.scale) <= TAME_SCALE))
        return false;
    for (size_t i = 0; i < c->n_bufs; i++) {
        const buf *b = &c->b[i];
        if (b->output || !b->present || !b->ptr || !b->placed)
            continue;
        for (size_t k = b->off / c->elem; k < (b->off + b->bytes) / c->elem; k++) {
            double v = load(c, arena, k);
            if (!(fabs(v) <= TAME) && !(b->minus_inf_ok && v == -HUGE_VAL))
                return false;
        }
    }
    return true;
}

/* ---- running the call ----------------------------------------------------------------------- */

#define P(i, T) ((T *)c->b[i].ptr)

static mha_status query(const call *c, size_t *bytes)
{
    return c->f64 ? mha_attention_workspace_size_f64(c->desc_ptr, bytes)
                  : mha_attention_workspace_size(c->desc_ptr, bytes);
}

static mha_status invoke(const call *c)
{
    size_t n = c->seq, d = c->d_model;
    if (c->f64) {
        switch (c->fn) {
        case FN_QKV:
            return mha_compute_qkv_f64(P(0, double), P(1, double), P(2, double), P(3, double), n, d,
                                       P(4, double), P(5, double), P(6, double));
        case FN_QKV_FUSED:
            return mha_compute_qkv_fused_f64(P(0, double), P(1, double), n, d, P(2, double));
        case FN_SELF:
            return mha_self_attention_f64(P(0, double), P(1, double), P(2, double), n, d,
                                          P(3, double));
        case FN_MULTI_HEAD:
            return mha_multi_head_attention_f64(P(0, double), P(1, double), P(2, double), n, d,
                                                c->n_heads, P(3, double));
        case FN_ATTENTION:
            return mha_attention_f64(c->desc_ptr, P(0, double), P(1, double), P(2, double),
                                     P(3, double), P(4, double), P(5, double));
        case FN_ATTENTION_WS:
            return mha_attention_ws_f64(c->desc_ptr, P(0, double), P(1, double), P(2, double),
                                        P(3, double), P(4, double), P(5, double), c->b[6].ptr,
                                        c->ws_bytes);
        default:
            return mha_attention_merge_f64(c->rows, c->n_heads, c->d_v, c->ld, P(0, double),
                                           P(1, double), P(2, double), P(3, double), P(4, double),
                                           P(5, double));
        }
    }
    switch (c->fn) {
    case FN_QKV:
        return mha_compute_qkv(P(0, float), P(1, float), P(2, float), P(3, float), n, d,
                               P(4, float), P(5, float), P(6, float));
    case FN_QKV_FUSED:
        return mha_compute_qkv_fused(P(0, float), P(1, float), n, d, P(2, float));
    case FN_SELF:
        return mha_self_attention(P(0, float), P(1, float), P(2, float), n, d, P(3, float));
    case FN_MULTI_HEAD:
        return mha_multi_head_attention(P(0, float), P(1, float), P(2, float), n, d, c->n_heads,
                                        P(3, float));
    case FN_ATTENTION:
        return mha_attention(c->desc_ptr, P(0, float), P(1, float), P(2, float), P(3, float),
                             P(4, float), P(5, float));
    case FN_ATTENTION_WS:
        return mha_attention_ws(c->desc_ptr, P(0, float), P(1, float), P(2, float), P(3, float),
                                P(4, float), P(5, float), c->b[6].ptr, c->ws_bytes);
    default:
        return mha_attention_merge(c->rows, c->n_heads, c->d_v, c->ld, P(0, float), P(1, float),
                                   P(2, float), P(3, float), P(4, float), P(5, float));
    }
}

/* The reference on the pre-call values (in) into a copy (out), at the same element offsets. */
#define R(arena, i) ((arena) + c->b[i].off / c->elem)

static void reference(const call *c, const double *in, double *out)
{
    size_t n = c->seq, d = c->d_model;
    switch (c->fn) {
    case FN_QKV:
        for (int p = 0; p < 3; p++)
            ref_matmul(R(in, 0), R(in, 1 + p), n, d, d, R(out, 4 + p));
        break;
    case FN_QKV_FUSED:
        ref_matmul(R(in, 0), R(in, 1), n, d, 3 * d, R(out, 2));
        break;
    case FN_SELF:
    case FN_MULTI_HEAD:
        ref_multi_head_attention(R(in, 0), R(in, 1), R(in, 2), n, d, c->n_heads, R(out, 3));
        break;
    case FN_ATTENTION:
    case FN_ATTENTION_WS:
        ref_attention(&c->desc, R(in, 0), R(in, 1), R(in, 2), c->b[3].ptr ? R(in, 3) : NULL,
                      R(out, 4), c->b[5].ptr ? R(out, 5) : NULL);
        break;
    default:
        ref_attention_merge(c->rows, c->n_heads, c->d_v, c->ld, R(in, 0), R(in, 1), R(in, 2),
                            R(in, 3), R(out, 4), R(out, 5));
        break;
    }
}

/* Error bounds for tame inputs (|x| <= TAME), u the unit roundoff, with a factor 4 of margin.
 * A k-term dot product errs by at most k·u·Σ|a||b|. Attention: a score s = scale·q·k + mask errs
 * by e_s <= d_head·u·|scale|·d_head·TAME² plus the rounding of scale and mask; that perturbs each
 * softmax weight by a relative e_s + O(u); the weighted sum of V (|V| <= TAME) and the row sum
 * add seq_kv·u relative. lse = max + log(sum) errs by e_s plus the sum's relative error. */
static void bounds(const call *c, double *atol_out, double *atol_lse)
{
    double u = c->f64 ? 0x1p-53 : 0x1p-24, t2 = TAME * TAME;
    switch (c->fn) {
    case FN_QKV:
    case FN_QKV_FUSED: {
        double k = (double)c->d_model;
        *atol_out = 4 * (k + 1) * u * k * t2;
        break;
    }
    case FN_MERGE:
        *atol_out = 64 * u * TAME;
        *atol_lse = 64 * u * (1 + TAME);
        break;
    default: {
        double dh, sc, kv, dv;
        if (c->fn == FN_SELF || c->fn == FN_MULTI_HEAD) {
            dh = (double)(c->d_model / c->n_heads);
            sc = 1 / sqrt(dh);
            kv = (double)c->seq;
            dv = dh;
        } else {
            dh = (double)c->desc.d_head;
            sc = fabs(c->desc.scale);
            kv = (double)c->desc.seq_kv;
            dv = (double)c->desc.d_v;
        }
        double smax = sc * dh * t2 + TAME, e_s = (dh + 2) * u * sc * dh * t2 + 4 * u * smax;
        *atol_out = 4 * 2 * TAME * (e_s + (kv + dv + 8) * u);
        *atol_lse = 4 * (e_s + (kv + 8) * u * (1 + smax));
        break;
    }
    }
}

static void compare(const call *c, const unsigned char *arena, const double *want)
{
    double atol_out = 0, atol_lse = 0;
    bounds(c, &atol_out, &atol_lse);
    for (size_t o = 0; o < c->n_bufs; o++) {
        const buf *b = &c->b[o];
        if (!b->output || !b->present || !b->ptr || b->elem == 1 || b->bytes == 0)
            continue;
        bool is_lse = !strcmp(b->name, "lse");
        for (size_t it = 0; it < b->items; it++)
            for (size_t row = 0; row < b->rows; row++)
                for (size_t col = 0; col < b->width; col++) {
                    size_t at = b->off / c->elem + it * b->item_stride + row * b->ld + col;
                    double g = load(c, arena, at), w = want[at];
                    double tol = is_lse ? atol_lse * (1 + fabs(w)) : atol_out;
                    bool ok = isinf(w) ? g == w : fabs(g - w) <= tol;
                    CHECK(ok, "%s[%zu] is %.17g, reference %.17g (tolerance %g)", b->name,
                          at - b->off / c->elem, g, w, tol);
                }
    }
}

/* d_head == 0 without a mask: every score is the empty dot product 0, so whatever the inputs and
 * however many keys (the reference is too slow for a huge seq_kv), row i's lse is log n_i, n_i
 * the keys it sees (bottom-right causal: j ≤ i + seq_kv − seq_q), and −inf when it sees none. */
static void check_zero_width_lse(const call *c, const unsigned char *arena)
{
    const mha_attention_desc *d = &c->desc;
    const buf *l = &c->b[5];
    if (c->b[3].ptr || !l->ptr || l->bytes == 0)
        return;
    const double u = c->f64 ? 0x1p-53 : 0x1p-24;
    for (size_t i = 0; i < d->seq_q; i++) {
        size_t n = d->seq_kv;
        if (d->flags & MHA_CAUSAL)
            n = i + 1 + d->seq_kv <= d->seq_q ? 0 : i + 1 + d->seq_kv - d->seq_q;
        const double want = n ? log((double)(n < d->seq_kv ? n : d->seq_kv)) : -HUGE_VAL;
        for (size_t bh = 0; bh < d->batch * d->n_heads; bh++) {
            const size_t at = l->off / c->elem + bh * d->seq_q + i;
            const double got = load(c, arena, at);
            CHECK(isinf(want) ? got == want : fabs(got - want) <= 8 * u * (1 + fabs(want)),
                  "lse[%zu] is %.17g, log of %zu visible keys %.17g", at - l->off / c->elem, got, n,
                  want);
        }
    }
}

static void check_status_range(const call *c, mha_status s)
{
    CHECK(s >= MHA_OK && s <= MHA_ERR_WORKSPACE_TOO_SMALL, "unknown status %d", (int)s);
    CHECK(s != MHA_ERR_OUT_OF_MEMORY || c->fn == FN_ATTENTION || c->fn == FN_SELF ||
              c->fn == FN_MULTI_HEAD,
          "OUT_OF_MEMORY from a call that does not allocate");
    CHECK(s != MHA_ERR_WORKSPACE_TOO_SMALL || c->fn == FN_ATTENTION_WS,
          "WORKSPACE_TOO_SMALL from a call without a workspace");
    CHECK(s != MHA_ERR_OUT_OF_MEMORY || c->fail_nth, "OUT_OF_MEMORY with no injected failure");
}

/* A struct_size the library must refuse is MHA_ERR_INVALID_ARGUMENT whatever else is wrong: it is
 * read before any other rule, after the descriptor pointer itself (and, for the workspace query,
 * the result pointer, its first check). */
static void check_desc_size_first(const call *c, mha_status s, bool other_pointers_ok)
{
    if (c->desc_size_broken && c->desc_ptr != NULL && other_pointers_ok)
        CHECK(s == MHA_ERR_INVALID_ARGUMENT, "struct_size %zu gave %s, not invalid argument",
              c->desc_size, mha_status_string(s));
}

/* FUZZ_TRACE=1 in the environment: one line per call, to see what a corpus exercises. */
static bool tracing(void)
{
    static int on = -1;
    if (on < 0)
        on = getenv("FUZZ_TRACE") != NULL;
    return on;
}

static void trace(const call *c, mha_status s, unsigned long made, bool placed)
{
    const bool on = tracing();
    if (on)
        fprintf(stderr, "%-20s %-6s expect %-7s -> %-38s allocs %lu%s\n", fn_names[c->fn],
                c->f64 ? "double" : "float",
                c->expect == MUST_OK     ? "ok"
                : c->expect == MUST_FAIL ? "failure"
                                         : "either",
                mha_status_string(s), made, placed ? "" : ", buffers not in the arena");
    if (on && c->why)
        fprintf(stderr, "%20s rule: %s\n", "", c->why);
    if (on && c->op & FUZZ_OP_DESC_SIZE)
        fprintf(stderr, "%20s struct_size %zu\n", "", c->desc_size);
}

/* The workspace query alone: the descriptor's rules, *bytes untouched on error, no allocation. */
static void run_query(call *c, reader *r)
{
    size_t bytes = (size_t)0xA5A5A5A5A5A5A5A5ull, *bytes_ptr = &bytes;
    if (c->opts & OPT_NULL) {
        if (u8(r) & 1)
            c->desc_ptr = NULL;
        else
            bytes_ptr = NULL;
        require(c, MUST_FAIL, "a NULL descriptor or result pointer");
    }
    for (size_t i = 0; i < c->n_bufs; i++) /* Q, K, V, out always; mask and lse maybe */
        if (c->b[i].huge)
            require(c, i != 3 && i != 5 ? MUST_FAIL : MAY_FAIL, "a buffer's size overflows");
    mha_alloc_fail_nth(0);
    mha_status s = query(c, bytes_ptr);
    unsigned long made = mha_alloc_fail_nth(0);
    trace(c, s, made, true);
    CHECK(made == 0, "the workspace query allocated");
    check_status_range(c, s);
    check_desc_size_first(c, s, bytes_ptr != NULL);
    CHECK(s != MHA_ERR_OUT_OF_MEMORY && s != MHA_ERR_WORKSPACE_TOO_SMALL, "status %d", (int)s);
    CHECK(!(s == MHA_OK && c->expect == MUST_FAIL), "the query accepted a broken descriptor");
    CHECK(!(s != MHA_OK && c->expect == MUST_OK), "the query rejected a valid descriptor: %s",
          mha_status_string(s));
    CHECK(s == MHA_OK || bytes == (size_t)0xA5A5A5A5A5A5A5A5ull, "*bytes written on error");
}

/* Small buffers could once ask for a big workspace (seq_kv = INT_MAX with empty heads and an lse
 * output, before d_head == 0 had its own schedule): a valid call that really allocates it, which
 * libFuzzer's malloc limit would report as a crash. Such calls are not made; their validation is
 * exercised by _ws and the query. */
#define MAX_WORKSPACE ((size_t)64 << 20)

static bool allocation_too_big(const call *c)
{
    mha_attention_desc d = c->desc;
    if (c->fn == FN_SELF || c->fn == FN_MULTI_HEAD) {
        if (c->n_heads == 0 || c->d_model % c->n_heads != 0)
            return false;
        size_t d_k = c->d_model / c->n_heads;
        mha_attention_desc_init(&d, c->seq, c->seq, c->n_heads, c->n_heads, d_k, d_k);
    } else if (c->fn != FN_ATTENTION || c->desc_ptr == NULL || c->desc_size_broken) {
        return false; /* refused before anything is allocated */
    }
    size_t bytes = 0;
    mha_status s = c->f64 ? mha_attention_workspace_size_f64(&d, &bytes)
                          : mha_attention_workspace_size(&d, &bytes);
    return s == MHA_OK && bytes > MAX_WORKSPACE;
}

/* What the call itself may cost by mha.h's rule, O(bytes read + bytes written + the flops of its
 * non-empty products), in element operations: every element of every buffer passed, 2·d per
 * product term of each product that has columns (Q·Kᵀ needs d_head > 0, P·V d_v > 0, and both
 * keys), and SCORE_OPS per score for the softmax's exp. Counted from the shape, never from the
 * library's schedule. */
#define SCORE_OPS 20.0

static double call_cost(const call *c)
{
    double cost = 0;
    for (size_t i = 0; i < c->n_bufs; i++) {
        const buf *b = &c->b[i];
        if (b->present && b->elem != 1) /* the workspace is the library's, sized by the plan */
            cost += (double)b->items * (double)b->rows * (double)b->width;
    }
    double rows, keys, d_qk, d_pv; /* score rows (all heads and items), keys, product widths */
    switch (c->fn) {
    case FN_QKV:
    case FN_QKV_FUSED:
        return cost + 6 * (double)c->seq * (double)c->d_model * (double)c->d_model;
    case FN_SELF:
    case FN_MULTI_HEAD:
        if (c->n_heads == 0 || c->d_model % c->n_heads != 0)
            return cost;
        rows = (double)c->n_heads * (double)c->seq;
        keys = (double)c->seq;
        d_qk = d_pv = (double)(c->d_model / c->n_heads);
        break;
    case FN_ATTENTION:
    case FN_ATTENTION_WS:
        if (attention_is_empty(c))
            return cost;
        rows = (double)c->desc.batch * (double)c->desc.n_heads * (double)c->desc.seq_q;
        keys = (double)c->desc.seq_kv;
        d_qk = (double)c->desc.d_head;
        d_pv = (double)c->desc.d_v;
        break;
    default: /* merge: its buffers are its work */
        return cost;
    }
    if (d_qk > 0)
        cost += rows * keys * (2 * d_qk + SCORE_OPS);
    if (d_pv > 0)
        cost += rows * keys * 2 * d_pv;
    return cost;
}

/* A valid call above this cost is not made (its validation is still exercised: calls that must
 * fail are made whatever their shape, and must fail before any work). libFuzzer reports an input
 * that runs past its -timeout as a finding, so every call must stay well under a second in the
 * fuzz build, where sanitizers and coverage slow the library's own loops several times over
 * (docs/HARDENING.md: the measurement behind this value). Calls of zero-width heads over any
 * seq_kv cost their lse alone, and are made. */
#define CALL_BUDGET 1e8

/* Iterations of the reference's loops, roughly (every loop counts one more than its length, as
 * an empty inner loop still costs its outer ones); above a limit it is not run. */
static double reference_cost(const call *c)
{
    const mha_attention_desc *d = &c->desc;
    double n = (double)c->seq + 1, dm = (double)c->d_model + 1;
    switch (c->fn) {
    case FN_QKV:
    case FN_QKV_FUSED:
        return n * dm * 3 * dm;
    case FN_SELF:
    case FN_MULTI_HEAD:
        return ((double)c->n_heads + 1) * n * n * dm;
    case FN_MERGE:
        return ((double)c->rows + 1) * ((double)c->n_heads + 1) * ((double)c->d_v + 1);
    default:
        return ((double)d->batch + 1) * ((double)d->n_heads + 1) * ((double)d->seq_q + 1) *
               ((double)d->seq_kv + 1) * ((double)d->d_head + (double)d->d_v + 1);
    }
}

/* Are all buffers passed in the arena; does any passed buffer's size overflow? */
/* _ws's rules on its workspace (the last buffer), once it is known whether the lse is passed. The
 * query sizes the call with an lse (mha.h): a call that is empty without one (d_v == 0) uses no
 * workspace at all (it may be NULL, and is never written), and may succeed where the query
 * failed. */
static void workspace_rules(call *c)
{
    buf *w = &c->b[c->n_bufs - 1];
    if (attention_is_empty(c)) {
        w->bytes = 0;
        if (c->query_status != MHA_OK)
            require(c, MAY_FAIL, "the workspace query failed on this descriptor");
    } else if (c->query_status != MHA_OK) {
        require(c, MUST_FAIL, "the workspace query failed on this descriptor");
    } else if (c->ws_bytes < c->one_worker_bytes) {
        require(c, MUST_FAIL, "a workspace below one worker's queried size");
    }
}

/* Does the call have a non-empty buffer (NULL must then be refused)? */
static bool needs_a_pointer(const call *c)
{
    for (size_t i = 0; i < c->n_bufs; i++)
        if (c->b[i].present && (c->b[i].bytes || c->b[i].huge))
            return true;
    return false;
}

static void placed_and_huge(const call *c, bool *all_placed, bool *any_huge)
{
    *all_placed = true;
    *any_huge = false;
    for (size_t i = 0; i < c->n_bufs; i++) {
        const buf *b = &c->b[i];
        if (b->present) {
            *all_placed &= b->placed;
            *any_huge |= b->huge;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char *arena, *before;
    static uint8_t *writable;
    static double *ref_in, *ref_out;
    if (arena == NULL) {
        arena = malloc(ARENA_BYTES);
        before = malloc(ARENA_BYTES);
        writable = malloc(ARENA_BYTES);
        ref_in = malloc(ARENA_BYTES / 4 * sizeof *ref_in);
        ref_out = malloc(ARENA_BYTES / 4 * sizeof *ref_out);
        if (!arena || !before || !writable || !ref_in || !ref_out)
            abort();
    }
    reader r = {data, size};
    call c;
    memset(&c, 0, sizeof c);
    current = &c;
    c.op = u8(&r);
    c.fn = c.op & 7;
    c.f64 = c.op & 8;
    c.elem = c.f64 ? sizeof(double) : sizeof(float);
    c.opts = u8(&r);

    if (c.fn == FN_MERGE) {
        decode_merge(&c, &r);
    } else if (c.fn >= FN_ATTENTION) {
        decode_attention(&c, &r);
        if (c.fn == FN_WS_QUERY) {
            attention_buffer_rules(&c);
            run_query(&c, &r);
            return 0;
        }
        if (c.fn == FN_ATTENTION_WS) {
            /* The queried size runs every worker; one worker (n_threads = 1) needs less, and a
             * workspace between the two runs fewer workers (mha.h). */
            c.query_status = query(&c, &c.query_bytes);
            size_t one = 0;
            mha_attention_desc single = c.desc;
            single.n_threads = 1;
            if (c.query_status == MHA_OK &&
                (c.f64 ? mha_attention_workspace_size_f64(&single, &one)
                       : mha_attention_workspace_size(&single, &one)) != MHA_OK)
                fail("the query failed with n_threads = 1 only");
            c.one_worker_bytes = one;
            unsigned mode = u8(&r) % 4;
            c.ws_bytes = mode == 0   ? c.query_bytes
                         : mode == 1 ? one - 1
                         : mode == 2 ? c.query_bytes + u8(&r)
                                     : dim(&r) * 64;
            /* The library uses, checks and may write up to the queried size; the rest of a
             * larger workspace is the caller's. (workspace_rules() finishes this.) */
            size_t used = c.query_status == MHA_OK && c.ws_bytes >= one
                              ? (c.ws_bytes < c.query_bytes ? c.ws_bytes : c.query_bytes)
                              : c.ws_bytes;
            buf *w = add_buf(&c, "workspace", true, 1, 0, 1, used, used, true);
            w->elem = 1;
            measure(w);
        }
    } else {
        decode_seed(&c, &r);
        for (size_t i = 0; i < c.n_bufs; i++)
            measure(&c.b[i]);
    }

    /* Which pointer is NULL (an optional buffer's NULL only drops it), then where the buffers
     * go. */
    size_t null_at = SIZE_MAX;
    bool attention = c.fn == FN_ATTENTION || c.fn == FN_ATTENTION_WS;
    if (c.opts & OPT_NULL) {
        null_at = u8(&r) % (c.n_bufs + 1);
        if (null_at == c.n_bufs && attention) {
            c.desc_ptr = NULL;
            require(&c, MUST_FAIL, "a NULL descriptor");
        } else if (null_at < c.n_bufs && c.b[null_at].optional) {
            c.b[null_at].present = false;
            null_at = SIZE_MAX;
        }
    }
    place(&c, &r);
    bool all_placed, any_huge;
    placed_and_huge(&c, &all_placed, &any_huge);
    if (!all_placed && !any_huge) { /* optional buffers too big for the arena are left out */
        for (size_t i = 0; i < c.n_bufs; i++)
            if (c.b[i].optional && !c.b[i].placed)
                c.b[i].present = false;
        placed_and_huge(&c, &all_placed, &any_huge);
    }
    /* Honest pointers when every buffer fits; the arena's pointers (never to be touched) when a
     * size overflows; otherwise NULLs, for a shape that is valid but bigger than the arena: then
     * the optional buffers are simply not passed (which can make an attention call empty). */
    bool honest = all_placed || any_huge;
    if (!honest)
        for (size_t i = 0; i < c.n_bufs; i++)
            if (c.b[i].optional)
                c.b[i].present = false;
    if (attention)
        attention_buffer_rules(&c);
    if (c.fn == FN_ATTENTION_WS)
        workspace_rules(&c);
    if (any_huge)
        require(&c, MUST_FAIL, "a buffer's size overflows size_t");
    if (!honest && needs_a_pointer(&c))
        require(&c, MUST_FAIL, "NULL buffers for a shape too big for the arena");
    for (size_t i = 0; i < c.n_bufs; i++) {
        buf *b = &c.b[i];
        b->ptr = b->present && honest ? arena + (b->placed ? b->off : 0) : NULL;
        if (i == null_at) {
            b->ptr = NULL;
            if (b->bytes || b->huge)
                require(&c, MUST_FAIL, "NULL for a non-empty buffer");
        }
    }
    if (honest && all_placed)
        overlap_rules(&c);
    if (all_placed)
        mark_writable(&c, writable);

    fill(&c, &r, arena);
    memcpy(before, arena, ARENA_BYTES);
    if (c.opts & OPT_FAIL_ALLOC)
        c.fail_nth = 1 + u8(&r) % 3;
    if (allocation_too_big(&c))
        return 0;
    const double cost = call_cost(&c);
    if (c.expect != MUST_FAIL && cost > CALL_BUDGET) {
        if (tracing())
            fprintf(stderr, "%-20s %-6s not made: it may cost %.3g, above the budget\n",
                    fn_names[c.fn], c.f64 ? "double" : "float", cost);
        return 0;
    }

    mha_alloc_fail_nth(c.fail_nth);
    mha_status s = invoke(&c);
    unsigned long made = mha_alloc_fail_nth(0);
    trace(&c, s, made, all_placed);
    if (tracing())
        fprintf(stderr, "%20s cost %.3g\n", "", cost);

    check_status_range(&c, s);
    check_desc_size_first(&c, s, true);
    if (s != MHA_OK) {
        /* An injected allocation failure may fail a valid call, and only a valid one: every rule is
         * checked before the first allocation. */
        if (s == MHA_ERR_OUT_OF_MEMORY)
            CHECK(c.expect != MUST_FAIL, "out of memory on a call that breaks a rule");
        else
            CHECK(c.expect != MUST_OK, "a valid call failed: %s", mha_status_string(s));
        CHECK(!memcmp(arena, before, ARENA_BYTES), "the arena changed on error (%s)",
              mha_status_string(s));
        CHECK(s == MHA_ERR_OUT_OF_MEMORY ? made == c.fail_nth : made == 0,
              "%lu allocations on error %s", made, mha_status_string(s));
        return 0;
    }
    CHECK(c.expect != MUST_FAIL, "a broken call succeeded");
    CHECK(c.fn != FN_ATTENTION_WS || made == 0, "mha_attention_ws allocated");
    CHECK(!c.fail_nth || made < c.fail_nth, "success through an injected failure");
    if (!all_placed)
        return 0; /* an empty call with NULL pointers */
    /* Block by block, byte by byte only where a block changed (most of the arena does not). */
    for (size_t at = 0; at < ARENA_BYTES; at += 256)
        for (size_t i = at; memcmp(arena + at, before + at, 256) != 0 && i < at + 256; i++)
            CHECK(writable[i] || arena[i] == before[i], "byte %zu outside every output changed", i);
    if (attention && c.desc.d_head == 0)
        check_zero_width_lse(&c, arena);
    if (!tame(&c, before) || reference_cost(&c) > 5e7)
        return 0;
    size_t n = used_elems(&c); /* every buffer the reference reads or writes */
    for (size_t i = 0; i < n; i++)
        ref_in[i] = ref_out[i] = load(&c, before, i);
    reference(&c, ref_in, ref_out);
    compare(&c, arena, ref_out);
    return 0;
}
