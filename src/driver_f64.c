/* SPDX-License-Identifier: MIT */
/* The attention driver in double. */
#include "type_f64.h"

#include "driver_impl.h"
