// SPDX-License-Identifier: MIT
// The public header from C++ (-std=c++11 -Wall -Wextra -Wpedantic -Werror): its extern "C"
// guards must give the library's C symbols, or this does not link. Only mha.h is included.
#include "mha.h"

static_assert(MHA_OK == 0, "MHA_OK is 0");
static_assert(sizeof(mha_status) == sizeof(int), "an int-sized enum, as in C");

int main()
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 2, 2, 2, 2);
    // The seed example: Q = K = V = X, two heads of width 2, out[0] = 4.999174229342286.
    const double X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    double out[8];
    float Xf[8], outf[8];
    for (int i = 0; i < 8; i++)
        Xf[i] = static_cast<float>(X[i]);
    int fails = 0;
    fails += mha_attention_f64(&d, X, X, X, nullptr, out, nullptr) != MHA_OK;
    fails += mha_attention(&d, Xf, Xf, Xf, nullptr, outf, nullptr) != MHA_OK;
    double err = out[0] - 4.999174229342286, errf = static_cast<double>(outf[0]) - out[0];
    fails += err > 1e-14 || err < -1e-14;
    fails += errf > 1e-5 || errf < -1e-5;
    fails += mha_status_string(static_cast<mha_status>(99)) == nullptr;
    fails += mha_version() == nullptr;
    return fails;
}
