/* SPDX-License-Identifier: MIT */
/* The exported functions of libmha_mpi: the ring schedule and its entry points in float and
 * double, from one template (ring_impl.h), and the status strings. */
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

const char *mha_mpi_status_string(mha_status s)
{
    if (s == MHA_ERR_MPI)
        return "an MPI call failed (communicator error handler MPI_ERRORS_RETURN), or MPI is not "
               "initialised";
    return mha_status_string(s);
}

#define REAL float
#define PUB(name) name
#define SFX(name) name##_f32
#define RING_MPI_TYPE MPI_FLOAT
#include "ring_impl.h"
#undef REAL
#undef PUB
#undef SFX
#undef RING_MPI_TYPE

#define REAL double
#define PUB(name) name##_f64
#define SFX(name) name##_f64
#define RING_MPI_TYPE MPI_DOUBLE
#include "ring_impl.h"
