/* SPDX-License-Identifier: MIT */
/* The rules of a ring call, local and collective: the only place in libmha_mpi where a failure
 * status is created. Every rule is agreed by all ranks before any data is sent. */
#ifndef MHA_RING_CHECK_H
#define MHA_RING_CHECK_H

#include "mha.h"
#include "ring_plan.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* The precision's mha_attention_workspace_size(). */
typedef mha_status (*mha_ring_ws_query)(const mha_attention_desc *d, size_t *bytes);

/* The buffers of one ring call, as the caller passed them. */
typedef struct mha_ring_args {
    const mha_attention_desc *desc; /* the caller's, then the copy mha_ring_check_local() read */
    mha_ring_layout layout;
    const void *Q, *K, *V, *out, *lse;
    size_t elem;      /* the matrices' element: sizeof(STORE) (float, double, a half type) */
    size_t real_elem; /* the lse's and the computation's: sizeof(REAL); > elem for the half
                         types, whose queries and shards are widened into buffers of their own */
    mha_ring_ws_query ws_query;
} mha_ring_args;

/* Local, no communication: MPI usable, comm an intracommunicator; *rank and *size set. The only
 * failure that is not collective (there is nothing to agree over). */
mha_status mha_ring_open(MPI_Comm comm, int *rank, int *size);

/* This rank's arguments: a->desc read into *d as mha_attention() reads it (within its
 * struct_size, the fields past it at their defaults: desc_read.h), then the rules of
 * mha_attention() on that copy and the buffers, plus seq_q == seq_kv and a known layout. *d is
 * set when this returns MHA_OK. No communication. */
mha_status mha_ring_check_local(const mha_ring_args *a, mha_attention_desc *d);

/* Collective: the status of the lowest rank whose `local` is not MHA_OK; if all are OK and the
 * shapes (batch, heads, widths, scale, flags) or the layout differ between ranks,
 * MHA_ERR_INVALID_ARGUMENT. desc is read only when local is MHA_OK. */
mha_status mha_ring_agree_args(MPI_Comm comm, int rank, int size, mha_status local,
                               const mha_attention_desc *desc, mha_ring_layout layout);

/* Collective: every rank's shard length into lengths[size]. */
mha_status mha_ring_gather_lengths(MPI_Comm comm, size_t n, uint64_t *lengths);

/* Local: the plan of a validated call whose shard lengths are known; MHA_ERR_TOO_LARGE when a
 * buffer, a message or a block does not fit, MHA_ERR_INVALID_ARGUMENT when the lengths are not
 * the zigzag split (the same verdict on every rank: they all see the same lengths). */
mha_status mha_ring_plan_call(const mha_ring_args *a, const uint64_t *lengths, int rank, int size,
                              mha_ring_plan *p);

/* Collective: the status of the lowest rank whose `local` is not MHA_OK, or MHA_OK. */
mha_status mha_ring_agree(MPI_Comm comm, int rank, int size, mha_status local);

#endif
