# SPDX-License-Identifier: MIT
"""Half precision from numpy: float16 inputs on the _f16 functions, precision="bf16" and
precision="f16", mha.to_bf16/from_bf16.

The bounds are the C library's (include/mha.h, "Half precision"), against a float64 reference on
the exact half values the library received: attention within 3u·max|V| + 1e-4, projections
within 2u·max|ref| + d·2^-24·(|X|·|W|), u = 2^-11 for f16 and 2^-8 for bf16. precision="bf16"
must also give, bit for bit, what the C _bf16 functions give on the same bf16 bits, called here
directly through ctypes.

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

U = {"f16": 2.0**-11, "bf16": 2.0**-8}
F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)


def rng(seed):
    return np.random.default_rng(seed)


def bf16_values(a):
    """The bf16 values the library computes on, in float64 (through the package's conversion,
    itself checked against bit arithmetic in Conversions)."""
    return mha.from_bf16(mha.to_bf16(np.asarray(a, np.float32))).astype(np.float64)


def half_values(a, precision):
    a = np.asarray(a)
    if precision == "bf16":
        return bf16_values(a)
    return a.astype(np.float16).astype(np.float64)


def rne_bf16_bits(x):
    """Round to nearest even on the float32 bits, written out: an independent reference for
    to_bf16 on finite values."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


# The C entry points, declared here from include/mha.h, apart from the package's own tables.
_lib = _capi.lib
for _name, _args in (
        ("mha_multi_head_attention_bf16", [ctypes.c_void_p] * 3 + [ctypes.c_size_t] * 3
         + [ctypes.c_void_p]),
        ("mha_compute_qkv_bf16", [ctypes.c_void_p] * 4 + [ctypes.c_size_t] * 2
         + [ctypes.c_void_p] * 3),
        ("mha_attention_bf16", [ctypes.POINTER(_capi.AttentionDesc)] + [ctypes.c_void_p] * 6),
        ("mha_multi_head_attention_f16", [ctypes.c_void_p] * 3 + [ctypes.c_size_t] * 3
         + [ctypes.c_void_p])):
    getattr(_lib, _name).argtypes = _args
    getattr(_lib, _name).restype = ctypes.c_int


def c_multi_head_bf16(bits_q, bits_k, bits_v, n_heads):
    seq_len, d_model = bits_q.shape
    out = np.empty_like(bits_q)
    status = _lib.mha_multi_head_attention_bf16(bits_q.ctypes.data, bits_k.ctypes.data,
                                                bits_v.ctypes.data, seq_len, d_model, n_heads,
                                                out.ctypes.data)
    assert status == 0, status
    return out


class HalfCase(unittest.TestCase):
    def assertAttentionBound(self, got, Q, K, V, n_heads, precision, **kw):
        """got within 3u·max|V| + 1e-4 of the float64 attention of the half values."""
        Qh, Kh, Vh = (half_values(a, precision) for a in (Q, K, V))
        ref = reference.attention(Qh, Kh, Vh, n_heads, **kw)
        self.assertEqual(got.shape, ref.shape)
        vmax = np.abs(Vh).max() if Vh.size else 0.0
        bound = 3 * U[precision] * vmax + 1e-4
        err = np.abs(got.astype(np.float64) - ref)
        self.assertTrue((err <= bound).all(), f"max error {err.max(initial=0)} > bound {bound}")
        return ref

    def assertProjectionBound(self, got, X, Ws, precision):
        Xh = half_values(X, precision)
        d = Xh.shape[1]
        for g, W in zip(got, Ws):
            Wh = half_values(W, precision)
            ref = Xh @ Wh
            bound = 2 * U[precision] * np.abs(ref).max() + d * 2.0**-24 * (np.abs(Xh) @ np.abs(Wh))
            err = np.abs(g.astype(np.float64) - ref)
            self.assertTrue((err <= bound).all(), f"max error {err.max(initial=0)}")

    def qkv(self, seed, batch, seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v, dtype=np.float16,
            scale=1.0):
        r = rng(seed)
        return tuple((scale * r.standard_normal(shape)).astype(dtype) for shape in (
            (*batch, seq_q, n_heads * d_head), (*batch, seq_kv, n_kv_heads * d_head),
            (*batch, seq_kv, n_kv_heads * d_v)))


class Float16Inputs(AttentionCases, HalfCase):
    """float16 arrays take the _f16 functions and come back float16."""

    def check(self, Q, K, V, n_heads, **kw):
        out = mha.attention(Q, K, V, n_heads, **kw)
        self.assertEqual(out.dtype, F16)
        self.assertTrue(out.flags.c_contiguous and out.flags.owndata)
        self.assertAttentionBound(out, Q, K, V, n_heads, "f16", **kw)
        return out

    def test_seed_functions(self):
        r = rng(50)
        X = r.standard_normal((9, 12)).astype(np.float16)
        Ws = [(r.standard_normal((12, 12)) / 3).astype(np.float16) for _ in range(3)]
        got = mha.compute_qkv(X, *Ws)
        for g in got:
            self.assertEqual(g.dtype, F16)
        self.assertProjectionBound(got, X, Ws, "f16")
        Q, K, V = got
        for n_heads in (1, 2, 3):
            out = mha.multi_head_attention(Q, K, V, n_heads)
            self.assertEqual(out.dtype, F16)
            self.assertAttentionBound(out, Q, K, V, n_heads, "f16")
        out = mha.self_attention(Q, K, V)
        self.assertEqual(out.dtype, F16)
        self.assertAttentionBound(out, Q, K, V, 1, "f16")

    def test_multi_head_is_the_c_seed_function_bit_for_bit(self):
        Q, K, V = self.qkv(51, (), 7, 7, 2, 2, 4, 4)
        want = np.empty_like(Q)
        self.assertEqual(_lib.mha_multi_head_attention_f16(Q.ctypes.data, K.ctypes.data,
                                                           V.ctypes.data, 7, 8, 2,
                                                           want.ctypes.data), 0)
        np.testing.assert_array_equal(mha.multi_head_attention(Q, K, V, 2).view(np.uint16),
                                      want.view(np.uint16))

    def test_projection_strided_inputs(self):
        r = rng(52)
        X = r.standard_normal((10, 6)).astype(np.float16).T  # (6, 10), column stride 6
        W = r.standard_normal((20, 10)).astype(np.float16)[::2]
        got = mha.compute_qkv(X, W, W, W)
        self.assertProjectionBound(got, X, [W] * 3, "f16")

    def test_batches_cross_lengths_and_d_v(self):
        for batch in ((), (3,), (2, 3)):
            with self.subTest(batch=batch):
                self.check(*self.qkv(53, batch, 5, 9, 2, 2, 4, 3), 2)

    def test_masks_bool_and_float(self):
        Q, K, V = self.qkv(56, (2, 3), 4, 6, 2, 2, 3, 3)
        r = rng(57)
        shared = np.where(r.random((4, 6)) < 0.3, -np.inf, r.standard_normal((4, 6)))
        masks = {
            "float64 shared": shared,
            "float32 per batch": np.where(r.random((2, 3, 4, 6)) < 0.3, -np.inf,
                                          r.standard_normal((2, 3, 4, 6))).astype(np.float32),
            "float16": shared.astype(np.float16),
            "bool shared": r.random((4, 6)) < 0.6,
            "bool per batch": r.random((2, 3, 4, 6)) < 0.6,
        }
        for name, mask in masks.items():
            with self.subTest(name):
                self.check(Q, K, V, 2, mask=mask)
        # A float mask below float16's range still reaches the library as float32: not -inf.
        big = np.full((4, 6), -1e6)
        big[:, 0] = 0
        out = self.check(Q, K, V, 2, mask=big)
        np.testing.assert_allclose(out, np.broadcast_to(V[..., :1, :], out.shape), rtol=0,
                                   atol=1e-3)

    def test_fully_masked_rows_are_zero(self):
        Q, K, V = self.qkv(58, (2,), 3, 4, 1, 1, 2, 2)
        mask = np.ones((2, 3, 4), bool)
        mask[1, 2] = False
        out = self.check(Q, K, V, 1, mask=mask, causal=True)
        np.testing.assert_array_equal(out[1, 2], 0)
        self.assertFalse(np.isnan(out).any())

    def test_scale_and_large_scores(self):
        Q, K, V = self.qkv(59, (), 5, 6, 2, 2, 8, 8, scale=8.0)
        self.check(Q, K, V, 2)  # scores to a few hundred: the softmax is float, no overflow
        self.check(Q, K, V, 2, scale=0.01)

    def test_strided_views_are_not_copied(self):
        r = rng(60)
        QKV = r.standard_normal((2, 5, 24)).astype(np.float16)  # (batch, seq, [Q | K | V])
        Q, K, V = QKV[..., :8], QKV[..., 8:16], QKV[..., 16:]
        for a in (Q, K, V):
            stack = _layout.matrix_stack(a, F16)
            self.assertEqual(stack.array.ctypes.data, a.ctypes.data)
            self.assertEqual((stack.ld, stack.batch_stride), (24, 5 * 24))
        self.check(Q, K, V, 2)
        Kb = np.broadcast_to(K[0], K.shape)
        self.assertEqual(_layout.matrix_stack(Kb, F16).batch_stride, 0)
        self.check(Q, Kb, Kb, 2)

    def test_views_that_are_copied(self):
        base = rng(61).standard_normal((3, 8, 6)).astype(np.float16)
        for name, Q in {"transposed": np.swapaxes(base, -1, -2), "reversed rows": base[:, ::-1],
                        "big-endian": base.astype(">f2")}.items():
            with self.subTest(name):
                out = self.check(Q, Q, Q, 2)
                self.assertEqual(out.dtype, F16)  # native float16, whatever the input's order

    def test_precision_f16_is_the_float16_cast(self):
        Q, K, V = self.qkv(62, (2,), 5, 7, 2, 1, 4, 4, dtype=np.float32)
        got = mha.attention(Q, K, V, 2, n_kv_heads=1, causal=True, precision="f16")
        want = mha.attention(*(a.astype(np.float16) for a in (Q, K, V)), 2, n_kv_heads=1,
                             causal=True)
        self.assertEqual(got.dtype, F16)
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))
        X = Q[0]
        W = np.eye(8, dtype=np.float32) / 3
        for g, w in zip(mha.compute_qkv(X, W, W, W, precision="f16"),
                        mha.compute_qkv(X.astype(np.float16), *[W.astype(np.float16)] * 3)):
            self.assertEqual(g.dtype, F16)
            np.testing.assert_array_equal(g.view(np.uint16), w.view(np.uint16))

    def test_empty(self):
        for batch, seq_q, seq_kv in (((0,), 3, 3), ((2,), 0, 3), ((2,), 3, 0)):
            with self.subTest(batch=batch, seq_q=seq_q, seq_kv=seq_kv):
                out = mha.attention(*self.qkv(63, batch, seq_q, seq_kv, 2, 2, 2, 2), 2)
                self.assertEqual(out.dtype, F16)
                self.assertEqual(out.shape, (*batch, seq_q, 4))
                np.testing.assert_array_equal(out, 0)
        Q, K, V = mha.compute_qkv(np.zeros((0, 4), np.float16), *[np.eye(4, dtype=np.float16)] * 3)
        self.assertEqual((Q.shape, Q.dtype), ((0, 4), F16))


class Conversions(unittest.TestCase):
    def test_hand_worked_values(self):
        cases = [(1 / 3, 0x3EAB), (1.0, 0x3F80), (-2.5, 0xC020), (0.0, 0x0000), (-0.0, 0x8000),
                 (1 + 2**-8, 0x3F80),           # a tie (0x3F808000): to the even 0x3F80
                 (1 + 3 * 2**-8, 0x3F82),       # a tie (0x3F818000): to the even 0x3F82
                 (1 + 2**-8 + 2**-20, 0x3F81),  # just above the tie: up
                 (np.inf, 0x7F80), (-np.inf, 0xFF80),
                 (3.4028234663852886e38, 0x7F80),  # the largest float rounds past the largest bf16
                 (2.0**-130, 0x0008),              # a float subnormal (bits 0x00080000), kept
                 (2.0**-140, 0x0000)]              # bits 0x00000200: below half a bf16 step
        for x, bits in cases:
            with self.subTest(x=x):
                got = mha.to_bf16(np.float32(x))
                self.assertEqual(got.dtype, np.uint16)
                self.assertEqual(got.shape, ())
                self.assertEqual(int(got), bits, hex(int(got)))

    def test_nan_stays_nan_and_quiet(self):
        nans = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000], np.uint32)
        bits = mha.to_bf16(nans.view(np.float32))
        for b, n in zip(bits, nans):
            self.assertEqual(int(b) & 0x7F80, 0x7F80)
            self.assertNotEqual(int(b) & 0x007F, 0)
            self.assertEqual(int(b) & 0x0040, 0x0040)  # quiet bit set
            self.assertEqual(int(b) >> 15, int(n) >> 31)  # sign kept
        self.assertTrue(np.isnan(mha.from_bf16(bits)).all())

    def test_round_to_nearest_even_on_random_floats(self):
        r = rng(70)
        # Every exponent, subnormals included, and the bits just around each tie.
        x = r.integers(0, 1 << 32, size=200_000, dtype=np.uint64).astype(np.uint32)
        ties = (r.integers(0, 1 << 16, size=2000, dtype=np.uint64).astype(np.uint32) << 16) \
            | 0x8000
        x = np.concatenate([x, ties, ties - 1, ties + 1]).view(np.float32)
        x = x[np.isfinite(x)]
        np.testing.assert_array_equal(mha.to_bf16(x), rne_bf16_bits(x))

    def test_from_bf16_every_pattern(self):
        bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
        got = mha.from_bf16(bits)
        self.assertEqual(got.dtype, F32)
        want = (bits.astype(np.uint32) << 16).view(np.float32)
        finite = ~np.isnan(want)
        np.testing.assert_array_equal(got[finite].view(np.uint32), want[finite].view(np.uint32))
        self.assertTrue(np.isnan(got[~finite]).all())
        # And back: every non-NaN bf16 is a float32 that to_bf16 returns unchanged.
        np.testing.assert_array_equal(mha.to_bf16(got[finite]), bits[finite])

    def test_shapes_views_and_float16(self):
        x = rng(71).standard_normal((2, 3, 4)).astype(np.float32)
        view = x[:, ::-1, ::2]
        np.testing.assert_array_equal(mha.to_bf16(view), rne_bf16_bits(np.ascontiguousarray(view)))
        self.assertEqual(mha.to_bf16(view).shape, view.shape)
        self.assertEqual(mha.from_bf16(mha.to_bf16(view)).shape, view.shape)
        self.assertEqual(mha.to_bf16(np.zeros((0, 3), np.float32)).shape, (0, 3))
        h = x.astype(np.float16)  # float16 widens to float32 exactly, then rounds once
        np.testing.assert_array_equal(mha.to_bf16(h), mha.to_bf16(h.astype(np.float32)))
        np.testing.assert_array_equal(mha.from_bf16(mha.to_bf16(x).astype(">u2")),
                                      mha.from_bf16(mha.to_bf16(x)))

    def test_type_errors(self):
        for bad in (np.zeros(3), np.zeros(3, np.int32), np.zeros(3, np.uint16), [0.5]):
            with self.subTest(dtype=np.asarray(bad).dtype), self.assertRaises(TypeError):
                mha.to_bf16(bad)
        for bad in (np.zeros(3, np.float32), np.zeros(3, np.int16), np.zeros(3, np.uint32)):
            with self.subTest(dtype=bad.dtype), self.assertRaises(TypeError):
                mha.from_bf16(bad)


class Bf16Precision(HalfCase):
    """precision="bf16": float32 (or float16) in, bf16 computed, float32 out holding bf16 values."""

    def assertBf16Values(self, out):
        self.assertEqual(out.dtype, F32)
        self.assertTrue(out.flags.c_contiguous and out.flags.owndata)
        self.assertFalse((out.view(np.uint32) & 0xFFFF).any())  # the low 16 bits of a bf16

    def test_multi_head_is_the_c_function_on_the_same_bits(self):
        for n_heads in (1, 2, 4):
            with self.subTest(n_heads=n_heads):
                Q, K, V = self.qkv(80 + n_heads, (), 9, 9, n_heads, n_heads, 4, 4, np.float32)
                got = mha.multi_head_attention(Q, K, V, n_heads, precision="bf16")
                self.assertBf16Values(got)
                want = c_multi_head_bf16(*(mha.to_bf16(a) for a in (Q, K, V)), n_heads)
                np.testing.assert_array_equal(mha.to_bf16(got), want)
                np.testing.assert_array_equal(got, mha.from_bf16(want))
                self.assertAttentionBound(got, Q, K, V, n_heads, "bf16")
                if n_heads == 1:
                    np.testing.assert_array_equal(
                        mha.self_attention(Q, K, V, precision="bf16"), got)

    def test_compute_qkv_is_the_c_function_on_the_same_bits(self):
        r = rng(84)
        X = r.standard_normal((7, 16)).astype(np.float32)
        Ws = [(r.standard_normal((16, 16)) / 4).astype(np.float32) for _ in range(3)]
        got = mha.compute_qkv(X, *Ws, precision="bf16")
        bits = [mha.to_bf16(a) for a in (X, *Ws)]
        want = [np.empty((7, 16), np.uint16) for _ in range(3)]
        self.assertEqual(_lib.mha_compute_qkv_bf16(*(b.ctypes.data for b in bits), 7, 16,
                                                   *(w.ctypes.data for w in want)), 0)
        for g, w in zip(got, want):
            self.assertBf16Values(g)
            np.testing.assert_array_equal(mha.to_bf16(g), w)
        self.assertProjectionBound(got, X, Ws, "bf16")
        # Strided float32 inputs are converted like packed ones.
        got_t = mha.compute_qkv(np.asfortranarray(X), *Ws, precision="bf16")
        for g, t in zip(got, got_t):
            np.testing.assert_array_equal(g, t)

    def test_attention_is_the_c_function_on_the_same_bits(self):
        Q, K, V = self.qkv(85, (2, 3), 5, 7, 4, 2, 4, 3, np.float32)
        mask = rng(86).random((3, 5, 7)) < 0.7
        got = mha.attention(Q, K, V, 4, n_kv_heads=2, causal=True, mask=mask, scale=0.4,
                            precision="bf16")
        self.assertBf16Values(got)
        self.assertAttentionBound(got, Q, K, V, 4, "bf16", n_kv_heads=2, causal=True, mask=mask,
                                  scale=0.4)
        # The C call written out: packed bits, a float32 0/-inf mask per batch item, 6 items.
        q, k, v = (mha.to_bf16(a) for a in (Q, K, V))
        m = np.ascontiguousarray(np.broadcast_to(np.where(mask, 0, -np.inf), (2, 3, 5, 7)),
                                 np.float32)
        out = np.empty((2, 3, 5, 4 * 3), np.uint16)
        desc = _capi.new_desc(5, 7, 4, 2, 4, 3)
        desc.batch = 6
        desc.batch_stride_mask = 5 * 7
        desc.scale = 0.4
        desc.flags = _capi.MHA_CAUSAL
        self.assertEqual(_lib.mha_attention_bf16(ctypes.byref(desc), *(a.ctypes.data for a in (
            q, k, v, m, out)), None), 0)
        np.testing.assert_array_equal(mha.to_bf16(got), out)

    def test_float16_inputs_and_mixed(self):
        Q, K, V = self.qkv(87, (2,), 4, 6, 2, 2, 4, 4, np.float16)
        got = mha.attention(Q, K, V, 2, precision="bf16")
        self.assertBf16Values(got)
        np.testing.assert_array_equal(
            got, mha.attention(*(a.astype(np.float32) for a in (Q, K, V)), 2, precision="bf16"))
        mixed = mha.attention(Q, K.astype(np.float32), V, 2, precision="bf16")
        np.testing.assert_array_equal(got, mixed)

    def test_bool_and_float_masks_gqa_strided(self):
        Q, K, V = self.qkv(88, (3,), 6, 8, 4, 1, 4, 5, np.float32)
        K = np.asfortranarray(K)
        r = rng(89)
        for mask in (r.random((6, 8)) < 0.5,
                     np.where(r.random((3, 6, 8)) < 0.3, -np.inf, r.standard_normal((3, 6, 8)))):
            with self.subTest(mask=mask.dtype):
                got = mha.attention(Q, K, V[..., ::-1, :], 4, n_kv_heads=1, mask=mask,
                                    precision="bf16")
                self.assertBf16Values(got)
                self.assertAttentionBound(got, Q, K, V[..., ::-1, :], 4, "bf16", n_kv_heads=1,
                                          mask=mask)

    def test_none_is_the_default(self):
        Q, K, V = self.qkv(90, (), 4, 4, 2, 2, 2, 2, np.float32)
        np.testing.assert_array_equal(mha.attention(Q, K, V, 2, precision=None),
                                      mha.attention(Q, K, V, 2))

    def test_random_shapes_both_formats(self):
        r = rng(91)
        for _ in range(60):
            batch = tuple(int(n) for n in r.integers(0, 3, size=r.integers(0, 3)))
            seq_q, seq_kv, d_head, d_v = (int(n) for n in r.integers(0, 6, size=4))
            n_heads = int(r.choice([1, 2, 4]))
            n_kv_heads = int(r.choice([g for g in (1, 2, 4) if n_heads % g == 0]))
            precision = str(r.choice(["bf16", "f16", "float16 inputs"]))
            kw = dict(n_kv_heads=n_kv_heads, causal=bool(r.integers(2)))
            if r.integers(2):
                shape = (seq_q, seq_kv) if r.integers(2) else (*batch, seq_q, seq_kv)
                kw["mask"] = r.random(shape) < 0.7
            dtype = np.float16 if precision == "float16 inputs" else np.float32
            Q, K, V = self.qkv(int(r.integers(1 << 30)), batch, seq_q, seq_kv, n_heads,
                               n_kv_heads, d_head, d_v, dtype, scale=float(r.choice([1, 4])))
            with self.subTest(batch=batch, seq=(seq_q, seq_kv), heads=(n_heads, n_kv_heads),
                              d=(d_head, d_v), precision=precision, **kw):
                if precision == "float16 inputs":
                    out = mha.attention(Q, K, V, n_heads, **kw)
                    self.assertEqual(out.dtype, F16)
                    precision = "f16"
                else:
                    out = mha.attention(Q, K, V, n_heads, precision=precision, **kw)
                    self.assertEqual(out.dtype, F32 if precision == "bf16" else F16)
                self.assertAttentionBound(out, Q, K, V, n_heads, precision, **kw)


class PrecisionErrors(unittest.TestCase):
    def calls(self, a, **kw):
        W = a[0]
        return {
            "attention": lambda: mha.attention(a, a, a, 1, **kw),
            "self_attention": lambda: mha.self_attention(a[0], a[0], a[0], **kw),
            "multi_head_attention": lambda: mha.multi_head_attention(a[0], a[0], a[0], 2, **kw),
            "compute_qkv": lambda: mha.compute_qkv(a[0], W, W, W, **kw),
        }

    def test_bad_precision_values(self):
        a = np.ones((2, 4, 4), np.float32)
        for precision, error in (("fp16", ValueError), ("BF16", ValueError), ("", ValueError),
                                 ("float32", ValueError), (np.float16, TypeError),
                                 (16, TypeError)):
            for name, call in self.calls(a, precision=precision).items():
                with self.subTest(name, precision=precision), self.assertRaises(error) as ctx:
                    call()
                self.assertNotIsInstance(ctx.exception, mha.MhaError)

    def test_precision_wants_float32_or_float16_inputs(self):
        # float64 would round twice (to float32, then to half); integers, uint16 included, are
        # values, never bf16 bits: both are the caller's to convert.
        for dtype in (np.float64, np.int64, np.int8, np.uint16, np.bool_):
            for precision in ("bf16", "f16"):
                a = np.ones((2, 4, 4), dtype)
                for name, call in self.calls(a, precision=precision).items():
                    with self.subTest(name, dtype=dtype, precision=precision), \
                            self.assertRaises(TypeError):
                        call()
        a = np.ones((3, 4), np.float32)
        with self.assertRaises(TypeError):
            mha.attention(a, a, a.astype(np.float64), 1, precision="bf16")

    def test_library_errors_on_half_paths(self):
        Q = np.ones((3, 4), np.float16)
        for kw in ({}, {"precision": "bf16"}):
            with self.subTest(**kw), self.assertRaises(mha.MhaError) as ctx:
                mha.attention(Q, Q, Q, 1, scale=np.inf, **kw)
            self.assertEqual(ctx.exception.status, 2)
            self.assertIn("_f16" if not kw else "_bf16", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
