/* SPDX-License-Identifier: MIT */
/* The element types libmha runs on: the tag that validation and planning take (mha_dtype: what
 * the caller's matrices are stored in, and what the arithmetic runs in), and the element formats
 * that index the kernel tables (mha_format: how one buffer's elements are stored). */
#ifndef MHA_DTYPE_H
#define MHA_DTYPE_H

#include <stddef.h>

typedef enum mha_dtype {
    MHA_DTYPE_F32,
    MHA_DTYPE_F64,
    MHA_DTYPE_BF16, /* stored in bfloat16, computed in float */
    MHA_DTYPE_F16,  /* stored in IEEE binary16, computed in float */
} mha_dtype;

/* How the elements of one buffer are stored: the column of every kernel table (softmax_kernels.h,
 * decode_kernels.h, convert.h), so that a new storage format is one more column. Not mha_dtype: a
 * dtype is a whole call's pair of storage and arithmetic, a format one buffer's storage; a block
 * format for KV caches (q8_0: 32 int8 and a scale) would be a format that no call is typed in. */
typedef enum mha_format {
    MHA_FORMAT_F32,
    MHA_FORMAT_F64,
    MHA_FORMAT_BF16,
    MHA_FORMAT_F16,
    MHA_FORMAT_COUNT
} mha_format;

/* Bytes of one stored element (Q, K, V, X, W, out). */
size_t mha_dtype_store_size(mha_dtype t);

/* Bytes of one element of the arithmetic: scores, mask, lse, row sums. */
size_t mha_dtype_real_size(mha_dtype t);

/* The largest finite value of the arithmetic's type: a scale beyond it cannot be applied. */
double mha_dtype_real_max(mha_dtype t);

/* Pastes after expanding its arguments, so that SFX(KERNEL(name)) works. */
#define MHA_CAT(a, b) MHA_CAT_(a, b)
#define MHA_CAT_(a, b) a##b
/* A string of its argument after expansion: MHA_STR(TYPE_NAME) is "bf16". */
#define MHA_STR(a) MHA_STR_(a)
#define MHA_STR_(a) #a

#endif
