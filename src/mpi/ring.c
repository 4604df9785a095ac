/* SPDX-License-Identifier: MIT */
/* The exported functions of libmha_mpi: the ring schedule and its entry points in float, double,
 * bf16 and f16, from one template (ring_impl.h), and the status strings. */
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

/* The half types travel as MPI_UINT16_T. */
_Static_assert(sizeof(mha_bf16) == sizeof(uint16_t) && sizeof(mha_f16) == sizeof(uint16_t),
               "a half is one uint16_t");

const char *mha_mpi_status_string(mha_status s)
{
    if (s == MHA_ERR_MPI)
        return "an MPI call failed (communicator error handler MPI_ERRORS_RETURN), or MPI is not "
               "initialised";
    return mha_status_string(s);
}

/* ring_impl.h undefines its parameters at its end. */
#define STORE float
#define REAL float
#define PUB(name) name
#define SFX(name) name##_f32
#define RPUB(name) name
#define RING_MPI_TYPE MPI_FLOAT
#include "ring_impl.h"

#define STORE double
#define REAL double
#define PUB(name) name##_f64
#define SFX(name) name##_f64
#define RPUB(name) name##_f64
#define RING_MPI_TYPE MPI_DOUBLE
#include "ring_impl.h"

/* The half types: stored and sent in 16 bits, computed in float. */
#define STORE mha_bf16
#define REAL float
#define PUB(name) name##_bf16
#define SFX(name) name##_bf16
#define RPUB(name) name
#define RING_MPI_TYPE MPI_UINT16_T
#define WIDEN mha_convert_bf16_to_f32
#define NARROW mha_convert_f32_to_bf16
#include "ring_impl.h"

#define STORE mha_f16
#define REAL float
#define PUB(name) name##_f16
#define SFX(name) name##_f16
#define RPUB(name) name
#define RING_MPI_TYPE MPI_UINT16_T
#define WIDEN mha_convert_f16_to_f32
#define NARROW mha_convert_f32_to_f16
#include "ring_impl.h"
