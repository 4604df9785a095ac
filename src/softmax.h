/* SPDX-License-Identifier: MIT */
/* The stable row softmax between the two GEMMs, without the final division: the driver defers the
 * 1/sum normalisation to the much smaller output rows. */
#ifndef MHA_SOFTMAX_H
#define MHA_SOFTMAX_H

#include <stddef.h>

/* row[j] = exp(row[j] − m) for j < n, m = max_j row[j]; stores m in *row_max and returns
 * Σ_j row[j]. When n == 0 or m == −inf (no visible key) the row becomes zeros, *row_max = −inf
 * and the sum is 0 — never NaN. A NaN or +inf in the row yields NaN, as the textbook formula. */
float mha_softmax_row_f32(float *row, size_t n, float *row_max);
double mha_softmax_row_f64(double *row, size_t n, double *row_max);

#endif
