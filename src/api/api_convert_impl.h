/* SPDX-License-Identifier: MIT */
/* The conversions between float and one half type (mha.h): every check, then the row kernel.
 * Included by api.c after the type's traits, which name them (PUB_NARROW, PUB_WIDEN). */

mha_status PUB_NARROW(const float *src, STORE *dst, size_t n)
{
    mha_status s = mha_validate_convert(src, sizeof *src, dst, sizeof *dst, n);
    if (s == MHA_OK && n > 0)
        NARROW(src, dst, n);
    return s;
}

mha_status PUB_WIDEN(const STORE *src, float *dst, size_t n)
{
    mha_status s = mha_validate_convert(src, sizeof *src, dst, sizeof *dst, n);
    if (s == MHA_OK && n > 0)
        WIDEN(src, dst, n);
    return s;
}
