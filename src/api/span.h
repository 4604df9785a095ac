/* SPDX-License-Identifier: MIT */
/* Checked size arithmetic and the address range a strided buffer spans: header-only, shared by
 * validate.c and the MPI component's checks, so both apply one definition of "overlap". */
#ifndef MHA_SPAN_H
#define MHA_SPAN_H

#include "mha.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a*b without wrapping; false on overflow. */
static inline bool mha_mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* a+b without wrapping; false on overflow. */
static inline bool mha_add_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* The address range [lo, hi) a strided buffer touches; lo == hi when it is empty. */
typedef struct mha_span {
    uintptr_t lo, hi;
} mha_span;

/* The shape of a strided buffer: `items` batch items `item_stride` apart, each `rows` rows `ld`
 * apart, each row `width` elements. */
typedef struct mha_layout {
    size_t items, item_stride, rows, ld, width;
} mha_layout;

/* Elements from the first to one past the last element touched; false on overflow. */
static inline bool mha_extent_of(mha_layout l, size_t *extent)
{
    if (l.items == 0 || l.rows == 0 || l.width == 0) {
        *extent = 0;
        return true;
    }
    size_t last_item, last_row;
    return mha_mul_ok(l.items - 1, l.item_stride, &last_item) &&
           mha_mul_ok(l.rows - 1, l.ld, &last_row) && mha_add_ok(last_item, last_row, extent) &&
           mha_add_ok(*extent, l.width, extent);
}

/* Span of buffer p with layout l in elements of `elem` bytes: MHA_ERR_TOO_LARGE if its byte size
 * or end address overflows, MHA_ERR_NULL_POINTER if it is not empty and p is NULL. */
static inline mha_status mha_span_of(const void *p, size_t elem, mha_layout l, mha_span *s)
{
    size_t extent, bytes;
    if (!mha_extent_of(l, &extent) || !mha_mul_ok(extent, elem, &bytes))
        return MHA_ERR_TOO_LARGE;
    *s = (mha_span){0, 0};
    if (bytes == 0)
        return MHA_OK;
    if (p == NULL)
        return MHA_ERR_NULL_POINTER;
    uintptr_t lo = (uintptr_t)p;
    if (lo > UINTPTR_MAX - bytes)
        return MHA_ERR_TOO_LARGE;
    *s = (mha_span){lo, lo + bytes};
    return MHA_OK;
}

/* Do two spans share a byte? Empty spans overlap nothing. */
static inline bool mha_spans_overlap(mha_span a, mha_span b)
{
    return a.lo != a.hi && b.lo != b.hi && a.lo < b.hi && b.lo < a.hi;
}

#endif
