/* SPDX-License-Identifier: MIT */
/* The exported functions of libmha_mpi: the ring schedule and its entry points in float, double,
 * bf16 and f16, from one template over the type traits (ring_impl.h), and the status strings. */
#include "alloc.h"
#include "mha_mpi.h"
#include "ring_check.h"
#include "ring_plan.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The tag of shard messages; they travel on a private duplicate communicator, so any value
 * will do. */
#define MHA_RING_TAG 0x6d68

/* A failed step: cancel the receive still in flight, let MPI release both requests whenever
 * they finish. Returns whether either was still active — then MPI may still use its buffer. */
static bool mha_ring_abandon(MPI_Request *req, int n)
{
    bool active = false;
    for (int i = 0; i < n; i++) {
        if (req[i] == MPI_REQUEST_NULL)
            continue;
        active = true;
        if (i == 0) /* req[0] is the receive */
            MPI_Cancel(&req[i]);
        MPI_Request_free(&req[i]);
    }
    return active;
}

/* n elements of elem bytes through the core's allocator, so that the tests' copy can make any
 * allocation fail; one element at least, so that NULL always means failure (the sizes were checked
 * by the plan). */
static void *mha_ring_alloc(size_t n, size_t elem)
{
    return mha_alloc((n ? n : 1) * elem);
}

/* The half types travel as MPI_UINT16_T (ring_impl.h's RING_MPI_TYPE). */
_Static_assert(sizeof(mha_bf16) == sizeof(uint16_t) && sizeof(mha_f16) == sizeof(uint16_t),
               "a half is one uint16_t");

const char *mha_mpi_status_string(mha_status s)
{
    if (s == MHA_ERR_MPI)
        return "an MPI call failed (communicator error handler MPI_ERRORS_RETURN), or MPI is not "
               "initialised";
    return mha_status_string(s);
}

/* The entry points of every type, from one template over the type traits. */
#define TYPE_TEMPLATE "ring_impl.h"
#include "each_type_impl.h"
