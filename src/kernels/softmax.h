/* SPDX-License-Identifier: MIT */
/* The stable row softmax between the two GEMMs, without the final division: the driver defers the
 * 1/sum normalisation to the much smaller output rows. */
#ifndef MHA_SOFTMAX_H
#define MHA_SOFTMAX_H

#include "mha.h"

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

/* The row kernel with P also written in a half type: p[j] = row[j] rounded to nearest even for
 * j < n, the rest of the contract unchanged except that row[j] keeps x_j (the exps go to p only);
 * the returned sum is of the exps before rounding. For the native bf16 P·V, in one pass. Its exps
 * may be coarser than the row kernel's, since they are rounded to 8 bits next: within 3.3e−7
 * relative (the AVX-512 kernel's vexp_coarse), the max unchanged. */
typedef float mha_softmax_row_to_fn_bf16(float *row, const float *mask, size_t n, float *row_max,
                                         mha_bf16 *p);
typedef float mha_softmax_row_to_fn_f16(float *row, const float *mask, size_t n, float *row_max,
                                        mha_f16 *p);

/* The fastest row kernel this CPU runs (AVX-512F, else AVX2+FMA, else portable C). It asks the CPU
 * each time it is called — a few loads of flags the runtime filled in at start-up — so the library
 * keeps no state of its own: call it once per tile and run every row of the tile through it. */
mha_softmax_row_fn_f32 *mha_softmax_pick_f32(void);
mha_softmax_row_fn_f64 *mha_softmax_pick_f64(void);

/* The fused half kernel this CPU has (AVX-512 float for bf16), or NULL: then the caller rounds the
 * row itself. f16 has none, since nothing multiplies f16 natively here (gemm.h). */
mha_softmax_row_to_fn_bf16 *mha_softmax_pick_to_bf16(void);
mha_softmax_row_to_fn_f16 *mha_softmax_pick_to_f16(void);

#endif
