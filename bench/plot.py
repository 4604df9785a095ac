#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Attention GFLOP/s against sequence length for libmha, numpy, PyTorch and a naive reference,
with the measured sgemm peak as a line; writes a PNG (matplotlib: apt install python3-matplotlib).

    /usr/bin/python3 bench/plot.py                   # writes docs/peers.png
    /usr/bin/python3 bench/plot.py --out /tmp/p.png --seq 128 256 --threads 1

"naive" is the textbook triple loop without a BLAS, as the C reference in tests/ref is: numpy's
einsum with optimize=False (its own C loops, float64), timed only up to --naive-max-seq because it
is two orders of magnitude slower. The C reference itself is not exported to Python.
"""

import argparse
import sys
from pathlib import Path

from peer_setup import (REPO, Threads, choose_openblas_core, openblas_core, passive_openmp,
                        time_interleaved)


# One colour per series in every panel: the legend is drawn once, from the last panel.
COLORS = {"libmha": "C0", "libmha tiles": "C1", "numpy": "C2", "torch": "C3", "naive": "C4"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "peers.png")
    p.add_argument("--seq", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    p.add_argument("--d-model", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--naive-max-seq", type=int, default=512)
    p.add_argument("--reps", type=int, default=3, help="minimum interleaved rounds")
    p.add_argument("--budget", type=float, default=0.5, help="seconds per point, roughly")
    return p.parse_args(argv)


def naive_attention(Q, K, V, n_heads):
    """Per head softmax(q·kᵀ/√d)·v with einsum's plain loops (no BLAS), in float64."""
    import numpy as np

    seq_len, d_model = Q.shape
    d_head = d_model // n_heads
    q, k, v = (a.astype(np.float64).reshape(seq_len, n_heads, d_head) for a in (Q, K, V))
    S = np.einsum("ihd,jhd->hij", q, k, optimize=False) / np.sqrt(d_head)
    P = np.exp(S - S.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", P, v, optimize=False).reshape(seq_len, d_model)


def check_naive(X, Ws, n_heads, reference):
    import numpy as np

    (Q, K, V), ref = reference(X, Ws, n_heads)
    np.testing.assert_allclose(naive_attention(Q, K, V, n_heads), ref, rtol=1e-10, atol=1e-12,
                               err_msg="naive")


def sgemm_peak(min_reps):
    """GFLOP/s of numpy float32 2048×2048 matmul: the BLAS's ceiling at this thread count."""
    import numpy as np

    n = 2048
    A = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    t = time_interleaved({"sgemm": lambda: A @ A}, min_reps, 0.5)["sgemm"]
    return 2 * n**3 / t / 1e9


def main(argv):
    core_note = choose_openblas_core([__file__, *argv])
    omp_note = passive_openmp()
    args = parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import mha
    from peer_impls import (check_agreement, choose_torch_path, flops, load_torch, make_inputs,
                            make_peers, reference)

    torch, torch_note = load_torch()
    threads = Threads(mha._capi.lib, torch)
    core = openblas_core(mha._capi.lib)
    print(f"OpenBLAS core: {core} — {core_note}\n{torch_note}; {omp_note}")

    inputs = {seq: make_inputs(seq, args.d_model) for seq in args.seq}
    check_naive(*inputs[min(args.seq)], args.heads, reference)

    fig, axes = plt.subplots(1, len(args.threads), figsize=(4.2 * len(args.threads) + 1.9, 3.6),
                             sharey=True, squeeze=False)
    for ax, n in zip(axes[0], args.threads):
        threads.set(n)
        peers = make_peers(torch, threads)
        series = {p.name: [] for p in peers}
        series["naive"] = []
        for seq in args.seq:
            X, Ws = inputs[seq]
            check_agreement(peers, X, Ws, args.heads)
            choose_torch_path(peers, X, Ws, args.heads, 1, 0.0)  # its faster path here
            _, f_attn = flops(seq, args.d_model)
            calls = {}
            for p in peers:
                qkv = p.project(p.prepare(X), [p.prepare(W) for W in Ws])
                calls[p.name] = lambda p=p, qkv=qkv: p.attend(*qkv, args.heads)
            if seq <= args.naive_max_seq:
                Q, K, V = peers[0].project(X, Ws)
                calls["naive"] = lambda Q=Q, K=K, V=V: naive_attention(Q, K, V, args.heads)
            times = time_interleaved(calls, args.reps, args.budget)
            for name, t in times.items():
                series[name].append((seq, f_attn / t / 1e9))
            print(f"{n} thr, seq {seq}: " + ", ".join(f"{k} {f_attn / t / 1e9:.1f}"
                                                     for k, t in times.items()) + " GFLOP/s")
        peak = sgemm_peak(args.reps)
        print(f"{n} thr: sgemm peak {peak:.1f} GFLOP/s")
        for name, points in series.items():
            if points:
                xs, ys = zip(*points)
                label = {"naive": "naive (einsum, no BLAS)", "torch": "torch 1.13"}.get(name, name)
                ax.plot(xs, ys, marker="o", label=label, color=COLORS[name],
                        linestyle="--" if name == "naive" else "-")
        ax.axhline(peak, color="grey", linestyle=":", label="sgemm 2048² (numpy)")
        ax.annotate(f"{peak:.0f}", (args.seq[0], peak), textcoords="offset points",
                    xytext=(0, -10), fontsize=8, color="grey")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length")
        ax.set_title(f"{n} thread{'s' if n > 1 else ''}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("attention GFLOP/s (float32)")
    # One legend beside the panels: inside, it hides the low naive points.
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="center right")
    fig.suptitle(f"multi-head attention, d_model {args.d_model}, {args.heads} heads; "
                 f"OpenBLAS {core}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 1.9 / fig.get_figwidth(), 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
