/* SPDX-License-Identifier: MIT */
/* The row conversions between float and one half format (convert.h), written once over the vector
 * layer (vec.h) and the type traits: W elements at a time, then the layer's tail of the row.
 * Included by convert_avx2.c and convert_avx512.c once per format (each_type_impl.h), after their
 * vector layer and TARGET; only the formats stored narrower than float (WIDEN) have conversions. */
#ifdef WIDEN
#include "convert.h"

/* dst[i] = src[i] as a float, exactly. */
TARGET void KSFX(mha_widen)(const void *src, float *dst, size_t n)
{
    const STORE *from = src;
    size_t i = 0;
    for (; i + W <= n; i += W)
        vstore(dst + i, vwiden(from + i));
    if (i < n)
        vwiden_tail(from + i, dst + i, n - i);
}

/* dst[i] = src[i] rounded to nearest even. */
TARGET void KSFX(mha_narrow)(const float *src, void *dst, size_t n)
{
    STORE *to = dst;
    size_t i = 0;
    for (; i + W <= n; i += W)
        vnarrow(to + i, vload(src + i));
    if (i < n)
        vnarrow_tail(src + i, to + i, n - i);
}
#endif
