# SPDX-License-Identifier: MIT
"""The same math three ways: libmha, plain numpy, PyTorch. Q, K, V = X·W_q, X·W_k, X·W_v, then
per head softmax(Q_h·K_hᵀ / sqrt(d_head))·V_h, heads side by side, no output projection.

Each peer gets its inputs in its own form once (`prepare`) so that timing sees only the math.
In the half types every peer gets the same float32 inputs and rounds them to nearest even
(`prepare`); who runs where (make_peers):
  bf16  libmha's _bf16 functions (ctypes: the package has no half dtype yet), torch.bfloat16
        tensors (bmm+softmax+bmm: 1.13 has no F.scaled_dot_product_attention). numpy has no bf16.
  f16   libmha's _f16 functions; numpy float16 only on request (--numpy-f16: numpy multiplies
        float16 in its own loops, about 0.2 GFLOP/s here, minutes per call at seq 1024); not torch
        (1.13 on the CPU: "addmm_impl_cpu_" not implemented for 'Half').
"""

import ctypes
import math

import numpy as np

import mha
from peer_setup import time_interleaved


def flops(seq_len, d_model):
    """(projection, attention) floating-point operations: 3 GEMMs of seq×d·d, then per head two
    GEMMs of seq×seq×d_head (summed over heads: seq²·d_model each). Softmax is not counted."""
    return 3 * 2 * seq_len * d_model**2, 2 * 2 * seq_len**2 * d_model


def make_inputs(seq_len, d_model, dtype=np.float32, seed=0):
    """X ~ N(0, 1), W ~ N(0, 1/d_model): Q, K, V ~ N(0, 1) and scores of order 1, as in a model."""
    r = np.random.default_rng(seed)
    X = r.standard_normal((seq_len, d_model)).astype(dtype)
    Ws = [(r.standard_normal((d_model, d_model)) / math.sqrt(d_model)).astype(dtype)
          for _ in range(3)]
    return X, Ws


class LibmhaPeer:
    name = "libmha"
    method = "mha.compute_qkv + mha.multi_head_attention"
    projects = True  # False: its projection is another peer's, not timed again

    def prepare(self, a):
        return a

    def project(self, X, Ws):
        return mha.compute_qkv(X, *Ws)

    def attend(self, Q, K, V, n_heads):
        return mha.multi_head_attention(Q, K, V, n_heads)

    def to_numpy(self, a):
        return a


class LibmhaHalfPeer:
    """libmha's mha_compute_qkv_T and mha_multi_head_attention_T (T = bf16, f16) through ctypes
    on the package's library handle: the package takes float32 and float64 only. Arrays are
    numpy uint16 holding the bits; the library's own conversions round float32 to them."""

    projects = True

    def __init__(self, dtype):
        lib, size = mha._capi.lib, ctypes.c_size_t
        self.dtype = dtype
        self.name = "libmha"
        self.method = f"mha_compute_qkv_{dtype} + mha_multi_head_attention_{dtype} (ctypes)"
        self._qkv = self._declare(f"mha_compute_qkv_{dtype}", [ctypes.c_void_p] * 4 + [size] * 2
                                  + [ctypes.c_void_p] * 3)
        self._mha = self._declare(f"mha_multi_head_attention_{dtype}",
                                  [ctypes.c_void_p] * 3 + [size] * 3 + [ctypes.c_void_p])
        self._narrow = self._declare(f"mha_convert_f32_to_{dtype}", [ctypes.c_void_p] * 2 + [size])
        self._widen = self._declare(f"mha_convert_{dtype}_to_f32", [ctypes.c_void_p] * 2 + [size])
        self._lib = lib

    @staticmethod
    def _declare(name, argtypes):
        fn = getattr(mha._capi.lib, name)
        fn.argtypes, fn.restype = argtypes, ctypes.c_int
        return fn

    def _call(self, fn, *args):
        status = fn(*args)
        if status != 0:
            raise RuntimeError(f"{fn.__name__}: {mha._capi.status_string(status)}")

    def prepare(self, a):
        a = np.ascontiguousarray(a, dtype=np.float32)
        out = np.empty(a.shape, np.uint16)
        self._call(self._narrow, a.ctypes.data, out.ctypes.data, a.size)
        return out

    def project(self, X, Ws):
        seq_len, d_model = X.shape
        Q, K, V = (np.empty_like(X) for _ in range(3))
        self._call(self._qkv, X.ctypes.data, *(W.ctypes.data for W in Ws), seq_len, d_model,
                   Q.ctypes.data, K.ctypes.data, V.ctypes.data)
        return Q, K, V

    def attend(self, Q, K, V, n_heads):
        seq_len, d_model = Q.shape
        out = np.empty_like(Q)
        self._call(self._mha, Q.ctypes.data, K.ctypes.data, V.ctypes.data, seq_len, d_model,
                   n_heads, out.ctypes.data)
        return out

    def to_numpy(self, a):
        out = np.empty(a.shape, np.float32)
        self._call(self._widen, a.ctypes.data, out.ctypes.data, a.size)
        return out


class LibmhaTilesPeer:
    """libmha as its README advises on several cores: OpenBLAS on one thread during attention, so
    libmha runs whole tiles (GEMM, softmax, GEMM) on its OpenMP workers instead of threading each
    GEMM. The BLAS count is switched around each call (a plain variable store in OpenBLAS); the
    projection is plain GEMMs and identical to the "libmha" peer, so it is not timed twice.
    `inner` is the libmha peer of the type (LibmhaPeer or LibmhaHalfPeer)."""

    name = "libmha tiles"
    method = "mha.multi_head_attention, OpenBLAS 1 thread, tiles on OpenMP workers"
    projects = False

    def __init__(self, threads, inner=None):
        self.threads = threads
        self.inner = inner or LibmhaPeer()
        self.prepare, self.project, self.to_numpy = (self.inner.prepare, self.inner.project,
                                                     self.inner.to_numpy)

    def attend(self, Q, K, V, n_heads):
        n = self.threads.n
        self.threads.blas_only(1)
        try:
            return self.inner.attend(Q, K, V, n_heads)
        finally:
            self.threads.blas_only(n)


class NumpyPeer:
    name = "numpy"
    projects = True
    method = "X @ W; stacked matmul over head views, in-place stable softmax"

    def __init__(self, dtype=None):
        self.dtype = dtype  # None: the inputs' own (float32); np.float16 for the f16 peer

    def prepare(self, a):
        return a if self.dtype is None else a.astype(self.dtype)

    def project(self, X, Ws):
        return tuple(X @ W for W in Ws)

    def attend(self, Q, K, V, n_heads):
        seq_len, d_model = Q.shape
        d_head = d_model // n_heads
        # (heads, seq, d_head) views: numpy hands each head's strided matrix to the BLAS as is.
        q, k, v = (a.reshape(seq_len, n_heads, d_head).transpose(1, 0, 2) for a in (Q, K, V))
        S = q @ k.transpose(0, 2, 1)
        S *= Q.dtype.type(1 / math.sqrt(d_head))
        S -= S.max(axis=-1, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=-1, keepdims=True)
        return (S @ v).transpose(1, 0, 2).reshape(seq_len, d_model)

    def to_numpy(self, a):
        return a


class TorchPeer:
    """PyTorch 1.13 has no public fused attention on the CPU: F.scaled_dot_product_attention
    arrived in 2.0. Two candidates are timed and the faster is reported (`method` says which):
    a hand-arranged bmm/softmax/bmm, and the private F._scaled_dot_product_attention of 1.13.
    multi_head_attention_forward is not one: it always applies in- and out-projections."""

    name = "torch"
    projects = True

    def __init__(self, torch, dtype=None):
        self.torch = torch
        self.dtype = dtype  # None: the inputs' own (float32); torch.bfloat16 for the bf16 peer
        self.F = torch.nn.functional
        self.candidates = {"bmm+softmax+bmm": self._attend_bmm}
        if hasattr(self.F, "_scaled_dot_product_attention"):
            self.candidates["F._scaled_dot_product_attention"] = self._attend_sdpa
        self.method = "bmm+softmax+bmm"

    def prepare(self, a):
        t = self.torch.from_numpy(a)  # shares memory: no copy
        return t if self.dtype is None else t.to(self.dtype)  # rounds to nearest even

    def project(self, X, Ws):
        return tuple(self.torch.mm(X, W) for W in Ws)

    def attend(self, Q, K, V, n_heads):
        return self.candidates[self.method](Q, K, V, n_heads)

    def _heads(self, a, n_heads):
        seq_len, d_model = a.shape
        return a.view(seq_len, n_heads, d_model // n_heads).transpose(0, 1)

    def _attend_bmm(self, Q, K, V, n_heads):
        q, k, v = (self._heads(a, n_heads) for a in (Q, K, V))
        S = self.torch.bmm(q, k.transpose(1, 2)).mul_(1 / math.sqrt(q.shape[-1]))
        P = self.torch.softmax(S, dim=-1)
        return self.torch.bmm(P, v).transpose(0, 1).reshape(Q.shape)

    def _attend_sdpa(self, Q, K, V, n_heads):
        q, k, v = (self._heads(a, n_heads) for a in (Q, K, V))
        out, _ = self.F._scaled_dot_product_attention(q, k, v, None, 0.0, False, False)
        return out.transpose(0, 1).reshape(Q.shape)

    def to_numpy(self, a):
        return a.float().numpy()


def load_torch():
    """(torch module or None, a line saying which)."""
    try:
        import torch
    except ImportError as e:
        return None, f"PyTorch: skipped ({e}; Debian: apt install python3-torch)"
    return torch, f"PyTorch {torch.__version__}"


# Unit roundoff of each storage type: the half bounds of mha.h ("Half precision").
UNIT = {"f32": 0.0, "bf16": 2.0**-8, "f16": 2.0**-11}


def make_peers(torch, threads, dtype="f32", numpy_f16=False):
    """The peers of one storage type at threads.n threads (see the top of the file for who runs
    in which): libmha's tile mode only where it differs from the default (several threads,
    libmha built with OpenMP, OpenBLAS to switch)."""
    libmha = LibmhaPeer() if dtype == "f32" else LibmhaHalfPeer(dtype)
    peers = [libmha]
    if threads.n > 1 and threads.libmha_has_openmp and threads.blas_only(threads.n):
        peers.append(LibmhaTilesPeer(threads, libmha))
    if dtype == "f32" or (dtype == "f16" and numpy_f16):
        peers.append(NumpyPeer(None if dtype == "f32" else np.float16))
    if torch is not None and dtype in ("f32", "bf16"):
        peers.append(TorchPeer(torch, None if dtype == "f32" else torch.bfloat16))
    return peers


def round_to(a, dtype):
    """float32 `a` rounded to the storage type (nearest even) and back: the values a half peer
    computes on."""
    if dtype == "f32":
        return a
    if dtype == "f16":
        return a.astype(np.float16).astype(np.float32)
    bits = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16  # finite inputs only
    return bits.astype(np.uint32).view(np.float32).reshape(a.shape)


def reference(X, Ws, n_heads):
    """The pipeline in float64 with the numpy code: what every peer must agree with."""
    numpy_peer = NumpyPeer()
    X64, W64 = X.astype(np.float64), [W.astype(np.float64) for W in Ws]
    Q, K, V = numpy_peer.project(X64, W64)
    return (Q, K, V), numpy_peer.attend(Q, K, V, n_heads)


def choose_torch_path(peers, X, Ws, n_heads, min_reps, budget):
    """Points the torch peer at its faster attention candidate for this shape and the current
    thread count; returns the candidate's name (None without torch)."""
    torch_peer = next((p for p in peers if isinstance(p, TorchPeer)), None)
    if torch_peer is None:
        return None
    Q, K, V = torch_peer.project(torch_peer.prepare(X), [torch_peer.prepare(W) for W in Ws])
    speed = time_interleaved(
        {m: (lambda f=f: f(Q, K, V, n_heads)) for m, f in torch_peer.candidates.items()},
        min_reps, budget)
    torch_peer.method = min(speed, key=speed.get)
    return torch_peer.method


def check_agreement(peers, X, Ws, n_heads, dtype="f32", rtol=1e-3, atol=1e-4, slack=1):
    """Raises AssertionError naming the peer (and torch candidate) that disagrees; float32
    results of N(0, 1) data are held to |got − ref| <= atol + rtol·|ref| against float64. In a
    half type (unit u) the reference takes the rounded inputs, and the bounds are libmha's
    (mha.h): projection 2u·max|ref| more, attention 3u·max|V| + 1e-3 (times `slack` for peers
    other than libmha, which may round more: torch's bf16 softmax rounds the scores)."""
    u = UNIT[dtype]
    Xr, Wr = round_to(X, dtype), [round_to(W, dtype) for W in Ws]
    (Q, K, V), _ = reference(Xr, Wr, n_heads)
    Qr, Kr, Vr = (round_to(a.astype(np.float32), dtype) for a in (Q, K, V))
    ref_out = NumpyPeer().attend(*(a.astype(np.float64) for a in (Qr, Kr, Vr)), n_heads)
    for peer in peers:
        s = 1 if peer.name.startswith("libmha") else slack
        Xp, Wp = peer.prepare(X), [peer.prepare(W) for W in Ws]
        got_qkv = [peer.to_numpy(a) for a in peer.project(Xp, Wp)]
        for name, got, ref in zip("QKV", got_qkv, (Q, K, V)):
            np.testing.assert_allclose(got, ref, rtol, atol + s * 2 * u * np.abs(ref).max(),
                                       err_msg=f"{peer.name} {dtype} {name}")
        qkv = [peer.prepare(a) for a in (Qr, Kr, Vr)]
        attn_rtol, attn_atol = (rtol, atol) if u == 0 else (0, s * 3 * u * np.abs(Vr).max() + 1e-3)
        for method in getattr(peer, "candidates", {peer.method: None}):
            peer.method = method
            got = peer.to_numpy(peer.attend(*qkv, n_heads))
            np.testing.assert_allclose(got, ref_out, attn_rtol, attn_atol,
                                       err_msg=f"{peer.name} {dtype} {method}")
