# SPDX-License-Identifier: MIT
"""libmha from numpy: multi-head attention on the CPU through ctypes (no compiled extension).

    Q, K, V = mha.compute_qkv(X, W_q, W_k, W_v)
    out = mha.self_attention(Q, K, V)
    out = mha.multi_head_attention(Q, K, V, n_heads)
    out = mha.attention(Q, K, V, n_heads, n_kv_heads=None, causal=False, mask=None, scale=None)
    mha.runtime_info()  # the BLAS, its kernels and threads, the workers, the softmax ISA

Inputs promote with float32 as numpy would: float32 runs the library's float functions, float64
(and integer inputs) its _f64 functions. Results are new C-contiguous arrays. The GIL is released
during each C call. The library is found through MHA_LIBRARY, then the meson build tree beside
this package, then the system; see docs/PYTHON.md.
"""

from ._capi import MhaError, library_path, runtime_info, version as library_version
from ._functions import attention, compute_qkv, multi_head_attention, self_attention

__all__ = [
    "MhaError",
    "attention",
    "compute_qkv",
    "library_path",
    "library_version",
    "multi_head_attention",
    "runtime_info",
    "self_attention",
]
