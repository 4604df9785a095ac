/* SPDX-License-Identifier: MIT */
/* Ring attention timing under mpirun: strong scaling (a fixed total sequence cut into P shards)
 * and weak scaling (a fixed shard per rank), causal and not, in the contiguous and the zigzag
 * layout. Reports the median time of the slowest rank, GFLOP/s, bytes sent per rank, and how much
 * of the communication hid behind compute; on one rank also single-process mha_attention() on
 * the whole sequence, the baseline the ring's speedup is measured against. Checks the ring (both
 * layouts) against single-process mha_attention_f64() first.
 *
 *   export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # only as root
 *   export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
 *   mpirun --mca btl self,vader -np 2 build/bench/ring_bench --total 4096 --shard 2048
 *   ... ring_bench --smoke        one tiny run of everything (the meson smoke test)
 *   ... ring_bench --total 4096 --shard 2048 --reps 5 [--layout contiguous|zigzag|both]
 *                  [--heads 8 --kv-heads 8 --d-head 64]
 *
 * One rank per core: ranks beyond the core count (here: 2) share cores, so their times only
 * show that the ring is correct; the bench prints a note then. docs/RING.md has results.
 *
 * Communication is measured through MPI's profiling interface: this program defines MPI_Isend,
 * MPI_Waitall and MPI_Testall, which count bytes and time and call the PMPI_ versions. The
 * library's calls resolve to them (the executable comes first in symbol lookup), so the library
 * carries no instrumentation.
 *
 * Columns: mode (strong, weak; single: mha_attention() on one rank), layout, mask; time_ms — median
 * over reps of the slowest rank's call; GFLOP/s — 4·n_heads·d·(visible query-key pairs) / time;
 * MB/rank — bytes one call sends, busiest rank; alone_ms — the same messages on the same schedule
 * with nothing between post and wait (what the communication costs unhidden); wait_ms — time
 * blocked in MPI_Waitall inside the ring, worst rank; poll_ms — time in the MPI_Testall polls
 * between blocks, worst rank (over shared memory, this is where MPI copies the data: it is
 * communication on the critical path too); in_MPI — (wait + poll) / time, the share of the call
 * spent in MPI rather than computing; hidden = 1 − wait / alone, worst rank. Both wait and poll
 * also count being descheduled or waiting for a slower neighbour (a busy core, load imbalance), so
 * they are upper bounds on the exposed communication. */
#include "mha_mpi.h"

#include <math.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* PMPI wrappers                                                                               */

static uint64_t bytes_sent;
static double wait_seconds, poll_seconds; /* in MPI_Waitall; in MPI_Testall */

int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
              MPI_Request *request)
{
    int size = 0;
    PMPI_Type_size(datatype, &size);
    bytes_sent += (uint64_t)count * (uint64_t)size;
    return PMPI_Isend(buf, count, datatype, dest, tag, comm, request);
}

int MPI_Waitall(int count, MPI_Request array_of_requests[], MPI_Status *array_of_statuses)
{
    double t = PMPI_Wtime();
    int rc = PMPI_Waitall(count, array_of_requests, array_of_statuses);
    wait_seconds += PMPI_Wtime() - t;
    return rc;
}

int MPI_Testall(int count, MPI_Request array_of_requests[], int *flag,
                MPI_Status array_of_statuses[])
{
    double t = PMPI_Wtime();
    int rc = PMPI_Testall(count, array_of_requests, flag, array_of_statuses);
    poll_seconds += PMPI_Wtime() - t;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */

static int rank, size;

static void die(const char *what)
{
    fprintf(stderr, "ring_bench rank %d: %s\n", rank, what);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

typedef struct config {
    size_t n_heads, n_kv_heads, d_head; /* d_v = d_head */
    int reps;
} config;

static const char *layout_name(mha_ring_layout layout)
{
    return layout == MHA_RING_ZIGZAG ? "zigzag" : "contig";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double max_over_ranks(double x)
{
    double m;
    MPI_Allreduce(&x, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return m;
}

/* Deterministic data for global row i: every rank can make any row. */
static float value(size_t i, size_t c, unsigned salt)
{
    uint64_t x = (i * 1000003u + c) * 2654435761u + salt * 97u;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return (float)((double)(x % 2001u) / 1000.0 - 1.0);
}

/* This rank's rows of a layout (mha_ring_shard_rows(): up to two ranges, one after the other). */
typedef struct rows {
    size_t first[2], count[2];
} rows;

static void fill_rows(float *X, const rows *rw, size_t width, unsigned salt)
{
    for (int k = 0, i0 = 0; k < 2; i0 += (int)rw->count[k], k++)
        for (size_t i = 0; i < rw->count[k]; i++)
            for (size_t c = 0; c < width; c++)
                X[((size_t)i0 + i) * width + c] = value(rw->first[k] + i, c, salt);
}

/* This rank's rows and every rank's length, for `total` rows in a layout: the helper's split. */
static rows split(mha_ring_layout layout, size_t total, size_t *lens)
{
    rows mine;
    for (int r = 0; r < size; r++) {
        rows rw;
        mha_ring_shard_rows(layout, total, size, r, rw.first, rw.count);
        lens[r] = rw.count[0] + rw.count[1];
        if (r == rank)
            mine = rw;
    }
    return mine;
}

/* The messages of one ring call on the same schedule, nothing between post and wait: what the
 * communication costs when nothing hides it. Rank r sends the shard it holds to r + 1; shards
 * stop at the last rank when contiguous and causal (stop_at_last). */
static double exchange_only(const size_t *lens, size_t row_bytes, bool stop_at_last, char *bufs[2])
{
    const int right = (rank + 1) % size, left = (rank + size - 1) % size;
    const int steps = stop_at_last ? rank + 1 : size;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int s = 0; s < steps; s++) {
        int src = (rank - s + size) % size, next_src = (rank - s - 1 + size) % size;
        MPI_Request req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
        if (s + 1 < steps)
            PMPI_Irecv(bufs[(s + 1) % 2], (int)(lens[next_src] * row_bytes), MPI_BYTE, left, 1,
                       MPI_COMM_WORLD, &req[0]);
        if (s + 1 < size && (!stop_at_last || (rank + 1 < size && s <= rank)))
            PMPI_Isend(bufs[s % 2], (int)(lens[src] * row_bytes), MPI_BYTE, right, 1,
                       MPI_COMM_WORLD, &req[1]);
        PMPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    }
    return MPI_Wtime() - t0;
}

/* One rank's n rows (the global rows rw) of Q, K, V and an output, and their descriptor. */
typedef struct operands {
    float *Q, *K, *V, *O;
    mha_attention_desc d;
} operands;

static operands operands_of(const config *cf, const rows *rw, size_t n, bool causal)
{
    const size_t H = cf->n_heads, G = cf->n_kv_heads, D = cf->d_head;
    operands op;
    op.Q = xmalloc(n * H * D * 4), op.K = xmalloc(n * G * D * 4);
    op.V = xmalloc(n * G * D * 4), op.O = xmalloc(n * H * D * 4);
    fill_rows(op.Q, rw, H * D, 1);
    fill_rows(op.K, rw, G * D, 2);
    fill_rows(op.V, rw, G * D, 3);
    mha_attention_desc_init(&op.d, n, n, H, G, D, D);
    op.d.flags = causal ? MHA_CAUSAL : 0;
    return op;
}

/* One line of the table: the ring in `layout` on `total` rows (lens[]: every rank's length). */
static void run_case(const char *mode, const config *cf, mha_ring_layout layout, size_t total,
                     bool causal)
{
    size_t *lens = xmalloc((size_t)size * sizeof *lens);
    const rows rw = split(layout, total, lens);
    const size_t n = lens[rank], H = cf->n_heads, D = cf->d_head;
    operands op = operands_of(cf, &rw, n, causal);
    float *Q = op.Q, *K = op.K, *V = op.V, *O = op.O;
    mha_attention_desc d = op.d;

    double *t = xmalloc((size_t)cf->reps * sizeof *t), *w = xmalloc((size_t)cf->reps * sizeof *w),
           *pl = xmalloc((size_t)cf->reps * sizeof *pl);
    uint64_t sent = 0;
    for (int rep = 0; rep < cf->reps + 1; rep++) { /* rep 0 warms up */
        MPI_Barrier(MPI_COMM_WORLD);
        bytes_sent = 0, wait_seconds = 0, poll_seconds = 0;
        double t0 = MPI_Wtime();
        mha_status s = mha_ring_attention_ex(&d, MPI_COMM_WORLD, layout, Q, K, V, O, NULL);
        double dt = MPI_Wtime() - t0;
        if (s != MHA_OK)
            die(mha_mpi_status_string(s));
        if (rep > 0)
            t[rep - 1] = max_over_ranks(dt), w[rep - 1] = wait_seconds, pl[rep - 1] = poll_seconds;
        sent = bytes_sent;
    }
    /* The same messages with nothing to hide them. */
    size_t row_bytes = 2 * cf->n_kv_heads * cf->d_head * 4, max_n = 0;
    for (int r = 0; r < size; r++)
        max_n = lens[r] > max_n ? lens[r] : max_n;
    char *bufs[2] = {xmalloc(max_n * row_bytes), xmalloc(max_n * row_bytes)};
    memset(bufs[0], 0, max_n * row_bytes);
    double *x = xmalloc((size_t)cf->reps * sizeof *x);
    for (int rep = 0; rep < cf->reps; rep++)
        x[rep] = exchange_only(lens, row_bytes, causal && layout == MHA_RING_CONTIGUOUS, bufs);

    double time = median(t, cf->reps), wait = median(w, cf->reps), alone = median(x, cf->reps);
    double poll = median(pl, cf->reps);
    double hidden = alone > 0 ? 1 - fmin(wait, alone) / alone : 1;
    /* Worst rank for waiting, polling and hiding; most bytes for the volume. */
    double wait_max = max_over_ranks(wait), alone_max = max_over_ranks(alone);
    double poll_max = max_over_ranks(poll);
    double hidden_min = -max_over_ranks(-hidden), sent_max = max_over_ranks((double)sent);
    double pairs = causal ? (double)total * (double)(total + 1) / 2 : (double)total * (double)total;
    double gflops = 2.0 * pairs * (double)H * (double)(2 * D) / time * 1e-9;
    char hidden_text[16] = "    -"; /* one rank: nothing sent, nothing to hide */
    if (size > 1)
        snprintf(hidden_text, sizeof hidden_text, "%6.0f%%", 100 * hidden_min);
    if (rank == 0)
        printf("%-6s %-6s %-6s %6zu %6zu %9.1f %7.2f %9.3f %8.2f %8.2f %7.2f %6.1f%% %7s\n", mode,
               layout_name(layout), causal ? "causal" : "full", total, lens[0], time * 1e3, gflops,
               sent_max / 1e6, alone_max * 1e3, wait_max * 1e3, poll_max * 1e3,
               100 * (wait_max + poll_max) / time, hidden_text);
    free(Q), free(K), free(V), free(O), free(t), free(w), free(pl), free(x), free(bufs[0]),
        free(bufs[1]), free(lens);
}

/* One rank only: mha_attention() on the whole sequence in one call, the baseline of the ring's
 * speedup (the one-rank ring adds only its copies and its blocks of 128 query rows). */
static void run_single(const config *cf, size_t total, bool causal)
{
    const size_t H = cf->n_heads, D = cf->d_head;
    const rows rw = {{0, total}, {total, 0}};
    operands op = operands_of(cf, &rw, total, causal);
    float *Q = op.Q, *K = op.K, *V = op.V, *O = op.O;
    mha_attention_desc d = op.d;
    double *t = xmalloc((size_t)cf->reps * sizeof *t);
    for (int rep = 0; rep < cf->reps + 1; rep++) {
        double t0 = MPI_Wtime();
        if (mha_attention(&d, Q, K, V, NULL, O, NULL) != MHA_OK)
            die("mha_attention failed");
        if (rep > 0)
            t[rep - 1] = MPI_Wtime() - t0;
    }
    double time = median(t, cf->reps);
    double pairs = causal ? (double)total * (double)(total + 1) / 2 : (double)total * (double)total;
    printf("%-6s %-6s %-6s %6zu %6zu %9.1f %7.2f\n", "single", "-", causal ? "causal" : "full",
           total, total, time * 1e3, 4.0 * pairs * (double)H * (double)D / time * 1e-9);
    free(Q), free(K), free(V), free(O), free(t);
}

/* Before timing: the ring (float) on a small uneven sequence against mha_attention_f64() over
 * the whole of it, on every rank. */
static void check_layout(const config *cf, mha_ring_layout layout)
{
    const size_t H = cf->n_heads, G = cf->n_kv_heads, D = cf->d_head;
    const size_t total = 39 * (size_t)size + 3;
    size_t *lens = xmalloc((size_t)size * sizeof *lens);
    const rows rw = split(layout, total, lens);
    const size_t n = lens[rank];
    double *Qg = xmalloc(total * H * D * 8), *Kg = xmalloc(total * G * D * 8),
           *Vg = xmalloc(total * G * D * 8), *Og = xmalloc(total * H * D * 8);
    float *Q = xmalloc(n * H * D * 4), *K = xmalloc(n * G * D * 4), *V = xmalloc(n * G * D * 4),
          *O = xmalloc(n * H * D * 4);
    for (size_t i = 0; i < total; i++) {
        for (size_t c = 0; c < H * D; c++)
            Qg[i * H * D + c] = value(i, c, 1);
        for (size_t c = 0; c < G * D; c++)
            Kg[i * G * D + c] = value(i, c, 2), Vg[i * G * D + c] = value(i, c, 3);
    }
    fill_rows(Q, &rw, H * D, 1);
    fill_rows(K, &rw, G * D, 2);
    fill_rows(V, &rw, G * D, 3);
    double err = 0;
    for (int causal = 0; causal < 2; causal++) {
        mha_attention_desc g, d;
        mha_attention_desc_init(&g, total, total, H, G, D, D);
        mha_attention_desc_init(&d, n, n, H, G, D, D);
        g.flags = d.flags = causal ? MHA_CAUSAL : 0;
        if (mha_attention_f64(&g, Qg, Kg, Vg, NULL, Og, NULL) != MHA_OK ||
            mha_ring_attention_ex(&d, MPI_COMM_WORLD, layout, Q, K, V, O, NULL) != MHA_OK)
            die("check call failed");
        for (size_t i = 0; i < n; i++) {
            const size_t gi = i < rw.count[0] ? rw.first[0] + i : rw.first[1] + i - rw.count[0];
            for (size_t c = 0; c < H * D; c++)
                err = fmax(err, fabs((double)O[i * H * D + c] - Og[gi * H * D + c]));
        }
    }
    err = max_over_ranks(err);
    if (rank == 0)
        printf("check: ring (float, %s) vs single-process mha_attention_f64 on %zu rows: max "
               "|diff| %.2g\n",
               layout_name(layout), total, err);
    if (!(err <= 1e-4))
        die("ring result differs from the single-process result");
    free(Qg), free(Kg), free(Vg), free(Og), free(Q), free(K), free(V), free(O), free(lens);
}

static size_t arg_size(int argc, char **argv, const char *name, size_t fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return (size_t)strtoul(argv[i + 1], NULL, 10);
    return fallback;
}

/* --layout contiguous|zigzag|both (default both): the layouts to time, as a bit set. */
static unsigned arg_layouts(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--layout") != 0)
            continue;
        if (strcmp(argv[i + 1], "contiguous") == 0)
            return 1u << MHA_RING_CONTIGUOUS;
        if (strcmp(argv[i + 1], "zigzag") == 0)
            return 1u << MHA_RING_ZIGZAG;
        if (strcmp(argv[i + 1], "both") != 0)
            die("--layout takes contiguous, zigzag or both");
    }
    return 1u << MHA_RING_CONTIGUOUS | 1u << MHA_RING_ZIGZAG;
}

static void print_header(const config *cf)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    mha_runtime rt;
    mha_runtime_info(&rt);
    printf("ring_bench: %d ranks, float, n_heads %zu, n_kv_heads %zu, d_head = d_v = %zu, "
           "batch 1, %d timed reps (median), %ld cores\n",
           size, cf->n_heads, cf->n_kv_heads, cf->d_head, cf->reps, cores);
    printf("BLAS: %s %s, core %s, %s; softmax %s; CPU %s\n", rt.blas_name, rt.blas_version,
           rt.blas_core, rt.blas_threading, rt.softmax_isa, rt.cpu_isa);
    if (rt.blas_below_cpu)
        printf("note: %s\n", rt.reason);
    if (size > cores)
        printf("note: %d ranks on %ld cores — ranks share cores, so times and GFLOP/s here "
               "show only that the ring is correct; the bytes sent per rank are exact.\n",
               size, cores);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    bool smoke = false;
    for (int i = 1; i < argc; i++)
        smoke |= strcmp(argv[i], "--smoke") == 0;
    config cf = {arg_size(argc, argv, "--heads", 8), arg_size(argc, argv, "--kv-heads", 8),
                 arg_size(argc, argv, "--d-head", 64), (int)arg_size(argc, argv, "--reps", 5)};
    size_t total = arg_size(argc, argv, "--total", 4096);
    size_t shard = arg_size(argc, argv, "--shard", 2048);
    const unsigned layouts = arg_layouts(argc, argv);
    if (smoke)
        cf.reps = 1, total = 64, shard = 16;
    if (cf.reps < 1 || cf.n_kv_heads == 0 || cf.n_heads % cf.n_kv_heads || total < (size_t)size)
        die("bad arguments");

    if (rank == 0)
        print_header(&cf);
    for (int layout = 0; layout < 2; layout++)
        if (layouts & 1u << layout)
            check_layout(&cf, (mha_ring_layout)layout);
    if (rank == 0)
        printf("%-6s %-6s %-6s %6s %6s %9s %7s %9s %8s %8s %7s %7s %7s\n", "mode", "layout", "mask",
               "total", "shard0", "time_ms", "GFLOP/s", "MB/rank", "alone_ms", "wait_ms", "poll_ms",
               "in_MPI", "hidden");
    for (int causal = 0; causal < 2; causal++) {
        if (size == 1)
            run_single(&cf, total, causal);
        for (int layout = 0; layout < 2; layout++) {
            if (!(layouts & 1u << layout))
                continue;
            /* Strong: the same sequence over more ranks; weak: the same rows per rank, a longer
             * sequence with more ranks. Shards as mha_ring_shard_rows() splits them. */
            run_case("strong", &cf, (mha_ring_layout)layout, total, causal);
            run_case("weak", &cf, (mha_ring_layout)layout, shard * (size_t)size, causal);
        }
    }
    MPI_Finalize();
    return 0;
}
