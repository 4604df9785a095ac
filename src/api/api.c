/* SPDX-License-Identifier: MIT */
/* The exported functions of every type from one template (api_impl.h), with the merge of the
 * REAL types (api_merge_impl.h) and the conversions of the half types (api_convert_impl.h). */
#include "alloc.h"
#include "convert.h"
#include "driver.h"
#include "gemm.h"
#include "mha.h"
#include "validate.h"

#include <math.h>
#include <string.h>

/* The defaults of every field, the one place they are written: the descriptors a caller fills
 * through mha_attention_desc_init() and the fields past a caller's struct_size (desc_read.h) both
 * come from here. A field added to mha.h gets its default in this initialiser. */
void mha_attention_desc_init_sized(mha_attention_desc *desc, size_t struct_size, size_t seq_q,
                                   size_t seq_kv, size_t n_heads, size_t n_kv_heads, size_t d_head,
                                   size_t d_v)
{
    if (desc == NULL || struct_size < MHA_ATTENTION_DESC_SIZE_1)
        return;
    /* Products may wrap here; mha_attention() rejects such a descriptor before using it. */
    const mha_attention_desc full = {
        .struct_size = struct_size,
        .batch = 1,
        .seq_q = seq_q,
        .seq_kv = seq_kv,
        .n_heads = n_heads,
        .n_kv_heads = n_kv_heads,
        .d_head = d_head,
        .d_v = d_v,
        .ld_q = n_heads * d_head,
        .ld_k = n_kv_heads * d_head,
        .ld_v = n_kv_heads * d_v,
        .ld_out = n_heads * d_v,
        .ld_mask = seq_kv,
        .batch_stride_q = seq_q * n_heads * d_head,
        .batch_stride_k = seq_kv * n_kv_heads * d_head,
        .batch_stride_v = seq_kv * n_kv_heads * d_v,
        .batch_stride_out = seq_q * n_heads * d_v,
        .batch_stride_mask = 0,
        .scale = d_head ? 1.0 / sqrt((double)d_head) : 1.0,
        .flags = 0,
        .n_threads = 0,
        .kv_lens = NULL,
    };
    /* The caller's struct is struct_size bytes: an older mha.h's is shorter than ours, and gets
     * only the fields it has; a newer one's is longer, and its fields we do not know are zeroed
     * (mha_attention() then refuses it: mha.h, struct_size). */
    if (struct_size <= sizeof full) {
        memcpy(desc, &full, struct_size);
    } else {
        memcpy(desc, &full, sizeof full);
        memset((unsigned char *)desc + sizeof full, 0, struct_size - sizeof full);
    }
}

/* One instantiation per type: its traits, the template, then the traits forgotten. */
/* clang-format off */
#include "type_f32.h"
#include "api_impl.h"
#include "api_merge_impl.h"
#include "type_end.h"

#include "type_f64.h"
#include "api_impl.h"
#include "api_merge_impl.h"
#include "type_end.h"

#include "type_bf16.h"
#include "api_impl.h"
#include "api_convert_impl.h"
#include "type_end.h"

#include "type_f16.h"
#include "api_impl.h"
#include "api_convert_impl.h"
#include "type_end.h"
/* clang-format on */
