/* SPDX-License-Identifier: MIT */
/* Row softmax in double: the portable kernel and the choice among the vector ones. */
#include "type_f64.h"

#include "softmax_impl.h"
