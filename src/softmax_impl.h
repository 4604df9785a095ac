/* SPDX-License-Identifier: MIT */
/* Portable stable row softmax, written once over REAL; included by softmax_f32.c / softmax_f64.c
 * with REAL, SFX() and EXP defined. */
#include "softmax.h"

#include <math.h>

REAL SFX(mha_softmax_row)(REAL *row, size_t n, REAL *row_max)
{
    REAL m = -(REAL)INFINITY;
    for (size_t j = 0; j < n; j++)
        m = row[j] > m || row[j] != row[j] ? row[j] : m; /* a NaN wins, so it reaches the sum */
    *row_max = m;
    if (m == -(REAL)INFINITY) {
        for (size_t j = 0; j < n; j++)
            row[j] = 0;
        return 0;
    }
    /* Subtracting the max keeps every argument ≤ 0: exp cannot overflow, and the largest term
     * is exactly 1, so the sum is ≥ 1 and the deferred division is safe. */
    REAL sum = 0;
    for (size_t j = 0; j < n; j++) {
        row[j] = EXP(row[j] - m);
        sum += row[j];
    }
    return sum;
}
