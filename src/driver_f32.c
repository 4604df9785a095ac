/* SPDX-License-Identifier: MIT */
/* The attention driver in float. */
#include "type_f32.h"

#include "driver_impl.h"
