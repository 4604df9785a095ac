#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""libmha's attention beside ONNX Runtime's CPU attention, shape by shape, in one run.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/ort_compare.py --ort-dir /path/to/node_modules
    /usr/bin/python3 bench/ort_compare.py --shapes 1x1024x512x8,1x4096x1024x16c --rounds 2

Self-attention on given Q, K, V of shape (batch, seq, d_model), f32, no projection; a trailing
`c` in --shapes makes a shape causal. For each shape libmha is timed first (mha_attention through
mha._capi on preallocated arrays, median of the runs), then bench/ort_peer.mjs runs ONNX
Runtime's ops on the same shape in a node subprocess (ORT's own kernel times), so the two are
measured within the same minute; --rounds repeats that alternation. Before timing, both compute
one small shape from the same inputs and the max abs differences are printed (libmha's against a
float64 numpy reference too); an ORT op that disagrees is left out of "best".

ONNX Runtime is npm's onnxruntime-node (`npm install --ignore-scripts onnxruntime-node`); its
location comes from --ort-dir or ORT_NODE_DIR, else ort_peer.mjs looks in the usual places. When
node or the package is missing the script says so in one line and exits 0.

libmha's process gets OMP_NUM_THREADS=2 and OPENBLAS_NUM_THREADS=1 unless they are set (the
header says which); ORT gets intraOpNumThreads = --threads. Uses numpy only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peer_setup import REPO, choose_openblas_core

PEER = Path(__file__).resolve().parent / "ort_peer.mjs"

# (batch, seq, d_model, heads, causal): the shapes of the issue that asks for this comparison.
DEFAULT_SHAPES = ("1x2048x512x8,1x4096x1024x16,1x1024x512x8,8x128x768x12,32x128x768x12,"
                  "1x4096x1024x16c")
CHECK_SHAPE = (8, 128, 768, 12)  # small, batched, and one of the table's shapes
TARGET = 1.05  # the target: libmha at least this much faster than ORT's best op
OP_LABEL = {"mha": "MultiHeadAttention", "attention": "Attention"}


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        causal = item.endswith("c")
        b, s, d, h = (int(x) for x in item.rstrip("c").split("x"))
        if d % h:
            raise SystemExit(f"ort_compare: heads {h} do not divide d_model {d} in {item}")
        shapes.append((b, s, d, h, causal))
    return shapes


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ort-dir", default=os.environ.get("ORT_NODE_DIR"),
                   help="node_modules holding onnxruntime-node (default: $ORT_NODE_DIR, else "
                   "ort_peer.mjs searches)")
    p.add_argument("--shapes", type=parse_shapes, default=parse_shapes(DEFAULT_SHAPES),
                   help="BxSEQxD_MODELxHEADS[c],... (c: causal)")
    p.add_argument("--ops", default="mha,attention", help="ORT ops: mha, attention")
    p.add_argument("--threads", type=int, default=2, help="ORT's intraOpNumThreads")
    p.add_argument("--rounds", type=int, default=1, help="libmha/ORT alternations per shape")
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--max-runs", type=int, default=10)
    p.add_argument("--budget", type=float, default=2.0, help="seconds per op and shape, roughly")
    p.add_argument("--no-check", action="store_true", help="skip the agreement check")
    return p.parse_args(argv)


# ---- ONNX Runtime through node ------------------------------------------------------------


def run_peer(node, args, *extra):
    """ort_peer.mjs's JSON lines as dicts; raises with its stderr if it fails."""
    cmd = [node, str(PEER), *extra]
    if args.ort_dir:
        cmd += ["--ort-dir", args.ort_dir]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def ort_shape_args(shape, args, runs=None):
    """ort_peer.mjs's options for a shape: the run count and budget of `args`, or exactly
    `runs` runs."""
    b, s, d, h, causal = shape
    min_runs, max_runs, budget = (runs, runs, 0) if runs else (args.min_runs, args.max_runs,
                                                               args.budget)
    return (["--batch", str(b), "--seq", str(s), "--d-model", str(d), "--heads", str(h),
             "--ops", args.ops, "--threads", str(args.threads), "--min-runs", str(min_runs),
             "--max-runs", str(max_runs), "--budget", str(budget)]
            + (["--causal"] if causal else []))


def probe_ort(args):
    """(node path, probe dict) or exits 0 with a one-line reason."""
    node = shutil.which("node")
    if node is None:
        print("ort_compare: skipped: node is not on PATH (ONNX Runtime runs in node)")
        sys.exit(0)
    probe = run_peer(node, args, "--probe")[0]
    if "skip" in probe:
        print(f"ort_compare: skipped: {probe['skip']}")
        sys.exit(0)
    return node, probe


# ---- libmha -------------------------------------------------------------------------------


def libmha_call(shape, seed=0):
    """A no-argument call of mha_attention on preallocated (batch, seq, d_model) arrays, and its
    inputs and output. Straight through mha._capi: no shape checks or allocation per call."""
    b, s, d, h, causal = shape
    rng = np.random.default_rng(seed)
    q, k, v = (rng.uniform(-1, 1, (b, s, d)).astype(np.float32) for _ in range(3))
    out = np.zeros_like(q)  # touched now, so that no timed call takes its page faults
    desc = _capi.new_desc(s, s, h, h, d // h, d // h)
    desc.batch = b
    desc.ld_q = desc.ld_k = desc.ld_v = desc.ld_out = d
    desc.batch_stride_q = desc.batch_stride_k = desc.batch_stride_v = desc.batch_stride_out = s * d
    desc.flags = _capi.MHA_CAUSAL if causal else 0
    f32 = np.dtype(np.float32)
    return (lambda: _capi.attention(desc, q, k, v, None, out, f32)), (q, k, v), out


def time_calls(call, min_runs, max_runs, budget):
    """Median seconds of `call` after one untimed run: at least min_runs, more while the budget
    lasts, at most max_runs (the same rule ort_peer.mjs applies to ORT)."""
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    times, started = [], time.perf_counter()
    while len(times) < min_runs or (len(times) < max_runs
                                    and time.perf_counter() - started + first < budget):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return times


# ---- Agreement ----------------------------------------------------------------------------


def reference(q, k, v, heads, causal):
    """softmax(Q·Kᵀ/√d_head)·V per head in float64 numpy."""
    b, s, d = q.shape
    dh = d // heads
    qh, kh, vh = (x.astype(np.float64).reshape(b, s, heads, dh).transpose(0, 2, 1, 3)
                  for x in (q, k, v))
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(dh)
    if causal:
        scores += np.triu(np.full((s, s), -np.inf), 1)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores /= scores.sum(-1, keepdims=True)
    return (scores @ vh).transpose(0, 2, 1, 3).reshape(b, s, d)


def check_agreement(node, args):
    """{(op, causal): max abs diff from libmha} on CHECK_SHAPE, non-causal and causal; prints."""
    diffs = {}
    for causal in (False, True):
        shape = (*CHECK_SHAPE, causal)
        call, (q, k, v), out = libmha_call(shape, seed=1)
        call()
        ref_diff = float(np.abs(out - reference(q, k, v, shape[3], causal)).max())
        with tempfile.TemporaryDirectory(prefix="ort_compare-") as tmp:
            for name, x in zip("qkv", (q, k, v)):
                x.tofile(os.path.join(tmp, f"{name}.f32"))
            results = run_peer(node, args, *ort_shape_args(shape, args, runs=1), "--inputs", tmp)
            cells = [f"libmha vs float64 numpy {ref_diff:.1e}"]
            for r in results:
                if "error" in r:
                    cells.append(f"{OP_LABEL[r['op']]}: error ({r['error']})")
                    continue
                theirs = np.fromfile(os.path.join(tmp, f"out-{r['op']}.f32"), np.float32)
                diffs[r["op"], causal] = float(np.abs(theirs.reshape(out.shape) - out).max())
                cells.append(f"ORT {OP_LABEL[r['op']]} vs libmha {diffs[r['op'], causal]:.1e}")
        print(f"check {shape_name(shape)}: max abs diff " + ", ".join(cells))
    return diffs


# ---- Report -------------------------------------------------------------------------------


def shape_name(shape):
    b, s, d, h, causal = shape
    return f"{b} × {s}, {d}, {h}" + (" causal" if causal else "")


def attention_flops(shape):
    """QKᵀ and PV: 2·2·batch·heads·seq²·d_head; half of it under the causal mask."""
    b, s, d, h, causal = shape
    flops = 4 * b * h * s * s * (d // h)
    return flops / 2 if causal else flops


def ort_path(shape, r):
    """The kernel's memory peak against the score matrix: an unfused kernel holds all
    batch·heads·seq² scores at once, a blocked (flash) one a few blocks. Named only where the
    scores outweigh twice the op's (batch, seq, d_model) tensors (three inputs' copies, the
    output), which could otherwise make up the peak by themselves."""
    b, s, d, h, _ = shape
    scores_mib = b * h * s * s * 4 / 2**20
    tensors_mib = 4 * b * s * d * 4 / 2**20
    peak = r.get("kernel_mem_peak_mib")
    if peak is None or peak != peak:  # absent or NaN: the profiler did not say
        return "?"
    text = f"{peak:.0f} MiB peak, scores {scores_mib:.0f} MiB"
    if scores_mib < 2 * tensors_mib:
        return text
    return ("unfused" if peak >= scores_mib else "blocked") + f" ({text})"


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def source_revision():
    done = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def print_header(probe, thread_note, core_note, args):
    print(f"# libmha {mha.library_version()} ({mha.library_path}), source {source_revision()}")
    print(f"# ONNX Runtime {probe['ort_version']} (onnxruntime-node in {probe['dir']}, node "
          f"{probe['node']}), CPU execution provider, intraOpNumThreads {args.threads}, "
          "interOpNumThreads 1, all graph optimisations; times are its profiler's kernel times")
    print(f"# CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"# libmha threads: {thread_note}; OpenBLAS core: {core_note}")
    print(f"# runtime_info: {json.dumps(mha.runtime_info())}")


def print_table(rows, ops):
    cols = (["shape", "libmha ms"] + [f"ORT {OP_LABEL[op]} ms" for op in ops]
            + ["ORT best (op)", "libmha speed / ORT", f"≥ {TARGET}×", "libmha GFLOP/s"]
            + [f"ORT {OP_LABEL[op]} kernel" for op in ops])
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for shape, ours, theirs, best in rows:
        cells = [shape_name(shape), f"{ours * 1e3:.2f}"]
        cells += [f"{theirs[op]['kernel_ms']:.2f}" if "kernel_ms" in theirs.get(op, {}) else "—"
                  for op in ops]
        if best:
            ratio = best[1] / 1e3 / ours
            cells += [f"{best[1]:.2f} ({OP_LABEL[best[0]]})", f"{ratio:.2f}×",
                      "yes" if ratio >= TARGET else "**no**"]
        else:
            cells += ["—", "—", "—"]
        cells.append(f"{attention_flops(shape) / ours / 1e9:.1f}")
        cells += [ort_path(shape, theirs[op]) if op in theirs else "—" for op in ops]
        print("| " + " | ".join(cells) + " |")


# ---- Main ---------------------------------------------------------------------------------


def measure_shape(node, shape, args, agrees):
    """(libmha median s, {op: ORT result with the median kernel ms over rounds}, best or None)."""
    call, _, _ = libmha_call(shape)
    ours, per_op = [], {}
    for _ in range(args.rounds):
        ours += time_calls(call, args.min_runs, args.max_runs, args.budget)
        try:
            results = run_peer(node, args, *ort_shape_args(shape, args))
        except RuntimeError as e:  # e.g. killed for memory: the other shapes still run
            print(f"# {shape_name(shape)}: {e}")
            results = []
        for r in results:
            per_op.setdefault(r["op"], []).append(r)
    theirs = {}
    for op, results in per_op.items():
        ok = [r for r in results if "kernel_ms" in r]
        if not ok:
            theirs[op] = results[-1]
            print(f"# {shape_name(shape)}: ORT {OP_LABEL[op]} failed: {results[-1].get('error')}")
            continue
        theirs[op] = dict(ok[-1], kernel_ms=statistics.median(r["kernel_ms"] for r in ok))
    eligible = [(op, r["kernel_ms"]) for op, r in theirs.items()
                if "kernel_ms" in r and agrees(op, shape[4])]
    best = min(eligible, key=lambda x: x[1]) if eligible else None
    return statistics.median(ours), theirs, best


def main(argv):
    args = parse_args(argv)
    node, probe = probe_ort(args)  # before anything slow: a missing peer skips at once
    core_note = choose_openblas_core([__file__, *argv])  # may re-execute this script
    # After the possible re-execution, so that what this process set is told from what was given.
    set_here = []
    for name, value in (("OMP_NUM_THREADS", "2"), ("OPENBLAS_NUM_THREADS", "1")):
        if name not in os.environ:
            os.environ[name] = value
            set_here.append(f"{name}={value}")
    thread_note = (f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
                   f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
                   + (f" ({', '.join(set_here)} set by this script)" if set_here else ""))

    # Imported only now: the OpenBLAS core and the thread variables must be settled before the
    # library loads. mha before numpy: the package's advice for the faster OpenBLAS (_capi.py).
    global mha, _capi, np
    import mha
    from mha import _capi
    import numpy as np

    print_header(probe, thread_note, core_note, args)
    ops = args.ops.split(",")
    diffs = {} if args.no_check else check_agreement(node, args)
    tolerance = 1e-4  # f32 attention outputs of order 1: reorderings cost ~1e-6

    def agrees(op, causal):
        return args.no_check or diffs.get((op, causal), np.inf) <= tolerance

    started, rows = time.monotonic(), []
    for shape in args.shapes:
        rows.append((shape, *measure_shape(node, shape, args, agrees)))
    print(f"# {len(args.shapes)} shapes in {time.monotonic() - started:.0f} s, load average "
          f"{os.getloadavg()[0]:.2f} after; libmha: median of its runs; ORT: median kernel time "
          f"(ms); speed ratio = ORT best ms / libmha ms; ORT ops that disagreed with libmha by "
          f"more than {tolerance:g} are left out of best\n")
    print_table(rows, ops)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
