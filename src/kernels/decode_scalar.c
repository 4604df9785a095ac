/* SPDX-License-Identifier: MIT */
/* The portable decode kernels, one instantiation per cache format (decode_scalar_impl.h). */
#define KERNEL_IMPL "decode_scalar_impl.h"
#include "each_format_impl.h"
