/* SPDX-License-Identifier: MIT */
/* Thread stress: many concurrent calls from several threads — mixed shapes, float and double,
 * mha_attention, _ws on per-thread workspaces, multi-head, self attention, the fused projection,
 * merge, calls with the library's own tile workers, bf16 and f16 — each compared bit for bit with
 * the result of the same call made serially first. The library is documented reentrant with no
 * global state, so concurrency must not change a single bit. Threads share the inputs (read-only)
 * and own their outputs and workspaces. Also built with -fsanitize=thread in CI (see
 * docs/HARDENING.md). */
#include "common/test_util.h"

#include "mha.h"

#include <pthread.h>

/* ROUNDS rounds of every job per thread; MHA_STRESS_ROUNDS overrides it (the valgrind setup runs
 * fewer: valgrind serialises threads anyway). */
enum { N_THREADS = 4, ROUNDS = 40 };
static unsigned rounds = ROUNDS;

typedef enum kind { ATTENTION, ATTENTION_WS, MULTI_HEAD, SELF, QKV_FUSED, MERGE } kind;

/* How the matrices are stored: in the arithmetic's type, or in a half type (mask, lse float). */
typedef enum storage { AS_REAL, AS_BF16, AS_F16 } storage;

typedef struct job {
    kind kind;
    bool f64;
    storage half;
    mha_attention_desc d;
    bool mask, lse;
    size_t seq, d_model, n_heads; /* seed operations; merge: rows, d_v, n_heads */
    void *Q, *K, *V, *M;          /* inputs, shared by every thread */
    size_t elem, out_bytes, lse_bytes, ws_bytes;
    unsigned char *want_out, *want_lse; /* the serial result */
} job;

/* The half types' calls (attention, _ws, the fused projection). */
static mha_status run_half_job(const job *j, void *out, void *lse, void *ws)
{
    const mha_attention_desc *d = &j->d;
    void *l = j->lse ? lse : NULL;
    bool bf16 = j->half == AS_BF16;
    switch (j->kind) {
    case ATTENTION:
        return bf16 ? mha_attention_bf16(d, j->Q, j->K, j->V, j->M, out, l)
                    : mha_attention_f16(d, j->Q, j->K, j->V, j->M, out, l);
    case ATTENTION_WS:
        return bf16 ? mha_attention_ws_bf16(d, j->Q, j->K, j->V, j->M, out, l, ws, j->ws_bytes)
                    : mha_attention_ws_f16(d, j->Q, j->K, j->V, j->M, out, l, ws, j->ws_bytes);
    case QKV_FUSED:
        return bf16 ? mha_compute_qkv_fused_bf16(j->Q, j->K, j->seq, j->d_model, out)
                    : mha_compute_qkv_fused_f16(j->Q, j->K, j->seq, j->d_model, out);
    default:
        return MHA_ERR_INVALID_ARGUMENT;
    }
}

static mha_status run_job(const job *j, void *out, void *lse, void *ws)
{
    const mha_attention_desc *d = &j->d;
    void *l = j->lse ? lse : NULL;
    if (j->half != AS_REAL)
        return run_half_job(j, out, lse, ws);
    if (j->f64) {
        switch (j->kind) {
        case ATTENTION:
            return mha_attention_f64(d, j->Q, j->K, j->V, j->M, out, l);
        case ATTENTION_WS:
            return mha_attention_ws_f64(d, j->Q, j->K, j->V, j->M, out, l, ws, j->ws_bytes);
        case MULTI_HEAD:
            return mha_multi_head_attention_f64(j->Q, j->K, j->V, j->seq, j->d_model, j->n_heads,
                                                out);
        case SELF:
            return mha_self_attention_f64(j->Q, j->K, j->V, j->seq, j->d_model, out);
        case QKV_FUSED:
            return mha_compute_qkv_fused_f64(j->Q, j->K, j->seq, j->d_model, out);
        case MERGE: {
            const double *la = j->V, *lb = la + j->seq * j->n_heads;
            return mha_attention_merge_f64(j->seq, j->n_heads, j->d_model, j->n_heads * j->d_model,
                                           j->Q, la, j->K, lb, out, lse);
        }
        }
    }
    switch (j->kind) {
    case ATTENTION:
        return mha_attention(d, j->Q, j->K, j->V, j->M, out, l);
    case ATTENTION_WS:
        return mha_attention_ws(d, j->Q, j->K, j->V, j->M, out, l, ws, j->ws_bytes);
    case MULTI_HEAD:
        return mha_multi_head_attention(j->Q, j->K, j->V, j->seq, j->d_model, j->n_heads, out);
    case SELF:
        return mha_self_attention(j->Q, j->K, j->V, j->seq, j->d_model, out);
    case QKV_FUSED:
        return mha_compute_qkv_fused(j->Q, j->K, j->seq, j->d_model, out);
    case MERGE: {
        const float *la = j->V, *lb = la + j->seq * j->n_heads;
        return mha_attention_merge(j->seq, j->n_heads, j->d_model, j->n_heads * j->d_model, j->Q,
                                   la, j->K, lb, out, lse);
    }
    }
    return MHA_ERR_INVALID_ARGUMENT;
}

static void *random_values(rng *r, size_t n, size_t elem, double lo, double hi)
{
    void *p = xcalloc(n, elem);
    for (size_t i = 0; i < n; i++) {
        double v = rng_uniform(r, lo, hi);
        if (elem == sizeof(float))
            ((float *)p)[i] = (float)v;
        else if (elem == sizeof(double))
            ((double *)p)[i] = v;
        else /* a half type: bits of a small value in both bf16 and f16 */
            ((uint16_t *)p)[i] = (uint16_t)(0x3000 + (rng_next(r) & 0x07FF));
    }
    return p;
}

/* j in a half type: 16-bit matrices and workspace of that type; the lse stays float. */
static job in_half(job j, storage half)
{
    j.half = half;
    j.out_bytes = j.out_bytes / j.elem * 2;
    j.elem = 2;
    if (j.kind == ATTENTION_WS)
        assert_int_equal(half == AS_BF16 ? mha_attention_workspace_size_bf16(&j.d, &j.ws_bytes)
                                         : mha_attention_workspace_size_f16(&j.d, &j.ws_bytes),
                         MHA_OK);
    return j;
}

static job attention_job(bool f64, bool ws, size_t batch, size_t seq_q, size_t seq_kv,
                         size_t n_heads, size_t n_kv, size_t d_head, size_t d_v, unsigned flags,
                         bool mask, bool lse)
{
    job j = {.kind = ws ? ATTENTION_WS : ATTENTION, .f64 = f64, .mask = mask, .lse = lse};
    j.elem = f64 ? sizeof(double) : sizeof(float);
    mha_attention_desc_init(&j.d, seq_q, seq_kv, n_heads, n_kv, d_head, d_v);
    j.d.batch = batch;
    j.d.flags = flags;
    j.out_bytes = batch * j.d.batch_stride_out * j.elem;
    j.lse_bytes = lse ? batch * n_heads * seq_q * j.elem : 0;
    if (ws)
        assert_int_equal(f64 ? mha_attention_workspace_size_f64(&j.d, &j.ws_bytes)
                             : mha_attention_workspace_size(&j.d, &j.ws_bytes),
                         MHA_OK);
    return j;
}

static job seed_job(kind k, bool f64, size_t seq, size_t d_model, size_t n_heads)
{
    job j = {.kind = k, .f64 = f64, .seq = seq, .d_model = d_model, .n_heads = n_heads};
    j.elem = f64 ? sizeof(double) : sizeof(float);
    size_t cols = k == QKV_FUSED ? 3 * d_model : k == MERGE ? n_heads * d_model : d_model;
    j.out_bytes = seq * cols * j.elem;
    j.lse_bytes = k == MERGE ? seq * n_heads * j.elem : 0;
    return j;
}

/* Inputs for j; lse inputs of a merge in [-3, 3] with some −inf. */
static void make_inputs(rng *r, job *j)
{
    size_t e = j->elem;
    if (j->kind == ATTENTION || j->kind == ATTENTION_WS) {
        const mha_attention_desc *d = &j->d;
        j->Q = random_values(r, d->batch * d->batch_stride_q, e, -1, 1);
        j->K = random_values(r, d->batch * d->batch_stride_k, e, -1, 1);
        j->V = random_values(r, d->batch * d->batch_stride_v, e, -1, 1);
        size_t mask_elem = j->half != AS_REAL ? sizeof(float) : e; /* the mask is never half */
        j->M = j->mask ? random_values(r, d->seq_q * d->ld_mask, mask_elem, -2, 2) : NULL;
        return;
    }
    size_t n = j->seq * j->d_model;
    switch (j->kind) {
    case QKV_FUSED:
        j->Q = random_values(r, n, e, -1, 1);
        j->K = random_values(r, 3 * j->d_model * j->d_model, e, -0.5, 0.5);
        break;
    case MERGE:
        j->Q = random_values(r, n * j->n_heads, e, -1, 1);
        j->K = random_values(r, n * j->n_heads, e, -1, 1);
        j->V = random_values(r, 2 * j->seq * j->n_heads, e, -3, 3);
        for (size_t i = 0; i < 2 * j->seq * j->n_heads; i += 5) /* sides that saw no key */
            if (e == sizeof(float))
                ((float *)j->V)[i] = -INFINITY;
            else
                ((double *)j->V)[i] = -HUGE_VAL;
        break;
    default:
        j->Q = random_values(r, n, e, -1, 1);
        j->K = random_values(r, n, e, -1, 1);
        j->V = random_values(r, n, e, -1, 1);
        break;
    }
}

enum { N_JOBS = 15 };
static job jobs[N_JOBS];
static size_t max_out, max_lse, max_ws;

static void make_jobs(void)
{
    size_t n = 0;
    /* A prefill big enough for OpenBLAS to thread its GEMMs (128×128×64), so its own thread pool
     * is exercised by concurrent callers too. */
    jobs[n++] = attention_job(false, false, 1, 128, 128, 4, 4, 64, 64, MHA_CAUSAL, false, true);
    jobs[n++] = attention_job(true, false, 2, 1, 200, 8, 2, 32, 32, 0, false, true);
    jobs[n++] = attention_job(false, false, 2, 33, 47, 2, 1, 16, 8, 0, true, false);
    jobs[n++] = attention_job(true, true, 1, 64, 64, 2, 2, 16, 16, MHA_CAUSAL, false, true);
    jobs[n++] = attention_job(false, true, 1, 3, 100, 4, 1, 8, 8, 0, true, true);
    jobs[n++] = seed_job(MULTI_HEAD, false, 50, 48, 4);
    jobs[n++] = seed_job(MULTI_HEAD, true, 20, 12, 3);
    jobs[n++] = seed_job(SELF, false, 40, 10, 1);
    jobs[n++] = seed_job(QKV_FUSED, true, 30, 24, 1);
    jobs[n++] = seed_job(MERGE, false, 16, 8, 4);
    /* The library's own tile workers (OpenMP, where built with it) inside concurrent calls:
     * n_threads asks for them whatever the BLAS's thread count. */
    jobs[n] = attention_job(false, false, 2, 96, 96, 4, 2, 32, 32, MHA_CAUSAL, true, true);
    jobs[n++].d.n_threads = 2;
    jobs[n] = attention_job(true, true, 1, 80, 120, 3, 3, 16, 24, 0, false, true);
    jobs[n].d.n_threads = 3; /* and a workspace for 3 workers */
    assert_int_equal(mha_attention_workspace_size_f64(&jobs[n].d, &jobs[n].ws_bytes), MHA_OK);
    n++;
    /* The half types: bf16 natively where the CPU multiplies it (oneDNN's per-worker primitive
     * caches, in the workspace), f16 widened; tile workers, a caller's workspace, a projection. */
    jobs[n] = attention_job(false, false, 2, 96, 96, 4, 2, 32, 32, MHA_CAUSAL, true, true);
    jobs[n].d.n_threads = 2;
    jobs[n] = in_half(jobs[n], AS_BF16);
    n++;
    jobs[n++] = in_half(attention_job(false, true, 1, 40, 70, 2, 1, 16, 8, 0, false, true), AS_F16);
    jobs[n++] = in_half(seed_job(QKV_FUSED, false, 300, 16, 1), AS_BF16);
    rng r = rng_seeded(2024);
    for (size_t i = 0; i < N_JOBS; i++) {
        job *j = &jobs[i];
        make_inputs(&r, j);
        max_out = j->out_bytes > max_out ? j->out_bytes : max_out;
        max_lse = j->lse_bytes > max_lse ? j->lse_bytes : max_lse;
        max_ws = j->ws_bytes > max_ws ? j->ws_bytes : max_ws;
    }
}

typedef struct worker {
    pthread_t thread;
    unsigned id;
    unsigned long calls, mismatches, failures;
} worker;

/* Each thread runs every job ROUNDS times, starting at a different job, into its own buffers. */
static void *work(void *arg)
{
    worker *w = arg;
    unsigned char *out = malloc(max_out), *lse = malloc(max_lse ? max_lse : 1),
                  *ws = malloc(max_ws ? max_ws : 1);
    if (!out || !lse || !ws) {
        w->failures++;
    } else {
        for (unsigned round = 0; round < rounds; round++)
            for (unsigned k = 0; k < N_JOBS; k++) {
                const job *j = &jobs[(k + 3 * w->id + round) % N_JOBS];
                memset(out, SENTINEL_BYTE, j->out_bytes);
                w->calls++;
                if (run_job(j, out, lse, ws) != MHA_OK)
                    w->failures++;
                else if (memcmp(out, j->want_out, j->out_bytes) != 0 ||
                         (j->lse_bytes && memcmp(lse, j->want_lse, j->lse_bytes) != 0))
                    w->mismatches++;
            }
    }
    free(out), free(lse), free(ws);
    return NULL;
}

static void concurrent_calls_match_serial_bitwise(void **state)
{
    (void)state;
    const char *env = getenv("MHA_STRESS_ROUNDS");
    if (env && atoi(env) > 0)
        rounds = (unsigned)atoi(env);
    make_jobs();
    /* The serial results, one call at a time on this thread. */
    unsigned char *ws = xcalloc(max_ws ? max_ws : 1, 1);
    for (size_t i = 0; i < N_JOBS; i++) {
        job *j = &jobs[i];
        j->want_out = xcalloc(j->out_bytes, 1);
        j->want_lse = xcalloc(j->lse_bytes ? j->lse_bytes : 1, 1);
        assert_int_equal(run_job(j, j->want_out, j->want_lse, ws), MHA_OK);
    }
    free(ws);

    worker workers[N_THREADS];
    for (unsigned t = 0; t < N_THREADS; t++) {
        workers[t] = (worker){.id = t};
        assert_int_equal(pthread_create(&workers[t].thread, NULL, work, &workers[t]), 0);
    }
    unsigned long calls = 0, mismatches = 0, failures = 0;
    for (unsigned t = 0; t < N_THREADS; t++) {
        assert_int_equal(pthread_join(workers[t].thread, NULL), 0);
        calls += workers[t].calls;
        mismatches += workers[t].mismatches;
        failures += workers[t].failures;
    }
    printf("thread stress: %lu concurrent calls on %d threads, %lu failed, %lu differed\n", calls,
           N_THREADS, failures, mismatches);
    assert_int_equal(calls, (unsigned long)N_THREADS * rounds * N_JOBS);
    assert_int_equal(failures, 0);
    assert_int_equal(mismatches, 0);

    for (size_t i = 0; i < N_JOBS; i++) {
        job *j = &jobs[i];
        free(j->Q), free(j->K), free(j->V), free(j->M), free(j->want_out), free(j->want_lse);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_calls_match_serial_bitwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
