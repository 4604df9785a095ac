/* SPDX-License-Identifier: MIT */
/* What every schedule of the driver shares that does not depend on the element type: which keys a
 * row sees, how a worker starts and claims work, how empty buffers are offset. The typed half
 * (the online softmax's row state) is core_impl.h. */
#ifndef MHA_DRIVER_CORE_H
#define MHA_DRIVER_CORE_H

#include "mha.h"
#include "plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* An empty buffer may be NULL and its strides mean nothing (mha.h), and in C even NULL + 0, an
 * offset that wraps, or memset(NULL, 0, 0) is undefined: offset only non-empty ones. */
#define AT(p, nonempty, offset) ((nonempty) ? (p) + (offset) : (p))

/* Keys of batch item b: its kv_lens entry (a ragged batch), else seq_kv. */
static inline size_t item_keys(const mha_attention_desc *d, size_t b)
{
    return d->kv_lens ? d->kv_lens[b] : d->seq_kv;
}

/* Keys query i of an item with n_kv keys may see: all, or with the bottom-right causal mask,
 * j ≤ i + n_kv − seq_q (the alignment follows the item's own length). */
static inline size_t visible_keys(const mha_attention_desc *d, size_t n_kv, size_t i)
{
    if (!(d->flags & MHA_CAUSAL))
        return n_kv;
    if (i + 1 + n_kv <= d->seq_q) /* n_kv ≤ seq_kv: validated not to overflow */
        return 0;
    size_t n = i + 1 + n_kv - d->seq_q;
    return n < n_kv ? n : n_kv;
}

/* Which workspace this thread owns; every worker calls it first. With `serial` (a call of several
 * items), the GEMMs this worker makes run on it alone: the OpenMP OpenBLAS and oneDNN give a GEMM
 * omp_get_max_threads() threads outside an active region, and a region of one worker is not
 * active, while a GEMM threaded may round differently. Setting this worker's nthreads-var to 1 (an
 * ICV of its own implicit task, gone with the region: nothing of the caller's changes) keeps a
 * region of one worker as serial as one of several, so the bits do not depend on their number. A
 * call of one item keeps the BLAS's threads. */
static inline size_t begin_worker(bool serial)
{
#ifdef _OPENMP
    if (serial)
        omp_set_num_threads(1);
    return (size_t)omp_get_thread_num();
#else
    (void)serial;
    return 0;
#endif
}

/* The next item nobody has taken: dynamic scheduling by hand, over whatever order the schedule
 * numbers its items in (the result never depends on who takes which). */
static inline size_t claim_item(size_t *next)
{
    size_t index;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
    index = (*next)++;
    return index;
}

/* The caller's workspace, any alignment, from its first MHA_ALIGN boundary (plan.h's sizes count
 * the slack). */
static inline unsigned char *aligned_workspace(void *workspace)
{
    return (unsigned char *)(((uintptr_t)workspace + MHA_ALIGN - 1) & ~(uintptr_t)(MHA_ALIGN - 1));
}

#endif
