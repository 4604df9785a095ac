/* SPDX-License-Identifier: MIT */
/* mha_mpi.h on its own, in strict C11 (-std=c11 -Wall -Wextra -Wpedantic -Werror): it must need
 * nothing but itself (it brings mha.h and mpi.h), survive a second inclusion, and link as C.
 * Runs the seed example as a one-rank ring on MPI_COMM_SELF; the result is the exit status. */
#include "mha_mpi.h"

/* Twice: the include guard must hold. */
#include "mha_mpi.h"

_Static_assert((int)MHA_ERR_MPI == 100, "MHA_ERR_MPI is pinned");

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 2, 2, 2, 2);
    const double X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    double out[8];
    mha_status s = mha_ring_attention_f64(&d, MPI_COMM_SELF, X, X, X, out, (double *)0);
    double err = out[0] - 4.999174229342286;
    int fails = 0;
    fails += s != MHA_OK;
    fails += err > 1e-14 || err < -1e-14;
    fails += mha_mpi_status_string(MHA_ERR_MPI) == mha_mpi_status_string(MHA_OK);
    MPI_Finalize();
    return fails;
}
