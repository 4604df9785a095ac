/* SPDX-License-Identifier: MIT */
/* The conversions between float and one half type (mha.h): every check, then the row kernel.
 * Included by api.c after the type's traits. */

mha_status MHA_CAT(mha_convert_f32_to_, TYPE_NAME)(const float *src, STORE *dst, size_t n)
{
    mha_status s = mha_validate_convert(src, sizeof *src, dst, sizeof *dst, n);
    if (s == MHA_OK && n > 0)
        NARROW(src, dst, n);
    return s;
}

mha_status MHA_CAT(MHA_CAT(mha_convert_, TYPE_NAME), _to_f32)(const STORE *src, float *dst,
                                                              size_t n)
{
    mha_status s = mha_validate_convert(src, sizeof *src, dst, sizeof *dst, n);
    if (s == MHA_OK && n > 0)
        WIDEN(src, dst, n);
    return s;
}
