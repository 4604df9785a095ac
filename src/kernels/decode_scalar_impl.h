/* SPDX-License-Identifier: MIT */
/* The portable decode kernels of one cache format (decode_kernels.h has the formulas), over the
 * type traits: included by decode_scalar.c once per format (each_type_impl.h). */
#include "convert.h"
#include "decode_kernels.h"

/* S[r·ld_s + j] = scale · Σ_c q[r·d + c]·k_j[c], group by group: key-outer, so each K row is
 * read once. */
void SFX(mha_decode_scores_scalar)(const REAL *q, size_t rows, size_t groups, size_t d,
                                   const STORE *k, size_t ld_k, size_t n, REAL scale, REAL *S,
                                   size_t ld_s, const STORE *v, size_t ld_v, size_t d_v)
{
    (void)v, (void)ld_v, (void)d_v;
    for (size_t j = 0; j < n; j++)
        for (size_t gi = 0; gi < groups; gi++) {
            const STORE *kr = d ? k + j * ld_k + gi * d : k;
            for (size_t r = gi * rows; r < (gi + 1) * rows; r++) {
                REAL dot = 0;
                for (size_t c = 0; c < d; c++)
                    dot += q[r * d + c] * TO_REAL(kr[c]);
                S[r * ld_s + j] = scale * dot;
            }
        }
}

/* O[r·d_v + c] += Σ_j P[r·ld_p + j]·v_j[c]: key-outer, each V row read once. */
void SFX(mha_decode_pv_scalar)(const REAL *P, size_t ld_p, size_t rows, size_t n, const STORE *v,
                               size_t ld_v, size_t d_v, REAL *O, const mha_decode_ahead *ahead)
{
    (void)ahead; /* no prefetching here */
    for (size_t j = 0; j < n && d_v != 0; j++) {
        const STORE *vr = v + j * ld_v;
        for (size_t r = 0; r < rows; r++) {
            REAL p = P[r * ld_p + j];
            for (size_t c = 0; c < d_v; c++)
                O[r * d_v + c] += p * TO_REAL(vr[c]);
        }
    }
}
