/* SPDX-License-Identifier: MIT */
/* The vector layer's operations, which the kernel templates (softmax_simd_impl.h,
 * decode_simd_impl.h, convert_simd_impl.h) are written in, over the type traits alone
 * (type_<T>.h: STORE, REAL, SFX), so one template serves every ISA and every type. Each operation
 * is named once here for float and double and picks its instruction from its operand's type
 * (_Generic); one header per instruction set (avx2/vec_avx2.h, avx512/vec_avx512.h) includes this
 * one and supplies the instructions:
 *   VEC_PREFIX (_mm256, _mm512)   the intrinsics' prefix, for the operations that are one
 *                           instruction on every layer (set1, loadu, storeu, add, sub, mul, max,
 *                           fmadd)
 *   vec_float, vec_double, VEC_BYTES   its vectors and their width
 *   VEC_ISA                 the suffix of its kernels' names (_avx2, _avx512)
 *   VEC_HADD16              1 where it has vhadd16 (16 float vectors of 16 lanes summed at once)
 *   the rest below, as name_f32 / name_f64 / name_bf16 / name_f16 by operand type.
 * Its operations that are functions carry the instruction sets they need as target attributes and
 * are always inlined: the kernels that call them carry at least those (TARGET, defined by each
 * kernel file), and the library still loads on any x86-64.
 *
 *   vec, W                  the vector of REAL (the traits in force) and its lane count
 *   vset1(x)                every lane x (x a REAL: the type picks the vector)
 *   vload(p), vstore(p, v)  W elements at p, unaligned; vload also widens W elements of a half
 *                           format (const mha_bf16 *, const mha_f16 *) to float, exactly, for the
 *                           arithmetic: a bf16 NaN keeps its bits there (the arithmetic makes it
 *                           quiet), where vwiden makes it quiet first
 *   vadd vsub vmul vmax(a, b) = a > b ? a : b (so b when either is NaN, as x86 MAXPS)
 *   vfma(a, b, c)           a·b + c, rounded once
 *   vround(x)               to the nearest integer, ties to even
 *   vscale2(p, k)           p·2^k for integral k in [−1076, 0], rounded once (subnormals
 *                           included)
 *   vload_tail(p, n, fill), vstore_tail(p, n, v)   lanes [0, n), n < W: the other lanes read
 *                           `fill`, and memory past lane n is never touched
 *   vhmax(v), vhadd(v)      horizontal max and sum
 *   vtranspose(src, lds, dst, ldd)   dst[i·ldd + j] = src[j·lds + i], a W × W tile
 * and for the conversions (convert.h's rounding, bit for bit the scalar helpers'):
 *   vwiden(p)               W elements of a half format as floats, exactly, NaN made quiet
 *   vnarrow(p, v)           v to W elements of a half format at p, nearest even, NaN quiet
 *   vwiden_tail(src, dst, n), vnarrow_tail(src, dst, n)   the last n < W elements of a row,
 *                           converted from src to dst */
#ifndef MHA_VEC_H
#define MHA_VEC_H

#include "dtype.h"
#include "mha.h"

#include <immintrin.h>
#include <stddef.h>

#define vec MHA_CAT(vec_, REAL)
#define W (VEC_BYTES / (int)sizeof(REAL))

/* The name of a kernel (or helper) of the ISA and type in force: name_avx2_f32. */
#define KSFX(name) SFX(MHA_CAT(name, VEC_ISA))

#define VEC_OP(name) MHA_CAT(VEC_PREFIX, name)
#define vset1(x) _Generic((x), float : VEC_OP(_set1_ps), double : VEC_OP(_set1_pd))(x)
#define vload(p)                                                                                   \
    _Generic((p),                                                                                  \
        float *: VEC_OP(_loadu_ps),                                                                \
        const float *: VEC_OP(_loadu_ps),                                                          \
        double *: VEC_OP(_loadu_pd),                                                               \
        const double *: VEC_OP(_loadu_pd),                                                         \
        const mha_bf16 *: vload_bf16,                                                              \
        const mha_f16 *: vwiden_f16)(p)
#define vstore(p, v)                                                                               \
    _Generic((p), float * : VEC_OP(_storeu_ps), double * : VEC_OP(_storeu_pd))(p, v)
#define vadd(a, b) _Generic((a), vec_float : VEC_OP(_add_ps), vec_double : VEC_OP(_add_pd))(a, b)
#define vsub(a, b) _Generic((a), vec_float : VEC_OP(_sub_ps), vec_double : VEC_OP(_sub_pd))(a, b)
#define vmul(a, b) _Generic((a), vec_float : VEC_OP(_mul_ps), vec_double : VEC_OP(_mul_pd))(a, b)
#define vmax(a, b) _Generic((a), vec_float : VEC_OP(_max_ps), vec_double : VEC_OP(_max_pd))(a, b)
#define vfma(a, b, c)                                                                              \
    _Generic((a), vec_float : VEC_OP(_fmadd_ps), vec_double : VEC_OP(_fmadd_pd))(a, b, c)

/* The layer's own, by type: name_f32, name_f64 (a vector or a pointer to REAL), name_bf16,
 * name_f16 (a pointer to a half format). */
#define VEC_BY_TYPE(name, v) _Generic((v), vec_float : name##_f32, vec_double : name##_f64)
#define VEC_BY_POINTER(name, p, A, a, B, b)                                                        \
    _Generic((p), A * : name##a, const A * : name##a, B * : name##b, const B * : name##b)
#define VEC_BY_REAL(name, p) VEC_BY_POINTER(name, p, float, _f32, double, _f64)
#define VEC_BY_HALF(name, p) VEC_BY_POINTER(name, p, mha_bf16, _bf16, mha_f16, _f16)
#define vround(x) VEC_BY_TYPE(vround, x)(x)
#define vscale2(p, k) VEC_BY_TYPE(vscale2, p)(p, k)
#define vhmax(v) VEC_BY_TYPE(vhmax, v)(v)
#define vhadd(v) VEC_BY_TYPE(vhadd, v)(v)
#define vload_tail(p, n, fill) VEC_BY_REAL(vload_tail, p)(p, n, fill)
#define vstore_tail(p, n, v) VEC_BY_REAL(vstore_tail, p)(p, n, v)
#define vtranspose(src, lds, dst, ldd) VEC_BY_REAL(vtranspose, dst)(src, lds, dst, ldd)
#define vwiden(p) VEC_BY_HALF(vwiden, p)(p)
#define vnarrow(p, v) VEC_BY_HALF(vnarrow, p)(p, v)
#define vwiden_tail(src, dst, n) VEC_BY_HALF(vwiden_tail, src)(src, dst, n)
#define vnarrow_tail(src, dst, n) VEC_BY_HALF(vnarrow_tail, dst)(src, dst, n)

#endif
