/* SPDX-License-Identifier: MIT */
/* What the CPU runs, and the shape every kernel table shares (softmax_kernels.h, decode_kernels.h,
 * convert.h): one row per instruction set, fastest first, each with its name ("avx512bf16",
 * "avx512f", "avx2", "scalar"), `runs` (does this CPU run it) and its kernels by element format
 * (mha_format). MHA_X86_KERNELS is defined by the build when the compiler takes per-function
 * target attributes and __builtin_cpu_supports (GCC, clang on x86-64); without it, no vector
 * kernel exists and no CPU test is declared. */
#ifndef MHA_CPU_H
#define MHA_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* A table's entry: a kernel of any type, kept as this one pointer type, since the columns (the
 * formats) of one operation take different types (float or double arithmetic, each format's
 * storage). MHA_KERNEL(T, f) makes the entry and does not compile unless f has type T; who reads
 * an entry casts it back to the T of its column, in a template from the same traits as the
 * column (SFX(...) and FORMAT of type_<T>.h), so the two cannot disagree. */
typedef void mha_kernel_fn(void);
#define MHA_KERNEL(T, f) ((mha_kernel_fn *)_Generic((f), T * : (f)))

/* Defines `const Row *fn(void)`: the first row of `table` that this CPU runs; every kernel table
 * ends with a portable row that always does. No state is kept: a few loads and bit tests per
 * call. */
#define MHA_DEFINE_PICK(fn, Row, table)                                                            \
    const Row *fn(void)                                                                            \
    {                                                                                              \
        size_t i = 0;                                                                              \
        while (!(table)[i].runs())                                                                 \
            i++;                                                                                   \
        return &(table)[i];                                                                        \
    }

/* The portable rows' `runs`. */
static inline bool mha_cpu_runs_anywhere(void)
{
    return true;
}

#if defined(MHA_X86_KERNELS)

/* __builtin_cpu_supports reads flags that libgcc's start-up constructor filled from CPUID and
 * XGETBV (so "avx512f" also means the OS saves the zmm registers): a load and a bit test. */
static inline bool mha_cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Some compilers (clang 14) cannot name F16C here (MHA_CPU_NAMES_F16C: the build found that this
 * one can); FMA stands in for it then, as every CPU with AVX2 and FMA (x86-64-v3) has F16C. */
static inline bool mha_cpu_has_avx2_f16c(void)
{
#if defined(MHA_CPU_NAMES_F16C)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
#else
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}

static inline bool mha_cpu_has_avx512f(void)
{
    return __builtin_cpu_supports("avx512f");
}

static inline bool mha_cpu_has_avx512_bw_vl(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
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
