/* SPDX-License-Identifier: MIT */
/* What each mha_dtype is made of. */
#include "dtype.h"

#include <float.h>

size_t mha_dtype_store_size(mha_dtype t)
{
    switch (t) {
    case MHA_DTYPE_F64:
        return sizeof(double);
    case MHA_DTYPE_BF16:
    case MHA_DTYPE_F16:
        return 2;
    default:
        return sizeof(float);
    }
}

size_t mha_dtype_real_size(mha_dtype t)
{
    return t == MHA_DTYPE_F64 ? sizeof(double) : sizeof(float);
}

double mha_dtype_real_max(mha_dtype t)
{
    return t == MHA_DTYPE_F64 ? DBL_MAX : (double)FLT_MAX;
}
