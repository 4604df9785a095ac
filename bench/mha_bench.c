/* SPDX-License-Identifier: MIT */
/* mha_bench: times libmha's calls against the GEMM peak and memcpy bandwidth measured in the same
 * run, after checking each result against the naive reference. Options, then the sections. */
#include "bench_cases.h"
#include "bench_commit.h"
#include "bench_env.h"
#include "bench_report.h"
#include "bench_util.h"
#include "mha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHAPES 64
#define MAX_DECODE 16

/* Every default finishes in under a minute on 2 cores with the right BLAS kernels. */
static const bench_shape default_shapes[] = {{128, 256, 4},    {512, 512, 8},    {1024, 768, 12},
                                             {2048, 1024, 16}, {4096, 1024, 16}, {8192, 512, 8}};
static const size_t default_decode[] = {4096, 8192, 16384, 32768};

typedef struct options {
    bench_config c;
    bench_shape shapes[MAX_SHAPES];
    size_t decode[MAX_DECODE];
    bool shapes_given, reps_given, f64, pipeline, general, long_seq, fix_coretype, smoke, tiles;
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
          "  --suite all|pipeline|general\n"
          "                       sections to run (default all; the GEMM peak always runs)\n"
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
          "  --f64                double precision (dgemm peak)\n"
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

static void parse_decode(options *o, char *list)
{
    char *items[MAX_DECODE];
    o->c.n_decode = split(list, items, MAX_DECODE, "--decode");
    for (size_t i = 0; i < o->c.n_decode; i++)
        o->decode[i] = parse_size(items[i], "--decode length");
}

static void set_defaults(options *o)
{
    memset(o, 0, sizeof *o);
    o->c.n_shapes = sizeof default_shapes / sizeof default_shapes[0];
    memcpy(o->shapes, default_shapes, sizeof default_shapes);
    o->c.n_decode = sizeof default_decode / sizeof default_decode[0];
    memcpy(o->decode, default_decode, sizeof default_decode);
    o->c.causal = (bench_shape){2048, 1024, 16};
    o->c.gqa_seq = 2048;
    o->c.long_shape = (bench_shape){32768, 512, 8};
    o->c.long_causal_seq = 131072;
    o->c.peak_n = 2048;
    /* The library's fast mode (README, Threads); --parallel blas shows the other one. */
    o->tiles = true;
    /* Twice the 256 MiB buffer is more than this machine's L3 (300 MiB): memory, not cache. */
    o->c.copy_bytes = (size_t)256 << 20;
    /* The naive loops run at about 1 GFLOP/s: 1.5e9 keeps each full check to a few seconds. */
    o->c.ref_max_flop = 1.5e9;
    /* Median of 3 to 5; a call of a second or more is not repeated past a 2 s budget. */
    o->c.reps = (bench_reps){3, 5, 2.0, 1.0};
    /* Every %peak and %copy divides by these medians: worth more runs on a noisy machine. */
    o->c.ceiling_reps = (bench_reps){5, 15, 3.0, 0};
    /* Minutes per call: the checked run is the sample unless --reps says otherwise. */
    o->c.long_reps = (bench_reps){1, 1, 0, 1.0};
    o->pipeline = o->general = o->fix_coretype = true;
    o->format = BENCH_TABLE;
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
        o->pipeline = strcmp(v, "all") == 0 || strcmp(v, "pipeline") == 0;
        o->general = strcmp(v, "all") == 0 || strcmp(v, "general") == 0;
        if (!o->pipeline && !o->general)
            bad("--suite", v);
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
        if (strcmp(a, "--f64") == 0)
            o->f64 = true;
        else if (strcmp(a, "--csv") == 0)
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
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else
            bad("option", a);
    }
    if (o->smoke)
        set_smoke(o);
    o->c.shapes = o->shapes;
    o->c.decode_kv = o->decode;
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

int main(int argc, char **argv)
{
    static options o; /* static: the option tables are a few KiB */
    parse(&o, argc, argv);
    if (o.fix_coretype)
        bench_fix_coretype(argv); /* returns only if it did not re-execute */
    /* Out of the box first, while no thread count has been touched. */
    static bench_stats out_of_box[MAX_SHAPES];
    if (o.pipeline && o.threads <= 0) {
        if (o.f64)
            bench_out_of_box_f64(&o.c, out_of_box);
        else
            bench_out_of_box_f32(&o.c, out_of_box);
        o.c.out_of_box = out_of_box;
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
    o.c.ceiling_threads = workers;
    char parallel[160] = "blas: library tiles in turn, each GEMM on the BLAS's threads";
    if (o.tiles)
        snprintf(parallel, sizeof parallel,
                 "tiles: after the ceilings, BLAS 1 thread, library tiles on %d OpenMP workers",
                 workers);
    const bench_meta meta = {o.f64 ? "f64" : "f32", MHA_BENCH_COMMIT, reps, o.threads, parallel};
    bench_report_begin(o.format, &env, &meta);
    note_coretype(&env);
    if (o.c.out_of_box)
        note_out_of_box();

    if (o.f64)
        bench_ceilings_f64(&o.c, o.general);
    else
        bench_ceilings_f32(&o.c, o.general);
    if (o.tiles && !bench_parallel_tiles(workers))
        bench_report_note("# WARNING: --parallel tiles needs OpenBLAS and OpenMP; running as "
                          "--parallel blas");
    if (o.f64) {
        if (o.pipeline)
            bench_pipeline_f64(&o.c);
        if (o.general)
            bench_general_f64(&o.c);
        if (o.long_seq)
            bench_long_f64(&o.c);
    } else {
        if (o.pipeline)
            bench_pipeline_f32(&o.c);
        if (o.general)
            bench_general_f32(&o.c);
        if (o.long_seq)
            bench_long_f32(&o.c);
    }
    bench_report_end();
    return 0;
}
