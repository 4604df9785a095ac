/* SPDX-License-Identifier: MIT */
/* Row softmax: the portable kernels and the choice among the vector ones, for every format. */
#define TYPE_TEMPLATE "softmax_impl.h"
#include "each_type_impl.h"
