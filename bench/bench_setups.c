/* SPDX-License-Identifier: MIT */
/* The setups section (bench_setups.h): each setup a child process, its checked timings read back
 * from its stdout, one row per setup, case and type against the tuned setup's speed. */
#define _DEFAULT_SOURCE /* fork, pipe, setenv, unsetenv, readlink */
#include "bench_setups.h"

#include "bench_report.h"
#include "mha.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the build knows of this tree (bench/meson.build); empty when unknown. */
#ifndef MHA_BENCH_SOURCE_ROOT
#define MHA_BENCH_SOURCE_ROOT ""
#endif
#ifndef MHA_BENCH_LIBMHA
#define MHA_BENCH_LIBMHA ""
#endif
#ifndef MHA_BENCH_PYTHON
#define MHA_BENCH_PYTHON ""
#endif
#ifndef MHA_BENCH_PTHREADS_OPENBLAS
#define MHA_BENCH_PTHREADS_OPENBLAS ""
#endif

enum { SETUPS = 6, MAX_TYPES = 4 };

typedef struct setup {
    const char *key;   /* the row's label */
    const char *what;  /* in words, for the notes */
    const char *first; /* Python: the module imported before mha; NULL: the C bench itself */
    bool pthreads;     /* C: the pthreads OpenBLAS leads the library path */
    bool tuned;        /* OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS = cores */
} setup;

/* The tuned setups first: the C ones are measured against C's, the Python ones against Python's
 * (whose calls add the package's own work, e.g. converting bf16). */
enum { TUNED_C = 0, TUNED_PYTHON = 1 };
static const setup setups[SETUPS] = {
    {"e_tuned", "(e) tuned C: OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=cores", NULL, false, true},
    {"e_tuned_py",
     "(e) tuned Python: mha imported first, OPENBLAS_NUM_THREADS=1, "
     "OMP_NUM_THREADS=cores",
     "mha", false, true},
    {"d_default", "(d) this build's BLAS, nothing set", NULL, false, false},
    {"c_pthreads", "(c) C, Debian's pthreads OpenBLAS loaded first", NULL, true, false},
    {"a_numpy", "(a) Python, numpy imported before mha", "numpy", false, false},
    {"b_torch", "(b) Python, torch imported before mha", "torch", false, false},
};

typedef struct measured {
    bool have;
    double seconds, err;
} measured;

size_t bench_setup_default_cases(bool smoke, bench_setup_case *cases)
{
    static const bench_setup_case full[] = {
        {"mha_2048x512x8", BENCH_SETUP_ATTENTION, 1, 2048, 512, 8},
        {"mha_2048x1024x16", BENCH_SETUP_ATTENTION, 1, 2048, 1024, 16},
        {"batch_8x128", BENCH_SETUP_ATTENTION, 8, 128, 768, 12},
        {"pipeline_2048x1024x16", BENCH_SETUP_PIPELINE, 1, 2048, 1024, 16},
    };
    static const bench_setup_case toy[] = {
        {"mha_40x48x3", BENCH_SETUP_ATTENTION, 1, 40, 48, 3},
        {"batch_3x16", BENCH_SETUP_ATTENTION, 3, 16, 48, 3},
        {"pipeline_33x32x4", BENCH_SETUP_PIPELINE, 1, 33, 32, 4},
    };
    const bench_setup_case *src = smoke ? toy : full;
    size_t n = smoke ? sizeof toy / sizeof toy[0] : sizeof full / sizeof full[0];
    memcpy(cases, src, n * sizeof *cases);
    return n;
}

size_t bench_setup_parse_cases(const char *list, bench_setup_case *cases)
{
    size_t n = 0;
    for (const char *p = list; p && *p && n < BENCH_MAX_SETUP_CASES; n++) {
        bench_setup_case *s = &cases[n];
        char kind[16];
        int used = 0;
        if (sscanf(p, "%39[^:]:%15[^:]:%zu:%zu:%zu:%zu%n", s->name, kind, &s->batch, &s->seq,
                   &s->d_model, &s->heads, &used) != 6 ||
            s->heads == 0 || s->d_model % s->heads != 0)
            bench_die("bad --setup-cases entry '%s'", p);
        s->kind = strcmp(kind, "pipeline") == 0 ? BENCH_SETUP_PIPELINE : BENCH_SETUP_ATTENTION;
        p += used;
        p += *p == ',';
    }
    return n;
}

/* The cases as a child takes them. */
static void format_cases(const bench_setup_case *cases, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s:%s:%zu:%zu:%zu:%zu", i ? "," : "",
                 cases[i].name, cases[i].kind == BENCH_SETUP_PIPELINE ? "pipeline" : "attention",
                 cases[i].batch, cases[i].seq, cases[i].d_model, cases[i].heads);
}

/* Why a setup cannot run on this machine, or NULL. */
static const char *missing(const setup *s)
{
    if (s->first && (MHA_BENCH_PYTHON[0] == '\0' || MHA_BENCH_SOURCE_ROOT[0] == '\0'))
        return "no Python with numpy in this build";
    if (s->pthreads && MHA_BENCH_PTHREADS_OPENBLAS[0] == '\0')
        return "no pthreads OpenBLAS (libopenblas0-pthread) on this machine";
    return NULL;
}

/* In the forked child: its environment, then its program. Never returns. */
static void exec_child(const setup *s, char *const argv[])
{
    unsetenv("OMP_NUM_THREADS");
    unsetenv("OPENBLAS_NUM_THREADS");
    if (s->tuned) {
        char cores[16];
        snprintf(cores, sizeof cores, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        setenv("OMP_NUM_THREADS", cores, 1);
    }
    if (s->pthreads) {
        const char *old = getenv("LD_LIBRARY_PATH");
        char path[4096];
        snprintf(path, sizeof path, "%s%s%s", MHA_BENCH_PTHREADS_OPENBLAS, old ? ":" : "",
                 old ? old : "");
        setenv("LD_LIBRARY_PATH", path, 1);
    }
    if (s->first) {
        setenv("PYTHONPATH", MHA_BENCH_SOURCE_ROOT "/python", 1);
        setenv("MHA_LIBRARY", MHA_BENCH_LIBMHA, 1);
    }
    execv(argv[0], argv);
    fprintf(stderr, "mha_bench: cannot run %s\n", argv[0]);
    _exit(127);
}

/* Runs one setup's child and reads its lines into got[case][type]; false (with *why) when the
 * child skipped itself. */
static bool run_child(const setup *s, const char *dtypes, const char *cases_arg, int reps,
                      bool smoke, const bench_setup_case *cases, size_t n, const char *const *types,
                      size_t n_types, measured got[][MAX_TYPES], char *why, size_t why_size)
{
    char self[4096] = "", reps_arg[16], script[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0)
        self[len] = '\0';
    snprintf(reps_arg, sizeof reps_arg, "%d", reps);
    snprintf(script, sizeof script, "%s/bench/setup_child.py", MHA_BENCH_SOURCE_ROOT);
    char *argv[20];
    int a = 0;
    if (s->first) {
        argv[a++] = (char *)MHA_BENCH_PYTHON;
        argv[a++] = script;
        argv[a++] = "--first";
        argv[a++] = (char *)s->first;
    } else {
        argv[a++] = self;
        argv[a++] = "--setup-child";
        argv[a++] = "--no-coretype-fix"; /* the parent's OPENBLAS_CORETYPE, if any, is inherited */
    }
    argv[a++] = "--dtype";
    argv[a++] = (char *)dtypes;
    argv[a++] = "--setup-cases";
    argv[a++] = (char *)cases_arg;
    if (reps > 0) {
        argv[a++] = "--reps";
        argv[a++] = reps_arg;
    }
    if (smoke)
        argv[a++] = "--smoke";
    argv[a] = NULL;

    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0)
        bench_die("pipe failed");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork failed");
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], STDOUT_FILENO);
        close(fd[1]);
        exec_child(s, argv);
    }
    close(fd[1]);
    FILE *in = fdopen(fd[0], "r");
    char line[1024];
    bool skipped = false;
    while (in && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        char name[64], type[16];
        double seconds, err;
        if (strncmp(line, "skip ", 5) == 0) {
            snprintf(why, why_size, "%.200s", line + 5);
            skipped = true;
        } else if (strncmp(line, "runtime ", 8) == 0) {
            bench_report_note("# %s: %s", s->key, line + 8);
        } else if (sscanf(line, "case %63s %15s %lf %lf", name, type, &seconds, &err) == 4) {
            for (size_t i = 0; i < n; i++)
                for (size_t t = 0; t < n_types; t++)
                    if (strcmp(cases[i].name, name) == 0 && strcmp(types[t], type) == 0)
                        got[i][t] = (measured){true, seconds, err};
        }
    }
    if (in)
        fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("FAIL: setup %s (%s): its child failed (status %d)", s->key, s->what, status);
    return !skipped;
}

static double case_flop(const bench_setup_case *s)
{
    double b = (double)s->batch, n = (double)s->seq, d = (double)s->d_model;
    return 4 * b * n * n * d + (s->kind == BENCH_SETUP_PIPELINE ? 6 * b * n * d * d : 0);
}

static void print_row(const bench_config *c, const setup *s, const bench_setup_case *k,
                      const char *type, const measured *m, const measured *tuned)
{
    bench_row r = bench_row_empty("setup", s->key);
    r.dtype = type;
    r.seq_q = r.seq_kv = k->seq;
    r.heads = r.kv_heads = k->heads;
    r.d_head = k->d_model / k->heads;
    r.t = (bench_stats){m->seconds, m->seconds, m->seconds, 1};
    r.gflops = bench_rate_g(case_flop(k), m->seconds);
    r.peak_pct = c->peak_gflops > 0 ? 100 * r.gflops / c->peak_gflops : (double)NAN;
    r.fma_pct = c->fma_gflops > 0 ? 100 * r.gflops / c->fma_gflops : (double)NAN;
    if (tuned->have) {
        r.ratio = tuned->seconds / m->seconds;
        r.ratio_of = "tuned_speed";
    }
    r.err = m->err;
    r.check = "setup";
    r.rss_bytes = bench_max_rss();
    bench_report_row(&r);
}

void bench_setups_run(const bench_config *c, const char *dtypes, const bench_setup_case *cases,
                      size_t n, int reps, bool smoke)
{
    char list[64], *types[MAX_TYPES], cases_arg[1024];
    snprintf(list, sizeof list, "%s", dtypes);
    size_t n_types = 0;
    for (char *t = strtok(list, ","); t && n_types < MAX_TYPES; t = strtok(NULL, ","))
        types[n_types++] = t;
    format_cases(cases, n, cases_arg, sizeof cases_arg);
    static measured got[SETUPS][BENCH_MAX_SETUP_CASES][MAX_TYPES];
    memset(got, 0, sizeof got);
    bench_report_note(
        "## setups: the same checked calls in each process setup, a child process "
        "each; ratio: its speed over the tuned setup's (e) of its language, same run");
    for (size_t s = 0; s < SETUPS; s++) {
        char why[256] = "";
        const char *gone = missing(&setups[s]);
        bench_report_note("# %s = %s", setups[s].key, setups[s].what);
        if (gone) {
            bench_report_note("# %s skipped: %s", setups[s].key, gone);
            continue;
        }
        if (!run_child(&setups[s], dtypes, cases_arg, reps, smoke, cases, n,
                       (const char *const *)types, n_types, got[s], why, sizeof why))
            bench_report_note("# %s skipped: %s", setups[s].key, why);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < n_types; t++)
            for (size_t s = 0; s < SETUPS; s++)
                if (got[s][i][t].have)
                    print_row(c, &setups[s], &cases[i], types[t], &got[s][i][t],
                              &got[setups[s].first ? TUNED_PYTHON : TUNED_C][i][t]);
}
