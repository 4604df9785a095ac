/* SPDX-License-Identifier: MIT */
/* Row softmax in float: the portable kernel and the choice among the vector ones. */
#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#include "softmax_impl.h"
