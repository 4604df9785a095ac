/* SPDX-License-Identifier: MIT */
/* Row softmax in double: the portable kernel and the choice among the vector ones. */
#define REAL double
#define SFX(name) name##_f64
#define EXP exp
#include "softmax_impl.h"
