/* SPDX-License-Identifier: MIT */
/* The naive reference: the textbook formulas, one loop per index, in double. */
#include "ref.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

void ref_matmul(const double *A, const double *B, size_t n, size_t k, size_t m, double *C)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double acc = 0;
            for (size_t p = 0; p < k; p++)
                acc += A[i * k + p] * B[p * m + j];
            C[i * m + j] = acc;
        }
}

/* Is key j visible to query i? Bottom-right causal: j ≤ i + seq_kv − seq_q. */
static int visible(const mha_attention_desc *d, size_t i, size_t j)
{
    if (!(d->flags & MHA_CAUSAL))
        return 1;
    return (double)j <= (double)i + (double)d->seq_kv - (double)d->seq_q;
}

/* One query row of one head: scores, stable softmax, weighted sum of V. */
static void attend_row(const mha_attention_desc *d, const double *q, const double *K,
                       const double *V, const double *mask_row, size_t i, double *scores,
                       double *out, double *lse)
{
    double max = -HUGE_VAL;
    for (size_t j = 0; j < d->seq_kv; j++) {
        double s = -HUGE_VAL;
        if (visible(d, i, j)) {
            double dot = 0;
            for (size_t c = 0; c < d->d_head; c++)
                dot += q[c] * K[j * d->ld_k + c];
            s = d->scale * dot + (mask_row ? mask_row[j] : 0.0);
        }
        scores[j] = s;
        if (s > max || isnan(s))
            max = s;
    }
    for (size_t c = 0; c < d->d_v; c++)
        out[c] = 0;
    if (max == -HUGE_VAL) { /* no visible key: zeros, lse −inf */
        if (lse)
            *lse = -HUGE_VAL;
        return;
    }
    double sum = 0;
    for (size_t j = 0; j < d->seq_kv; j++) {
        double p = exp(scores[j] - max);
        sum += p;
        for (size_t c = 0; c < d->d_v; c++)
            out[c] += p * V[j * d->ld_v + c];
    }
    for (size_t c = 0; c < d->d_v; c++)
        out[c] /= sum;
    if (lse)
        *lse = max + log(sum);
}

void ref_attention(const mha_attention_desc *d, const double *Q, const double *K, const double *V,
                   const double *mask, double *out, double *lse)
{
    double *scores = malloc((d->seq_kv ? d->seq_kv : 1) * sizeof *scores);
    if (!scores)
        abort(); /* test code: no way to go on */
    size_t group = d->n_heads / d->n_kv_heads;
    for (size_t b = 0; b < d->batch; b++) {
        /* A ragged batch: item b is the same call with kv_lens[b] keys (the strides unchanged). */
        mha_attention_desc item = *d;
        if (d->kv_lens)
            item.seq_kv = d->kv_lens[b];
        for (size_t h = 0; h < d->n_heads; h++)
            for (size_t i = 0; i < d->seq_q; i++) {
                size_t g = h / group;
                /* Empty buffers (possibly NULL, strides meaningless) are not offset: C leaves
                 * that undefined. */
                bool qk = d->d_head != 0, keys = item.seq_kv != 0, vo = d->d_v != 0;
                const double *q = qk ? Q + b * d->batch_stride_q + i * d->ld_q + h * d->d_head : Q;
                const double *k = qk && keys ? K + b * d->batch_stride_k + g * d->d_head : K;
                const double *v = vo && keys ? V + b * d->batch_stride_v + g * d->d_v : V;
                const double *m =
                    mask && keys ? mask + b * d->batch_stride_mask + i * d->ld_mask : NULL;
                double *o = vo ? out + b * d->batch_stride_out + i * d->ld_out + h * d->d_v : out;
                double *l = lse ? lse + (b * d->n_heads + h) * d->seq_q + i : NULL;
                attend_row(&item, q, k, v, m, i, scores, o, l);
            }
    }
    free(scores);
}

void ref_multi_head_attention(const double *Q, const double *K, const double *V, size_t seq_len,
                              size_t d_model, size_t n_heads, double *out)
{
    /* Spelled out rather than mha_attention_desc_init(): the reference owes nothing to the
     * library it checks. */
    size_t d_k = d_model / n_heads;
    const mha_attention_desc d = {.struct_size = sizeof(mha_attention_desc),
                                  .batch = 1,
                                  .seq_q = seq_len,
                                  .seq_kv = seq_len,
                                  .n_heads = n_heads,
                                  .n_kv_heads = n_heads,
                                  .d_head = d_k,
                                  .d_v = d_k,
                                  .ld_q = d_model,
                                  .ld_k = d_model,
                                  .ld_v = d_model,
                                  .ld_out = d_model,
                                  .scale = 1.0 / sqrt((double)d_k)};
    ref_attention(&d, Q, K, V, NULL, out, NULL);
}

void ref_attention_merge(size_t rows, size_t n_heads, size_t d_v, size_t ld, const double *out_a,
                         const double *lse_a, const double *out_b, const double *lse_b, double *out,
                         double *lse)
{
    for (size_t h = 0; h < n_heads; h++)
        for (size_t i = 0; i < rows; i++) {
            double la = lse_a[h * rows + i], lb = lse_b[h * rows + i];
            double m = fmax(la, lb);
            /* Empty rows (d_v == 0, pointers possibly NULL) are not offset, as above. */
            size_t at = i * ld + h * d_v;
            const double *a = d_v ? out_a + at : out_a, *b = d_v ? out_b + at : out_b;
            double *o = d_v ? out + at : out;
            if (m == -HUGE_VAL) { /* neither side saw a key */
                for (size_t c = 0; c < d_v; c++)
                    o[c] = 0;
                lse[h * rows + i] = -HUGE_VAL;
                continue;
            }
            double wa = exp(la - m), wb = exp(lb - m);
            for (size_t c = 0; c < d_v; c++)
                o[c] = (wa * a[c] + wb * b[c]) / (wa + wb);
            lse[h * rows + i] = m + log(wa + wb);
        }
}
