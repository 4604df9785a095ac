/* SPDX-License-Identifier: MIT */
/* mha_attention_merge()'s arithmetic, written once over a REAL type's traits: included by
 * driver_f32.c and driver_f64.c (partial results are merged in float or double only, mha.h). */

void SFX(mha_merge)(size_t rows, size_t n_heads, size_t d_v, size_t ld, const REAL *out_a,
                    const REAL *lse_a, const REAL *out_b, const REAL *lse_b, REAL *out, REAL *lse)
{
    for (size_t h = 0; h < n_heads; h++) {
        for (size_t i = 0; i < rows; i++) {
            REAL la = lse_a[h * rows + i], lb = lse_b[h * rows + i];
            REAL m = la > lb ? la : lb;
            size_t at = i * ld + h * d_v;
            if (m == -(REAL)INFINITY) { /* neither side saw a key */
                /* out may be NULL when d_v == 0 */
                zero_row(AT(out, d_v != 0, at), d_v);
                lse[h * rows + i] = m;
                continue;
            }
            /* Weights relative to the larger lse: one is 1, the other ≤ 1, so nothing overflows. */
            REAL wa = EXP(la - m), wb = EXP(lb - m), inv = 1 / (wa + wb);
            for (size_t c = 0; c < d_v; c++)
                out[at + c] = (wa * out_a[at + c] + wb * out_b[at + c]) * inv;
            lse[h * rows + i] = m + LOG(wa + wb);
        }
    }
}
