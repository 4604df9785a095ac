/* SPDX-License-Identifier: MIT */
/* The naive reference: plain loops, accumulating in double, written for obviousness rather than
 * speed. Tests and benchmarks compare the library against it; it is never installed. */
#ifndef MHA_REF_H
#define MHA_REF_H

#include "mha.h"

#include <stddef.h>

/* C (n×m) = A (n×k) · B (k×m), contiguous. */
void ref_matmul(const double *A, const double *B, size_t n, size_t k, size_t m, double *C);

/* The formula of mha_attention_desc, on double buffers laid out as *d says; lse as in mha.h
 * (NULL: not written). Rows with no visible key give zeros and lse −inf. */
void ref_attention(const mha_attention_desc *d, const double *Q, const double *K, const double *V,
                   const double *mask, double *out, double *lse);

/* mha_multi_head_attention's formula for contiguous seq_len × d_model inputs. */
void ref_multi_head_attention(const double *Q, const double *K, const double *V, size_t seq_len,
                              size_t d_model, size_t n_heads, double *out);

/* mha_attention_merge's formula (mha.h), in double: rows × (n_heads·d_v) outputs with row stride
 * ld, lse packed n_heads × rows. out/lse must not alias the inputs. */
void ref_attention_merge(size_t rows, size_t n_heads, size_t d_v, size_t ld, const double *out_a,
                         const double *lse_a, const double *out_b, const double *lse_b, double *out,
                         double *lse);

#endif
