/* SPDX-License-Identifier: MIT */
/* Probes the CPU and the BLAS, sets thread counts, and re-executes with OPENBLAS_CORETYPE. */
#define _DEFAULT_SOURCE /* readlink, setenv, strcasecmp */
#include "bench_env.h"

#include "mha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef MHA_BENCH_OPENBLAS
#include <cblas.h> /* OpenBLAS declares its openblas_* extensions here */
#endif
#ifdef MHA_BENCH_OPENMP
#include <omp.h>
#endif

#ifndef MHA_BENCH_BLAS_NAME
#define MHA_BENCH_BLAS_NAME "cblas"
#endif

/* Set, to the core OpenBLAS had chosen, in the environment of the re-executed process: so it can
 * say what it fixed, and so a second re-execution never happens even if the core is still wrong. */
#define REEXEC_MARKER "MHA_BENCH_CORETYPE_FIXED"

static void copy_string(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void probe_cpu(bench_env *env)
{
    copy_string(env->cpu_model, sizeof env->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || colon == NULL)
            continue;
        copy_string(env->cpu_model, sizeof env->cpu_model, colon + 2);
        env->cpu_model[strcspn(env->cpu_model, "\n")] = '\0';
        break;
    }
    if (f)
        fclose(f);
#if defined(__x86_64__) || defined(__i386__)
    /* The builtin asks CPUID and, for AVX, whether the OS saves the registers: what can run. */
    __builtin_cpu_init();
    env->avx2 = __builtin_cpu_supports("avx2");
    env->avx512f = __builtin_cpu_supports("avx512f");
#endif
}

static void probe_blas(bench_env *env)
{
    env->blas = MHA_BENCH_BLAS_NAME;
    mha_runtime_info(&env->runtime);
    env->blas_version = env->runtime.blas_version[0] ? env->runtime.blas_version : "unknown";
    env->blas_threads = -1;
#ifdef MHA_BENCH_OPENBLAS
    copy_string(env->blas_config, sizeof env->blas_config, openblas_get_config());
    env->blas_threads = openblas_get_num_threads();
#endif
    env->fix_core = env->avx512f ? "SkylakeX" : env->avx2 ? "Haswell" : NULL;
    /* The library's own judgement (mha_runtime_info): a pre-AVX2 core on an AVX2/AVX-512 CPU, or
     * an AVX2 core on an AVX-512 CPU (an OpenBLAS too old to know the CPU, e.g. 0.3.21 picking
     * Prescott on a family 6 model 207 Xeon). */
    env->slow_core = env->fix_core && env->runtime.blas_below_cpu;
}

void bench_env_probe(bench_env *env)
{
    memset(env, 0, sizeof *env);
    probe_cpu(env);
    probe_blas(env);
    env->omp_threads = -1;
#ifdef MHA_BENCH_OPENMP
    env->omp_threads = omp_get_max_threads();
#endif
    copy_string(env->coretype, sizeof env->coretype, getenv("OPENBLAS_CORETYPE"));
    const char *from = getenv(REEXEC_MARKER);
    env->coretype_fixed = from != NULL;
    copy_string(env->fixed_from, sizeof env->fixed_from, from);
}

void bench_fix_coretype(char **argv)
{
    bench_env env;
    bench_env_probe(&env);
    /* A user's own OPENBLAS_CORETYPE is a choice to respect, even a bad one. */
    if (!env.slow_core || env.coretype[0] || env.coretype_fixed)
        return;
    char self[4096];
    /* /proc/self/exe rather than argv[0]: right whatever the PATH and the working directory. */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    if (setenv("OPENBLAS_CORETYPE", env.fix_core, 1) != 0 ||
        setenv(REEXEC_MARKER, env.runtime.blas_core, 1) != 0)
        return;
    fflush(stdout);
    fflush(stderr);
    execv(self, argv);
    /* execv failed: carry on in this process, slow and warned about. */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(REEXEC_MARKER);
}

void bench_set_threads(int n)
{
    if (n <= 0)
        return;
#ifdef MHA_BENCH_OPENBLAS
    openblas_set_num_threads(n);
#endif
#ifdef MHA_BENCH_OPENMP
    omp_set_num_threads(n);
#endif
}

bool bench_parallel_tiles(int workers)
{
#if defined(MHA_BENCH_OPENBLAS) && defined(MHA_BENCH_OPENMP)
    /* The library reads the BLAS's count per call and parallelises only over a serial BLAS. */
    openblas_set_num_threads(1);
    omp_set_num_threads(workers > 0 ? workers : 1);
    return true;
#else
    (void)workers;
    return false;
#endif
}
