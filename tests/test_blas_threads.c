/* SPDX-License-Identifier: MIT */
/* 1 vs 2 threads. OpenBLAS only (meson checks openblas_get_corename): this executable owns its
 * process and changes the global thread count with openblas_set_num_threads, which the library
 * itself never does.
 *
 * What must hold bit for bit: at any fixed thread count, the same call gives the same bits; and
 * the library adds no dependence on thread counts of its own: 1 vs 2 workers (n_threads) with a
 * serial BLAS give the same bits for every shape. The host's own OpenMP thread count
 * (omp_set_num_threads, as PyTorch calls it when imported) is not libmha's: its workers stay
 * mha_plan_cores()'s. omp_set_num_threads is reached through a weak reference, non-NULL only
 * when an OpenMP runtime is loaded, so the test keeps its meaning whether or not the library uses
 * OpenMP.
 *
 * What OpenBLAS does not give: 1 vs 2 BLAS threads differ in the last bits for many shapes. Its
 * threaded GEMM driver blocks k differently from the serial one for some k, and the column split
 * between threads moves which columns its edge kernels compute (measured with 0.3.21,
 * docs/HARDENING.md). Which shapes differ depends on the kernels the CPU selects and on OpenBLAS's
 * threading thresholds, so every 2-BLAS-thread result is compared within a few units in the last
 * place, never bit for bit: the test holds on every CPU. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "common/test_util.h"
#include "mha.h"

#include <cblas.h>
#include <sched.h>

/* Weak: NULL unless an OpenMP runtime is loaded (e.g. by a libmha built with OpenMP). */
extern void omp_set_num_threads(int n) __attribute__((weak));

typedef struct shape {
    size_t batch, seq_q, seq_kv, n_heads, n_kv, d_head, d_v;
    unsigned flags;
} shape;

static const shape shapes[] = {
    {2, 40, 50, 4, 2, 16, 16, MHA_CAUSAL},   /* small: OpenBLAS does not thread */
    {3, 1, 300, 8, 2, 32, 32, 0},            /* small decode, stacked heads */
    {1, 512, 512, 2, 2, 64, 64, MHA_CAUSAL}, /* long prefill, several query blocks */
    {2, 300, 700, 4, 1, 48, 40, 0},          /* MQA cross-attention */
    {1, 257, 333, 1, 1, 77, 65, 0},          /* odd sizes */
    {4, 1, 2048, 8, 2, 128, 128, 0},         /* long decode */
};

static void set_threads(int blas, int omp)
{
    openblas_set_num_threads(blas);
    if (omp_set_num_threads)
        omp_set_num_threads(omp);
}

/* |a − b| <= tol·(1 + |b|) for float buffers, with equal NaN/Inf patterns. */
static bool close_enough_f32_f32(const float *a, const float *b, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++) {
        double x = (double)a[i], y = (double)b[i];
        bool ok = isnan(y) ? isnan(x) : isinf(y) ? x == y : fabs(x - y) <= tol * (1 + fabs(y));
        if (!ok) {
            print_error("element %zu: %.9g vs %.9g\n", i, x, y);
            return false;
        }
    }
    return true;
}

static void run(const shape *sh, bool f64, int workers, const void *Q, const void *K, const void *V,
                void *out, void *lse)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, sh->seq_q, sh->seq_kv, sh->n_heads, sh->n_kv, sh->d_head, sh->d_v);
    d.batch = sh->batch;
    d.flags = sh->flags;
    d.n_threads = (size_t)workers;
    mha_status s = f64 ? mha_attention_f64(&d, Q, K, V, NULL, out, lse)
                       : mha_attention(&d, Q, K, V, NULL, out, lse);
    assert_int_equal(s, MHA_OK);
}

/* Each thread configuration (BLAS, OpenMP) in turn; the first is 1/1. */
static const int configs[4][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}};

static void thread_counts(void **state)
{
    (void)state;
    rng r = rng_seeded(5);
    unsigned bitwise = 0, compared = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int f64 = 0; f64 <= 1; f64++) {
            const shape *sh = &shapes[s];
            size_t e = f64 ? 8 : 4;
            size_t nq = sh->batch * sh->seq_q * sh->n_heads * sh->d_head,
                   nk = sh->batch * sh->seq_kv * sh->n_kv * sh->d_head,
                   nv = sh->batch * sh->seq_kv * sh->n_kv * sh->d_v,
                   no = sh->batch * sh->seq_q * sh->n_heads * sh->d_v,
                   nl = sh->batch * sh->n_heads * sh->seq_q, bytes = (no + nl) * e;
            unsigned char *in = xcalloc(nq + nk + nv, e);
            for (size_t i = 0; i < nq + nk + nv; i++) {
                double v = rng_uniform(&r, -1, 1);
                if (f64)
                    ((double *)in)[i] = v;
                else
                    ((float *)in)[i] = (float)v;
            }
            const void *Q = in, *K = in + nq * e, *V = in + (nq + nk) * e;
            unsigned char *first = xcalloc(no + nl, e), *got = xcalloc(no + nl, e),
                          *again = xcalloc(no + nl, e);
            for (int c = 0; c < 4; c++) {
                int blas = configs[c][0], omp = configs[c][1];
                set_threads(blas, omp);
                unsigned char *out = c == 0 ? first : got;
                run(sh, f64, omp, Q, K, V, out, out + no * e);
                /* Run to run at this configuration: always the same bits. */
                run(sh, f64, omp, Q, K, V, again, again + no * e);
                if (memcmp(out, again, bytes) != 0)
                    fail_msg("shape %zu (%s): %d BLAS threads / %d workers not reproducible", s,
                             f64 ? "double" : "float", blas, omp);
                if (c == 0)
                    continue;
                bool same = memcmp(got, first, bytes) == 0;
                compared++;
                bitwise += same;
                /* The library's own part: no bit may depend on its OpenMP threads. */
                if (!same && blas == 1)
                    fail_msg("shape %zu (%s): %d BLAS threads / %d workers differ from 1/1", s,
                             f64 ? "double" : "float", blas, omp);
                /* OpenBLAS's threaded GEMMs: the last bits may move, nothing more. */
                double tol = f64 ? 1e-13 : 1e-5;
                bool close = f64 ? close_enough("2 BLAS threads", (double *)got, (double *)first,
                                                no + nl, tol, tol)
                                 : close_enough_f32_f32((float *)got, (float *)first, no + nl, tol);
                if (!close)
                    fail_msg("shape %zu (%s): %d BLAS threads differ beyond rounding", s,
                             f64 ? "double" : "float", blas);
            }
            free(in), free(first), free(got), free(again);
        }
    print_message("OpenBLAS %s: %u of %u configurations bitwise equal to 1 thread\n",
                  openblas_get_corename(), bitwise, compared);
}

/* The workers a large call takes (mha.h): OMP_NUM_THREADS's first value as the process started,
 * else the processors this process may run on — whatever omp_set_num_threads said since. */
static int cores(void)
{
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && atoi(env) > 0)
        return atoi(env);
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* Is oneDNN in this process (a libmha built with it)? Read from the loader's map, not the library.
 */
static bool onednn_loaded(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    bool found = false;
    while (maps && !found && fgets(line, sizeof line, maps))
        found = strstr(line, "libdnnl") != NULL;
    if (maps)
        fclose(maps);
    return found;
}

/* mha_runtime_info's BLAS fields are OpenBLAS's own answers, and its worker count follows the
 * rule of mha.h: OpenMP workers over a BLAS that is serial inside them, else one. */
static void runtime_report_matches_openblas(void **state)
{
    (void)state;
    static const char *const flavours[] = {"sequential", "pthreads", "openmp"};
    for (int c = 0; c < 4; c++) {
        int blas = configs[c][0], omp = configs[c][1];
        if (!omp_set_num_threads && omp != 1)
            continue;
        set_threads(blas, omp);
        mha_runtime r;
        assert_int_equal(mha_runtime_info(&r), MHA_OK);
        assert_string_equal(r.blas_name, "OpenBLAS");
        assert_string_equal(r.blas_core, openblas_get_corename());
        assert_non_null(strstr(openblas_get_config(), r.blas_version));
        int parallel = openblas_get_parallel();
        assert_true(parallel >= 0 && parallel <= 2);
        assert_string_equal(r.blas_threading, flavours[parallel]);
        assert_int_equal(r.blas_threads, openblas_get_num_threads());
        bool serial_inside = parallel == 2 || openblas_get_num_threads() == 1;
        /* Over a threaded BLAS, float runs on oneDNN's sgemm where libmha has it (loaded). */
        bool onednn = !serial_inside && onednn_loaded();
        int want = (serial_inside || onednn) && omp_set_num_threads ? cores() : 1;
        assert_int_equal(r.workers, want);
        assert_string_equal(r.gemm_backend, onednn                      ? "onednn"
                                            : want > 1 || serial_inside ? "cblas"
                                                                        : "cblas threaded");
    }
    set_threads(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(thread_counts),
        cmocka_unit_test(runtime_report_matches_openblas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
