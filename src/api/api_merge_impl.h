/* SPDX-License-Identifier: MIT */
/* mha_attention_merge() of one REAL type (float, double: partial results are merged in those
 * only, mha.h): validate → empty call? → the driver's merge. Included by api.c after the type's
 * traits. */

mha_status PUB(mha_attention_merge)(size_t rows, size_t n_heads, size_t d_v, size_t ld,
                                    const REAL *out_a, const REAL *lse_a, const REAL *out_b,
                                    const REAL *lse_b, REAL *out, REAL *lse)
{
    mha_status s =
        mha_validate_merge(DTYPE, rows, n_heads, d_v, ld, out_a, lse_a, out_b, lse_b, out, lse);
    if (s != MHA_OK || rows == 0 || n_heads == 0)
        return s;
    SFX(mha_merge)(rows, n_heads, d_v, ld, out_a, lse_a, out_b, lse_b, out, lse);
    return MHA_OK;
}
