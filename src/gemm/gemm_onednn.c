/* SPDX-License-Identifier: MIT */
/* The GEMMs on oneDNN (gemm.h): bf16 × bf16 → f32 on its matmul primitive, and f32 on its sgemm
 * for a process whose BLAS would thread inside libmha's workers; built only when oneDNN is found,
 * gemm_onednn_none.c stands in otherwise.
 *
 * f32: dnnl_sgemm, stateless, row-major, its jit kernels from AVX2 up. Like the matmul it runs on
 * the calling thread alone inside an active GNU OpenMP region, where a pthreads OpenBLAS of
 * several threads would start its own threads from every worker (oversubscribing the cores).
 *
 * Observed on oneDNN 2.6.3 (Debian, GNU OpenMP), Xeon with AMX, one thread (probe in the commit
 * message of this file; docs in the issue 11 report):
 * - Attributes. Alpha as an output scale sends the strided cases (the only ones brgemm does not
 *   take, below) to gemm:jit with a slow post-pass. An eltwise `linear` post-op (alpha·x + 0, one
 *   rounding, as an output scale would do it) costs nothing there, nor does a `sum` post-op for
 *   beta; both together fall to ref:any, orders of magnitude slower. So: alpha alone → linear;
 *   beta alone → sum(beta); both → output scale + sum (correct, slow on gemm:jit, rare in the
 *   driver). Any ref:* implementation is refused (false): widening to f32 for OpenBLAS is faster.
 * - Kernels. brg:avx512_core_amx_bf16 only for dense operands (ld = width) with shapes known at
 *   creation; strided views go to gemm:jit (AVX512-BF16). Runtime dimensions
 *   (DNNL_RUNTIME_DIM_VAL) always go to gemm:jit: they lose AMX, so shapes are fixed at creation.
 * - Creation. Even with the shape already in oneDNN's own primitive cache, building the primitive
 *   desc and primitive and wrapping the three buffers in memory objects is a noticeable share of
 *   an attention-sized GEMM. Hence mha_gemm_half_cache: a small object the driver owns (one per
 *   worker), no hidden state in libmha; the uncached calls rebuild every time and lean on
 *   oneDNN's cache. Engine + stream creation costs next to nothing (oneDNN keeps the CPU engine),
 *   so the uncached path keeps no engine either.
 * - Threads. oneDNN (GNU OpenMP) runs single-threaded inside an active GNU OpenMP region (the
 *   library's tiles) and on omp_get_max_threads() outside one.
 * - Determinism. Inside a region the result is bitwise that of one thread. Outside one, gemm:jit
 *   on 2 threads splits k for small m·n (16×16×2048: 173 of 256 entries differ from 1 thread),
 *   so bitwise reproducibility across worker counts needs the GEMMs inside the region. */
#include "gemm.h"

#include "alloc.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <string.h>

enum { CACHE_SIZE = 8 };

typedef struct gemm_key {
    bool trans_b, out_bf16;
    size_t m, n, k, lda, ldb, ldc;
    uint32_t alpha_bits, beta_bits; /* baked into the post-ops */
} gemm_key;

typedef struct gemm_entry {
    bool used;
    gemm_key key;
    dnnl_primitive_t prim;
    dnnl_memory_t mem[3]; /* A, B, C: created with no buffer, pointed at the caller's each call */
} gemm_entry;

struct mha_gemm_half_cache {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    unsigned next; /* round-robin victim */
    gemm_entry entry[CACHE_SIZE];
};

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static bool same_key(const gemm_key *a, const gemm_key *b)
{
    return a->trans_b == b->trans_b && a->out_bf16 == b->out_bf16 && a->m == b->m && a->n == b->n &&
           a->k == b->k && a->lda == b->lda && a->ldb == b->ldb && a->ldc == b->ldc &&
           a->alpha_bits == b->alpha_bits && a->beta_bits == b->beta_bits;
}

bool mha_gemm_onednn_sgemm(void)
{
    /* Below AVX2 oneDNN has only reference loops, slower than a threaded BLAS. */
    const unsigned avx2 = (unsigned)dnnl_cpu_isa_avx2;
    return ((unsigned)dnnl_get_effective_cpu_isa() & avx2) == avx2;
}

bool mha_gemm_f32_onednn(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *A,
                         size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    return dnnl_sgemm('N', trans_b ? 'T' : 'N', (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, alpha,
                      A, (dnnl_dim_t)lda, B, (dnnl_dim_t)ldb, beta, C,
                      (dnnl_dim_t)ldc) == dnnl_success;
}

bool mha_gemm_bf16_native(void)
{
    /* The ISA values are bit sets: AMX's contains avx512_core_bf16's, avx2_vnni's does not. The
     * effective ISA also honours ONEDNN_MAX_CPU_ISA. */
    const unsigned bf16 = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    return ((unsigned)dnnl_get_effective_cpu_isa() & bf16) == bf16;
}

/* Row-major m×n with leading dimension ld (transposed: stored n×m, so strides {1, ld}). */
static bool matrix_desc(dnnl_memory_desc_t *md, size_t rows, size_t cols, size_t ld, bool trans,
                        dnnl_data_type_t type)
{
    const dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)cols};
    const dnnl_dims_t strides = {trans ? 1 : (dnnl_dim_t)ld, trans ? (dnnl_dim_t)ld : 1};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides) == dnnl_success;
}

/* alpha and beta as post-ops (see the top of the file for why these). */
static bool set_scaling(dnnl_primitive_attr_t attr, float alpha, float beta)
{
    if (alpha == 1 && beta == 0)
        return true;
    dnnl_post_ops_t ops;
    if (dnnl_post_ops_create(&ops) != dnnl_success)
        return false;
    bool ok = true;
    if (beta == 0) {
        ok = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_linear, alpha, 0.0f) ==
             dnnl_success;
    } else {
        if (alpha != 1)
            ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha) == dnnl_success;
        ok = ok && dnnl_post_ops_append_sum(ops, beta) == dnnl_success;
    }
    ok = ok && dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    dnnl_post_ops_destroy(ops);
    return ok;
}

/* The primitive for key k, NULL on any oneDNN error or when only a reference implementation
 * would run it. The three memory objects are created alongside, with no buffer. */
static dnnl_primitive_t build(dnnl_engine_t engine, const gemm_key *k, float alpha, float beta,
                              dnnl_memory_t mem[3])
{
    dnnl_memory_desc_t a, b, c;
    if (!matrix_desc(&a, k->m, k->k, k->lda, false, dnnl_bf16) ||
        !matrix_desc(&b, k->k, k->n, k->ldb, k->trans_b, dnnl_bf16) ||
        !matrix_desc(&c, k->m, k->n, k->ldc, false, k->out_bf16 ? dnnl_bf16 : dnnl_f32))
        return NULL;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c) != dnnl_success)
        return NULL;
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    const char *impl = NULL;
    if (set_scaling(attr, alpha, beta) &&
        dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success &&
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
        impl != NULL && strncmp(impl, "ref", 3) != 0 &&
        dnnl_primitive_create(&prim, pd) != dnnl_success)
        prim = NULL;
    if (pd != NULL)
        dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    const dnnl_memory_desc_t *const mds[3] = {&a, &b, &c};
    for (int i = 0; prim != NULL && i < 3; i++) {
        if (dnnl_memory_create(&mem[i], mds[i], engine, DNNL_MEMORY_NONE) != dnnl_success) {
            while (i-- > 0)
                dnnl_memory_destroy(mem[i]);
            dnnl_primitive_destroy(prim);
            prim = NULL;
        }
    }
    return prim;
}

static void release(gemm_entry *e)
{
    if (!e->used)
        return;
    for (int i = 0; i < 3; i++)
        dnnl_memory_destroy(e->mem[i]);
    dnnl_primitive_destroy(e->prim);
    e->used = false;
}

/* Points the memory objects at the caller's buffers (oneDNN never writes A or B) and runs. */
static bool run(gemm_entry *e, dnnl_stream_t stream, const void *A, const void *B, void *C)
{
    void *const buffers[3] = {(void *)(uintptr_t)A, (void *)(uintptr_t)B, C};
    for (int i = 0; i < 3; i++)
        if (dnnl_memory_set_data_handle(e->mem[i], buffers[i]) != dnnl_success)
            return false;
    const dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, e->mem[0]}, {DNNL_ARG_WEIGHTS, e->mem[1]}, {DNNL_ARG_DST, e->mem[2]}};
    return dnnl_primitive_execute(e->prim, stream, 3, args) == dnnl_success &&
           dnnl_stream_wait(stream) == dnnl_success;
}

const char *mha_gemm_bf16_backend(void)
{
    if (!mha_gemm_bf16_native())
        return "float (widened)";
    const unsigned amx = (unsigned)dnnl_cpu_isa_avx512_core_amx;
    return ((unsigned)dnnl_get_effective_cpu_isa() & amx) == amx ? "onednn avx512_core_amx"
                                                                 : "onednn avx512_core_bf16";
}

size_t mha_gemm_half_cache_bytes(void)
{
    return sizeof(mha_gemm_half_cache);
}

mha_gemm_half_cache *mha_gemm_half_cache_init(void *mem)
{
    if (!mha_gemm_bf16_native())
        return NULL;
    mha_gemm_half_cache *cache = mem;
    memset(cache, 0, sizeof *cache);
    if (dnnl_engine_create(&cache->engine, dnnl_cpu, 0) != dnnl_success)
        return NULL;
    if (dnnl_stream_create(&cache->stream, cache->engine, dnnl_stream_default_flags) !=
        dnnl_success) {
        dnnl_engine_destroy(cache->engine);
        return NULL;
    }
    return cache;
}

void mha_gemm_half_cache_fini(mha_gemm_half_cache *cache)
{
    if (cache == NULL)
        return;
    for (int i = 0; i < CACHE_SIZE; i++)
        release(&cache->entry[i]);
    dnnl_stream_destroy(cache->stream);
    dnnl_engine_destroy(cache->engine);
}

mha_gemm_half_cache *mha_gemm_half_cache_create(void)
{
    void *mem = mha_gemm_bf16_native() ? mha_alloc(sizeof(mha_gemm_half_cache)) : NULL;
    mha_gemm_half_cache *cache = mem ? mha_gemm_half_cache_init(mem) : NULL;
    if (cache == NULL)
        mha_free(mem);
    return cache;
}

void mha_gemm_half_cache_destroy(mha_gemm_half_cache *cache)
{
    mha_gemm_half_cache_fini(cache);
    mha_free(cache);
}

/* The cached entry for k, or a new one in the round-robin slot; NULL when it cannot be built. */
static gemm_entry *lookup(mha_gemm_half_cache *cache, const gemm_key *k, float alpha, float beta)
{
    for (int i = 0; i < CACHE_SIZE; i++)
        if (cache->entry[i].used && same_key(&cache->entry[i].key, k))
            return &cache->entry[i];
    gemm_entry fresh = {.used = true, .key = *k};
    fresh.prim = build(cache->engine, k, alpha, beta, fresh.mem);
    if (fresh.prim == NULL)
        return NULL;
    gemm_entry *slot = &cache->entry[cache->next];
    cache->next = (cache->next + 1) % CACHE_SIZE;
    release(slot);
    *slot = fresh;
    return slot;
}

/* One GEMM through the cache, or (cache NULL) through a primitive built for this call alone. */
static bool gemm(mha_gemm_half_cache *cache, const gemm_key *k, float alpha, float beta,
                 const mha_bf16 *A, const mha_bf16 *B, void *C)
{
    if (cache != NULL) {
        gemm_entry *e = lookup(cache, k, alpha, beta);
        return e != NULL && run(e, cache->stream, A, B, C);
    }
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        return false;
    bool ok = false;
    if (dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success) {
        gemm_entry e = {.used = true, .key = *k};
        e.prim = build(engine, k, alpha, beta, e.mem);
        if (e.prim != NULL) {
            ok = run(&e, stream, A, B, C);
            release(&e);
        }
        dnnl_stream_destroy(stream);
    }
    dnnl_engine_destroy(engine);
    return ok;
}

bool mha_gemm_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n, size_t k,
                          float alpha, const mha_bf16 *A, size_t lda, const mha_bf16 *B, size_t ldb,
                          float beta, float *C, size_t ldc)
{
    if (!mha_gemm_bf16_native())
        return false;
    if (m == 0 || n == 0)
        return true;
    if (k == 0) { /* C = beta·C by hand, as mha_gemm_f32 does */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
        return true;
    }
    const gemm_key key = {trans_b, false, m, n, k, lda, ldb, ldc, bits_of(alpha), bits_of(beta)};
    return gemm(cache, &key, alpha, beta, A, B, C);
}

bool mha_gemm_bf16_out_bf16_cached(mha_gemm_half_cache *cache, bool trans_b, size_t m, size_t n,
                                   size_t k, float alpha, const mha_bf16 *A, size_t lda,
                                   const mha_bf16 *B, size_t ldb, mha_bf16 *C, size_t ldc)
{
    if (!mha_gemm_bf16_native())
        return false;
    if (m == 0 || n == 0)
        return true;
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                C[i * ldc + j].bits = 0;
        return true;
    }
    const gemm_key key = {trans_b, true, m, n, k, lda, ldb, ldc, bits_of(alpha), bits_of(0.0f)};
    return gemm(cache, &key, alpha, 0.0f, A, B, C);
}
