/* SPDX-License-Identifier: MIT */
/* The portable decode kernels, one instantiation per cache format (decode_scalar_impl.h). */
#define TYPE_TEMPLATE "decode_scalar_impl.h"
#include "each_type_impl.h"
