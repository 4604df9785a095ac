# SPDX-License-Identifier: MIT
"""The GIL is released while libmha computes, and concurrent calls are independent.

Timing two threads against one would be a flaky proof on a shared 2-core machine. Instead the main
thread watches the output of a call running in another thread, one element at a time; each read
is a Python operation, so it holds the GIL. If it ever sees an element written and *later* sees
another still unwritten, it ran Python while the C call was between those two writes — impossible
if the call held the GIL from start to end (the first read would have come after the end, when
every element is written). The conclusion cannot be a false pass; not observing it (a call too
short for the main thread to be scheduled inside it) is retried with a longer call.
"""

import math
import sys
import threading
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mha  # noqa: E402
from mha import _functions  # noqa: E402

import reference  # noqa: E402


def watch_call(batch, seq=128, width=64, dtype=np.float32):
    """Runs mha.attention in a thread on a NaN-filled output; True if the main thread saw the
    output partly written (written element, then an unwritten one). Also returns the result."""
    Q = np.random.default_rng(batch).standard_normal((batch, seq, width)).astype(dtype)
    outputs, result = [], []
    allocated = threading.Event()

    def sentinel_output(shape, dtype):
        out = np.full(shape, np.nan, dtype)  # attention of finite inputs is never NaN
        outputs.append(out)
        allocated.set()
        return out

    with mock.patch.object(_functions, "_new_output", sentinel_output):
        worker = threading.Thread(target=lambda: result.append(mha.attention(Q, Q, Q, 1)))
        worker.start()
        allocated.wait()
        flat = outputs[0].reshape(-1)
        # The first element of every batch item: whatever order the library writes tiles in,
        # some are written well before others.
        probes = range(0, flat.size, seq * width)
        saw_written = saw_partial = False
        while worker.is_alive() and not saw_partial:
            for index in probes:
                written = not math.isnan(flat[index])
                saw_partial = saw_written and not written
                saw_written = saw_written or written
                if saw_partial:
                    break
        worker.join()
    return saw_partial, Q, result[0]


class GilReleased(unittest.TestCase):
    def test_main_thread_runs_python_during_the_c_call(self):
        # float16 too: the _f16 functions are other C entry points, called the same way.
        for dtype in (np.float32, np.float16):
            with self.subTest(dtype=dtype):
                for batch in (64, 128, 256, 512, 1024):
                    saw_partial, Q, out = watch_call(batch, dtype=dtype)
                    self.assertEqual(out.dtype, dtype)
                    # float16: the C library's bound, 3·2^-11·max|V| (test_half.py).
                    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else \
                        dict(rtol=0, atol=3 * 2**-11 * np.abs(Q).max() + 1e-4)
                    np.testing.assert_allclose(out, reference.attention(Q, Q, Q, 1), **tol)
                    if saw_partial:
                        break
                else:
                    self.fail("never saw a call's output half written: the GIL seems held "
                              "during C calls")

    def test_concurrent_calls_give_their_own_results(self):
        r = np.random.default_rng(40)
        inputs = [r.standard_normal((8, 64, 16)) for _ in range(4)]
        results = [None] * len(inputs)

        def run(i):
            results[i] = mha.attention(inputs[i], inputs[i], inputs[i], 2, causal=True)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for Q, out in zip(inputs, results):
            np.testing.assert_allclose(out, reference.attention(Q, Q, Q, 2, causal=True),
                                       rtol=1e-12, atol=1e-12)

    def test_concurrent_half_calls_give_the_results_of_one_at_a_time(self):
        r = np.random.default_rng(41)
        inputs = [r.standard_normal((8, 64, 16)).astype(np.float32) for _ in range(6)]
        precisions = ["bf16", "f16", None] * 2
        inputs = [Q.astype(np.float16) if p is None else Q for Q, p in zip(inputs, precisions)]
        results = [None] * len(inputs)

        def run(i):
            results[i] = mha.attention(inputs[i], inputs[i], inputs[i], 2, causal=True,
                                       precision=precisions[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for Q, p, out in zip(inputs, precisions, results):
            # The library's results do not depend on its worker count or on other calls.
            np.testing.assert_array_equal(out, mha.attention(Q, Q, Q, 2, causal=True, precision=p))


if __name__ == "__main__":
    unittest.main()
