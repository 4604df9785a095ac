/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus of fuzz_attention: one small file per meaningful call, in the input
 * format documented at the top of fuzz_attention.c. Usage: gen_corpus DIR. The files in
 * tests/fuzz/corpus/ are this program's output; rerun it after changing the format. */
#include "fuzz_format.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    QKV,
    QKV_FUSED,
    SELF,
    MULTI_HEAD,
    ATTENTION,
    ATTENTION_WS,
    WS_QUERY,
    MERGE,
    F64 = 8,
    DESC_SIZE = FUZZ_OP_DESC_SIZE
};
enum { PLACE = 1, NUL = 2, FAIL_ALLOC = 4, MASK = 8, LSE = 16, SCALE = 32, RAW_FLAGS = 64 };
/* attention shape byte */
enum {
    RAW_HEADS = 1,
    PAD_LD = 2,
    PAD_BATCH = 4,
    SHARED_KV = 8,
    MASK_PER_ITEM = 16,
    INTERLEAVED_OUT = 32,
    RAW_OUT_STRIDE = 64,
    RAW_IN_STRIDES = 128
};
/* special value kinds */
enum {
    NAN_ = 0,
    INF = 1,
    NEG_INF = 2,
    BIG = 4,
    DENORMAL = 6,
    HUGE_ = 7,
    EXP_OVERFLOW_F32 = 10,
    F32_DENORMAL = 12
};

typedef struct seed {
    uint8_t b[512];
    size_t n;
} seed;

static void put(seed *s, unsigned v)
{
    if (s->n == sizeof s->b)
        abort();
    s->b[s->n++] = (uint8_t)v;
}

static void put16(seed *s, unsigned v)
{
    put(s, v & 0xFF);
    put(s, v >> 8);
}

static void put64(seed *s, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        put(s, (unsigned)(v >> (8 * i)) & 0xFF);
}

/* A dimension as fuzz_attention's dim() reads it. */
static void dim(seed *s, size_t v)
{
    if (v <= 12) {
        put(s, (unsigned)v);
        return;
    }
    for (unsigned i = 0; i < FUZZ_N_SPECIAL_DIMS; i++)
        if (fuzz_special_dims[i] == v) {
            put(s, 0xF0 + i);
            return;
        }
    put(s, 0xFF);
    put64(s, v);
}

/* Values: RNG seed, then up to 8 (position, kind) specials, then the masked-row byte. */
typedef struct special {
    unsigned at, kind;
} special;

static void values(seed *s, uint64_t rng, const special *sp, unsigned n, unsigned masked)
{
    put64(s, rng);
    put(s, n);
    for (unsigned i = 0; i < n; i++) {
        put16(s, sp[i].at);
        put(s, sp[i].kind);
    }
    put(s, masked);
}

static void plain_values(seed *s, uint64_t rng)
{
    values(s, rng, NULL, 0, 0);
}

/* An attention descriptor: batch, seq_q, seq_kv, n_kv, group, d_head, d_v, shape byte. The caller
 * appends what the shape byte asks for, then the flags byte (bit 0 causal, bits 1-3 n_threads)
 * and the scale. */
static void desc(seed *s, size_t batch, size_t seq_q, size_t seq_kv, size_t n_kv, size_t group,
                 size_t d_head, size_t d_v, unsigned shape)
{
    dim(s, batch);
    dim(s, seq_q);
    dim(s, seq_kv);
    dim(s, n_kv);
    dim(s, group);
    dim(s, d_head);
    dim(s, d_v);
    put(s, shape);
}

static int written;

static void save(const char *dir, const char *name, const seed *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    written++;
}

#define NEW(op, opts)                                                                              \
    seed s = {{0}, 0};                                                                             \
    put(&s, op);                                                                                   \
    put(&s, opts)

/* The seed operations: the example, aliased weights, an output on an input, non-dividing
 * and zero heads, a huge shape, an empty call. */
static void seed_ops(const char *dir)
{
    {
        NEW(QKV, 0);
        dim(&s, 2), dim(&s, 4), put(&s, 0), plain_values(&s, 1);
        save(dir, "qkv_f32", &s);
    }
    {
        NEW(QKV | F64, 0);
        dim(&s, 5), dim(&s, 3), put(&s, 1), plain_values(&s, 2);
        save(dir, "qkv_f64_gap", &s);
    }
    { /* X, the three weights at one offset, Q, K, V */
        NEW(QKV, PLACE);
        dim(&s, 3), dim(&s, 4);
        const unsigned offs[7] = {0, 100, 100, 100, 200, 300, 400};
        for (int i = 0; i < 7; i++)
            put16(&s, offs[i]);
        plain_values(&s, 3);
        save(dir, "qkv_aliased_weights", &s);
    }
    { /* Q written over X: MHA_ERR_OVERLAP */
        NEW(QKV | F64, PLACE);
        dim(&s, 3), dim(&s, 4);
        const unsigned offs[7] = {0, 100, 200, 300, 4, 500, 600};
        for (int i = 0; i < 7; i++)
            put16(&s, offs[i]);
        plain_values(&s, 4);
        save(dir, "qkv_overlap", &s);
    }
    {
        NEW(QKV_FUSED, 0);
        dim(&s, 3), dim(&s, 4), put(&s, 0), plain_values(&s, 5);
        save(dir, "fused_f32", &s);
    }
    {
        NEW(QKV_FUSED | F64, 0);
        dim(&s, 0), dim(&s, SIZE_MAX / 3 + 1), put(&s, 0), plain_values(&s, 6);
        save(dir, "fused_3d_overflow", &s);
    }
    {
        NEW(SELF, 0);
        dim(&s, 7), dim(&s, 5), put(&s, 0), plain_values(&s, 7);
        save(dir, "self_f32", &s);
    }
    {
        NEW(SELF | F64, 0);
        dim(&s, 1), dim(&s, 1), put(&s, 0), plain_values(&s, 8);
        save(dir, "self_f64_1x1", &s);
    }
    {
        NEW(MULTI_HEAD | F64, 0);
        dim(&s, 2), dim(&s, 4), dim(&s, 2), put(&s, 0), plain_values(&s, 9);
        save(dir, "mha_f64_seed_shape", &s);
    }
    {
        NEW(MULTI_HEAD, 0);
        dim(&s, 4), dim(&s, 4), dim(&s, 3), put(&s, 0), plain_values(&s, 10);
        save(dir, "mha_heads_not_dividing", &s);
    }
    {
        NEW(MULTI_HEAD, 0);
        dim(&s, 0), dim(&s, 4), dim(&s, 0), put(&s, 0), plain_values(&s, 11);
        save(dir, "mha_zero_heads_empty", &s);
    }
    { /* the class of the first finding (below) at INT_MAX, whose padded score row passes it */
        NEW(SELF, 0);
        dim(&s, INT_MAX), dim(&s, 0), put(&s, 0), plain_values(&s, 12);
        save(dir, "self_empty_int_max", &s);
    }
    {
        NEW(MULTI_HEAD | F64, 0);
        dim(&s, INT_MAX), dim(&s, 0), dim(&s, 1), put(&s, 0), plain_values(&s, 13);
        save(dir, "mha_f64_empty_int_max", &s);
    }
    {
        NEW(MULTI_HEAD | F64, 0);
        dim(&s, (size_t)INT_MAX + 1), dim(&s, 4), dim(&s, 2), put(&s, 0), plain_values(&s, 12);
        save(dir, "mha_huge_seq", &s);
    }
    {
        NEW(MULTI_HEAD, 0);
        dim(&s, 12), dim(&s, 12), dim(&s, 4), put(&s, 0);
        const special sp[3] = {{5, NAN_}, {200, INF}, {300, F32_DENORMAL}};
        values(&s, 13, sp, 3, 0);
        save(dir, "mha_specials", &s);
    }
    { /* V is NULL */
        NEW(SELF, NUL);
        dim(&s, 3), dim(&s, 2), put(&s, 2), put(&s, 0), plain_values(&s, 14);
        save(dir, "self_null_v", &s);
    }
}

static void attention(const char *dir)
{
    { /* cross lengths, GQA, causal, mask, lse */
        NEW(ATTENTION, MASK | LSE);
        desc(&s, 1, 5, 7, 2, 2, 4, 3, 0), put(&s, 1), put(&s, 0), plain_values(&s, 20);
        save(dir, "att_gqa_causal_mask_lse", &s);
    }
    { /* decode with MQA: the heads of the group stacked in one tile */
        NEW(ATTENTION | F64, LSE);
        desc(&s, 1, 1, 9, 1, 4, 8, 8, 0), put(&s, 0), put(&s, 0), plain_values(&s, 21);
        save(dir, "att_decode_mqa", &s);
    }
    { /* batch with padded strides, a mask per item */
        NEW(ATTENTION, MASK | LSE);
        desc(&s, 3, 4, 6, 2, 1, 3, 5, PAD_LD | PAD_BATCH | MASK_PER_ITEM);
        for (int i = 0; i < 5; i++)
            put(&s, (unsigned)i % 4);
        for (int i = 0; i < 4; i++)
            put(&s, 1 + (unsigned)i % 3);
        put(&s, 2); /* mask item padding */
        put(&s, 1), put(&s, 1), plain_values(&s, 22);
        save(dir, "att_batch_strides", &s);
    }
    { /* seq × batch × d output, K/V shared by the batch */
        NEW(ATTENTION | F64, 0);
        desc(&s, 2, 3, 4, 1, 2, 2, 2, SHARED_KV | INTERLEAVED_OUT);
        put(&s, 0), put(&s, 0), put(&s, 0), plain_values(&s, 23);
        save(dir, "att_interleaved_out", &s);
    }
    { /* out's batch items 1 element apart: they collide */
        NEW(ATTENTION, 0);
        desc(&s, 2, 3, 3, 1, 1, 2, 2, RAW_OUT_STRIDE);
        dim(&s, 1), put(&s, 0), put(&s, 0), plain_values(&s, 24);
        save(dir, "att_out_items_collide", &s);
    }
    { /* 3 query heads on 2 kv heads */
        NEW(ATTENTION, 0);
        desc(&s, 1, 2, 2, 2, 1, 2, 2, RAW_HEADS);
        dim(&s, 3), put(&s, 0), put(&s, 0), plain_values(&s, 25);
        save(dir, "att_heads_not_dividing", &s);
    }
    {
        NEW(ATTENTION, RAW_FLAGS);
        desc(&s, 1, 2, 2, 1, 1, 2, 2, 0), put(&s, 3), put(&s, 0), plain_values(&s, 26);
        save(dir, "att_unknown_flags", &s);
    }
    static const struct {
        unsigned code;
        const char *name;
    } scales[] = {{8, "att_scale_nan"}, {11, "att_scale_above_flt_max"}, {3, "att_scale_half"}};
    for (unsigned i = 0; i < 3; i++) {
        NEW(ATTENTION, SCALE | LSE);
        desc(&s, 1, 3, 3, 1, 2, 2, 2, 0), put(&s, 0), put(&s, scales[i].code), put(&s, 0);
        plain_values(&s, 27 + i);
        save(dir, scales[i].name, &s);
    }
    { /* a size that overflows: rejected with the arena's pointers */
        NEW(ATTENTION | F64, LSE);
        desc(&s, 2, SIZE_MAX / 2, 2, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 30);
        save(dir, "att_huge_seq_q", &s);
    }
    { /* valid but huge: NULL pointers, never allocated */
        NEW(ATTENTION, 0);
        desc(&s, 1, 64, (size_t)INT_MAX, 1, 1, 1, 1, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 31);
        save(dir, "att_huge_seq_kv", &s);
    }
    {
        NEW(ATTENTION, 0);
        desc(&s, 1, 2, 2, 1, 1, (size_t)1 << 40, 2, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 32);
        save(dir, "att_huge_d_head", &s);
    }
    { /* empty (d_v == 0, no lse) with every other size at the BLAS's limit: MHA_OK */
        NEW(ATTENTION | F64, 0);
        desc(&s, (size_t)1 << 40, INT_MAX, INT_MAX, 1, 1, 0, 0, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 34);
        save(dir, "att_empty_dv0_huge", &s);
    }
    { /* NaN in Q, +inf in K, Inf in V, whole mask rows at −inf */
        NEW(ATTENTION | F64, MASK | LSE);
        desc(&s, 1, 6, 6, 1, 1, 3, 3, 0), put(&s, 0), put(&s, 0);
        const special sp[3] = {{4, NAN_}, {20, INF}, {40, INF}};
        values(&s, 33, sp, 3, 0x12);
        save(dir, "att_nan_inf", &s);
    }
    { /* fully masked rows only */
        NEW(ATTENTION, MASK | LSE);
        desc(&s, 1, 4, 5, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0);
        values(&s, 34, NULL, 0, 0x04);
        save(dir, "att_masked_rows", &s);
    }
    {
        NEW(ATTENTION, LSE);
        desc(&s, 2, 3, 0, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0), plain_values(&s, 35);
        save(dir, "att_no_keys", &s);
    }
    { /* causal with more queries than keys: the first rows see nothing */
        NEW(ATTENTION | F64, LSE);
        desc(&s, 1, 9, 4, 1, 1, 2, 2, 0), put(&s, 1), put(&s, 0), plain_values(&s, 36);
        save(dir, "att_causal_rows_without_keys", &s);
    }
    { /* several query blocks per head */
        NEW(ATTENTION, 0);
        desc(&s, 1, 300, 300, 1, 1, 1, 1, 0), put(&s, 1), put(&s, 0), plain_values(&s, 37);
        save(dir, "att_many_tiles_causal", &s);
    }
    {
        NEW(ATTENTION, LSE);
        desc(&s, 1, 3, 3, 1, 1, 2, 0, 0), put(&s, 0), put(&s, 0), plain_values(&s, 38);
        save(dir, "att_dv0_lse", &s);
    }
    {
        NEW(ATTENTION | F64, FAIL_ALLOC);
        desc(&s, 1, 3, 3, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0), plain_values(&s, 39);
        put(&s, 0); /* the first allocation fails */
        save(dir, "att_alloc_fails", &s);
    }
    { /* Q is NULL */
        NEW(ATTENTION, NUL);
        desc(&s, 1, 3, 3, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 40);
        save(dir, "att_null_q", &s);
    }
    { /* issue 26: zero-width heads (d_head = d_v = 0) over 838 862 435 keys, an lse, 1635 heads
       * on 5 kv heads: each row's lse is the log of its key count, for the cost of writing it */
        NEW(ATTENTION | F64, LSE);
        desc(&s, 1, 5, 838862435, 5, 327, 0, 0, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 42);
        save(dir, "att_zero_widths_huge_seq_kv", &s);
    }
    { /* the same, causal, two items: the first rows see L − 4 keys, the last L */
        NEW(ATTENTION, LSE);
        desc(&s, 2, 5, 838862435, 5, 327, 0, 0, 0), put(&s, 1), put(&s, 0);
        plain_values(&s, 43);
        save(dir, "att_zero_widths_huge_seq_kv_causal", &s);
    }
    { /* d_head 0 with V: every score is its mask entry; GQA, causal, a mask per item with rows
       * at −inf */
        NEW(ATTENTION, MASK | LSE);
        desc(&s, 2, 7, 9, 2, 3, 0, 4, MASK_PER_ITEM), put(&s, 1); /* mask item padding */
        put(&s, 1), put(&s, 0);
        values(&s, 44, NULL, 0, 0x13);
        save(dir, "att_zero_d_head_mask", &s);
    }
    { /* denormal inputs */
        NEW(ATTENTION, 0);
        desc(&s, 1, 4, 4, 1, 1, 4, 4, 0), put(&s, 0), put(&s, 0);
        const special sp[4] = {{0, F32_DENORMAL}, {1, DENORMAL}, {20, DENORMAL}, {40, HUGE_}};
        values(&s, 41, sp, 4, 0);
        save(dir, "att_denormals", &s);
    }
}

/* The flags byte also carries n_threads in bits 1-3 (the library's tile workers). */
static void threads(const char *dir)
{
    {
        NEW(ATTENTION, LSE);
        desc(&s, 2, 40, 33, 2, 2, 4, 4, 0), put(&s, 1 | 2 << 1), put(&s, 0);
        plain_values(&s, 70);
        save(dir, "att_two_workers", &s);
    }
    { /* 3 workers asked for, a workspace one byte short of one worker's: too small */
        NEW(ATTENTION_WS | F64, 0);
        desc(&s, 1, 32, 32, 4, 2, 8, 8, 0), put(&s, 3 << 1), put(&s, 1);
        put(&s, 0), put(&s, 5); /* gap, workspace misalignment */
        plain_values(&s, 71);
        save(dir, "ws_three_workers_short", &s);
    }
}

static void workspace(const char *dir)
{
    static const char *const names[3] = {"ws_exact", "ws_one_byte_short", "ws_larger"};
    for (unsigned mode = 0; mode < 3; mode++) {
        NEW(ATTENTION_WS | (mode == 1 ? F64 : 0), LSE);
        desc(&s, 2, 5, 6, 1, 2, 3, 3, 0), put(&s, 1);
        put(&s, mode);
        if (mode == 2)
            put(&s, 77);
        put(&s, 0), put(&s, 13); /* gap, workspace misalignment */
        plain_values(&s, 50 + mode);
        save(dir, names[mode], &s);
    }
    { /* the workspace on top of Q: MHA_ERR_OVERLAP */
        NEW(ATTENTION_WS, PLACE);
        desc(&s, 1, 4, 4, 1, 1, 2, 2, 0), put(&s, 0);
        put(&s, 0);
        const unsigned offs[7] = {0, 100, 200, 300, 400, 500, 0};
        for (int i = 0; i < 7; i++)
            put16(&s, offs[i]);
        put(&s, 0);
        plain_values(&s, 53);
        save(dir, "ws_overlaps_q", &s);
    }
    {
        NEW(WS_QUERY | F64, 0);
        desc(&s, 2, 40, 64, 2, 3, 8, 8, 0), put(&s, 0);
        save(dir, "query_f64", &s);
    }
    {
        NEW(WS_QUERY, NUL);
        desc(&s, 1, 2, 2, 1, 1, 2, 2, 0), put(&s, 0), put(&s, 0);
        save(dir, "query_null_bytes", &s);
    }
    {
        NEW(WS_QUERY, 0);
        desc(&s, 1, SIZE_MAX, SIZE_MAX, 1, 1, 2, 2, 0), put(&s, 0);
        save(dir, "query_huge", &s);
    }
}

/* The descriptor's struct_size (op bit DESC_SIZE): its bytes follow the flags byte and scale. */
static void desc_size(const char *dir)
{
    { /* a first-release program: valid, checked against the reference */
        NEW(ATTENTION | DESC_SIZE, MASK | LSE);
        desc(&s, 1, 5, 7, 2, 2, 4, 3, 0), put(&s, 1), put(&s, FUZZ_DESC_SIZE_FIRST);
        plain_values(&s, 80);
        save(dir, "att_desc_size_first_release", &s);
    }
    { /* struct_size 0 and Q NULL: invalid argument, not null pointer */
        NEW(ATTENTION | DESC_SIZE, NUL);
        desc(&s, 1, 3, 3, 1, 1, 2, 2, 0), put(&s, 0), put(&s, FUZZ_DESC_SIZE_BELOW), put(&s, 0);
        put(&s, 0), put(&s, 0); /* Q is NULL; gap */
        plain_values(&s, 81);
        save(dir, "att_desc_size_zero_null_q", &s);
    }
    { /* one byte below the first release's (176 on LP64), in a block of 175 bytes */
        NEW(ATTENTION | F64 | DESC_SIZE, LSE);
        desc(&s, 2, 4, 6, 1, 2, 3, 3, 0), put(&s, 1), put(&s, FUZZ_DESC_SIZE_BELOW), put(&s, 175);
        plain_values(&s, 82);
        save(dir, "att_desc_size_below_first_release", &s);
    }
    { /* not a struct's size, on a shape whose seq_kv is above INT_MAX: invalid argument first */
        NEW(ATTENTION | DESC_SIZE, 0);
        desc(&s, 1, 64, (size_t)INT_MAX + 1, 1, 1, 1, 1, 0), put(&s, 0);
        put(&s, FUZZ_DESC_SIZE_UNALIGNED), put(&s, 2);
        plain_values(&s, 83);
        save(dir, "att_desc_size_unaligned_too_large", &s);
    }
    { /* a newer header's, its own fields zero, through _ws: refused all the same */
        NEW(ATTENTION_WS | DESC_SIZE, LSE);
        desc(&s, 2, 5, 6, 1, 2, 3, 3, 0), put(&s, 1), put(&s, FUZZ_DESC_SIZE_NEWER), put(&s, 0);
        put(&s, 0);             /* workspace: the queried size (the query fails) */
        put(&s, 0), put(&s, 3); /* gap, workspace misalignment */
        plain_values(&s, 84);
        save(dir, "ws_desc_size_newer", &s);
    }
    { /* a newer header's with its fields set, to the workspace query */
        NEW(WS_QUERY | DESC_SIZE, 0);
        desc(&s, 1, 40, 64, 2, 3, 8, 8, 0), put(&s, 0);
        put(&s, FUZZ_DESC_SIZE_NEWER_SET), put(&s, 3), put(&s, 0x41);
        save(dir, "query_desc_size_newer_set", &s);
    }
    { /* SIZE_MAX: refused without a byte past the library's own fields read */
        NEW(WS_QUERY | F64 | DESC_SIZE, 0);
        desc(&s, 2, 40, 64, 2, 3, 8, 8, 0), put(&s, 0), put(&s, FUZZ_DESC_SIZE_RAW);
        put64(&s, SIZE_MAX);
        save(dir, "query_desc_size_max", &s);
    }
}

static void merge(const char *dir)
{
    {
        NEW(MERGE, 0);
        dim(&s, 3), dim(&s, 2), dim(&s, 4), put(&s, 1), put(&s, 0), put(&s, 0);
        plain_values(&s, 60);
        save(dir, "merge_f32", &s);
    }
    { /* out = out_a, lse = lse_a; some lse at −inf */
        NEW(MERGE | F64, 0);
        dim(&s, 4), dim(&s, 2), dim(&s, 3), put(&s, 0), put(&s, 3), put(&s, 0);
        const special sp[2] = {{24, NEG_INF}, {33, NEG_INF}};
        values(&s, 61, sp, 2, 0);
        save(dir, "merge_in_place", &s);
    }
    { /* ld one below the width */
        NEW(MERGE, 0);
        dim(&s, 2), dim(&s, 2), dim(&s, 2), put(&s, 0xFE), put(&s, 0), put(&s, 0);
        plain_values(&s, 62);
        save(dir, "merge_ld_short", &s);
    }
    { /* out overlapping out_b */
        NEW(MERGE, PLACE);
        dim(&s, 2), dim(&s, 1), dim(&s, 2), put(&s, 0), put(&s, 0);
        const unsigned offs[6] = {0, 50, 100, 150, 101, 200};
        for (int i = 0; i < 6; i++)
            put16(&s, offs[i]);
        plain_values(&s, 63);
        save(dir, "merge_overlap", &s);
    }
    { /* more rows than INT_MAX in name only: empty, no BLAS involved */
        NEW(MERGE | F64, 0);
        dim(&s, (size_t)INT_MAX + 1), dim(&s, 0), dim(&s, 3), put(&s, 0), put(&s, 0), put(&s, 0);
        plain_values(&s, 64);
        save(dir, "merge_empty_huge_rows", &s);
    }
}

/* Inputs the fuzzer found, byte for byte, each with what it showed. A campaign's finding goes here
 * once it is fixed (docs/HARDENING.md). */
typedef struct finding {
    const char *name, *why;
    size_t n;
    uint8_t b[128];
} finding;

static const finding findings_list[] = {
    {"self_f64_empty_huge_seq",
     "mha_self_attention_f64(seq_len 1811939328, d_k 0), an empty call, was TOO_LARGE",
     7,
     {0x7A, 0x01, 0xFF, 0x00, 0x00, 0x00, 0x6C}},
    {"ws_empty_dv0_small_workspace",
     "an empty _ws call (d_v 0, no lse) with a workspace below the query's (sized with an lse)",
     36,
     {0x05, 0x2A, 0x20, 0x44, 0x45, 0x42, 0x49, 0x41, 0x4E, 0x5F, 0x46, 0x52,
      0x3A, 0x69, 0x73, 0x20, 0x64, 0x65, 0x6E, 0x6E, 0x64, 0x69, 0x65, 0x66,
      0x65, 0x64, 0x0D, 0x34, 0x00, 0xB4, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00}},
    {"ws_empty_dv0_query_fails",
     "an empty _ws call where the query, sized with an lse, fails",
     34,
     {0x0D, 0x00, 0x01, 0xFF, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0xFF, 0x20, 0x00, 0x00, 0x00, 0x4F, 0x4D, 0x50, 0x5F, 0x44, 0x59, 0x4E,
      0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00}},
    {"ws_empty_dv0_null_workspace",
     "an empty _ws call with a NULL workspace",
     37,
     {0x05, 0x2A, 0x20, 0x44, 0x45, 0x42, 0x49, 0xB4, 0x41, 0x4E, 0x5F, 0x46, 0x52,
      0x3A, 0x44, 0x45, 0x42, 0x49, 0x41, 0x4E, 0x5F, 0x46, 0x52, 0x4F, 0x4E, 0x54,
      0x64, 0x0D, 0x34, 0x00, 0xB4, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00}},
    {"ws_query_empty_lse_stride_overflows",
     "the query on batch 0 with n_heads·seq_q (the lse's stride) overflowing",
     11,
     {0x06, 0x01, 0x00, 0xFC, 0x01, 0x01, 0x06, 0x02, 0x02, 0x00, 0x00}},
    {"ws_empty_dv0_lse_left_out",
     "d_v 0 with an lse the harness leaves out: the call is empty",
     16,
     {0x0D, 0x10, 0x02, 0x06, 0x05, 0xFE, 0x01, 0x00, 0x00, 0xF0, 0x00, 0x0D, 0x10, 0x02, 0xF3,
      0x00}},
    {"ws_empty_dv0_all_null",
     "d_v 0, every pointer NULL (a shape too big for the arena)",
     32,
     {0x05, 0xFB, 0x77, 0xC4, 0x8D, 0x22, 0x7F, 0x00, 0x00, 0x52, 0xFE,
      0x43, 0x45, 0xC2, 0x49, 0x41, 0xFD, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF}},
    {"att_f64_zero_widths_16m_keys",
     "f64, 9 items of 6 rows, 6 heads, d_head = d_v = 0, an lse over 16 908 287 keys: the driver "
     "walked every (head, row, key), 39 s under ASan (issue 26); now the lse alone",
     31,
     {0x0C, 0x18, 0x16, 0x06, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0x00, 0x00,
      0x00, 0x00, 0x01, 0xBC, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
      0x04, 0x00, 0x00, 0x14, 0x00, 0x00, 0x14, 0x00, 0x01}},
    {"harness_mask_rows_overlap",
     "the harness looped over 2^64 mask rows of ld_mask 0 (a timeout, not a library bug)",
     108,
     {0x04, 0xC9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0x44, 0x45, 0x42, 0x49, 0x41, 0x4E, 0x5F, 0x46, 0x52, 0x4F,
      0x4E, 0x54, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xCA,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0x30, 0x3A, 0x20, 0xF6, 0xED, 0x49, 0x6C, 0x75, 0x65, 0x20}},
};

static void findings(const char *dir)
{
    for (size_t i = 0; i < sizeof findings_list / sizeof findings_list[0]; i++) {
        seed s = {{0}, findings_list[i].n};
        memcpy(s.b, findings_list[i].b, s.n);
        save(dir, findings_list[i].name, &s);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    seed_ops(argv[1]);
    attention(argv[1]);
    workspace(argv[1]);
    threads(argv[1]);
    desc_size(argv[1]);
    merge(argv[1]);
    findings(argv[1]);
    printf("%d seeds written to %s\n", written, argv[1]);
    return 0;
}
