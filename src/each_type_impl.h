/* SPDX-License-Identifier: MIT */
/* A template instantiated for every type of the traits: TYPE_TEMPLATE (the template's file name)
 * included once under each type's traits, type_<T>.h to type_end.h. A template leaves out the
 * types it has nothing for itself (#ifdef WIDEN: the half types). A new type or element format is
 * one more block here (and its column in the kernel tables). */
/* clang-format off */
#include "type_f32.h"
#include TYPE_TEMPLATE
#include "type_end.h"

#include "type_f64.h"
#include TYPE_TEMPLATE
#include "type_end.h"

#include "type_bf16.h"
#include TYPE_TEMPLATE
#include "type_end.h"

#include "type_f16.h"
#include TYPE_TEMPLATE
#include "type_end.h"
/* clang-format on */

#undef TYPE_TEMPLATE
