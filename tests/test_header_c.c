/* SPDX-License-Identifier: MIT */
/* The public header on its own, in strict C11 (-std=c11 -Wall -Wextra -Wpedantic -Werror): it
 * must need nothing but itself, survive a second inclusion, and link as C. Nothing else is
 * included on purpose — not even <stdio.h> — so the result is the exit status. */
#include "mha.h"

_Static_assert(MHA_OK == 0, "MHA_OK is 0");
_Static_assert(MHA_ERR_WORKSPACE_TOO_SMALL == 6, "status values are pinned");
_Static_assert(MHA_CAUSAL == 1u, "MHA_CAUSAL is bit 0");
_Static_assert(sizeof(size_t) == sizeof(((mha_attention_desc *)0)->seq_q), "size_t from mha.h");

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int main(void)
{
    mha_attention_desc d;
    mha_attention_desc_init(&d, 2, 2, 2, 2, 2, 2);
    /* The seed example on its general entry point: Q = K = V = X, two heads of width 2. */
    const double X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    double out[8];
    mha_status s = mha_attention_f64(&d, X, X, X, (const double *)0, out, (double *)0);
    double err = out[0] - 4.999174229342286;
    int fails = 0;
    fails += s != MHA_OK;
    fails += err > 1e-14 || err < -1e-14;
    fails += !same(mha_status_string(MHA_OK), "success");
    fails += mha_version()[0] != '0' + MHA_VERSION_MAJOR;
    return fails;
}
