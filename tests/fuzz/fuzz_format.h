/* SPDX-License-Identifier: MIT */
/* The fuzz input format's shared constants: fuzz_attention.c decodes them, gen_corpus.c encodes
 * seeds with them, so the two cannot drift apart. */
#ifndef MHA_FUZZ_FORMAT_H
#define MHA_FUZZ_FORMAT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Dimensions near every boundary validation must hold: the BLAS's int, 32-bit wrap, size_t
 * products that overflow. A dimension byte 0xF0 + i selects entry i. */
enum { FUZZ_N_SPECIAL_DIMS = 15 };
static const size_t fuzz_special_dims[FUZZ_N_SPECIAL_DIMS] = {16,
                                                              33,
                                                              64,
                                                              INT_MAX,
                                                              (size_t)INT_MAX + 1,
                                                              UINT32_MAX,
                                                              (size_t)1 << 32,
                                                              ((size_t)1 << 32) + 1,
                                                              SIZE_MAX / 2,
                                                              SIZE_MAX / 2 + 1,
                                                              SIZE_MAX / 3 + 1,
                                                              SIZE_MAX - 1,
                                                              SIZE_MAX,
                                                              (size_t)1 << 62,
                                                              (size_t)1 << 40};

#endif
