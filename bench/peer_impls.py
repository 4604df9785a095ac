# SPDX-License-Identifier: MIT
"""The same math three ways: libmha, plain numpy, PyTorch. Q, K, V = X·W_q, X·W_k, X·W_v, then
per head softmax(Q_h·K_hᵀ / sqrt(d_head))·V_h, heads side by side, no output projection.

Each peer gets its inputs in its own form once (`prepare`) so that timing sees only the math.
"""

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


class LibmhaTilesPeer(LibmhaPeer):
    """libmha as its README advises on several cores: OpenBLAS on one thread during attention, so
    libmha runs whole tiles (GEMM, softmax, GEMM) on its OpenMP workers instead of threading each
    GEMM. The BLAS count is switched around each call (a plain variable store in OpenBLAS); the
    projection is plain GEMMs and identical to the "libmha" peer, so it is not timed twice."""

    name = "libmha tiles"
    method = "mha.multi_head_attention, OpenBLAS 1 thread, tiles on OpenMP workers"
    projects = False

    def __init__(self, threads):
        self.threads = threads

    def attend(self, Q, K, V, n_heads):
        n = self.threads.n
        self.threads.blas_only(1)
        try:
            return super().attend(Q, K, V, n_heads)
        finally:
            self.threads.blas_only(n)


class NumpyPeer:
    name = "numpy"
    projects = True
    method = "X @ W; stacked matmul over head views, in-place stable softmax"

    def prepare(self, a):
        return a

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

    def __init__(self, torch):
        self.torch = torch
        self.F = torch.nn.functional
        self.candidates = {"bmm+softmax+bmm": self._attend_bmm}
        if hasattr(self.F, "_scaled_dot_product_attention"):
            self.candidates["F._scaled_dot_product_attention"] = self._attend_sdpa
        self.method = "bmm+softmax+bmm"

    def prepare(self, a):
        return self.torch.from_numpy(a)  # shares memory: no copy

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
        return a.numpy()


def load_torch():
    """(torch module or None, a line saying which)."""
    try:
        import torch
    except ImportError as e:
        return None, f"PyTorch: skipped ({e}; Debian: apt install python3-torch)"
    return torch, f"PyTorch {torch.__version__}"


def make_peers(torch, threads):
    """The peers to run at threads.n threads: libmha's tile mode only where it differs from the
    default (several threads, libmha built with OpenMP, OpenBLAS to switch)."""
    peers = [LibmhaPeer()]
    if threads.n > 1 and threads.libmha_has_openmp and threads.blas_only(threads.n):
        peers.append(LibmhaTilesPeer(threads))
    peers.append(NumpyPeer())
    if torch is not None:
        peers.append(TorchPeer(torch))
    return peers


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


def check_agreement(peers, X, Ws, n_heads, rtol=1e-3, atol=1e-4):
    """Raises AssertionError naming the peer (and torch candidate) that disagrees; float32
    results of N(0, 1) data are held to |got − ref| <= atol + rtol·|ref| against float64."""
    (Q, K, V), ref_out = reference(X, Ws, n_heads)
    for peer in peers:
        Xp, Wp = peer.prepare(X), [peer.prepare(W) for W in Ws]
        got_qkv = [peer.to_numpy(a) for a in peer.project(Xp, Wp)]
        for name, got, ref in zip("QKV", got_qkv, (Q, K, V)):
            np.testing.assert_allclose(got, ref, rtol, atol, err_msg=f"{peer.name} {name}")
        qkv32 = [peer.prepare(a.astype(X.dtype)) for a in (Q, K, V)]
        for method in getattr(peer, "candidates", {peer.method: None}):
            peer.method = method
            got = peer.to_numpy(peer.attend(*qkv32, n_heads))
            np.testing.assert_allclose(got, ref_out, rtol, atol, err_msg=f"{peer.name} {method}")
