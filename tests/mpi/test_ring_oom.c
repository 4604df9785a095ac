/* SPDX-License-Identifier: MIT */
/* Ring attention out of memory, under mpirun (any number of ranks), on the test copy of
 * libmha_mpi (MHA_TESTING): each rank in turn makes each of its allocations in a call fail
 * (mha_alloc_fail_nth), and every rank must return MHA_ERR_OUT_OF_MEMORY with its outputs
 * untouched; then the same call succeeds with the result of an undisturbed one. Both layouts,
 * float, double and bf16 (the half types make two more allocations, their widened copies; f16 is
 * the same code), causal.
 *
 * Plain C rather than cmocka, as tests/mpi/test_ring.c: a failed check must not leave the test
 * function, or this rank would skip collectives the others are waiting in. */
#include "alloc.h"
#include "mha_mpi.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;
static long failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "rank %d: %s:%d: ", rank, __FILE__, __LINE__);                         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define SENTINEL 12345.5

static void *xcalloc(size_t n, size_t elem)
{
    void *p = calloc(n ? n : 1, elem);
    if (p == NULL)
        MPI_Abort(MPI_COMM_WORLD, 2);
    return p;
}

/* One call's buffers, in one precision (elem bytes per element of Q, K, V, out: 2 is bf16;
 * lse_elem of lse, float for bf16). */
typedef struct call {
    mha_attention_desc d;
    mha_ring_layout layout;
    size_t elem, lse_elem, n_in, n_out, n_lse;
    void *Q, *K, *V, *out, *lse;
} call;

static mha_status run(const call *c)
{
    if (c->elem == sizeof(double))
        return mha_ring_attention_ex_f64(&c->d, MPI_COMM_WORLD, c->layout, c->Q, c->K, c->V, c->out,
                                         c->lse);
    if (c->elem == sizeof(mha_bf16))
        return mha_ring_attention_ex_bf16(&c->d, MPI_COMM_WORLD, c->layout, c->Q, c->K, c->V,
                                          c->out, c->lse);
    return mha_ring_attention_ex(&c->d, MPI_COMM_WORLD, c->layout, c->Q, c->K, c->V, c->out,
                                 c->lse);
}

/* v in an element of elem bytes (2: bf16, rounded), into *e. */
static void encode(double v, size_t elem, void *e)
{
    const float f = (float)v;
    if (elem == sizeof(double))
        memcpy(e, &v, elem);
    else if (elem == sizeof(float))
        memcpy(e, &f, elem);
    else
        mha_convert_f32_to_bf16(&f, e, 1);
}

static void set_all(void *buf, size_t n, size_t elem, double v)
{
    for (size_t i = 0; i < n; i++)
        encode(v, elem, (char *)buf + i * elem);
}

static bool all_equal(const void *buf, size_t n, size_t elem, double v)
{
    char e[sizeof(double)];
    encode(v, elem, e);
    for (size_t i = 0; i < n; i++)
        if (memcmp((const char *)buf + i * elem, e, elem) != 0)
            return false;
    return true;
}

/* A causal call with GQA and a batch of 2 on this rank's zigzag share of 4P + 3 rows (a valid
 * split for both layouts). */
static call make_call(mha_ring_layout layout, size_t elem)
{
    size_t first[2], count[2];
    mha_ring_shard_rows(MHA_RING_ZIGZAG, 4 * (size_t)size + 3, size, rank, first, count);
    const size_t n = count[0] + count[1];
    call c = {
        .layout = layout, .elem = elem, .lse_elem = elem < sizeof(float) ? sizeof(float) : elem};
    mha_attention_desc_init(&c.d, n, n, 4, 2, 4, 4);
    c.d.batch = 2;
    c.d.batch_stride_q = n * 16, c.d.batch_stride_k = c.d.batch_stride_v = n * 8;
    c.d.batch_stride_out = n * 16;
    c.d.flags = MHA_CAUSAL;
    c.n_in = 2 * n * 16, c.n_out = 2 * n * 16, c.n_lse = 2 * 4 * n;
    c.Q = xcalloc(c.n_in, elem), c.K = xcalloc(c.n_in, elem), c.V = xcalloc(c.n_in, elem);
    c.out = xcalloc(c.n_out, elem), c.lse = xcalloc(c.n_lse, c.lse_elem);
    for (size_t i = 0; i < c.n_in; i++) {
        double x = (double)((i * 7 + (size_t)rank * 3) % 13) / 13 - 0.5;
        set_all((char *)c.Q + i * elem, 1, elem, x);
        set_all((char *)c.K + i * elem, 1, elem, -x / 2);
        set_all((char *)c.V + i * elem, 1, elem, x * x);
    }
    return c;
}

static void free_call(call *c)
{
    free(c->Q), free(c->K), free(c->V), free(c->out), free(c->lse);
}

/* Each rank in turn fails each of its allocations; every rank must agree on the failure. */
static void sweep(mha_ring_layout layout, size_t elem)
{
    const char *what = layout == MHA_RING_ZIGZAG ? "zigzag" : "contiguous";
    call c = make_call(layout, elem);
    /* The undisturbed result, and how many allocations the call makes on this rank. */
    mha_alloc_fail_nth(0);
    CHECK(run(&c) == MHA_OK, "%s: the undisturbed call failed", what);
    const unsigned long made = mha_alloc_fail_nth(0);
    CHECK(made >= 1, "%s: the call allocated nothing through mha_alloc", what);
    void *want_out = xcalloc(c.n_out, elem), *want_lse = xcalloc(c.n_lse, c.lse_elem);
    memcpy(want_out, c.out, c.n_out * elem);
    memcpy(want_lse, c.lse, c.n_lse * c.lse_elem);
    for (int victim = 0; victim < size; victim++) {
        unsigned long points = made;
        MPI_Bcast(&points, 1, MPI_UNSIGNED_LONG, victim, MPI_COMM_WORLD);
        for (unsigned long nth = 1; nth <= points; nth++) {
            set_all(c.out, c.n_out, elem, SENTINEL);
            set_all(c.lse, c.n_lse, c.lse_elem, SENTINEL);
            mha_alloc_fail_nth(rank == victim ? nth : 0);
            mha_status s = run(&c);
            mha_alloc_fail_nth(0);
            CHECK(s == MHA_ERR_OUT_OF_MEMORY, "%s, %zu-byte: allocation %lu of rank %d failed: %s",
                  what, elem, nth, victim, mha_mpi_status_string(s));
            CHECK(all_equal(c.out, c.n_out, elem, SENTINEL) &&
                      all_equal(c.lse, c.n_lse, c.lse_elem, SENTINEL),
                  "%s, %zu-byte: allocation %lu of rank %d failed: outputs written", what, elem,
                  nth, victim);
        }
    }
    /* Nothing left behind: the next call succeeds, with the same result. */
    CHECK(run(&c) == MHA_OK, "%s: the call after the failures failed", what);
    CHECK(memcmp(c.out, want_out, c.n_out * elem) == 0 &&
              memcmp(c.lse, want_lse, c.n_lse * c.lse_elem) == 0,
          "%s: the call after the failures differs", what);
    free(want_out), free(want_lse);
    free_call(&c);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int layout = 0; layout < 2; layout++) {
        sweep((mha_ring_layout)layout, sizeof(float));
        sweep((mha_ring_layout)layout, sizeof(double));
        sweep((mha_ring_layout)layout, sizeof(mha_bf16));
    }
    long all;
    MPI_Allreduce(&failures, &all, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: out of memory on every allocation of every rank, %d ranks\n",
               all ? "FAILED" : "ok", size);
    MPI_Finalize();
    return all != 0;
}
