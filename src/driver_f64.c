/* SPDX-License-Identifier: MIT */
/* The attention driver in double. */
#define REAL double
#define SFX(name) name##_f64
#define EXP exp
#define LOG log
#include "driver_impl.h"
