/* SPDX-License-Identifier: MIT */
/* Ring attention on any number of ranks: each rank owns a contiguous slice of a 10-token causal
 * sequence (2 heads of width 4), computes its rows of the output with mha_ring_attention_f64(),
 * and rank 0 gathers them and compares with mha_attention_f64() on the whole sequence.
 *
 *   mpirun -np 2 ./build/examples/ring_example */
#include <mha_mpi.h>

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { SEQ = 10, HEADS = 2, D = 4, W = HEADS * D };

/* The whole sequence, the same on every rank (a real program would load only its slice). */
static double token(size_t i, size_t c, double phase)
{
    return sin(0.7 * (double)i + 1.3 * (double)c + phase);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Uneven shards are fine: rank r gets rows [first, first + n). */
    size_t first = SEQ * (size_t)rank / (size_t)size,
           n = SEQ * (size_t)(rank + 1) / (size_t)size - first;
    double *Q = calloc(n * W + 1, sizeof *Q), *K = calloc(n * W + 1, sizeof *K),
           *V = calloc(n * W + 1, sizeof *V), *out = calloc(n * W + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < W; c++) {
            Q[i * W + c] = token(first + i, c, 0.0);
            K[i * W + c] = token(first + i, c, 1.0);
            V[i * W + c] = token(first + i, c, 2.0);
        }

    mha_attention_desc d;
    mha_attention_desc_init(&d, n, n, HEADS, HEADS, D, D);
    d.flags = MHA_CAUSAL;
    mha_status s = mha_ring_attention_f64(&d, MPI_COMM_WORLD, Q, K, V, out, NULL);
    printf("rank %d: rows %zu..%zu: %s\n", rank, first, first + n - 1, mha_mpi_status_string(s));

    /* Gather on rank 0 and compare with one process attending over the whole sequence. */
    int count = (int)(n * W), *counts = calloc((size_t)size, sizeof *counts),
        *displs = calloc((size_t)size, sizeof *displs);
    MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (int r = 1; r < size; r++)
        displs[r] = displs[r - 1] + counts[r - 1];
    double *all = calloc(SEQ * W, sizeof *all);
    MPI_Gatherv(out, count, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int failed = s != MHA_OK;
    if (rank == 0) {
        double gQ[SEQ * W], gK[SEQ * W], gV[SEQ * W], ref[SEQ * W], err = 0;
        for (size_t i = 0; i < SEQ; i++)
            for (size_t c = 0; c < W; c++) {
                gQ[i * W + c] = token(i, c, 0.0);
                gK[i * W + c] = token(i, c, 1.0);
                gV[i * W + c] = token(i, c, 2.0);
            }
        mha_attention_desc g;
        mha_attention_desc_init(&g, SEQ, SEQ, HEADS, HEADS, D, D);
        g.flags = MHA_CAUSAL;
        failed |= mha_attention_f64(&g, gQ, gK, gV, NULL, ref, NULL) != MHA_OK;
        for (size_t e = 0; e < SEQ * W; e++)
            err = fmax(err, fabs(all[e] - ref[e]));
        printf("out[9][0..3] = %.12f %.12f %.12f %.12f\n", all[9 * W], all[9 * W + 1],
               all[9 * W + 2], all[9 * W + 3]);
        printf("max |ring - single process| over %d values: %.3g\n", SEQ * W, err);
        failed |= !(err <= 1e-12);
    }
    free(Q), free(K), free(V), free(out), free(counts), free(displs), free(all);
    MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return failed;
}
