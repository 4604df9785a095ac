/* SPDX-License-Identifier: MIT */
/* Row softmax in float: the portable kernel and the choice among the vector ones. */
#include "type_f32.h"

#include "softmax_impl.h"
