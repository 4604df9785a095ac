/* SPDX-License-Identifier: MIT */
/* The attention driver in double. */
#include "driver.h" /* before the traits: it instantiates every type itself */

#include "type_f64.h"

#include "driver_impl.h"

#include "merge_impl.h"
