# SPDX-License-Identifier: MIT
"""Run by tests/run-all.sh from an empty directory, with PYTHONPATH set to the site-packages of a
temporary prefix: the installed package imports, opens the library installed with it (not a build
tree's), and computes the README's example."""

import sys

import numpy as np

import mha

prefix = sys.argv[1]
assert mha.__file__.startswith(prefix), mha.__file__
assert mha.library_path.startswith(prefix), mha.library_path
info = mha.runtime_info()
assert info["library"] == mha.library_path
X = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.float64)
W = np.eye(4)
Q, K, V = mha.compute_qkv(X, W, W, W)
out = mha.multi_head_attention(Q, K, V, 2)
want = [[4.999174229342286, 5.999174229342286, 6.999999989919828, 7.999999989919828],
        [4.9999999999998765, 5.9999999999998765, 7.0, 8.0]]
assert np.allclose(out, want, rtol=1e-14, atol=1e-14), out
print(f"ok: mha from {mha.__file__}, library {mha.library_path}, BLAS {info['blas_name']} "
      f"{info['blas_version']} ({info['blas_threading']}), {info['workers']} workers")
