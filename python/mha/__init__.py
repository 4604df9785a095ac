# SPDX-License-Identifier: MIT
"""libmha from numpy: multi-head attention on the CPU through ctypes (no compiled extension).

    Q, K, V = mha.compute_qkv(X, W_q, W_k, W_v)
    out = mha.self_attention(Q, K, V)
    out = mha.multi_head_attention(Q, K, V, n_heads)
    out = mha.attention(Q, K, V, n_heads, n_kv_heads=None, causal=False, mask=None, scale=None)
    out = mha.attention(Q, K, V, n_heads, precision="bf16")  # all four take precision=
    bits = mha.to_bf16(a); a = mha.from_bf16(bits)           # float32 <-> bf16 bits in uint16
    mha.runtime_info()  # the BLAS, its kernels and threads, the workers, the softmax ISA

Inputs promote as numpy would: float16 runs the library's _f16 functions and returns float16;
float32 (and float16 mixed with float32, small integers) its float functions; float64 (and
int32/int64) its _f64 functions. precision="bf16" computes float32 or float16 inputs in bfloat16
(the _bf16 functions) and returns the bf16 results exactly in float32; precision="f16" casts them
to float16. Results are new C-contiguous arrays. The GIL is released during each C call. The
library is found through MHA_LIBRARY, then the meson build tree beside this package, then the
system; see docs/PYTHON.md.
"""

from ._capi import MhaError, library_path, runtime_info, version as library_version
from ._functions import attention, compute_qkv, multi_head_attention, self_attention
from ._layout import from_bf16, to_bf16

__all__ = [
    "MhaError",
    "attention",
    "compute_qkv",
    "from_bf16",
    "library_path",
    "library_version",
    "multi_head_attention",
    "runtime_info",
    "self_attention",
    "to_bf16",
]
