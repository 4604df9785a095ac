/* SPDX-License-Identifier: MIT */
/* Conversions between float and the half-precision storage types (bf16, f16): the scalar helpers
 * for short tails, the row kernels the driver runs, and every kernel variant by name for the
 * tests. No validation here: the caller has checked the buffers (validate.c). */
#ifndef MHA_CONVERT_H
#define MHA_CONVERT_H

#include "cpu.h"
#include "dtype.h"
#include "mha.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Rounding, on every path: to nearest, ties to even, whatever the FPU's rounding mode or its
 * flush/denormals-are-zero bits (the scalar code works on the bits, the vector code gives the
 * rounding in the instruction). Subnormals are exact both ways, ±0 and ±Inf are kept, f16
 * overflows to ±Inf. A NaN stays NaN with its sign and the top bits of its payload, quiet bit set
 * (as x86's F16C converts): so signalling NaNs come out quiet, in both directions. */

static inline uint32_t mha_bits_of_float(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float mha_float_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bf16 is the top half of a float: widening appends 16 zero bits. */
static inline float mha_bf16_to_float(mha_bf16 h)
{
    uint32_t b = h.bits;
    if ((b & 0x7FFFu) > 0x7F80u)
        b |= 0x0040u; /* NaN: quiet */
    return mha_float_of_bits(b << 16);
}

/* Round to nearest even on the top 16 bits in integer arithmetic: adding 0x7FFF plus the kept
 * lsb carries into the kept bits exactly when the dropped half is above the midpoint, or on it
 * with an odd lsb. The carry runs into the exponent as IEEE rounding does (up to ±Inf above the
 * largest bf16), and f32 subnormals round like any other value (VCVTNEPS2BF16 would flush them).
 * NaN first: the add could carry its payload into the sign, or round it to Inf. */
static inline mha_bf16 mha_float_to_bf16(float f)
{
    const uint32_t x = mha_bits_of_float(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return (mha_bf16){(uint16_t)((x >> 16) | 0x0040u)};
    return (mha_bf16){(uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16)};
}

/* f16 → float is exact: rebias the exponent; a subnormal (f·2^−24) is normalised by shifting its
 * leading 1 into the implicit bit. */
static inline float mha_f16_to_float(mha_f16 h)
{
    const uint32_t sign = (uint32_t)(h.bits & 0x8000u) << 16;
    const uint32_t e = (h.bits >> 10) & 0x1Fu, f = h.bits & 0x3FFu;
    if (e == 0x1F) /* Inf, or NaN made quiet */
        return mha_float_of_bits(sign | 0x7F800000u | (f ? 0x00400000u | (f << 13) : 0));
    if (e != 0)
        return mha_float_of_bits(sign | ((e + 112) << 23) | (f << 13));
    if (f == 0)
        return mha_float_of_bits(sign);
    const int lead = 31 - __builtin_clz(f); /* f = 2^lead·(1.xxx), value 2^(lead − 24)·(1.xxx) */
    return mha_float_of_bits(sign | ((uint32_t)(lead + 103) << 23) |
                             ((f << (23 - lead)) & 0x7FFFFFu));
}

/* float → f16, nearest even, in integer arithmetic. */
static inline mha_f16 mha_float_to_f16(float x)
{
    const uint32_t u = mha_bits_of_float(x);
    const uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) /* NaN: quiet, top 9 payload bits kept */
        return (mha_f16){(uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu))};
    if (a >= 0x477FF000u) /* 65520 = 65504 + half an ulp and above (Inf too): ties to even = Inf */
        return (mha_f16){(uint16_t)(sign | 0x7C00u)};
    if (a >= 0x38800000u) { /* normal f16 (2^−14 and up): rebias 127 → 15, round 13 bits off */
        const uint32_t r = a - 0x38000000u;
        return (mha_f16){(uint16_t)(sign | ((r + 0xFFFu + ((r >> 13) & 1u)) >> 13))};
    }
    /* Subnormal f16: the value in units of 2^−24 is m·2^−shift. Below 2^−25 (shift > 24, f32
     * subnormals included) it is under half a unit: ±0. Rounding up from 0x3FF gives 0x400, the
     * smallest normal, which is the right encoding. */
    const uint32_t e = a >> 23;
    if (e < 102)
        return (mha_f16){(uint16_t)sign};
    const uint32_t m = (a & 0x7FFFFFu) | 0x800000u, shift = 126 - e; /* 14..24 */
    const uint32_t half = 1u << (shift - 1), rest = m & ((half << 1) - 1);
    uint32_t q = m >> shift;
    if (rest > half || (rest == half && (q & 1u)))
        q++;
    return (mha_f16){(uint16_t)(sign | q)};
}

/* dst[i] = src[i] converted, i < n, on the widest variant this CPU runs; src and dst must not
 * overlap. The variants give the same bits, so the result does not depend on the machine. */
void mha_widen_bf16(const mha_bf16 *src, float *dst, size_t n);
void mha_narrow_bf16(const float *src, mha_bf16 *dst, size_t n);
void mha_widen_f16(const mha_f16 *src, float *dst, size_t n);
void mha_narrow_f16(const float *src, mha_f16 *dst, size_t n);

/* The row kernels of one format: its elements (src, dst) in the format's storage, one signature
 * for every format, so the table holds them as they are. */
typedef void mha_widen_fn(const void *src, float *dst, size_t n);
typedef void mha_narrow_fn(const float *src, void *dst, size_t n);

/* Named mha_<widen|narrow>_<isa>_<format>. Portable C, over the helpers above: the reference the
 * vector variants are held to. AVX2: the bf16 integer rounding on 8 lanes, F16C for f16. AVX-512:
 * F for the arithmetic, BW and VL for the masked 16-bit loads and stores of the tails; 16
 * lanes. */
#define MHA_CONVERT_DECLARE(isa)                                                                   \
    mha_widen_fn mha_widen_##isa##_bf16, mha_widen_##isa##_f16;                                    \
    mha_narrow_fn mha_narrow_##isa##_bf16, mha_narrow_##isa##_f16;
MHA_CONVERT_DECLARE(scalar)
#if defined(MHA_X86_KERNELS)
MHA_CONVERT_DECLARE(avx2)
MHA_CONVERT_DECLARE(avx512)
#endif

/* One instruction set's conversions (cpu.h), by the format converted to or from float (NULL for
 * f32 and f64, which are not). The library and tests/test_convert.c walk this table. */
typedef struct mha_convert_isa {
    const char *name;
    bool (*runs)(void);
    mha_widen_fn *widen[MHA_FORMAT_COUNT];
    mha_narrow_fn *narrow[MHA_FORMAT_COUNT];
} mha_convert_isa;

/* Every variant compiled in, widest first; the last is the portable one, which runs anywhere. */
extern const mha_convert_isa mha_convert_isas[];
extern const size_t mha_convert_isa_count;

/* The widest variant this CPU runs. The driver may call it once per tile and keep a kernel for
 * its rows (the four functions above ask at every call). */
const mha_convert_isa *mha_convert_isa_best(void);

#endif
