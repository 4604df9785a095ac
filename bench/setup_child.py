# SPDX-License-Identifier: MIT
"""One Python setup of mha_bench --suite setups (bench/bench_setups.h): numpy or torch imported
before mha as a user writes it (or mha first: the tuned setup's), then the same checked calls as the C children, through the mha
package as a user calls it. One line per case on stdout, which the parent bench reads:

    runtime <what mha.runtime_info() says>
    case <name> <dtype> <median seconds> <max abs error against the float64 reference>
    skip <why>            (torch not installed: the setup cannot be made here)

A result beyond its tolerance exits with status 1 before it is timed. The parent passes
PYTHONPATH (this tree's python/) and MHA_LIBRARY (the library it was built with).

    /usr/bin/python3 bench/setup_child.py --first numpy --dtype f32,bf16 \\
        --setup-cases mha_2048x512x8:attention:1:2048:512:8
"""

import argparse
import importlib
import sys
import time

# Tolerances |got − ref| <= ATOL + RTOL·|ref| for float32 and float64; the half types' bound is
# mha.h's, 3u·max|V| (u = 2^-8 bf16, 2^-11 f16), on top of float32's.
ATOL, RTOL = 1e-4, 1e-3
HALF_U = {"bf16": 2.0**-8, "f16": 2.0**-11}


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--first", choices=("mha", "numpy", "torch"), required=True)
    p.add_argument("--dtype", default="f32")
    p.add_argument("--setup-cases", required=True)
    p.add_argument("--reps", type=int, default=0)
    p.add_argument("--smoke", action="store_true")
    return p.parse_args()


def import_first(name):
    """The module the user imports before mha; None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def cases_of(spec):
    out = []
    for item in spec.split(","):
        name, kind, batch, seq, d_model, heads = item.split(":")
        out.append((name, kind, int(batch), int(seq), int(d_model), int(heads)))
    return out


class Storage:
    """How one dtype row is stored and called: the numpy dtype handed over, the precision=
    keyword, and the exact values the library computes on (for the reference)."""

    def __init__(self, name, np, mha):
        self.name, self.np, self.mha = name, np, mha
        self.dtype = {"f32": np.float32, "f64": np.float64, "bf16": np.float32,
                      "f16": np.float16}[name]
        self.kw = {"precision": "bf16"} if name == "bf16" else {}

    def stored(self, a):
        """The values the library reads, in float64."""
        if self.name == "bf16":
            return self.mha.from_bf16(self.mha.to_bf16(a.astype(self.np.float32))).astype(float)
        return a.astype(self.dtype).astype(float)

    def bound(self, ref, v_max):
        np = self.np
        tol = ATOL + RTOL * np.abs(ref)
        return tol + 3 * HALF_U[self.name] * v_max if self.name in HALF_U else tol


def ref_attention(np, Q, K, V, heads, which):
    """float64 softmax(Q·Kᵀ/√d)·V per head, for the heads in `which`; shapes (…, seq, d_model)."""
    d = Q.shape[-1] // heads
    out = {}
    for h in which:
        cols = slice(h * d, (h + 1) * d)
        s = Q[..., cols] @ np.swapaxes(K[..., cols], -1, -2) / np.sqrt(d)
        p = np.exp(s - s.max(-1, keepdims=True))
        out[h] = (p / p.sum(-1, keepdims=True)) @ V[..., cols]
    return out


def check(st, got, ref, v_max, what):
    np = st.np
    err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
    if not np.all(np.abs(got - ref) <= st.bound(ref, v_max)):
        print(f"setup_child: FAIL: {what} ({st.name}): max error {err:.3g}", file=sys.stderr)
        sys.exit(1)
    return err


def attention_case(st, rng, batch, seq, d_model, heads):
    """The call and its checked result: multi_head_attention for one sequence, attention for a
    batch, as a user calls them."""
    np, mha = st.np, st.mha
    shape = (seq, d_model) if batch == 1 else (batch, seq, d_model)
    Q, K, V = (rng.uniform(-1, 1, shape).astype(st.dtype) for _ in range(3))
    if batch == 1:
        def call():
            return mha.multi_head_attention(Q, K, V, heads, **st.kw)
    else:
        def call():
            return mha.attention(Q, K, V, heads, **st.kw)
    got = call().astype(float)
    Qd, Kd, Vd = (st.stored(a) for a in (Q, K, V))
    which = sorted({0, heads - 1})
    ref = ref_attention(np, Qd, Kd, Vd, heads, which)
    d = d_model // heads
    err = max(check(st, got[..., h * d:(h + 1) * d], r, np.abs(Vd).max(), "attention")
              for h, r in ref.items())
    return call, err


def pipeline_case(st, rng, batch, seq, d_model, heads):
    """compute_qkv then multi_head_attention; the projection checked against X·W, the attention
    against the reference on the library's own Q, K, V."""
    np, mha = st.np, st.mha
    X = rng.uniform(-1, 1, (seq, d_model)).astype(st.dtype)
    W = [(rng.uniform(-1, 1, (d_model, d_model)) * np.sqrt(3 / d_model)).astype(st.dtype)
         for _ in range(3)]

    def call():
        Q, K, V = mha.compute_qkv(X, *W, **st.kw)
        return mha.multi_head_attention(Q, K, V, heads, **st.kw), (Q, K, V)

    out, qkv = call()
    Xd = st.stored(X)
    err = 0.0
    for w, p in zip(W, qkv):
        ref = Xd @ st.stored(w)
        err = max(err, check(st, p.astype(float), ref, np.abs(ref).max(), "projection"))
    Qd, Kd, Vd = (a.astype(float) for a in qkv)
    d = d_model // heads
    for h, r in ref_attention(np, Qd, Kd, Vd, heads, sorted({0, heads - 1})).items():
        err = max(err, check(st, out[..., h * d:(h + 1) * d].astype(float), r, np.abs(Vd).max(),
                             "pipeline attention"))
    return call, err


def median_seconds(call, reps):
    times = []
    spent = 0.0
    while len(times) < reps[0] or (len(times) < reps[1] and spent < 1.0):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        spent += times[-1]
    times.sort()
    return times[len(times) // 2]


def main():
    args = parse()
    if import_first(args.first) is None:
        print(f"skip {args.first} is not installed (Debian: python3-{args.first})")
        return 0
    np = importlib.import_module("numpy")
    mha = importlib.import_module("mha")
    info = mha.runtime_info()
    print(f"runtime {info['blas_name']} BLAS ({info['blas_threading']}, {info['blas_threads']} "
          f"threads), float GEMM {info['gemm_backend']}, {info['workers']} workers: "
          f"{info['setup']}", flush=True)
    reps = (args.reps, args.reps) if args.reps else (7, 21)
    rng = np.random.default_rng(29)
    for dtype in args.dtype.split(","):
        st = Storage(dtype, np, mha)
        for name, kind, batch, seq, d_model, heads in cases_of(args.setup_cases):
            case = pipeline_case if kind == "pipeline" else attention_case
            call, err = case(st, rng, batch, seq, d_model, heads)
            print(f"case {name} {dtype} {median_seconds(call, reps):.9g} {err:.3g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
