/* SPDX-License-Identifier: MIT */
/* Row softmax: the portable kernels and the choice among the vector ones, for every format. */
#define KERNEL_IMPL "softmax_impl.h"
#include "each_format_impl.h"
