# SPDX-License-Identifier: MIT
"""The public functions: check shapes in Python, lay the arrays out for C, call, return new arrays.

Every argument error is raised here, before any address is taken, so the C library only ever
sees buffers whose shapes match what its descriptor says.
"""

import math
import operator

import numpy as np

from . import _capi
from ._layout import matrix_stack, packed_for, plan, stack_for


def _new_output(shape, dtype):
    """Every result is allocated here (a seam for the GIL test, which needs to watch one fill)."""
    return np.empty(shape, dtype)


def _count(value, name):
    """A positive head count; bools and floats are rejected rather than truncated."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return n


def _as_arrays(values, precision, function):
    arrays = [np.asarray(v) for v in values]
    return arrays, plan(arrays, precision, function)


def _new_result(shape, how):
    """A result array and the array the C call writes: the same one, except for bf16, where C
    writes bits that _finish() widens into the result."""
    result = _new_output(shape, how.result)
    if how.storage is _capi.BF16:
        return result, np.empty(shape, np.uint16)
    return result, result


def _finish(result, written):
    if written is not result:
        _capi.bf16_to_f32(written, result)  # both packed, of one shape: exact widening
    return result


def _require_2d_same_shape(names, arrays, function):
    for name, a in zip(names, arrays):
        if a.ndim != 2:
            raise ValueError(f"{function}: {name} must be 2-D (seq_len, width), "
                             f"got shape {a.shape}")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        listed = ", ".join(f"{n}{a.shape}" for n, a in zip(names, arrays))
        raise ValueError(f"{function}: Q, K and V must have one shape, got {listed}")


def compute_qkv(X, W_q, W_k, W_v, *, precision=None):
    """Q, K, V = X·W_q, X·W_k, X·W_v for X (seq_len, d_model) and W (d_model, d_model).
    precision: None (the inputs' dtype decides), "f16" or "bf16"; see docs/PYTHON.md."""
    (X, W_q, W_k, W_v), how = _as_arrays((X, W_q, W_k, W_v), precision, "compute_qkv")
    if X.ndim != 2:
        raise ValueError(f"compute_qkv: X must be 2-D (seq_len, d_model), got shape {X.shape}")
    seq_len, d_model = X.shape
    for name, W in zip(("W_q", "W_k", "W_v"), (W_q, W_k, W_v)):
        if W.shape != (d_model, d_model):
            raise ValueError(f"compute_qkv: {name} must be ({d_model}, {d_model}) for X of shape "
                             f"{X.shape}, got {W.shape}")
    # mha_compute_qkv takes packed matrices only, so strided inputs are packed here.
    X, W_q, W_k, W_v = (packed_for(a, how) for a in (X, W_q, W_k, W_v))
    (Q, q), (K, k), (V, v) = (_new_result(X.shape, how) for _ in range(3))
    _capi.compute_qkv(X, W_q, W_k, W_v, q, k, v, how.storage)
    return _finish(Q, q), _finish(K, k), _finish(V, v)


def self_attention(Q, K, V, *, precision=None):
    """softmax(Q·Kᵀ / sqrt(d_k))·V for Q, K, V of one shape (seq_len, d_k)."""
    arrays, _ = _as_arrays((Q, K, V), precision, "self_attention")
    _require_2d_same_shape("QKV", arrays, "self_attention")
    return attention(*arrays, 1, precision=precision)


def multi_head_attention(Q, K, V, n_heads, *, precision=None):
    """Attention per head on column slices of Q, K, V (seq_len, d_model); d_k = d_model/n_heads."""
    arrays, _ = _as_arrays((Q, K, V), precision, "multi_head_attention")
    _require_2d_same_shape("QKV", arrays, "multi_head_attention")
    return attention(*arrays, n_heads, precision=precision)


def _heads_width(width, heads, name, heads_name):
    if width % heads:
        raise ValueError(f"attention: {name} has {width} columns, not a multiple of "
                         f"{heads_name}={heads}")
    return width // heads


def _mask_stack(mask, batch_shape, seq_q, seq_kv, dtype):
    """An additive mask of `dtype` broadcast to (batch…, seq_q, seq_kv); bool: True attends."""
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        # −inf, not a large negative number: the library turns rows with no visible key into
        # zeros, where a finite penalty would silently average over the masked keys.
        mask = np.where(mask, dtype.type(0), dtype.type(-np.inf))
    elif mask.dtype.kind not in "iuf":
        raise TypeError(f"attention: mask must be bool or real, not {mask.dtype}")
    target = (*batch_shape, seq_q, seq_kv)
    try:
        mask = np.broadcast_to(mask, target)
    except ValueError:
        raise ValueError(f"attention: mask of shape {mask.shape} does not broadcast to "
                         f"(batch…, seq_q, seq_kv) = {target}") from None
    return matrix_stack(mask, dtype)


def _kv_lens(kv_lens, batch, seq_kv):
    """A ragged batch's key lengths as a size_t array: one int in [0, seq_kv] per flattened
    batch item, in C order of the batch dims."""
    lens = []
    for n in kv_lens:
        if isinstance(n, (bool, np.bool_)):
            raise TypeError("attention: kv_lens must hold ints, not bool")
        try:
            lens.append(operator.index(n))
        except TypeError:
            raise TypeError(f"attention: kv_lens must hold ints, not {type(n).__name__}") from None
    if len(lens) != batch:
        raise ValueError(f"attention: kv_lens needs one length per batch item ({batch}), "
                         f"got {len(lens)}")
    for n in lens:
        if not 0 <= n <= seq_kv:
            raise ValueError(f"attention: kv_lens entries must be in [0, seq_kv={seq_kv}], "
                             f"got {n}")
    return np.array(lens, dtype=np.uintp)


def attention(Q, K, V, n_heads, *, n_kv_heads=None, causal=False, mask=None, scale=None,
              precision=None, kv_lens=None):
    """General attention; see docs/PYTHON.md. Q (…, seq_q, n_heads·d_head),
    K (…, seq_kv, n_kv_heads·d_head), V (…, seq_kv, n_kv_heads·d_v) -> (…, seq_q, n_heads·d_v).
    kv_lens: optional ints, one per batch item (flattened): item b sees keys [0, kv_lens[b]).
    """
    (Q, K, V), how = _as_arrays((Q, K, V), precision, "attention")
    n_heads = _count(n_heads, "n_heads")
    n_kv_heads = n_heads if n_kv_heads is None else _count(n_kv_heads, "n_kv_heads")
    if n_heads % n_kv_heads:
        raise ValueError(f"attention: n_kv_heads={n_kv_heads} must divide n_heads={n_heads}")
    for name, a in zip("QKV", (Q, K, V)):
        if a.ndim < 2:
            raise ValueError(f"attention: {name} must be at least 2-D (…, seq, width), "
                             f"got shape {a.shape}")
    batch_shape = Q.shape[:-2]
    if K.shape[:-2] != batch_shape or V.shape[:-2] != batch_shape:
        raise ValueError(f"attention: batch dims differ: Q{Q.shape}, K{K.shape}, V{V.shape}")
    seq_q, seq_kv = Q.shape[-2], K.shape[-2]
    if V.shape[-2] != seq_kv:
        raise ValueError(f"attention: K and V need one sequence length, got K{K.shape}, V{V.shape}")
    d_head = _heads_width(Q.shape[-1], n_heads, "Q", "n_heads")
    if K.shape[-1] != n_kv_heads * d_head:
        raise ValueError(f"attention: K must have n_kv_heads·d_head = {n_kv_heads}·{d_head} "
                         f"columns, got {K.shape[-1]}")
    d_v = _heads_width(V.shape[-1], n_kv_heads, "V", "n_kv_heads")
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"attention: causal must be a bool, not {type(causal).__name__}")

    batch = math.prod(batch_shape)
    lens = None if kv_lens is None else _kv_lens(kv_lens, batch, seq_kv)
    q, k, v = (stack_for(a, how) for a in (Q, K, V))
    # The half functions take a float mask: float32 for bf16 (the inputs' dtype) and for f16.
    mask_dtype = how.inputs if how.inputs != np.float16 else np.dtype(np.float32)
    m = None if mask is None else _mask_stack(mask, batch_shape, seq_q, seq_kv, mask_dtype)
    result, out = _new_result((*batch_shape, seq_q, n_heads * d_v), how)

    desc = _capi.new_desc(seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v)
    desc.batch = batch
    desc.ld_q, desc.ld_k, desc.ld_v = q.ld, k.ld, v.ld
    desc.batch_stride_q, desc.batch_stride_k, desc.batch_stride_v = (
        q.batch_stride, k.batch_stride, v.batch_stride)
    if m is not None:
        desc.ld_mask, desc.batch_stride_mask = m.ld, m.batch_stride
    if scale is not None:
        # float() rejects complex with a TypeError; a non-finite scale is the library's to refuse.
        desc.scale = float(scale)
    desc.flags = _capi.MHA_CAUSAL if causal else 0
    if lens is not None and batch > 0:
        desc.kv_lens = lens.ctypes.data  # `lens` stays referenced until the call returns
    # out is packed: the ld_out and batch_stride_out from mha_attention_desc_init are right.
    _capi.attention(desc, q.array, k.array, v.array, None if m is None else m.array, out,
                    how.storage)
    return _finish(result, out)
