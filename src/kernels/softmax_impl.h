/* SPDX-License-Identifier: MIT */
/* The portable row softmax and the kernel choice, written once over the type traits; included by
 * softmax.c once per element format (each_type_impl.h). The rows run in REAL: a half format has
 * only its choice of the kernel that writes P in it. */
#ifndef WIDEN
#include "softmax.h"
#include "softmax_kernels.h"

#include <math.h>
#include <string.h>

REAL SFX(mha_softmax_unseen_row)(REAL *row, size_t n, REAL *row_max)
{
    for (size_t j = 0; j < n; j++) {
        if (isnan(row[j])) { /* exp(x − NaN) for every x: the textbook's NaN row */
            for (size_t i = 0; i < n; i++)
                row[i] = (REAL)NAN;
            *row_max = (REAL)NAN;
            return (REAL)NAN;
        }
    }
    /* No visible key: zeros rather than 0/0, so the driver can give the row zeros and lse −inf;
     * the running max stays as it came. */
    memset(row, 0, n * sizeof *row);
    return 0;
}

REAL SFX(mha_softmax_row_scalar)(REAL *row, const REAL *mask, size_t n, REAL *row_max)
{
    REAL m = -(REAL)INFINITY;
    for (size_t j = 0; j < n; j++) {
        if (mask)
            row[j] += mask[j];
        m = row[j] > m ? row[j] : m; /* skips NaN; the exp pass or unseen_row turns it into NaN */
    }
    if (m == -(REAL)INFINITY)
        return SFX(mha_softmax_unseen_row)(row, n, row_max);
    if (*row_max > m) /* the floor (softmax.h) */
        m = *row_max;
    *row_max = m;
    /* Subtracting the max keeps every argument ≤ 0: exp cannot overflow, and the largest term
     * is exactly 1, so the sum is ≥ 1 and the deferred division is safe. The sum accumulates in
     * REAL, as mha.h promises. */
    REAL sum = 0;
    for (size_t j = 0; j < n; j++) {
        row[j] = EXP(row[j] - m);
        sum += row[j];
    }
    return sum;
}

/* Chosen at the call rather than by a GNU ifunc: an ifunc needs glibc (not musl, not macOS) and
 * a resolver that runs before libgcc has read the CPU, and hides the variants from the tests;
 * the check here is a few loads and bit tests, paid once per block of rows. No global of our own
 * remembers the answer, so the library stays free of mutable state. */
SFX(mha_softmax_row_fn) * SFX(mha_softmax_pick)(void)
{
    return (SFX(mha_softmax_row_fn) *)mha_softmax_isa_best()->row[FORMAT];
}
#else
#include "softmax_kernels.h"

SFX(mha_softmax_row_to_fn) * SFX(mha_softmax_pick_to)(void)
{
    return (SFX(mha_softmax_row_to_fn) *)mha_softmax_isa_best()->row_to[FORMAT];
}
#endif
