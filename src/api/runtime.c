/* SPDX-License-Identifier: MIT */
/* mha_runtime_info: what the library runs on — the BLAS as it describes itself, the library's
 * workers, the softmax kernel, and whether the BLAS's kernels fall short of the CPU. */
#include "runtime.h"
#include "gemm.h"
#include "mha.h"
#include "plan.h"
#include "softmax.h"
#include "softmax_kernels.h"

#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum isa_class { ISA_UNKNOWN, ISA_OLDER, ISA_AVX2, ISA_AVX512 };
static const char *const isa_names[] = {"", "pre-AVX2", "AVX2", "AVX-512"};

/* The vector class of an OpenBLAS 0.3.21 x86-64 kernel set. Any other known name is older than
 * AVX2 (Prescott, Core2, Nehalem, Sandybridge, Bulldozer, ...). */
static enum isa_class core_class(const char *core)
{
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    static const char *const avx2[] = {"Haswell", "Zen", "Excavator"};
    if (core[0] == '\0')
        return ISA_UNKNOWN;
    for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
        if (strcmp(core, avx512[i]) == 0)
            return ISA_AVX512;
    for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; i++)
        if (strcmp(core, avx2[i]) == 0)
            return ISA_AVX2;
    return ISA_OLDER;
}

/* The CPU's class, by the names of mha_runtime.cpu_isa. */
static enum isa_class cpu_class(const char *cpu_isa)
{
    return strcmp(cpu_isa, "avx512f") == 0 ? ISA_AVX512
           : strcmp(cpu_isa, "avx2") == 0  ? ISA_AVX2
           : strcmp(cpu_isa, "sse2") == 0  ? ISA_OLDER
                                           : ISA_UNKNOWN;
}

/* The workers a large call may take (0: no OpenMP in this build). */
static int openmp_cores(void)
{
#ifdef _OPENMP
    return (int)mha_plan_cores();
#else
    return 0;
#endif
}

static const char *cpu_isa(void)
{
#if defined(MHA_X86_KERNELS)
    return mha_cpu_has_avx512f() ? "avx512f" : mha_cpu_has_avx2_fma() ? "avx2" : "sse2";
#else
    return "";
#endif
}

bool mha_kernels_below_cpu(const char *blas_core, const char *cpu_isa, char *reason, size_t size)
{
    enum isa_class blas = core_class(blas_core), cpu = cpu_class(cpu_isa);
    if (blas == ISA_UNKNOWN || cpu == ISA_UNKNOWN || blas >= cpu || cpu < ISA_AVX2)
        return false;
    snprintf(reason, size,
             "OpenBLAS runs its %s kernels (%s) on an %s CPU, so every GEMM is slower than it "
             "could be: set OPENBLAS_CORETYPE=%s before the program starts",
             blas_core, isa_names[blas], isa_names[cpu],
             cpu == ISA_AVX512 ? "SkylakeX" : "Haswell");
    return true;
}

void mha_describe_setup(const char *blas_threading, int blas_threads, bool float_on_onednn,
                        int workers, int cores, char *setup, size_t size)
{
    if (cores == 0)
        snprintf(setup, size,
                 "libmha built without OpenMP: tiles run one after another, each GEMM on the "
                 "BLAS's %d thread(s)",
                 blas_threads);
    else if (strcmp(blas_threading, "openmp") == 0 || blas_threads == 1)
        snprintf(setup, size, "%s: tiles run on %d worker(s), one GEMM per core; nothing to set",
                 blas_threads == 1 ? "single-threaded BLAS" : "OpenMP OpenBLAS, serial in workers",
                 workers);
    else if (float_on_onednn)
        snprintf(setup, size,
                 "%s BLAS at %d threads per GEMM (e.g. numpy's, loaded first): float multiplies "
                 "on oneDNN's sgemm on %d workers; double runs tile by tile on the BLAS's threads "
                 "(OPENBLAS_NUM_THREADS=1 gives it %d workers too)",
                 blas_threading, blas_threads, workers, cores);
    else
        snprintf(setup, size,
                 "%s BLAS at %d threads per GEMM (e.g. numpy's, loaded first): float and double "
                 "run tile by tile on its threads, slower than %d workers; set "
                 "OPENBLAS_NUM_THREADS=1 before the process starts, or build libmha with oneDNN",
                 blas_threading, blas_threads, cores);
}

mha_status mha_runtime_info(mha_runtime *info)
{
    if (info == NULL)
        return MHA_ERR_NULL_POINTER;
    mha_runtime r;
    memset(&r, 0, sizeof r);
    mha_blas_describe(&r);
    const bool onednn = mha_plan_gemm(MHA_DTYPE_F32) == MHA_GEMM_ONEDNN;
    r.workers = (int)mha_plan_workers(MHA_DTYPE_F32, 0, SIZE_MAX, DBL_MAX);
    snprintf(r.gemm_backend, sizeof r.gemm_backend, "%s",
             onednn                                     ? "onednn"
             : r.workers > 1 || mha_blas_threads() == 1 ? "cblas"
                                                        : "cblas threaded");
    mha_describe_setup(r.blas_threading, r.blas_threads, onednn, r.workers, openmp_cores(), r.setup,
                       sizeof r.setup);
    snprintf(r.softmax_isa, sizeof r.softmax_isa, "%s", mha_softmax_isa_best()->name);
    snprintf(r.cpu_isa, sizeof r.cpu_isa, "%s", cpu_isa());
    r.blas_below_cpu = mha_kernels_below_cpu(r.blas_core, r.cpu_isa, r.reason, sizeof r.reason);
    snprintf(r.bf16_gemm, sizeof r.bf16_gemm, "%s", mha_gemm_bf16_backend());
    *info = r;
    return MHA_OK;
}
