# SPDX-License-Identifier: MIT
"""The numpy front end against a plain float64 numpy implementation (reference.py): the seed
example, every function, dtypes, strided and transposed inputs, masks, causal, GQA, errors.

Run: MHA_LIBRARY=build/src/libmha.so /usr/bin/python3 -m unittest discover -s python/tests
"""

import ctypes
import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mha  # noqa: E402
from mha import _capi, _layout  # noqa: E402

import reference  # noqa: E402
from shared_cases import AttentionCases  # noqa: E402

# Stated tolerances, |got − ref| <= atol + rtol·|ref|: float64 is a few ulp of O(1) values summed
# over short rows; float32 rounds inputs, scores and the softmax to ~6e-8 relative each.
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}

SEED_X = [[1, 2, 3, 4], [5, 6, 7, 8]]
SEED_OUT = [[4.999174229342286, 5.999174229342286, 6.999999989919828, 7.999999989919828],
            [4.9999999999998765, 5.9999999999998765, 7.0, 8.0]]


def rng(seed):
    return np.random.default_rng(seed)


class Case(unittest.TestCase):
    def assertClose(self, got, ref, dtype, **tol):
        self.assertEqual(got.dtype, np.dtype(dtype))
        self.assertEqual(got.shape, ref.shape)
        np.testing.assert_allclose(got, ref, **(tol or TOL[dtype]))

    def assertFresh(self, out, *inputs):
        self.assertTrue(out.flags.c_contiguous)
        self.assertTrue(out.flags.owndata)
        for a in inputs:
            self.assertFalse(np.shares_memory(out, a))


class SeedExample(Case):
    def test_integers_compute_in_float64(self):
        W = np.eye(4, dtype=np.int64)
        Q, K, V = mha.compute_qkv(SEED_X, W, W, W)
        for a in (Q, K, V):
            self.assertEqual(a.dtype, np.float64)
            np.testing.assert_array_equal(a, SEED_X)
        out = mha.multi_head_attention(Q, K, V, 2)
        self.assertEqual(out.dtype, np.float64)
        # A few ulp, not bit-exact: the library divides by the row sum after P·V, numpy before.
        np.testing.assert_allclose(out, SEED_OUT, rtol=1e-15, atol=0)

    def test_float32(self):
        X = np.array(SEED_X, np.float32)
        W = np.eye(4, dtype=np.float32)
        out = mha.multi_head_attention(*mha.compute_qkv(X, W, W, W), 2)
        self.assertEqual(out.dtype, np.float32)
        np.testing.assert_allclose(out, SEED_OUT, rtol=4e-7, atol=0)


class SeedFunctions(Case):
    def test_compute_qkv(self):
        for dtype in (np.float32, np.float64):
            r = rng(1)
            X = r.standard_normal((7, 12)).astype(dtype)
            Ws = [r.standard_normal((12, 12)).astype(dtype) for _ in range(3)]
            got = mha.compute_qkv(X, *Ws)
            for g, ref in zip(got, reference.compute_qkv(X, *Ws)):
                self.assertClose(g, ref, dtype)
                self.assertFresh(g, X, *Ws)

    def test_compute_qkv_strided_and_shared_weights(self):
        r = rng(2)
        X = r.standard_normal((10, 6)).T  # (6, 10) with column stride 6
        W = r.standard_normal((20, 10))[::2, :]  # every other row
        got = mha.compute_qkv(X, W, W, W)
        ref = reference.compute_qkv(X, W, W, W)
        for g, e in zip(got, ref):
            self.assertClose(g, e, np.float64)

    def test_self_attention(self):
        for dtype in (np.float32, np.float64):
            r = rng(3)
            Q, K, V = (r.standard_normal((9, 5)).astype(dtype) for _ in range(3))
            out = mha.self_attention(Q, K, V)
            self.assertClose(out, reference.attention(Q, K, V, 1), dtype)
            self.assertFresh(out, Q, K, V)

    def test_self_attention_aliased_inputs(self):
        Q = rng(4).standard_normal((6, 4))
        self.assertClose(mha.self_attention(Q, Q, Q), reference.attention(Q, Q, Q, 1), np.float64)

    def test_multi_head_attention(self):
        for dtype in (np.float32, np.float64):
            for n_heads in (1, 2, 3, 6):
                r = rng(5 + n_heads)
                Q, K, V = (r.standard_normal((11, 12)).astype(dtype) for _ in range(3))
                out = mha.multi_head_attention(Q, K, V, n_heads)
                self.assertClose(out, reference.attention(Q, K, V, n_heads), dtype)

    def test_multi_head_attention_transposed_inputs(self):
        r = rng(6)
        Q, K, V = (r.standard_normal((8, 10)).T for _ in range(3))  # (10, 8), not C-contiguous
        out = mha.multi_head_attention(Q, K, V, 4)
        self.assertClose(out, reference.attention(Q, K, V, 4), np.float64)

    def test_empty(self):
        Q, K, V = mha.compute_qkv(np.zeros((0, 4)), *[np.eye(4)] * 3)
        self.assertEqual(Q.shape, (0, 4))
        self.assertEqual(mha.multi_head_attention(Q, K, V, 2).shape, (0, 4))


class Dtypes(Case):
    def test_promotion(self):
        r = rng(7)
        base = r.standard_normal((4, 6))
        cases = [
            ((np.float32,) * 3, np.float32),
            ((np.float64,) * 3, np.float64),
            ((np.float16,) * 3, np.float16),  # as numpy computes float16 operands
            ((np.float16, np.int8, np.uint8), np.float16),
            ((np.float16, np.float16, np.float32), np.float32),
            ((np.float16, np.int16, np.float16), np.float32),
            ((np.int8, np.int16, np.float32), np.float32),
            ((np.int8,) * 3, np.float32),
            ((np.int32,) * 3, np.float64),
            ((np.float32, np.float32, np.float64), np.float64),
            ((np.int64, np.float32, np.float32), np.float64),
        ]
        for dtypes, expected in cases:
            with self.subTest(dtypes=dtypes):
                Q, K, V = (np.round(base * 3).astype(d) for d in dtypes)
                out = mha.attention(Q, K, V, 2)
                # float16: the C library's bound for f16 (test_half.py), 3·2^-11·max|V|.
                tol = dict(rtol=0, atol=3 * 2**-11 * np.abs(V).max() + 1e-4) \
                    if expected == np.float16 else {}
                self.assertClose(out, reference.attention(Q, K, V, 2), expected, **tol)

    def test_big_endian_input(self):
        Q = rng(8).standard_normal((5, 4)).astype(">f8")
        self.assertClose(mha.self_attention(Q, Q, Q), reference.attention(Q, Q, Q, 1), np.float64)

    def test_unsupported_dtypes(self):
        Q = np.ones((3, 4))
        for bad in (Q.astype(np.complex128), Q.astype(object), np.full((3, 4), "a")):
            with self.subTest(dtype=bad.dtype), self.assertRaises(TypeError):
                mha.attention(bad, Q, Q, 1)
        with self.assertRaises(TypeError):
            mha.compute_qkv(Q.astype(np.complex64), np.eye(4), np.eye(4), np.eye(4))


class General(AttentionCases, Case):
    def check(self, Q, K, V, n_heads, dtype=np.float64, **kw):
        out = mha.attention(Q, K, V, n_heads, **kw)
        self.assertClose(out, reference.attention(Q, K, V, n_heads, **kw), dtype)
        self.assertFresh(out, Q, K, V)
        return out

    def qkv(self, seed, batch, seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v, dtype=np.float64):
        r = rng(seed)
        return (r.standard_normal((*batch, seq_q, n_heads * d_head)).astype(dtype),
                r.standard_normal((*batch, seq_kv, n_kv_heads * d_head)).astype(dtype),
                r.standard_normal((*batch, seq_kv, n_kv_heads * d_v)).astype(dtype))

    def test_batches_cross_lengths_and_d_v(self):
        for dtype in (np.float32, np.float64):
            for batch in ((), (3,), (2, 3)):
                with self.subTest(dtype=dtype, batch=batch):
                    self.check(*self.qkv(10, batch, 5, 9, 2, 2, 4, 3, dtype), 2, dtype)

    def test_scale(self):
        self.check(*self.qkv(13, (), 4, 5, 2, 2, 3, 3), 2, scale=0.7)
        self.check(*self.qkv(13, (), 4, 5, 2, 2, 3, 3), 2, scale=np.float32(-2))

    def test_float_masks_shared_and_per_batch(self):
        Q, K, V = self.qkv(14, (2, 3), 4, 6, 2, 2, 3, 3)
        r = rng(15)
        shared = np.where(r.random((4, 6)) < 0.3, -np.inf, r.standard_normal((4, 6)))
        per_batch = np.where(r.random((2, 3, 4, 6)) < 0.3, -np.inf, r.standard_normal((2, 3, 4, 6)))
        for mask in (shared, per_batch, per_batch[:, :1], shared.astype(np.float32)):
            with self.subTest(shape=mask.shape, dtype=mask.dtype):
                self.check(Q, K, V, 2, mask=mask)
        self.check(*self.qkv(16, (2,), 4, 6, 2, 2, 3, 3, np.float32), 2, np.float32, mask=shared)

    def test_bool_masks_shared_and_per_batch(self):
        Q, K, V = self.qkv(17, (3,), 5, 5, 1, 1, 4, 4)
        r = rng(18)
        for mask in (r.random((5, 5)) < 0.6, r.random((3, 5, 5)) < 0.6):
            with self.subTest(shape=mask.shape):
                self.check(Q, K, V, 1, mask=mask)

    def test_fully_masked_rows_are_zero(self):
        Q, K, V = self.qkv(19, (2,), 3, 4, 1, 1, 2, 2)
        mask = np.ones((2, 3, 4), bool)
        mask[1, 2] = False
        out = self.check(Q, K, V, 1, mask=mask)
        np.testing.assert_array_equal(out[1, 2], 0)
        self.assertFalse(np.isnan(out).any())

    def test_mask_with_causal(self):
        Q, K, V = self.qkv(20, (), 5, 7, 2, 2, 2, 2)
        self.check(Q, K, V, 2, causal=True, mask=rng(21).random((5, 7)) < 0.7)

    def test_ragged_kv_lens(self):
        # Lengths 0 (zeros), below seq_q (causal: early rows see nothing) and full, per item.
        for causal in (False, True):
            for dtype in (np.float32, np.float64):
                with self.subTest(causal=causal, dtype=dtype):
                    self.check(*self.qkv(23, (2, 2), 3, 7, 4, 2, 4, 3, dtype), 4, dtype,
                               n_kv_heads=2, causal=causal, kv_lens=[7, 0, 2, 5])
        Q, K, V = self.qkv(24, (2,), 1, 5, 2, 2, 2, 2)
        with self.assertRaises(ValueError):
            mha.attention(Q, K, V, 2, kv_lens=[6, 1])
        with self.assertRaises(ValueError):
            mha.attention(Q, K, V, 2, kv_lens=[1])
        with self.assertRaises(TypeError):
            mha.attention(Q, K, V, 2, kv_lens=[1.5, 1])

    def test_empty_shapes(self):
        for batch, seq_q, seq_kv in (((0,), 3, 3), ((2,), 0, 3), ((2,), 3, 0)):
            with self.subTest(batch=batch, seq_q=seq_q, seq_kv=seq_kv):
                out = self.check(*self.qkv(22, batch, seq_q, seq_kv, 2, 2, 2, 2), 2)
                if seq_kv == 0:
                    np.testing.assert_array_equal(out, 0)

    def test_zero_width_heads(self):
        # d_head == 0: every score is 0, so each row averages the V rows it sees.
        Q, K, V = self.qkv(23, (2,), 4, 5, 2, 1, 0, 3)
        out = self.check(Q, K, V, 2, n_kv_heads=1)
        np.testing.assert_allclose(out[:, 0, :3], V.mean(axis=1), rtol=1e-12)

    def test_random_shapes_and_layouts(self):
        # Zero and small dims, GQA, causal, masks, and views that are or are not copied, in both
        # dtypes: the cases above in combinations nobody wrote down.
        r = rng(24)

        def some_view(a):
            kind = r.integers(4)
            if kind == 1:  # a column slice of a wider buffer: passed through ld
                wide = np.zeros((*a.shape[:-1], a.shape[-1] + 3), a.dtype)
                wide[..., 1:-2] = a
                return wide[..., 1:-2]
            if kind == 2:  # column-major: copied
                return np.asfortranarray(a)
            if kind == 3:  # rows reversed twice through negative strides
                return a[..., ::-1, :][..., ::-1, :]
            return a

        for _ in range(200):
            batch = tuple(int(n) for n in r.integers(0, 3, size=r.integers(0, 3)))
            seq_q, seq_kv, d_head, d_v = (int(n) for n in r.integers(0, 6, size=4))
            n_heads = int(r.choice([1, 2, 4]))
            n_kv_heads = int(r.choice([g for g in (1, 2, 4) if n_heads % g == 0]))
            dtype = r.choice([np.float32, np.float64])
            kw = dict(n_kv_heads=n_kv_heads, causal=bool(r.integers(2)))
            if r.integers(2):
                shape = (seq_q, seq_kv) if r.integers(2) else (*batch, seq_q, seq_kv)
                kw["mask"] = r.random(shape) < 0.7
            Q, K, V = (some_view(a) for a in self.qkv(int(r.integers(1 << 30)), batch, seq_q,
                                                      seq_kv, n_heads, n_kv_heads, d_head, d_v,
                                                      dtype))
            with self.subTest(batch=batch, seq_q=seq_q, seq_kv=seq_kv, heads=(n_heads, n_kv_heads),
                              d=(d_head, d_v), dtype=dtype, **kw):
                self.check(Q, K, V, n_heads, dtype, **kw)


class Strides(Case):
    """Views reach the C API through leading dimensions and batch strides, copied only when the
    C API has no way to describe them."""

    def assertNoCopy(self, a):
        stack = _layout.matrix_stack(a, a.dtype)
        self.assertEqual(stack.array.ctypes.data, a.ctypes.data)
        return stack

    def test_fused_qkv_column_slices_are_not_copied(self):
        r = rng(30)
        QKV = r.standard_normal((2, 5, 3 * 8))  # (batch, seq, [Q | K | V])
        Q, K, V = QKV[..., :8], QKV[..., 8:16], QKV[..., 16:]
        for a in (Q, K, V):
            stack = self.assertNoCopy(a)
            self.assertEqual((stack.ld, stack.batch_stride), (24, 5 * 24))
        out = mha.attention(Q, K, V, 2)
        self.assertClose(out, reference.attention(Q, K, V, 2), np.float64)

    def test_broadcast_batch_is_a_zero_stride(self):
        r = rng(31)
        Q = r.standard_normal((4, 3, 6))
        K = np.broadcast_to(r.standard_normal((5, 6)), (4, 5, 6))
        self.assertEqual(self.assertNoCopy(K).batch_stride, 0)
        out = mha.attention(Q, K, K, 2)
        self.assertClose(out, reference.attention(Q, K, K, 2), np.float64)

    def test_sliced_batch_and_rows(self):
        r = rng(32)
        big = r.standard_normal((6, 10, 8))
        Q = big[::2, 1::3]  # every other item, every third row
        stack = self.assertNoCopy(Q)
        self.assertEqual((stack.ld, stack.batch_stride), (3 * 8, 2 * 80))
        out = mha.attention(Q, Q, Q, 4)
        self.assertClose(out, reference.attention(Q, Q, Q, 4), np.float64)

    def test_layouts_that_need_a_copy(self):
        r = rng(33)
        base = r.standard_normal((3, 4, 6, 8))
        views = {
            "transposed rows": np.swapaxes(base, -1, -2)[..., :6, :],
            "reversed rows": base[:, :, ::-1],
            "reversed batch": base[::-1],
            "batch dims that do not flatten": np.swapaxes(base, 0, 1),
            "broadcast rows": np.broadcast_to(base[:, :, :1], base.shape),
            "float32 in a float64 call": base.astype(np.float32),
        }
        for name, Q in views.items():
            with self.subTest(name):
                stack = _layout.matrix_stack(Q, np.dtype(np.float64))
                self.assertTrue(stack.array.flags.c_contiguous)
                K = np.ascontiguousarray(Q, np.float64)
                out = mha.attention(Q, K, K, 2)
                self.assertClose(out, reference.attention(Q, K, K, 2), np.float64)

    def test_mask_views(self):
        r = rng(34)
        Q = r.standard_normal((2, 4, 4))
        K = r.standard_normal((2, 6, 4))
        big = np.where(r.random((2, 8, 12)) < 0.3, -np.inf, r.standard_normal((2, 8, 12)))
        masks = {
            "sliced, shared": big[0, 2:6, 3:9],
            "strided columns": big[:, ::2, ::2],
            "transposed": np.swapaxes(big[:, :6, :4], 1, 2),
        }
        for name, mask in masks.items():
            with self.subTest(name):
                out = mha.attention(Q, K, K, 1, mask=mask)
                self.assertClose(out, reference.attention(Q, K, K, 1, mask=mask), np.float64)
        self.assertEqual(self.assertNoCopy(masks["sliced, shared"]).ld, 12)


class Descriptor(unittest.TestCase):
    def test_mirror_matches_mha_attention_desc_init(self):
        # Each field lands where the C library writes it: a shifted mirror would show wrong values.
        d = _capi.new_desc(3, 5, 4, 2, 6, 7)
        got = {name: getattr(d, name) for name, _ in _capi.AttentionDesc._fields_}
        self.assertEqual(got, dict(
            struct_size=ctypes.sizeof(_capi.AttentionDesc),
            batch=1, seq_q=3, seq_kv=5, n_heads=4, n_kv_heads=2, d_head=6, d_v=7,
            ld_q=24, ld_k=12, ld_v=14, ld_out=28, ld_mask=5,
            batch_stride_q=72, batch_stride_k=60, batch_stride_v=70, batch_stride_out=84,
            batch_stride_mask=0, scale=1 / np.sqrt(6), flags=0, n_threads=0, kv_lens=None))

    def test_init_writes_struct_size_bytes_only(self):
        # An older mirror: the first release's 176 bytes (LP64), in a buffer of sentinels. A library
        # that wrote its own struct, if larger, would show past them.
        size = 176
        self.assertGreaterEqual(ctypes.sizeof(_capi.AttentionDesc), size)
        buf = (ctypes.c_ubyte * (size + 64))(*([0xA5] * (size + 64)))
        desc = ctypes.cast(buf, ctypes.POINTER(_capi.AttentionDesc))
        _capi.lib.mha_attention_desc_init_sized(desc, size, 3, 5, 4, 2, 6, 7)
        self.assertEqual(bytes(buf[size:]), bytes([0xA5] * 64))
        self.assertEqual(desc.contents.struct_size, size)
        self.assertEqual(desc.contents.ld_q, 24)

    def test_struct_size_below_the_first_release_is_refused(self):
        Q = np.ones((1, 2, 4))
        out = np.full((1, 2, 4), 7.0)
        for size in (0, 8, 176 - 8, 176 - 1):
            with self.subTest(size=size):
                d = _capi.new_desc(2, 2, 1, 1, 4, 4)
                d.struct_size = size
                with self.assertRaises(_capi.MhaError) as ctx:
                    _capi.attention(d, Q, Q, Q, None, out, np.dtype(np.float64))
                self.assertEqual(ctx.exception.status, 2)  # MHA_ERR_INVALID_ARGUMENT
                self.assertTrue((out == 7.0).all())


class Errors(Case):
    def test_shape_errors_raise_before_calling_c(self):
        Q = np.ones((2, 3, 4))
        cases = {
            "1-D Q": lambda: mha.attention(np.ones(4), Q, Q, 1),
            "batch dims differ": lambda: mha.attention(Q, Q[:1], Q[:1], 1),
            "seq_kv differs": lambda: mha.attention(Q, Q, Q[:, :2], 1),
            "n_heads does not divide": lambda: mha.attention(Q, Q, Q, 3),
            "n_heads zero": lambda: mha.attention(Q, Q, Q, 0),
            "n_kv_heads does not divide n_heads": lambda: mha.attention(Q, Q, Q, 4, n_kv_heads=3),
            "K width": lambda: mha.attention(Q, Q, Q, 2, n_kv_heads=1),
            "V width": lambda: mha.attention(Q[..., :2], Q[..., :2], Q[..., :3], 2),
            "mask shape": lambda: mha.attention(Q, Q, Q, 1, mask=np.zeros((3, 2))),
            "self_attention 3-D": lambda: mha.self_attention(Q, Q, Q),
            "self_attention shapes": lambda: mha.self_attention(Q[0], Q[0], Q[0, :2]),
            "multi_head not dividing": lambda: mha.multi_head_attention(Q[0], Q[0], Q[0], 3),
            "compute_qkv W shape": lambda: mha.compute_qkv(Q[0], np.eye(3), np.eye(4), np.eye(4)),
            "compute_qkv 3-D X": lambda: mha.compute_qkv(Q, np.eye(4), np.eye(4), np.eye(4)),
        }
        for name, call in cases.items():
            with self.subTest(name), self.assertRaises(ValueError) as ctx:
                call()
            self.assertNotIsInstance(ctx.exception, mha.MhaError, name)

    def test_type_errors(self):
        Q = np.ones((3, 4))
        cases = {
            "float n_heads": lambda: mha.attention(Q, Q, Q, 2.0),
            "bool n_heads": lambda: mha.attention(Q, Q, Q, True),
            "causal not bool": lambda: mha.attention(Q, Q, Q, 1, causal="yes"),
            "complex mask": lambda: mha.attention(Q, Q, Q, 1, mask=np.zeros((3, 3), complex)),
            "complex scale": lambda: mha.attention(Q, Q, Q, 1, scale=1j),
        }
        for name, call in cases.items():
            with self.subTest(name), self.assertRaises(TypeError):
                call()

    def test_library_errors_carry_its_message(self):
        Q = np.ones((3, 4))
        for scale in (np.inf, np.nan, 1e300):
            for dtype in (np.float32, np.float64):
                if dtype == np.float64 and scale == 1e300:
                    continue  # finite in double: a valid scale there
                with self.subTest(scale=scale, dtype=dtype), \
                        self.assertRaises(ValueError) as ctx:
                    mha.attention(*[Q.astype(dtype)] * 3, 1, scale=scale)
                self.assertIsInstance(ctx.exception, mha.MhaError)
                self.assertEqual(ctx.exception.status, 2)
                self.assertIn(_capi.status_string(2), str(ctx.exception))


if __name__ == "__main__":
    unittest.main()


class RuntimeInfo(unittest.TestCase):
    def test_report(self):
        info = mha.runtime_info()
        self.assertIn(info["gemm_backend"], {"cblas", "onednn", "cblas threaded"})
        self.assertNotEqual(info["setup"], "")
        self.assertIn(info["bf16_gemm"],
                      ("onednn avx512_core_amx", "onednn avx512_core_bf16", "float (widened)"))
        self.assertEqual(info["library"], mha.library_path)
        self.assertIn(info["blas_threading"], {"openmp", "pthreads", "sequential", "unknown"})
        self.assertIn(info["softmax_isa"], {"avx512bf16", "avx512f", "avx2", "scalar"})
        self.assertIn(info["cpu_isa"], {"avx512f", "avx2", "sse2", ""})
        self.assertGreaterEqual(info["blas_threads"], 1)
        self.assertGreaterEqual(info["workers"], 1)
        self.assertIsInstance(info["blas_below_cpu"], bool)
        self.assertEqual(info["blas_below_cpu"], info["reason"] != "")

    def test_workers_whatever_the_blas(self):
        # numpy, imported first above, brought Debian's pthreads OpenBLAS when it is the default
        # libopenblas.so.0; libmha then multiplies float on oneDNN when this process has it
        # loaded (a build with oneDNN), keeping every worker, and only without it runs tiles one
        # after another on the BLAS's threads.
        info = mha.runtime_info()
        with open("/proc/self/maps") as maps:
            onednn = "libdnnl" in maps.read()
        serial = info["blas_threading"] == "openmp" or info["blas_threads"] == 1
        want = "cblas" if serial else "onednn" if onednn else "cblas threaded"
        self.assertEqual(info["gemm_backend"], want)
        if want == "cblas threaded":
            self.assertEqual(info["workers"], 1)
        else:
            self.assertEqual(info["workers"], _capi.lib.omp_get_max_threads()
                             if hasattr(_capi.lib, "omp_get_max_threads") else 1)

    def test_blas_fields_are_openblas_answers(self):
        # The OpenBLAS this process loaded, asked directly (found through libmha's handle).
        lib = _capi.lib
        if not hasattr(lib, "openblas_get_parallel"):
            self.skipTest("not linked with OpenBLAS")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info = mha.runtime_info()
        flavour = {0: "sequential", 1: "pthreads", 2: "openmp"}[lib.openblas_get_parallel()]
        self.assertEqual(info["blas_threading"], flavour)
        self.assertEqual(info["blas_core"], lib.openblas_get_corename().decode())
        self.assertEqual(info["blas_threads"], lib.openblas_get_num_threads())
