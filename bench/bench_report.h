/* SPDX-License-Identifier: MIT */
/* The benchmark's output: one row per timed call, printed as it is measured, as an aligned table,
 * CSV or JSON with the same fields; a header that names the machine, the BLAS and the run. */
#ifndef MHA_BENCH_REPORT_H
#define MHA_BENCH_REPORT_H

#include "bench_env.h"
#include "bench_util.h"

#include <stddef.h>

typedef enum bench_format { BENCH_TABLE, BENCH_CSV, BENCH_JSON } bench_format;

/* What the run was asked to do, for the header. */
typedef struct bench_meta {
    const char *dtype;     /* "f32", "f64", "bf16", "f16", or a list of them ("f32,bf16") */
    const char *commit;    /* git describe of the source, or "unknown" */
    const char *reps;      /* the repetition policy in words */
    int threads_requested; /* --threads, 0 for the BLAS's default */
    const char *parallel;  /* who runs in parallel, in words (--parallel) */
    const char *bf16_gemm; /* the bf16 GEMM ceiling in words: rate and kernel, or "none: why" */
} bench_meta;

/* One measured call. Doubles that do not apply are NAN and print as "-", "" or null. */
typedef struct bench_row {
    const char *suite, *op;
    const char *dtype; /* the row's storage type; NULL: the run's (bench_meta) */
    size_t seq_q, seq_kv, heads, kv_heads, d_head; /* d_model = heads·d_head */
    bench_stats t;                                 /* seconds per call */
    double gflops, peak_pct; /* flop rate and its share of the GEMM peak of this run */
    double fma_pct;          /* its share of the CPU's FMA register peak of this run */
    double bf16_pct;         /* bf16 rows: its share of the bf16 GEMM ceiling of this run */
    double gbps, copy_pct;   /* bytes moved per second and its share of memcpy's */
    double tok_s; /* decode rows: tokens per second of a 32-layer model's attention at this
                     call's shape, 1 / (32 · median) — what users compare */
    double ratio; /* this call's time over the time of ratio_of */
    const char *ratio_of;
    double err;        /* max |library − reference| */
    const char *check; /* "full", "rows" (sampled rows) or "-" */
    double ref_x;      /* reference time / median: the speed-up over the naive loops */
    double ws_bytes;   /* workspace the library allocates for this call */
    size_t rss_bytes;  /* the process's peak RSS after this call */
} bench_row;

/* A row with every optional field "not applicable". */
bench_row bench_row_empty(const char *suite, const char *op);

void bench_report_begin(bench_format format, const bench_env *env, const bench_meta *meta);
void bench_report_row(const bench_row *row);
/* A line for people (a section title, a warning): on stdout in a table, on stderr otherwise so
 * that stdout stays machine-readable. */
void bench_report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_report_end(void);

#endif
