/* SPDX-License-Identifier: MIT */
/* The caller's descriptor as this build knows it: its first struct_size bytes, and for the fields
 * past them the defaults of mha_attention_desc_init_sized(). Header-only, like span.h, so that
 * validate.c and the MPI component's checks (a client of the public API only) read a descriptor
 * by one rule; everything after them works on the full copy and never on the caller's struct. */
#ifndef MHA_DESC_READ_H
#define MHA_DESC_READ_H

#include "mha.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>

/* *d = the descriptor at caller, read within its struct_size, with d->struct_size = sizeof *d.
 * MHA_ERR_NULL_POINTER for no descriptor; MHA_ERR_INVALID_ARGUMENT for a struct_size that no
 * release's struct has, or one above ours (mha.h, struct_size). *d is untouched on error, and
 * nothing past the caller's struct_size is read. */
static inline mha_status mha_desc_read(const mha_attention_desc *caller, mha_attention_desc *d)
{
    if (caller == NULL)
        return MHA_ERR_NULL_POINTER;
    const size_t n = caller->struct_size;
    if (n < MHA_ATTENTION_DESC_SIZE_1 || n % alignof(mha_attention_desc) != 0 || n > sizeof *d)
        return MHA_ERR_INVALID_ARGUMENT;
    /* The shape is among the first release's fields, so inside n: the defaults that depend on it
     * (strides) come out as init would make them, and the copy below overwrites them anyway. */
    mha_attention_desc_init_sized(d, sizeof *d, caller->seq_q, caller->seq_kv, caller->n_heads,
                                  caller->n_kv_heads, caller->d_head, caller->d_v);
    memcpy(d, caller, n);
    d->struct_size = sizeof *d;
    return MHA_OK;
}

#endif
