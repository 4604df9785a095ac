// SPDX-License-Identifier: MIT
// mha_mpi.h from C++ (-std=c++11 -Wall -Wextra -Wpedantic -Werror): its extern "C" guards must
// give the library's C symbols, or this does not link. A one-rank ring on MPI_COMM_SELF.
// mpi.h would also pull in Open MPI's deprecated C++ bindings, which do not compile with
// -Wextra -Werror; a C++ program that uses MPI's C API skips them (see mha_mpi.h).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include "mha_mpi.h"

static_assert(static_cast<int>(MHA_ERR_MPI) == 100, "MHA_ERR_MPI is pinned");

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 2, 2, 2, 2);
    float X[8], out[8];
    for (int i = 0; i < 8; i++)
        X[i] = static_cast<float>(i + 1);
    int fails = 0;
    fails += mha_ring_attention(&d, MPI_COMM_SELF, X, X, X, out, nullptr) != MHA_OK;
    double err = static_cast<double>(out[0]) - 4.999174229342286;
    fails += err > 1e-5 || err < -1e-5;
    fails += mha_mpi_status_string(MHA_ERR_MPI) == nullptr;
    MPI_Finalize();
    return fails;
}
