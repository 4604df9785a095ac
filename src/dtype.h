/* SPDX-License-Identifier: MIT */
/* The element types libmha runs on, as one tag that validation and planning take: what the
 * caller's matrices are stored in, and what the arithmetic runs in. */
#ifndef MHA_DTYPE_H
#define MHA_DTYPE_H

#include <stddef.h>

typedef enum mha_dtype {
    MHA_DTYPE_F32,
    MHA_DTYPE_F64,
    MHA_DTYPE_BF16, /* stored in bfloat16, computed in float */
    MHA_DTYPE_F16,  /* stored in IEEE binary16, computed in float */
} mha_dtype;

/* Bytes of one stored element (Q, K, V, X, W, out). */
size_t mha_dtype_store_size(mha_dtype t);

/* Bytes of one element of the arithmetic: scores, mask, lse, row sums. */
size_t mha_dtype_real_size(mha_dtype t);

/* The largest finite value of the arithmetic's type: a scale beyond it cannot be applied. */
double mha_dtype_real_max(mha_dtype t);

/* Pastes after expanding its arguments, so that SFX(KERNEL(name)) works. */
#define MHA_CAT(a, b) MHA_CAT_(a, b)
#define MHA_CAT_(a, b) a##b

#endif
