/* SPDX-License-Identifier: MIT */
/* The attention driver: runs validated calls. Nothing here checks arguments or fails. */
#ifndef MHA_DRIVER_H
#define MHA_DRIVER_H

#include "mha.h"
#include "plan.h"

#include <stddef.h>

/* clang-format off */
#include "type_f32.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_f64.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_bf16.h"
#include "driver_decl.h"
#include "type_end.h"

#include "type_f16.h"
#include "driver_decl.h"
#include "type_end.h"
/* clang-format on */

#endif
