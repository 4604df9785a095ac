/* SPDX-License-Identifier: MIT */
/* The benchmark's sections, each in float (_f32), double (_f64), bfloat16 (_bf16) and IEEE half
 * (_f16): the GEMM and memcpy ceilings, the seed pipeline over a grid of shapes, the
 * general-attention cases, the long sequence. The half types compute in float: their rows are
 * measured against the float ceilings, and bf16's against the bf16 GEMM's too. */
#ifndef MHA_BENCH_CASES_H
#define MHA_BENCH_CASES_H

#include "bench_report.h"
#include "bench_util.h"

#include <stdbool.h>
#include <stddef.h>

/* (seq_len, d_model, n_heads) as the seed API takes them. */
typedef struct bench_shape {
    size_t seq, d_model, heads;
} bench_shape;

/* A batch of equal sequences (the small section). */
typedef struct bench_batch {
    size_t batch, seq;
} bench_batch;

/* The setups section (bench_setups.h). */
typedef enum bench_setup_kind { BENCH_SETUP_ATTENTION, BENCH_SETUP_PIPELINE } bench_setup_kind;

/* One call every setup runs: mha_attention over `batch` packed sequences (multi-head attention's
 * call when batch is 1), or the pipeline (mha_compute_qkv, then mha_multi_head_attention). */
typedef struct bench_setup_case {
    char name[40]; /* e.g. "mha_2048x512x8", "batch_8x128", "pipeline_2048x1024x16" */
    bench_setup_kind kind;
    size_t batch, seq, d_model, heads;
} bench_setup_case;

/* One shape's attention and whole-pipeline rows, kept for the speed-up rows across types. */
typedef struct bench_pipeline_result {
    bench_row mha, pipeline;
} bench_pipeline_result;

typedef struct bench_config {
    const bench_shape *shapes; /* the pipeline grid */
    size_t n_shapes;
    bench_shape causal;      /* causal vs full self-attention */
    size_t gqa_seq;          /* GQA prefill: 32 query / 8 kv heads of 64, vs 32 / 32 */
    const size_t *decode_kv; /* decode: seq_kv values; 1 query row, 32 / 8 heads of 128 */
    size_t n_decode;
    const bench_batch *small; /* the small section: batch × seq ... */
    size_t n_small;
    size_t small_d_model, small_heads; /* ... at this width and head count */
    double *small_s;                   /* where it puts each shape's median (NULL: nowhere) */
    const double *small_f32_s;         /* f32's medians, for the half types' ratios (or NULL) */
    bench_shape long_shape;            /* --long: attention only */
    size_t long_causal_seq;  /* --long: also causal at this length, long_shape's width and heads */
    size_t peak_n;           /* the square GEMM whose rate is "peak" */
    size_t copy_bytes;       /* the memcpy whose rate is "copy bandwidth" */
    bench_evict evict;       /* read before each run of memcpy and of the decode rows: cold */
    double ref_max_flop;     /* run the whole naive reference only below this much work */
    bench_reps reps;         /* timed repetitions of every call but these two: */
    bench_reps ceiling_reps; /* the peak and copy rates every ratio divides by: more runs */
    bench_reps long_reps;
    bool gemm_share;     /* also time the attention's GEMMs alone (mha_gemms rows) */
    int ceiling_threads; /* threads of the GEMM and FMA ceilings */
    /* Measured by the ceilings section, read by the others. */
    double peak_gflops;
    double fma_gflops;  /* the FMA register peak (0: not measured) */
    double bf16_gflops; /* the bf16 GEMM (oneDNN) ceiling (0: none, or not measured) */
    double copy_gbps;
    /* The whole pipeline per shape as a program that sets nothing runs it (bench_out_of_box). */
    const bench_stats *out_of_box;
    /* Where bench_pipeline puts each shape's rows (NULL: nowhere), n_shapes of them. */
    bench_pipeline_result *results;
} bench_config;

/* Each prints its rows with bench_report_row(); a wrong result exits the process with status 1
 * before that call is timed. */
void bench_ceilings_f32(bench_config *c, bool copy);
void bench_pipeline_f32(const bench_config *c);
/* Times the pipeline at every shape before the process changes any thread count, into
 * out[n_shapes]; bench_pipeline then prints it beside the tuned row. No rows printed here. */
void bench_out_of_box_f32(const bench_config *c, bench_stats *out);
void bench_out_of_box_f64(const bench_config *c, bench_stats *out);
void bench_general_f32(const bench_config *c);
void bench_small_f32(const bench_config *c);
void bench_setup_cases_f32(const bench_config *c, const bench_setup_case *cases, size_t n);
void bench_long_f32(const bench_config *c);

void bench_ceilings_f64(bench_config *c, bool copy);
void bench_pipeline_f64(const bench_config *c);
void bench_general_f64(const bench_config *c);
void bench_small_f64(const bench_config *c);
void bench_setup_cases_f64(const bench_config *c, const bench_setup_case *cases, size_t n);
void bench_long_f64(const bench_config *c);

/* The half types have no ceilings section of their own: bf16's is the bf16 GEMM, measured before
 * the header into c->bf16_gflops and *row (not printed); *impl names oneDNN's kernel, or why
 * there is none (then c->bf16_gflops = 0 and the row is empty). */
void bench_ceiling_bf16(bench_config *c, bench_row *row, char *impl, size_t impl_size);
void bench_pipeline_bf16(const bench_config *c);
void bench_out_of_box_bf16(const bench_config *c, bench_stats *out);
void bench_general_bf16(const bench_config *c);
void bench_small_bf16(const bench_config *c);
void bench_setup_cases_bf16(const bench_config *c, const bench_setup_case *cases, size_t n);
void bench_long_bf16(const bench_config *c);

void bench_pipeline_f16(const bench_config *c);
void bench_out_of_box_f16(const bench_config *c, bench_stats *out);
void bench_general_f16(const bench_config *c);
void bench_small_f16(const bench_config *c);
void bench_setup_cases_f16(const bench_config *c, const bench_setup_case *cases, size_t n);
void bench_long_f16(const bench_config *c);

#endif
