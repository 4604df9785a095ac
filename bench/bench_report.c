/* SPDX-License-Identifier: MIT */
/* Prints rows as a table, CSV or JSON from one list of columns, so the three never disagree. */
#include "bench_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef MHA_BENCH_BUILD
#define MHA_BENCH_BUILD "unknown"
#endif

/* One cell: a string, or a number (NAN: not applicable). `bytes` numbers print as KiB/MiB in the
 * table and exactly in CSV/JSON. A column of width 0 is in CSV/JSON only. */
typedef struct cell {
    const char *name, *fmt, *s;
    double x;
    int width;
    bool bytes;
} cell;

enum { N_CELLS = 27 };

static struct {
    bench_format format;
    const bench_env *env;
    const bench_meta *meta;
    int rows;
} out;

bench_row bench_row_empty(const char *suite, const char *op)
{
    return (bench_row){.suite = suite,
                       .op = op,
                       .gflops = NAN,
                       .peak_pct = NAN,
                       .fma_pct = NAN,
                       .bf16_pct = NAN,
                       .gbps = NAN,
                       .copy_pct = NAN,
                       .tok_s = NAN,
                       .ratio = NAN,
                       .ratio_of = "",
                       .err = NAN,
                       .check = "-",
                       .ref_x = NAN,
                       .ws_bytes = NAN};
}

static cell str_cell(const char *name, int width, const char *s)
{
    return (cell){.name = name, .width = width, .s = s};
}

static cell num_cell(const char *name, int width, const char *fmt, double x)
{
    return (cell){.name = name, .width = width, .fmt = fmt, .x = x};
}

static cell bytes_cell(const char *name, int width, double x)
{
    return (cell){.name = name, .width = width, .x = x, .bytes = true};
}

/* Sizes are never 0 in a measured call: 0 means "not applicable" (the memcpy row). */
static cell size_cell(const char *name, int width, size_t v)
{
    return num_cell(name, width, "%.0f", v ? (double)v : (double)NAN);
}

static int cells_of(const bench_row *r, cell c[N_CELLS])
{
    int n = 0;
    c[n++] = str_cell("suite", -8, r->suite);
    c[n++] = str_cell("op", -10, r->op);
    c[n++] = str_cell("dtype", -4, r->dtype ? r->dtype : out.meta->dtype);
    c[n++] = size_cell("seq_q", 6, r->seq_q);
    c[n++] = size_cell("seq_kv", 6, r->seq_kv);
    c[n++] = size_cell("heads", 5, r->heads);
    c[n++] = size_cell("kv_heads", 3, r->kv_heads);
    c[n++] = size_cell("d_head", 6, r->d_head);
    c[n++] = num_cell("reps", 4, "%.0f", (double)r->t.n);
    c[n++] = num_cell("median_ms", 10, "%.3f", r->t.median * 1e3);
    c[n++] = num_cell("min_ms", 10, "%.3f", r->t.min * 1e3);
    c[n++] = num_cell("max_ms", 10, "%.3f", r->t.max * 1e3);
    c[n++] = num_cell("gflops", 8, "%.1f", r->gflops);
    c[n++] = num_cell("peak_pct", 6, "%.1f", r->peak_pct);
    c[n++] = num_cell("fma_pct", 5, "%.1f", r->fma_pct);
    c[n++] = num_cell("bf16_pct", 5, "%.1f", r->bf16_pct);
    c[n++] = num_cell("gbps", 7, "%.1f", r->gbps);
    c[n++] = num_cell("copy_pct", 6, "%.1f", r->copy_pct);
    c[n++] = num_cell("tok_s", 7, "%.1f", r->tok_s);
    c[n++] = num_cell("ratio", 6, "%.3f", r->ratio);
    c[n++] = str_cell("ratio_of", -11, r->ratio_of);
    c[n++] = num_cell("max_err", 8, "%.1e", r->err);
    c[n++] = str_cell("check", -5, r->check);
    c[n++] = num_cell("ref_x", 7, "%.0f", r->ref_x);
    c[n++] = bytes_cell("ws_bytes", 8, r->ws_bytes);
    c[n++] = bytes_cell("rss_bytes", 8, (double)r->rss_bytes);
    c[n++] = num_cell("threads", 0, "%.0f", (double)out.env->blas_threads);
    return n;
}

/* Short table titles for the long machine names. */
static const char *title_of(const char *name)
{
    static const char *const map[][2] = {
        {"kv_heads", "kv"},    {"median_ms", "median_ms"}, {"gflops", "GFLOP/s"},
        {"peak_pct", "%peak"}, {"fma_pct", "%fma"},        {"bf16_pct", "%bf16"},
        {"gbps", "GB/s"},      {"copy_pct", "%copy"},      {"ratio_of", "of"},
        {"tok_s", "tok/s"},    {"max_err", "max_err"},     {"ref_x", "x_ref"},
        {"ws_bytes", "ws"},    {"rss_bytes", "max_rss"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i][0]) == 0)
            return map[i][1];
    return name;
}

static void human_bytes(double b, char *buf, size_t n)
{
    if (b < 1024)
        snprintf(buf, n, "%.0fB", b);
    else if (b < 1024 * 1024)
        snprintf(buf, n, "%.1fK", b / 1024);
    else if (b < 1024.0 * 1024 * 1024)
        snprintf(buf, n, "%.1fM", b / (1024 * 1024));
    else
        snprintf(buf, n, "%.2fG", b / (1024.0 * 1024 * 1024));
}

/* The text of one cell: NAN is "-" in the table and empty (CSV) or null (JSON) otherwise. */
static void cell_text(const cell *c, bool table, char *buf, size_t n)
{
    if (c->s)
        snprintf(buf, n, "%s", c->s[0] || !table ? c->s : "-");
    else if (isnan(c->x))
        snprintf(buf, n, "%s", table ? "-" : out.format == BENCH_JSON ? "null" : "");
    else if (c->bytes && table)
        human_bytes(c->x, buf, n);
    else if (c->bytes || table)
        snprintf(buf, n, c->bytes ? "%.0f" : c->fmt, c->x);
    else
        snprintf(buf, n, "%.6g", c->x); /* machine: enough digits, no padding */
}

static void print_table_row(const cell *c, int n, bool heading)
{
    char buf[128];
    for (int i = 0; i < n; i++) {
        if (c[i].width == 0)
            continue;
        if (heading)
            snprintf(buf, sizeof buf, "%s", title_of(c[i].name));
        else
            cell_text(&c[i], true, buf, sizeof buf);
        printf("%s%*s", i ? " " : "", c[i].width, buf);
    }
    putchar('\n');
}

static void print_csv_row(const cell *c, int n, bool heading)
{
    char buf[128];
    for (int i = 0; i < n; i++) {
        if (!heading)
            cell_text(&c[i], false, buf, sizeof buf);
        printf("%s%s", i ? "," : "", heading ? c[i].name : buf);
    }
    putchar('\n');
}

/* Strings here are our own names and the BLAS's config text: escape quotes and backslashes. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        if ((unsigned char)*s >= 0x20)
            putchar(*s);
    }
    putchar('"');
}

static void print_json_row(const cell *c, int n)
{
    char buf[128];
    printf("%s\n    {", out.rows ? "," : "");
    for (int i = 0; i < n; i++) {
        printf("%s\"%s\": ", i ? ", " : "", c[i].name);
        if (c[i].s) {
            json_string(c[i].s);
        } else {
            cell_text(&c[i], false, buf, sizeof buf);
            fputs(buf, stdout);
        }
    }
    putchar('}');
}

/* The header lines, as "key: value" text (table) or as JSON "meta" members. */
static void header_item(const char *key, const char *value, bool *first)
{
    if (out.format == BENCH_JSON) {
        printf("%s\n    \"%s\": ", *first ? "" : ",", key);
        json_string(value);
    } else {
        fprintf(out.format == BENCH_TABLE ? stdout : stderr, "# %-10s %s\n", key, value);
    }
    *first = false;
}

static void print_header(void)
{
    const bench_env *e = out.env;
    char threads[128], omp[32], blas[160], fix[256];
    snprintf(blas, sizeof blas, "%s %s", e->blas, e->blas_version);
    snprintf(omp, sizeof omp, e->omp_threads < 0 ? "none" : "%d", e->omp_threads);
    if (e->blas_threads < 0)
        snprintf(threads, sizeof threads, "BLAS default (count unknown), OpenMP %s", omp);
    else
        snprintf(threads, sizeof threads, "%d BLAS (%s), OpenMP %s", e->blas_threads,
                 out.meta->threads_requested ? "--threads" : "BLAS default", omp);
    if (e->coretype_fixed)
        snprintf(fix, sizeof fix,
                 "applied: OpenBLAS chose %s by itself; re-executed with "
                 "OPENBLAS_CORETYPE=%s",
                 e->fixed_from, e->coretype);
    else
        snprintf(fix, sizeof fix, "%s",
                 e->slow_core ? "NEEDED but not applied: slow kernels" : "not needed");
    bool first = true;
    header_item("libmha", out.meta->commit, &first);
    header_item("build", MHA_BENCH_BUILD, &first);
    header_item("cpu", e->cpu_model, &first);
    header_item("cpu_isa", e->avx512f ? "avx512f avx2" : e->avx2 ? "avx2" : "(no avx2)", &first);
    header_item("blas", blas, &first);
    header_item("blas_conf", e->blas_config[0] ? e->blas_config : "-", &first);
    header_item("blas_core", e->runtime.blas_core[0] ? e->runtime.blas_core : "-", &first);
    header_item("coretype", e->coretype[0] ? e->coretype : "(unset)", &first);
    header_item("core_fix", fix, &first);
    header_item("threads", threads, &first);
    const mha_runtime *r = &e->runtime;
    char runtime[512];
    snprintf(runtime, sizeof runtime,
             "%s %s %s (%s, %d threads), %d workers, float GEMM %s, softmax %s, cpu %s, "
             "bf16 GEMM %s%s%s",
             r->blas_name, r->blas_version, r->blas_core, r->blas_threading, r->blas_threads,
             r->workers, r->gemm_backend, r->softmax_isa, r->cpu_isa, r->bf16_gemm,
             r->blas_below_cpu ? "; WARNING: " : "", r->reason);
    header_item("runtime", runtime, &first);
    header_item("setup", r->setup, &first);
    header_item("parallel", out.meta->parallel, &first);
    header_item("bf16_gemm", out.meta->bf16_gemm, &first);
    header_item("dtype", out.meta->dtype, &first);
    header_item("reps", out.meta->reps, &first);
}

void bench_report_begin(bench_format format, const bench_env *env, const bench_meta *meta)
{
    out.format = format;
    out.env = env;
    out.meta = meta;
    out.rows = 0;
    if (format == BENCH_JSON)
        printf("{\n  \"meta\": {");
    print_header();
    if (format == BENCH_JSON)
        printf("\n  },\n  \"rows\": [");
    fflush(stdout);
}

void bench_report_row(const bench_row *row)
{
    cell c[N_CELLS];
    int n = cells_of(row, c);
    /* The column heading waits for the first row, so the header's notes come before it. */
    if (out.rows == 0 && out.format == BENCH_TABLE)
        print_table_row(c, n, true);
    else if (out.rows == 0 && out.format == BENCH_CSV)
        print_csv_row(c, n, true);
    if (out.format == BENCH_TABLE)
        print_table_row(c, n, false);
    else if (out.format == BENCH_CSV)
        print_csv_row(c, n, false);
    else
        print_json_row(c, n);
    out.rows++;
    fflush(stdout); /* rows appear as they are measured, even through a pipe */
}

void bench_report_note(const char *fmt, ...)
{
    FILE *f = out.format == BENCH_TABLE ? stdout : stderr;
    va_list ap;
    va_start(ap, fmt);
    /* va_start above: clang 14's analyzer misses it on x86-64 (valist.Uninitialized). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

void bench_report_end(void)
{
    if (out.format == BENCH_JSON)
        printf("\n  ]\n}\n");
    fflush(stdout);
}
