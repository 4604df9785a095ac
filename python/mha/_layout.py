# SPDX-License-Identifier: MIT
"""numpy arrays -> what the C API can read: the working dtype, and stacks of row-major matrices
described by a batch stride and a leading dimension, copied only when no such description exists.
"""

from typing import NamedTuple

import numpy as np

from . import _capi

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_SUPPORTED = (_F32, _F64)


def _is_half(dtype):
    return dtype.kind == "f" and dtype.itemsize == 2


def working_dtype(*arrays):
    """float16, float32 or float64, chosen as numpy would promote the inputs.

    float16 when numpy's own result type is float16 (float16 inputs, possibly with int8, uint8 or
    bool ones), as numpy computes float16 operands in float16; otherwise the promotion against
    float32: small integers and float16 mixed with float32 compute in float32, int32/int64 (the
    seed example's integers) and float64 in float64. Anything else (complex, object, strings) has
    no C path.
    """
    try:
        if _is_half(np.result_type(*arrays)):
            return _F16
        dtype = np.result_type(*arrays, np.float32)
    except TypeError as e:
        raise TypeError(f"libmha computes in float16, float32 or float64, not these inputs: {e}") \
            from e
    if dtype not in _SUPPORTED:
        kinds = ", ".join(str(a.dtype) for a in arrays)
        raise TypeError(f"libmha computes in float16, float32 or float64; inputs of dtype {kinds} "
                        f"promote to {dtype}")
    return dtype


class Plan(NamedTuple):
    """How one call runs: the C storage format (a key of _capi: a numpy dtype, or _capi.BF16),
    the dtype the inputs are cast to before the call (float32 for bf16, converted to bf16 bits
    after), and the dtype of the returned arrays."""

    storage: object
    inputs: np.dtype
    result: np.dtype


PRECISIONS = ("bf16", "f16")


def plan(arrays, precision, function):
    """The Plan for these inputs: working_dtype()'s when precision is None; with precision "f16"
    or "bf16", float16 or float32 inputs computed in that format (float16 results for f16,
    float32 results holding the bf16 values exactly for bf16). Any other input dtype with a
    precision is a TypeError, float64 included: rounding it to half would go through float32,
    rounding twice, and the choice to drop that much precision is left to the caller."""
    if precision is None:
        dtype = working_dtype(*arrays)
        return Plan(dtype, dtype, dtype)
    if not isinstance(precision, str):
        raise TypeError(f"{function}: precision must be None, 'bf16' or 'f16', "
                        f"not {type(precision).__name__}")
    if precision not in PRECISIONS:
        raise ValueError(f"{function}: precision must be None, 'bf16' or 'f16', not {precision!r}")
    others = sorted({str(a.dtype) for a in arrays
                     if not (a.dtype.kind == "f" and a.dtype.itemsize in (2, 4))})
    if others:
        raise TypeError(f"{function}: precision={precision!r} takes float32 or float16 inputs, "
                        f"not {', '.join(others)} (convert float64 with .astype(np.float32); "
                        f"bf16 bits held in uint16: mha.from_bf16(bits))")
    if precision == "f16":
        return Plan(_F16, _F16, _F16)
    return Plan(_capi.BF16, _F32, _F32)


def to_bf16(a):
    """float32 (or float16) values -> their bfloat16 bits as uint16, round to nearest even."""
    a = np.asarray(a)
    if not (a.dtype.kind == "f" and a.dtype.itemsize in (2, 4)):
        raise TypeError(f"to_bf16 rounds float32 or float16 values, not {a.dtype} (float64: "
                        f".astype(np.float32) first, which rounds once more)")
    src = np.ascontiguousarray(a, _F32).reshape(a.shape)  # ascontiguousarray makes 0-d 1-d
    bits = np.empty(a.shape, np.uint16)
    _capi.f32_to_bf16(src, bits)
    return bits


def from_bf16(bits):
    """bfloat16 bits held in uint16 -> float32, exactly."""
    bits = np.asarray(bits)
    if not (bits.dtype.kind == "u" and bits.dtype.itemsize == 2):
        raise TypeError(f"from_bf16 reads bfloat16 bits held in uint16, not {bits.dtype}")
    src = np.ascontiguousarray(bits, np.uint16).reshape(bits.shape)
    out = np.empty(bits.shape, _F32)
    _capi.bf16_to_f32(src, out)
    return out


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


def stack_for(a, plan):
    """`a` as a MatrixStack in the plan's storage: matrix_stack() for numpy dtypes; for bf16 a
    packed array of the bits (the conversion copies anyway)."""
    if plan.storage is _capi.BF16:
        bits = to_bf16(a)
        rows, cols = bits.shape[-2:]
        return MatrixStack(bits, rows * cols, cols)
    return matrix_stack(a, plan.storage)


def packed_for(a, plan):
    """`a` packed in the plan's storage (for mha_compute_qkv, which takes packed matrices only)."""
    if plan.storage is _capi.BF16:
        return to_bf16(a)
    return contiguous(a, plan.storage)
