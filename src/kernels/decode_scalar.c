/* SPDX-License-Identifier: MIT */
/* The portable decode kernels, one instantiation per stored type (decode_scalar_impl.h). */
#include "convert.h"
#include "decode_kernels.h"

/* clang-format off */
#include "type_f32.h"
#define TO_REAL(x) (x)
#include "decode_scalar_impl.h"
#undef TO_REAL
#include "type_end.h"

#include "type_f64.h"
#define TO_REAL(x) (x)
#include "decode_scalar_impl.h"
#undef TO_REAL
#include "type_end.h"

#include "type_bf16.h"
#define TO_REAL(x) mha_bf16_to_float(x)
#include "decode_scalar_impl.h"
#undef TO_REAL
#include "type_end.h"

#include "type_f16.h"
#define TO_REAL(x) mha_f16_to_float(x)
#include "decode_scalar_impl.h"
#undef TO_REAL
#include "type_end.h"
/* clang-format on */
