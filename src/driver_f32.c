/* SPDX-License-Identifier: MIT */
/* The attention driver in float. */
#define REAL float
#define SFX(name) name##_f32
#define EXP expf
#define LOG logf
#include "driver_impl.h"
