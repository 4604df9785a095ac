/* SPDX-License-Identifier: MIT */
/* A kernel template instantiated for every element format: KERNEL_IMPL (the template's file name)
 * included once under each format's traits, type_<T>.h to type_end.h. The template itself leaves
 * out the formats it has no kernels for (#ifdef WIDEN: the half formats). A new format is one
 * more block here, and its column in the tables. */
/* clang-format off */
#include "type_f32.h"
#include KERNEL_IMPL
#include "type_end.h"

#include "type_f64.h"
#include KERNEL_IMPL
#include "type_end.h"

#include "type_bf16.h"
#include KERNEL_IMPL
#include "type_end.h"

#include "type_f16.h"
#include KERNEL_IMPL
#include "type_end.h"
/* clang-format on */

#undef KERNEL_IMPL
