/* SPDX-License-Identifier: MIT */
/* mha_bench: times libmha's calls against the GEMM peak and memcpy bandwidth measured in the same
 * run, after checking each result against the naive reference. Options, then the sections. */
#include "bench_bf16_peak.h"
#include "bench_cases.h"
#include "bench_commit.h"
#include "bench_env.h"
#include "bench_report.h"
#include "bench_setups.h"
#include "bench_util.h"
#include "mha.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHAPES 64
#define MAX_DECODE 16

/* The storage types, in the order their sections run. The half types compute in float: they share
 * float's ceilings (sgemm, FMA), and bf16 adds its own (the bf16 GEMM). */
enum { F32, F64, BF16, F16, N_DTYPES };

typedef struct dtype_sections {
    const char *name;
    void (*out_of_box)(const bench_config *c, bench_stats *out);
    void (*pipeline)(const bench_config *c);
    void (*general)(const bench_config *c);
    void (*small)(const bench_config *c);
    void (*long_seq)(const bench_config *c);
    void (*setup_cases)(const bench_config *c, const bench_setup_case *cases, size_t n);
} dtype_sections;

static const dtype_sections dtypes[N_DTYPES] = {
    {"f32", bench_out_of_box_f32, bench_pipeline_f32, bench_general_f32, bench_small_f32,
     bench_long_f32, bench_setup_cases_f32},
    {"f64", bench_out_of_box_f64, bench_pipeline_f64, bench_general_f64, bench_small_f64,
     bench_long_f64, bench_setup_cases_f64},
    {"bf16", bench_out_of_box_bf16, bench_pipeline_bf16, bench_general_bf16, bench_small_bf16,
     bench_long_bf16, bench_setup_cases_bf16},
    {"f16", bench_out_of_box_f16, bench_pipeline_f16, bench_general_f16, bench_small_f16,
     bench_long_f16, bench_setup_cases_f16},
};

/* Every default finishes in under a minute on 2 cores with the right BLAS kernels. */
static const bench_shape default_shapes[] = {{128, 256, 4},    {512, 512, 8},    {1024, 768, 12},
                                             {2048, 1024, 16}, {4096, 1024, 16}, {8192, 512, 8}};
static const size_t default_decode[] = {4096, 8192, 16384, 32768};
/* The small section: BERT-base layers of 8 and 32 sequences, and one sequence of 64 to 512. */
static const bench_batch default_small[] = {{8, 128}, {32, 128}, {1, 64},
                                            {1, 128}, {1, 256},  {1, 512}};
#define MAX_SMALL (sizeof default_small / sizeof default_small[0])

typedef struct options {
    bench_config c;
    bench_shape shapes[MAX_SHAPES];
    size_t decode[MAX_DECODE];
    bool dtype[N_DTYPES]; /* --dtype (--f64: f64 alone); default f32 */
    char dtype_list[32];  /* the same, as the header prints it */
    bench_batch small[MAX_SMALL];
    bench_setup_case setup_cases[BENCH_MAX_SETUP_CASES];
    size_t n_setup_cases;
    bool shapes_given, reps_given, pipeline, general, small_suite, setups, setup_child, long_seq,
        fix_coretype, smoke, tiles;
    int threads;
    bench_format format;
} options;

static void usage(FILE *f)
{
    fputs("usage: mha_bench [options]\n"
          "Times libmha against the BLAS peak and memcpy bandwidth measured in the same run;\n"
          "every result is checked against the naive reference before it is timed.\n"
          "\n"
          "  --shapes S,...       pipeline grid, S = SEQxD_MODELxHEADS (default: 128x256x4,\n"
          "                       512x512x8,1024x768x12,2048x1024x16,4096x1024x16,8192x512x8)\n"
          "  --suite S,...        sections to run, S = pipeline|general|small|setups|all\n"
          "                       (default all: the first three); the GEMM peak always runs.\n"
          "                       small: batched attention (batch x 128 tokens of BERT-base's\n"
          "                       768/12) and single sequences of 64 to 512. setups: the same\n"
          "                       calls in each process setup, a child process each: Python\n"
          "                       with numpy or torch imported first, C with the pthreads\n"
          "                       OpenBLAS loaded first, this build with nothing set, tuned\n"
          "  --setup-child        (internal) run the setup cases in this process as it was\n"
          "                       started, one line each: what --suite setups reads\n"
          "  --long               also long sequences, attention only: 32768x512x8, and\n"
          "                       131072x512x8 causal (minutes)\n"
          "  --decode N,...       decode KV lengths (default 4096,8192,16384,32768)\n"
          "  --gemm-share         also time the attention's GEMMs alone (mha_gemms rows)\n"
          "  --threads N          BLAS (and OpenMP) threads (default: the BLAS's default)\n"
          "  --parallel tiles|blas  tiles (default): after the ceilings, a 1-thread BLAS and the\n"
          "                       library's OpenMP workers run whole tiles (and projection rows)\n"
          "                       in parallel — the fast mode; blas: each GEMM on the BLAS's\n"
          "                       threads, tiles one after the other (a threaded BLAS's mode)\n"
          "  --reps N             exactly N timed runs per call (default 3 to 5, 2 s budget)\n"
          "  --peak-size N        the square GEMM that defines peak (default 2048)\n"
          "  --dtype T,...        storage types, T = f32|f64|bf16|f16, or all (default f32);\n"
          "                       bf16 and f16 compute in float: their %%peak is of the sgemm,\n"
          "                       and bf16's %%bf16 of the bf16 GEMM (oneDNN) of this run; with\n"
          "                       f32 and a half type, speedup rows give each half type's speed\n"
          "                       over f32's, per shape (pipeline and attention)\n"
          "  --f64                double precision (dgemm peak): --dtype f64\n"
          "  --csv | --json       machine-readable rows on stdout (notes go to stderr)\n"
          "  --no-coretype-fix    do not re-execute with OPENBLAS_CORETYPE set when OpenBLAS\n"
          "                       runs kernels older than the CPU (see docs/PERFORMANCE.md)\n"
          "  --smoke              toy sizes everywhere: a correctness run of every section\n"
          "  --help               this text\n",
          f);
}

_Noreturn static void bad(const char *what, const char *value)
{
    fprintf(stderr, "mha_bench: bad %s '%s'\n", what, value ? value : "(missing)");
    usage(stderr);
    exit(2);
}

/* A positive decimal size, the whole string. */
static size_t parse_size(const char *s, const char *what)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        bad(what, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v == 0 || v > (1ull << 40))
        bad(what, s);
    return (size_t)v;
}

/* "SEQxD_MODELxHEADS", with HEADS dividing D_MODEL. */
static bench_shape parse_shape(const char *s)
{
    char buf[64], *seq, *d, *h;
    if (s == NULL || strlen(s) >= sizeof buf)
        bad("shape", s);
    strcpy(buf, s);
    seq = buf;
    d = strchr(seq, 'x');
    h = d ? strchr(d + 1, 'x') : NULL;
    if (h == NULL)
        bad("shape (want SEQxD_MODELxHEADS)", s);
    *d++ = '\0';
    *h++ = '\0';
    bench_shape r = {parse_size(seq, "seq"), parse_size(d, "d_model"), parse_size(h, "heads")};
    if (r.d_model % r.heads != 0)
        bad("shape (heads must divide d_model)", s);
    return r;
}

/* Splits a comma-separated list in place; returns the count. */
static size_t split(char *list, char **items, size_t max, const char *what)
{
    size_t n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            bad(what, "(too many)");
        items[n++] = tok;
    }
    if (n == 0)
        bad(what, list);
    return n;
}

static void parse_shapes(options *o, char *list)
{
    char *items[MAX_SHAPES];
    o->c.n_shapes = split(list, items, MAX_SHAPES, "--shapes");
    for (size_t i = 0; i < o->c.n_shapes; i++)
        o->shapes[i] = parse_shape(items[i]);
    o->shapes_given = true;
}

/* "f32,bf16" or "all": which types run; the list is kept for the header, in run order. */
static void parse_dtypes(options *o, char *list)
{
    char *items[N_DTYPES * 2];
    size_t n = split(list, items, N_DTYPES * 2, "--dtype");
    memset(o->dtype, 0, sizeof o->dtype);
    for (size_t i = 0; i < n; i++) {
        bool all = strcmp(items[i], "all") == 0, found = all;
        for (int t = 0; t < N_DTYPES; t++)
            if (all || strcmp(items[i], dtypes[t].name) == 0)
                found = o->dtype[t] = true;
        if (!found)
            bad("--dtype (f32, f64, bf16, f16 or all)", items[i]);
    }
}

static void parse_decode(options *o, char *list)
{
    char *items[MAX_DECODE];
    o->c.n_decode = split(list, items, MAX_DECODE, "--decode");
    for (size_t i = 0; i < o->c.n_decode; i++)
        o->decode[i] = parse_size(items[i], "--decode length");
}

/* "general,small" or "all": which sections run. */
static void parse_suites(options *o, char *list)
{
    char *items[8];
    size_t n = split(list, items, 8, "--suite");
    o->pipeline = o->general = o->small_suite = o->setups = false;
    for (size_t i = 0; i < n; i++) {
        bool all = strcmp(items[i], "all") == 0;
        bool pipeline = all || strcmp(items[i], "pipeline") == 0,
             general = all || strcmp(items[i], "general") == 0,
             small = all || strcmp(items[i], "small") == 0,
             setups = strcmp(items[i], "setups") == 0;
        if (!pipeline && !general && !small && !setups)
            bad("--suite (pipeline, general, small, setups or all)", items[i]);
        o->pipeline |= pipeline;
        o->general |= general;
        o->small_suite |= small;
        o->setups |= setups;
    }
}

static void set_defaults(options *o)
{
    memset(o, 0, sizeof *o);
    o->c.n_shapes = sizeof default_shapes / sizeof default_shapes[0];
    memcpy(o->shapes, default_shapes, sizeof default_shapes);
    o->c.n_decode = sizeof default_decode / sizeof default_decode[0];
    memcpy(o->decode, default_decode, sizeof default_decode);
    o->c.n_small = MAX_SMALL;
    memcpy(o->small, default_small, sizeof default_small);
    o->c.small_d_model = 768;
    o->c.small_heads = 12;
    o->c.causal = (bench_shape){2048, 1024, 16};
    o->c.gqa_seq = 2048;
    o->c.long_shape = (bench_shape){32768, 512, 8};
    o->c.long_causal_seq = 131072;
    o->c.peak_n = 2048;
    /* The library's fast mode (README, Threads); --parallel blas shows the other one. */
    o->tiles = true;
    /* Cold (bench_evict) and big enough to stream: 256 MiB. */
    o->c.copy_bytes = (size_t)256 << 20;
    /* The naive loops run at about 1 GFLOP/s: 1.5e9 keeps each full check to a few seconds. */
    o->c.ref_max_flop = 1.5e9;
    /* Median of 3 to 5; a call of a second or more is not repeated past a 2 s budget. */
    o->c.reps = (bench_reps){3, 5, 2.0, 1.0};
    /* Every %peak and %copy divides by these medians: worth more runs on a noisy machine. */
    o->c.ceiling_reps = (bench_reps){5, 15, 3.0, 0};
    /* Minutes per call: the checked run is the sample unless --reps says otherwise. */
    o->c.long_reps = (bench_reps){1, 1, 0, 1.0};
    o->pipeline = o->general = o->small_suite = o->fix_coretype = true;
    o->format = BENCH_TABLE;
    o->dtype[F32] = true;
}

/* --smoke: every section at toy sizes, for the test suite (the checks matter, not the times). */
static void set_smoke(options *o)
{
    if (!o->shapes_given) {
        o->shapes[0] = (bench_shape){16, 32, 4};
        o->c.n_shapes = 1;
    }
    o->c.causal = (bench_shape){16, 32, 4};
    o->c.gqa_seq = 16;
    o->decode[0] = 64;
    o->decode[1] = 100; /* not a multiple of any tile or vector width */
    o->c.n_decode = 2;
    o->c.long_shape = (bench_shape){64, 32, 4};
    o->c.long_causal_seq = 256;
    o->small[0] = (bench_batch){3, 16};
    o->small[1] = (bench_batch){1, 33};
    o->c.n_small = 2;
    o->c.small_d_model = 48;
    o->c.small_heads = 3;
    o->c.peak_n = 64;
    o->c.copy_bytes = (size_t)1 << 20;
}

/* The value of "--name value" or "--name=value"; NULL when arg is another option. */
static const char *value_of(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (argv[*i] == NULL || strncmp(argv[*i], name, len) != 0) /* NULL: argv[argc] */
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        bad(name, NULL);
    return argv[++*i];
}

static bool parse_value_option(options *o, int argc, char **argv, int *i)
{
    const char *v;
    if ((v = value_of(argc, argv, i, "--shapes"))) {
        char *list = strcpy(bench_alloc(strlen(v) + 1), v); /* strtok writes into it */
        parse_shapes(o, list);
        bench_free(list);
    } else if ((v = value_of(argc, argv, i, "--decode"))) {
        char *list = strcpy(bench_alloc(strlen(v) + 1), v);
        parse_decode(o, list);
        bench_free(list);
    } else if ((v = value_of(argc, argv, i, "--dtype"))) {
        char *list = strcpy(bench_alloc(strlen(v) + 1), v);
        parse_dtypes(o, list);
        bench_free(list);
    } else if ((v = value_of(argc, argv, i, "--threads"))) {
        o->threads = (int)parse_size(v, "--threads");
    } else if ((v = value_of(argc, argv, i, "--reps"))) {
        size_t n = parse_size(v, "--reps");
        if (n > BENCH_MAX_REPS)
            bad("--reps (at most 101)", v);
        o->c.reps = o->c.long_reps = o->c.ceiling_reps = (bench_reps){(int)n, (int)n, 0, 0};
        o->reps_given = true;
    } else if ((v = value_of(argc, argv, i, "--peak-size"))) {
        o->c.peak_n = parse_size(v, "--peak-size");
        if (o->c.peak_n > 32768)
            bad("--peak-size (at most 32768)", v);
    } else if ((v = value_of(argc, argv, i, "--parallel"))) {
        o->tiles = strcmp(v, "tiles") == 0;
        if (!o->tiles && strcmp(v, "blas") != 0)
            bad("--parallel", v);
    } else if ((v = value_of(argc, argv, i, "--suite"))) {
        char *list = strcpy(bench_alloc(strlen(v) + 1), v);
        parse_suites(o, list);
        bench_free(list);
    } else if ((v = value_of(argc, argv, i, "--setup-cases"))) {
        o->n_setup_cases = bench_setup_parse_cases(v, o->setup_cases);
    } else {
        return false;
    }
    return true;
}

static void parse(options *o, int argc, char **argv)
{
    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (parse_value_option(o, argc, argv, &i))
            continue;
        if (strcmp(a, "--f64") == 0) {
            memset(o->dtype, 0, sizeof o->dtype);
            o->dtype[F64] = true;
        } else if (strcmp(a, "--csv") == 0)
            o->format = BENCH_CSV;
        else if (strcmp(a, "--json") == 0)
            o->format = BENCH_JSON;
        else if (strcmp(a, "--long") == 0)
            o->long_seq = true;
        else if (strcmp(a, "--gemm-share") == 0)
            o->c.gemm_share = true;
        else if (strcmp(a, "--no-coretype-fix") == 0)
            o->fix_coretype = false;
        else if (strcmp(a, "--smoke") == 0)
            o->smoke = true;
        else if (strcmp(a, "--setup-child") == 0)
            o->setup_child = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else
            bad("option", a);
    }
    if (o->smoke)
        set_smoke(o);
    if (o->n_setup_cases == 0)
        o->n_setup_cases = bench_setup_default_cases(o->smoke, o->setup_cases);
    o->c.shapes = o->shapes;
    o->c.decode_kv = o->decode;
    o->c.small = o->small;
    for (int t = 0; t < N_DTYPES; t++)
        if (o->dtype[t])
            snprintf(o->dtype_list + strlen(o->dtype_list),
                     sizeof o->dtype_list - strlen(o->dtype_list), "%s%s",
                     o->dtype_list[0] ? "," : "", dtypes[t].name);
}

/* Say loudly when the BLAS runs kernels older than the CPU, and what was done about it. */
static void note_coretype(const bench_env *e)
{
    if (e->coretype_fixed)
        bench_report_note("# NOTE: OpenBLAS chose its '%s' kernels on this CPU (it does not know "
                          "it); re-executed with OPENBLAS_CORETYPE=%s (--no-coretype-fix: "
                          "measure as is)",
                          e->fixed_from, e->coretype);
    if (e->slow_core)
        bench_report_note("# WARNING: OpenBLAS runs its '%s' kernels on a CPU with %s: every "
                          "GEMM is several times slower than it should be. Set "
                          "OPENBLAS_CORETYPE=%s (or drop --no-coretype-fix)",
                          e->runtime.blas_core, e->avx512f ? "AVX-512" : "AVX2", e->fix_core);
}

/* out_of_box rows: what they measured, and which variables a user's program might not have. */
static void note_out_of_box(void)
{
    static const char *const vars[] = {
        "OMP_NUM_THREADS",   "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
        "GOMP_CPU_AFFINITY", "OMP_PROC_BIND",        "OMP_WAIT_POLICY"};
    char set[256] = "";
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]) != NULL)
            snprintf(set + strlen(set), sizeof set - strlen(set), " %s=%s", vars[i],
                     getenv(vars[i]));
    bench_report_note("# out_of_box rows: the pipeline timed first, before this process set any "
                      "thread count (ratio: its time over the tuned row's); environment:%s",
                      set[0] ? set : " none of the OpenMP/OpenBLAS variables set");
}

/* Each half type's speed over f32's at every shape, pipeline and attention: the ratios the
 * targets are stated in (issue 11), read off one run. ratio = f32's median / this type's. */
static void speedups(const options *o, bench_pipeline_result (*results)[MAX_SHAPES], double bf16)
{
    if (!o->dtype[F32] || !o->pipeline || !(o->dtype[BF16] || o->dtype[F16]))
        return;
    bench_report_note("## speedup: each half type's speed over f32's (ratio = f32 median / its "
                      "median); %%bf16 of the bf16 GEMM ceiling");
    for (size_t i = 0; i < o->c.n_shapes; i++) {
        for (int t = BF16; t <= F16; t++) {
            if (!o->dtype[t])
                continue;
            bench_row *const rows[2] = {&results[t][i].pipeline, &results[t][i].mha};
            const bench_row *const f32[2] = {&results[F32][i].pipeline, &results[F32][i].mha};
            for (int k = 0; k < 2; k++) {
                bench_row r = *rows[k];
                r.suite = "speedup";
                r.ratio = f32[k]->t.median / r.t.median;
                r.ratio_of = "f32";
                r.rss_bytes = bench_max_rss();
                bench_report_row(&r);
            }
            const bench_shape *s = &o->c.shapes[i];
            double p = f32[0]->t.median / rows[0]->t.median,
                   a = f32[1]->t.median / rows[1]->t.median;
            if (t == BF16 && bf16 > 0)
                bench_report_note("# bf16 %zux%zux%zu: pipeline %.2fx f32 (target >= 1.6), "
                                  "attention %.2fx (>= 1.5), pipeline %.1f %% of the bf16 GEMM "
                                  "(>= 70 %%)",
                                  s->seq, s->d_model, s->heads, p, a, rows[0]->bf16_pct);
            else
                bench_report_note("# %s %zux%zux%zu: pipeline %.2fx f32, attention %.2fx "
                                  "(target without bf16 units: >= 0.8)",
                                  dtypes[t].name, s->seq, s->d_model, s->heads, p, a);
        }
    }
}

/* The kernel's transparent huge page mode, the bracketed word of its sysfs file ("always",
 * "madvise", "never"), or "unknown". */
static void thp_mode(char *mode, size_t size)
{
    char line[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    snprintf(mode, size, "unknown");
    if (f == NULL)
        return;
    char *open = fgets(line, sizeof line, f) ? strchr(line, '[') : NULL;
    char *close = open ? strchr(open, ']') : NULL;
    if (close)
        snprintf(mode, size, "%.*s", (int)(close - open - 1), open + 1);
    fclose(f);
}

/* How the memory-bound rows were measured (bench_evict, bench_alloc). */
static void note_memory(const bench_config *c)
{
    char mode[32];
    thp_mode(mode, sizeof mode);
    bench_report_note("# memory     memcpy and decode runs cold, each after reading %.0f MiB "
                      "(2x the L3, at least 1 GiB; 1 at --smoke); buffers >= 2 MiB on huge pages "
                      "where THP allows (this kernel: %s)",
                      (double)c->evict.size / (1 << 20), mode);
}

/* --setup-child: the setup cases in this process as it was started (no thread count touched),
 * after a line saying how the library runs here. */
static int setup_child(const options *o)
{
    mha_runtime r;
    mha_runtime_info(&r);
    printf("runtime %s BLAS (%s, %d threads), float GEMM %s, %d workers: %s\n", r.blas_name,
           r.blas_threading, r.blas_threads, r.gemm_backend, r.workers, r.setup);
    bench_config c = o->c;
    if (!o->reps_given) /* calls of a few milliseconds: the median of more runs */
        c.reps = (bench_reps){7, 21, 1.0, 1.0};
    for (int t = 0; t < N_DTYPES; t++)
        if (o->dtype[t])
            dtypes[t].setup_cases(&c, o->setup_cases, o->n_setup_cases);
    return 0;
}

int main(int argc, char **argv)
{
    static options o; /* static: the option tables are a few KiB */
    parse(&o, argc, argv);
    if (o.fix_coretype)
        bench_fix_coretype(argv); /* returns only if it did not re-execute */
    if (o.setup_child)
        return setup_child(&o);
    /* The memory-bound rows' flush buffer (at --smoke's toy sizes, a toy one: the path runs). */
    if (o.general)
        o.c.evict = bench_evict_make(o.smoke ? (size_t)1 << 20 : bench_evict_size());
    /* Out of the box first, while no thread count has been touched. */
    static bench_stats out_of_box[N_DTYPES][MAX_SHAPES];
    static bench_pipeline_result results[N_DTYPES][MAX_SHAPES];
    bench_config cfg[N_DTYPES];
    for (int t = 0; t < N_DTYPES; t++) {
        cfg[t] = o.c;
        cfg[t].results = results[t];
        if (o.dtype[t] && o.pipeline && o.threads <= 0) {
            dtypes[t].out_of_box(&cfg[t], out_of_box[t]);
            cfg[t].out_of_box = out_of_box[t];
        }
    }
    bench_set_threads(o.threads);
    bench_env env;
    bench_env_probe(&env);

    char reps[160];
    if (o.reps_given)
        snprintf(reps, sizeof reps, "median of %d timed runs after 1 untimed checked run",
                 o.c.reps.max);
    else
        snprintf(reps, sizeof reps,
                 "median of %d to %d runs in %.0f s after 1 checked run, "
                 "which counts for calls >= %.0f s",
                 o.c.reps.min, o.c.reps.max, o.c.reps.budget_s, o.c.reps.long_s);
    /* The ceilings always run on the BLAS's threads: --parallel tiles switches after them. */
    int workers = env.blas_threads > 0 ? env.blas_threads : o.threads;
    for (int t = 0; t < N_DTYPES; t++)
        cfg[t].ceiling_threads = workers;
    char parallel[160] = "blas: library tiles in turn, each GEMM on the BLAS's threads";
    if (o.tiles)
        snprintf(parallel, sizeof parallel,
                 "tiles: after the ceilings, BLAS 1 thread, library tiles on %d OpenMP workers",
                 workers);
    /* The bf16 GEMM before the header, which prints it; its row follows the other ceilings. */
    bench_row bf16_row = bench_row_empty("ceiling", "bf16_gemm");
    char bf16_gemm[192] = "not measured (no bf16 in --dtype)";
    if (o.dtype[BF16]) {
        char impl[96];
        bench_ceiling_bf16(&cfg[BF16], &bf16_row, impl, sizeof impl);
        if (cfg[BF16].bf16_gflops > 0)
            snprintf(bf16_gemm, sizeof bf16_gemm, "%.1f GFLOP/s (oneDNN matmul %zu^3, %s)",
                     cfg[BF16].bf16_gflops, o.c.peak_n, impl);
        else
            snprintf(bf16_gemm, sizeof bf16_gemm, "0: none (%s); bf16 runs widened to float", impl);
    }
    const bench_meta meta = {o.dtype_list, MHA_BENCH_COMMIT, reps, o.threads, parallel, bf16_gemm};
    bench_report_begin(o.format, &env, &meta);
    note_coretype(&env);
    if (o.c.evict.size > 0)
        note_memory(&o.c);
    if (cfg[F32].out_of_box || cfg[F64].out_of_box || cfg[BF16].out_of_box || cfg[F16].out_of_box)
        note_out_of_box();

    /* f32's ceilings serve the half types too; memcpy once. */
    bool half = o.dtype[BF16] || o.dtype[F16];
    if (o.dtype[F32] || half)
        bench_ceilings_f32(&cfg[F32], o.general);
    if (o.dtype[F64])
        bench_ceilings_f64(&cfg[F64], o.general && !(o.dtype[F32] || half));
    if (o.dtype[BF16] && cfg[BF16].bf16_gflops > 0) {
        bf16_row.peak_pct =
            cfg[F32].peak_gflops > 0 ? 100 * bf16_row.gflops / cfg[F32].peak_gflops : (double)NAN;
        bf16_row.fma_pct =
            cfg[F32].fma_gflops > 0 ? 100 * bf16_row.gflops / cfg[F32].fma_gflops : (double)NAN;
        bf16_row.rss_bytes = bench_max_rss();
        bench_report_row(&bf16_row);
    }
    for (int t = BF16; t <= F16; t++) {
        cfg[t].peak_gflops = cfg[F32].peak_gflops;
        cfg[t].fma_gflops = cfg[F32].fma_gflops;
        cfg[t].copy_gbps = cfg[F32].copy_gbps;
    }
    if (o.dtype[F64] && (o.dtype[F32] || half))
        cfg[F64].copy_gbps = cfg[F32].copy_gbps;
    if (o.tiles && !bench_parallel_tiles(workers))
        bench_report_note("# WARNING: --parallel tiles needs OpenBLAS and OpenMP; running as "
                          "--parallel blas");
    static double small_s[N_DTYPES][MAX_SMALL];
    for (int t = 0; t < N_DTYPES; t++) {
        cfg[t].small_s = small_s[t];
        cfg[t].small_f32_s = t >= BF16 && o.dtype[F32] ? small_s[F32] : NULL;
    }
    for (int t = 0; t < N_DTYPES; t++) {
        if (!o.dtype[t])
            continue;
        if (o.pipeline)
            dtypes[t].pipeline(&cfg[t]);
        if (o.general)
            dtypes[t].general(&cfg[t]);
        if (o.small_suite)
            dtypes[t].small(&cfg[t]);
        if (o.long_seq)
            dtypes[t].long_seq(&cfg[t]);
    }
    if (o.setups)
        bench_setups_run(&cfg[F32], o.dtype_list, o.setup_cases, o.n_setup_cases,
                         o.reps_given ? o.c.reps.max : 0, o.smoke);
    speedups(&o, results, cfg[BF16].bf16_gflops);
    bench_report_end();
    return 0;
}
