/* SPDX-License-Identifier: MIT */
/* The attention driver on bfloat16 storage, computed in float. */
#include "driver.h" /* before the traits: it instantiates every type itself */

#include "type_bf16.h"

#include "driver_impl.h"
