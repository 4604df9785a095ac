# SPDX-License-Identifier: MIT
"""numpy arrays -> what the C API can read: the working dtype, and stacks of row-major matrices
described by a batch stride and a leading dimension, copied only when no such description exists.
"""

from typing import NamedTuple

import numpy as np

_SUPPORTED = (np.dtype(np.float32), np.dtype(np.float64))


def working_dtype(*arrays):
    """float32 or float64, chosen as numpy would promote the inputs against float32.

    So float16 and small integers compute in float32, int32/int64 (the seed example's integers)
    and float64 in float64. Anything else (complex, object, strings) has no C path.
    """
    try:
        dtype = np.result_type(*arrays, np.float32)
    except TypeError as e:
        raise TypeError(f"libmha computes in float32 or float64, not these inputs: {e}") from e
    if dtype not in _SUPPORTED:
        kinds = ", ".join(str(a.dtype) for a in arrays)
        raise TypeError(f"libmha computes in float32 or float64; inputs of dtype {kinds} "
                        f"promote to {dtype}")
    return dtype


class MatrixStack(NamedTuple):
    """array[b, i, j] (batch dims flattened into b) is at array's address + b·batch_stride +
    i·ld + j elements. `array` is what must stay alive during the call."""

    array: np.ndarray
    batch_stride: int
    ld: int


def _element_strides(a):
    """Strides in elements, or None if one is not a whole number of elements."""
    item = a.itemsize
    if any(s % item for s in a.strides):
        return None
    return [s // item for s in a.strides]


def _describe(a):
    """The MatrixStack of `a` as it is, or None when its layout has no such description: the C
    API wants unit column stride, row and batch strides >= 0, rows at least a row apart, and
    batch dims that flatten into one stride."""
    if not (a.flags.aligned and a.dtype.isnative):
        return None
    strides = _element_strides(a)
    if strides is None:
        return None
    *batch_shape, rows, cols = a.shape
    *batch_strides, row_stride, col_stride = strides
    if cols > 1 and col_stride != 1:
        return None
    # A single row has no row stride to speak of; the C API still wants ld >= the row width.
    ld = row_stride if rows > 1 else cols
    if ld < cols:
        return None
    # Flattening (…, n_i, n_{i+1}, …) into one index needs stride_i == stride_{i+1}·n_{i+1} for
    # every pair of dims that actually vary (size-1 dims take any stride).
    varying = [(n, s) for n, s in zip(batch_shape, batch_strides) if n > 1]
    for (_, outer), (n_inner, inner) in zip(varying, varying[1:]):
        if outer != inner * n_inner:
            return None
    batch_stride = varying[-1][1] if varying else 0
    if batch_stride < 0:
        return None
    # A batch stride of 0 (np.broadcast_to) is the C API's "shared across the batch".
    return MatrixStack(a, batch_stride, ld)


def matrix_stack(a, dtype):
    """`a` (…, rows, cols) as a MatrixStack of `dtype`, copying only if the dtype or the layout
    requires it."""
    if a.dtype == dtype and a.size > 0:
        described = _describe(a)
        if described is not None:
            return described
    packed = np.ascontiguousarray(a, dtype=dtype)
    rows, cols = packed.shape[-2:]
    return MatrixStack(packed, rows * cols, cols)


def contiguous(a, dtype):
    """For the seed functions, whose C signatures take only packed matrices."""
    return np.ascontiguousarray(a, dtype=dtype)
