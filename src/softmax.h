/* SPDX-License-Identifier: MIT */
/* The stable row softmax between the two GEMMs, without the final division: the driver defers the
 * 1/sum normalisation to the much smaller output rows. */
#ifndef MHA_SOFTMAX_H
#define MHA_SOFTMAX_H

#include <stddef.h>

/* One row kernel. x_j = row[j] + mask[j] (mask may be NULL: x_j = row[j]), m = max(*row_max,
 * max_j x_j): *row_max comes in as a floor for the max (−inf for none; the running max of earlier
 * key blocks in the online softmax). row[j] = exp(x_j − m) for j < n; stores m in *row_max and
 * returns Σ_j row[j]. When n == 0 or every x_j is −inf (no visible key) the row becomes zeros,
 * *row_max is left as it came and the sum is 0 — never NaN. A NaN anywhere, or a +inf, makes the
 * sum NaN (as the textbook formula does; *row_max is then not meaningful). row and mask: any
 * alignment, must not overlap. */
typedef float mha_softmax_row_fn_f32(float *row, const float *mask, size_t n, float *row_max);
typedef double mha_softmax_row_fn_f64(double *row, const double *mask, size_t n, double *row_max);

/* The fastest row kernel this CPU runs (AVX-512F, else AVX2+FMA, else portable C). It asks the CPU
 * each time it is called — a few loads of flags the runtime filled in at start-up — so the library
 * keeps no state of its own: call it once per tile and run every row of the tile through it. */
mha_softmax_row_fn_f32 *mha_softmax_pick_f32(void);
mha_softmax_row_fn_f64 *mha_softmax_pick_f64(void);

#endif
