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

/* Op byte bit 7 (attention, _ws and the workspace query): the descriptor's struct_size comes
 * from the bytes after its flags and scale, instead of being sizeof(mha_attention_desc) as
 * mha_attention_desc_init sets it. The first byte, mod FUZZ_N_DESC_SIZES, picks the kind; some
 * kinds read more bytes. */
#define FUZZ_OP_DESC_SIZE 0x80u
enum fuzz_desc_size {
    FUZZ_DESC_SIZE_OURS,      /* sizeof(mha_attention_desc) */
    FUZZ_DESC_SIZE_FIRST,     /* MHA_ATTENTION_DESC_SIZE_1: a first-release program */
    FUZZ_DESC_SIZE_BELOW,     /* byte b: b mod MHA_ATTENTION_DESC_SIZE_1 */
    FUZZ_DESC_SIZE_UNALIGNED, /* byte b: MHA_ATTENTION_DESC_SIZE_1 + 1 + b mod (alignment − 1) */
    FUZZ_DESC_SIZE_NEWER,     /* byte b: sizeof + alignment·(1 + b mod 8), its own fields 0 */
    FUZZ_DESC_SIZE_NEWER_SET, /* the same, then byte v: its own fields' bytes are 1 + v mod 255 */
    FUZZ_DESC_SIZE_RAW,       /* 8 bytes: any value */
    FUZZ_N_DESC_SIZES
};

#endif
