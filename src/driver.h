/* SPDX-License-Identifier: MIT */
/* The attention driver: runs validated calls. Nothing here checks arguments or fails. */
#ifndef MHA_DRIVER_H
#define MHA_DRIVER_H

#include "mha.h"
#include "plan.h"

#include <stddef.h>

/* out[p] (seq_len × cols, contiguous) = X (seq_len × d_model) · W[p] (d_model × cols) for
 * p < count. */
void mha_project_f32(const float *X, size_t seq_len, size_t d_model, const float *const W[],
                     float *const out[], size_t count, size_t cols);
void mha_project_f64(const double *X, size_t seq_len, size_t d_model, const double *const W[],
                     double *const out[], size_t count, size_t cols);

/* out (and lse, if not NULL) = attention as *d describes, cut as *plan says; workspace holds
 * plan->ws_bytes bytes, any alignment. */
void mha_attend_f32(const mha_attention_desc *d, const mha_plan *plan, const float *Q,
                    const float *K, const float *V, const float *mask, float *out, float *lse,
                    void *workspace);
void mha_attend_f64(const mha_attention_desc *d, const mha_plan *plan, const double *Q,
                    const double *K, const double *V, const double *mask, double *out, double *lse,
                    void *workspace);

/* The log-sum-exp merge of two partial results (formula in mha.h). */
void mha_merge_f32(size_t rows, size_t n_heads, size_t d_v, size_t ld, const float *out_a,
                   const float *lse_a, const float *out_b, const float *lse_b, float *out,
                   float *lse);
void mha_merge_f64(size_t rows, size_t n_heads, size_t d_v, size_t ld, const double *out_a,
                   const double *lse_a, const double *out_b, const double *lse_b, double *out,
                   double *lse);

#endif
