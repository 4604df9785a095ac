/* SPDX-License-Identifier: MIT */
/* Row softmax in float. */
#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#include "softmax_impl.h"
