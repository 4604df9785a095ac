/* SPDX-License-Identifier: MIT */
/* What the CPU runs, for the kernels chosen at run time. MHA_X86_KERNELS is defined by the build
 * when the compiler takes per-function target attributes and __builtin_cpu_supports (GCC, clang on
 * x86-64); without it, no vector kernel exists and nothing here is declared. */
#ifndef MHA_CPU_H
#define MHA_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* Defines `const Row *fn(void)`: the first row of `table` whose member `runs` says this CPU runs
 * it; every kernel table ends with a portable row that always does. No state is kept: a few loads
 * and bit tests per call. */
#define MHA_DEFINE_PICK(fn, Row, table, runs)                                                      \
    const Row *fn(void)                                                                            \
    {                                                                                              \
        size_t i = 0;                                                                              \
        while (!(table)[i].runs())                                                                 \
            i++;                                                                                   \
        return &(table)[i];                                                                        \
    }

#if defined(MHA_X86_KERNELS)

/* __builtin_cpu_supports reads flags that libgcc's start-up constructor filled from CPUID and
 * XGETBV (so "avx512f" also means the OS saves the zmm registers): a load and a bit test. */
static inline bool mha_cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline bool mha_cpu_has_avx512f(void)
{
    return __builtin_cpu_supports("avx512f");
}

#if defined(MHA_X86_BF16_KERNELS)
/* AVX512-BF16 with the AVX-512 subsets its kernels also use (every CPU that has it has them). */
static inline bool mha_cpu_has_avx512bf16(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}
#endif

#endif

#endif
