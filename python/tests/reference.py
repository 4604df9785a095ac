# SPDX-License-Identifier: MIT
"""Plain numpy attention in float64, written from the formulas and nothing else, for the tests."""

import numpy as np


def compute_qkv(X, W_q, W_k, W_v):
    X = np.asarray(X, np.float64)
    return tuple(X @ np.asarray(W, np.float64) for W in (W_q, W_k, W_v))


def softmax_rows(S):
    """Row softmax; a row that is all −inf (no visible key) becomes zeros, as libmha defines."""
    if S.shape[-1] == 0:
        return S.copy()
    row_max = S.max(axis=-1, keepdims=True)
    finite_max = np.where(np.isfinite(row_max), row_max, 0.0)
    E = np.exp(S - finite_max)
    total = E.sum(axis=-1, keepdims=True)
    return np.divide(E, total, out=np.zeros_like(E), where=total > 0)


def attention(Q, K, V, n_heads, n_kv_heads=None, causal=False, mask=None, scale=None,
              kv_lens=None):
    """One loop over (batch item, head) of softmax(scale·q·kᵀ + mask + causal)·v; with kv_lens,
    flattened item b is the same on its first kv_lens[b] keys."""
    if kv_lens is not None:
        Q, K, V = (np.asarray(a, np.float64) for a in (Q, K, V))
        batch_shape = Q.shape[:-2]
        d_v = V.shape[-1] // (n_kv_heads or n_heads)
        out = np.zeros((*batch_shape, Q.shape[-2], n_heads * d_v))
        full = None
        if mask is not None:
            mask = np.asarray(mask)
            full = np.broadcast_to(mask, (*batch_shape, *mask.shape[-2:]))
        for n, b in enumerate(np.ndindex(*batch_shape)):
            L = kv_lens[n]
            m = None if full is None else full[b][:, :L]
            out[b] = attention(Q[b], K[b][:L], V[b][:L], n_heads, n_kv_heads, causal, m, scale)
        return out
    Q, K, V = (np.asarray(a, np.float64) for a in (Q, K, V))
    n_kv_heads = n_kv_heads or n_heads
    *batch_shape, seq_q, q_width = Q.shape
    seq_kv = K.shape[-2]
    d_head = q_width // n_heads
    d_v = V.shape[-1] // n_kv_heads
    if scale is None:  # the C API's default; 1 for d_head == 0, where every score is 0 anyway
        scale = 1 / np.sqrt(d_head) if d_head else 1.0
    if mask is None:
        mask = np.zeros((seq_q, seq_kv))
    mask = np.asarray(mask)
    if mask.dtype == bool:
        mask = np.where(mask, 0.0, -np.inf)
    mask = np.broadcast_to(mask.astype(np.float64), (*batch_shape, seq_q, seq_kv))
    # Bottom-right aligned: query i sees key j when j <= i + (seq_kv - seq_q).
    i = np.arange(seq_q)[:, None]
    j = np.arange(seq_kv)[None, :]
    future = np.where(j > i + (seq_kv - seq_q), -np.inf, 0.0) if causal else 0.0

    out = np.zeros((*batch_shape, seq_q, n_heads * d_v))
    group = n_heads // n_kv_heads
    for b in np.ndindex(*batch_shape):
        for h in range(n_heads):
            g = h // group
            q = Q[b][:, h * d_head:(h + 1) * d_head]
            k = K[b][:, g * d_head:(g + 1) * d_head]
            v = V[b][:, g * d_v:(g + 1) * d_v]
            P = softmax_rows(scale * (q @ k.T) + mask[b] + future)
            out[b][:, h * d_v:(h + 1) * d_v] = P @ v
    return out
