/* SPDX-License-Identifier: MIT */
/* The attention driver: runs validated calls. Nothing here checks arguments or fails. */
#ifndef MHA_DRIVER_H
#define MHA_DRIVER_H

#include "mha.h"
#include "plan.h"

#include <stddef.h>

/* clang-format off */
#include "type_f32.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_f64.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_bf16.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_f16.h"
#include "driver_decl.h"
#include "type_end.h"
/* clang-format on */

/* The log-sum-exp merge of two partial results (formula in mha.h), float and double only:
 * merge_impl.h. */
void mha_merge_f32(size_t rows, size_t n_heads, size_t d_v, size_t ld, const float *out_a,
                   const float *lse_a, const float *out_b, const float *lse_b, float *out,
                   float *lse);
void mha_merge_f64(size_t rows, size_t n_heads, size_t d_v, size_t ld, const double *out_a,
                   const double *lse_a, const double *out_b, const double *lse_b, double *out,
                   double *lse);

#endif
