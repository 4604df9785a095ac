/* SPDX-License-Identifier: MIT */
/* Argument rules, checked size arithmetic and the overlap test: the only place a failure status is
 * created. Everything downstream (plan, driver, kernels) trusts what passed here. */
#ifndef MHA_VALIDATE_H
#define MHA_VALIDATE_H

#include "dtype.h"
#include "mha.h"
#include "plan.h"
#include "span.h"

#include <stdbool.h>
#include <stddef.h>

mha_status mha_validate_qkv(mha_dtype t, const void *X, const void *const W[3], size_t seq_len,
                            size_t d_model, void *const out[3]);
mha_status mha_validate_qkv_fused(mha_dtype t, const void *X, const void *W_qkv, size_t seq_len,
                                  size_t d_model, const void *QKV);

/* The buffers of one attention call. has_workspace: the caller supplied workspace/ws_bytes
 * (mha_attention_ws); otherwise the library allocates it after validation. */
typedef struct mha_attention_buffers {
    const void *Q, *K, *V, *mask, *out, *lse, *workspace;
    size_t ws_bytes;
    bool has_workspace;
} mha_attention_buffers;

/* The caller's descriptor read within its struct_size (desc_read.h), then its rules alone
 * (shapes, strides, sizes); on MHA_OK, *plan is how to run it. */
mha_status mha_validate_desc(const mha_attention_desc *caller, mha_dtype t, mha_plan *plan);

/* All rules of mha_attention(): the caller's descriptor read into *d, its rules, then the
 * buffers'. On MHA_OK, *d is the descriptor the call runs on (every field, those past the
 * caller's struct_size at their defaults) and *plan how to run it. */
mha_status mha_validate_attention(const mha_attention_desc *caller, mha_dtype t,
                                  const mha_attention_buffers *b, mha_attention_desc *d,
                                  mha_plan *plan);
mha_status mha_validate_merge(mha_dtype t, size_t rows, size_t n_heads, size_t d_v, size_t ld,
                              const void *out_a, const void *lse_a, const void *out_b,
                              const void *lse_b, const void *out, const void *lse);

/* One conversion of n elements, src_elem bytes each in src to dst_elem bytes each in dst
 * (mha_convert_*): MHA_ERR_TOO_LARGE when either byte count overflows, MHA_ERR_NULL_POINTER for a
 * NULL buffer when n > 0, MHA_ERR_OVERLAP when the byte ranges share a byte; MHA_OK for n == 0. */
mha_status mha_validate_convert(const void *src, size_t src_elem, const void *dst, size_t dst_elem,
                                size_t n);

#endif
