#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""libmha against plain numpy and PyTorch on the same shapes, in one process, interleaved.

    /usr/bin/python3 bench/peers.py          # seq 256, 1024; d_model 512; 8 heads; 1, 2 threads
    /usr/bin/python3 bench/peers.py --smoke  # tiny and quick: the meson smoke test
    /usr/bin/python3 bench/peers.py --dtype f32 bf16   # storage types (default f32 bf16 f16)

Checks that every peer agrees with a float64 reference first, then prints a markdown table of the
median time per call and libmha's speed-up over each peer (peer time / libmha time) for the
projection, the attention and the two together, per storage type: f32; bf16 (libmha, PyTorch
bfloat16 tensors); f16 (libmha; numpy float16 with --numpy-f16). peer_impls.py says who runs in
which type and why.
"""

import argparse
import sys

from peer_setup import (Threads, choose_openblas_core, openblas_core, passive_openmp,
                        time_interleaved)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seq", type=int, nargs="+", default=[256, 1024], help="sequence lengths")
    p.add_argument("--d-model", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--reps", type=int, default=7, help="minimum interleaved rounds")
    p.add_argument("--budget", type=float, default=1.0, help="seconds per measurement, roughly")
    p.add_argument("--dtype", nargs="+", choices=["f32", "bf16", "f16"],
                   default=["f32", "bf16", "f16"], help="storage types")
    p.add_argument("--numpy-f16", action="store_true",
                   help="numpy float16 as an f16 peer (its own loops: minutes per call at seq "
                   "1024)")
    p.add_argument("--smoke", action="store_true", help="tiny shapes, one round")
    args = p.parse_args(argv)
    if args.smoke:
        args.seq, args.d_model, args.heads, args.threads, args.reps, args.budget = \
            [16], 32, 4, [1, 2], 1, 0.0
        args.numpy_f16 = True
    return args


def measure(peers, X, Ws, n_heads, min_reps, budget):
    """{op: {peer name: median seconds}} at the current thread count."""
    inputs = {p.name: (p.prepare(X), [p.prepare(W) for W in Ws]) for p in peers}
    qkv = {p.name: p.project(*inputs[p.name]) for p in peers}

    def projection(p):
        return lambda: p.project(*inputs[p.name])

    def attention(p):
        return lambda: p.attend(*qkv[p.name], n_heads)

    def pipeline(p):
        return lambda: p.attend(*p.project(*inputs[p.name]), n_heads)

    projecting = [p for p in peers if p.projects]
    return {
        "projection": time_interleaved({p.name: projection(p) for p in projecting},
                                       min_reps, budget),
        "attention": time_interleaved({p.name: attention(p) for p in peers}, min_reps, budget),
        "pipeline": time_interleaved({p.name: pipeline(p) for p in peers}, min_reps, budget),
    }


def print_table(results, names, d_model):
    """Markdown: per row the time of each peer of that type ("—" where it did not run) and the
    faster libmha mode's GFLOP/s, its speed over libmha's own f32 (f32 time / its time, same seq
    and threads) and its speed-up (peer time / libmha time) over each other peer."""
    from peer_impls import flops

    ours = [name for name in names if name.startswith("libmha")]
    others = [name for name in names if name not in ours]
    header = (["op", "dtype", "seq", "threads"] + [f"{name} ms" for name in names]
              + ["libmha GFLOP/s", "libmha vs its f32"] + [f"libmha vs {name}" for name in others])
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    best_of = {}
    for dtype, seq, n, times in results:
        for op in times:
            best_of[dtype, seq, n, op] = min(times[op][name] for name in ours if name in times[op])
    for dtype, seq, n, times in results:
        f_proj, f_attn = flops(seq, d_model)
        for op, fl in (("projection", f_proj), ("attention", f_attn),
                       ("pipeline", f_proj + f_attn)):
            t = times[op]
            best = best_of[dtype, seq, n, op]
            f32 = best_of.get(("f32", seq, n, op))
            cells = [op, dtype, str(seq), str(n)]
            cells += [f"{t[name] * 1e3:.3f}" if name in t else "—" for name in names]
            cells += [f"{fl / best / 1e9:.1f}", f"{f32 / best:.2f}×" if f32 else "—"]
            cells += [f"{t[name] / best:.2f}×" if name in t else "—" for name in others]
            print("| " + " | ".join(cells) + " |")


# The other peers' half bounds over libmha's: torch's bfloat16 softmax rounds the scores and the
# probabilities to bf16, numpy's float16 rounds every partial sum to f16.
TORCH_SLACK = 4


def main(argv):
    args = parse_args(argv)
    # The smoke test is a test: tests never set OPENBLAS_CORETYPE, so it keeps whatever core runs.
    core_note = ("OpenBLAS's own choice kept (--smoke never sets OPENBLAS_CORETYPE)" if args.smoke
                 else choose_openblas_core([__file__, *argv]))
    omp_note = passive_openmp()

    import numpy as np

    import mha
    from peer_impls import (LibmhaTilesPeer, check_agreement, choose_torch_path, load_torch,
                            make_inputs, make_peers)

    torch, torch_note = load_torch()
    threads = Threads(mha._capi.lib, torch)
    print(f"libmha {mha.library_version()} ({mha.library_path}); numpy {np.__version__}; "
          f"{torch_note}")
    print(f"OpenBLAS core: {openblas_core(mha._capi.lib)} — {core_note}")
    print(f"threads set with {threads.how}" + (" and torch.set_num_threads" if torch else "")
          + f"; {omp_note}")
    print(f"{' '.join(args.dtype)}, d_model {args.d_model}, {args.heads} heads (d_head "
          f"{args.d_model // args.heads}), median of >= {args.reps} interleaved rounds; "
          f"libmha bf16 GEMM: {mha.runtime_info().get('bf16_gemm', '?')}")

    results, names, methods = [], [], {}
    for seq in args.seq:
        X, Ws = make_inputs(seq, args.d_model)
        for n in args.threads:
            threads.set(n)
            for dtype in args.dtype:
                peers = make_peers(torch, threads, dtype, args.numpy_f16)
                check_agreement(peers, X, Ws, args.heads, dtype, slack=TORCH_SLACK)
                torch_path = choose_torch_path(peers, X, Ws, args.heads, args.reps,
                                               args.budget / 2)
                if torch_path:
                    methods.setdefault("torch", []).append(
                        f"{dtype} seq {seq}, {n} thr: {torch_path}")
                names += [p.name for p in peers if p.name not in names]
                results.append((dtype, seq, n,
                                measure(peers, X, Ws, args.heads, args.reps, args.budget)))
    print("all peers agree with the float64 reference: f32 within 1e-4 + 1e-3·|ref|; halves "
          "(reference on the rounded inputs) within libmha's bounds (mha.h: projection "
          "2u·max|ref| more, attention 3u·max|V| + 1e-3), "
          f"{TORCH_SLACK}× those for the other peers\n")
    names.sort(key=lambda name: (not name.startswith("libmha"), name))  # libmha modes first
    print_table(results, names, args.d_model)
    if "libmha tiles" in names:
        print(f"\nlibmha tiles: {LibmhaTilesPeer.method}; GFLOP/s and speed-ups use the faster "
              "libmha mode of each row.")
    if "torch" in methods:
        print("torch attention path (the faster of bmm+softmax+bmm and "
              "F._scaled_dot_product_attention): " + "; ".join(methods["torch"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
