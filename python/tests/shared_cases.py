# SPDX-License-Identifier: MIT
"""Attention cases that every storage type runs: a TestCase mixing this in supplies
qkv(seed, batch, seq_q, seq_kv, n_heads, n_kv_heads, d_head, d_v) -> (Q, K, V) in its type, and
check(Q, K, V, n_heads, **kw) -> out, which compares mha.attention with the reference within
that type's bound."""

import numpy as np


class AttentionCases:
    def test_gqa_and_mqa(self):
        for n_kv_heads in (1, 2, 4):
            with self.subTest(n_kv_heads=n_kv_heads):
                self.check(*self.qkv(11, (2,), 6, 7, 4, n_kv_heads, 3, 5), 4,
                           n_kv_heads=n_kv_heads)

    def test_causal_bottom_right(self):
        for seq_q, seq_kv in ((6, 6), (3, 8), (8, 3)):
            with self.subTest(seq_q=seq_q, seq_kv=seq_kv):
                out = self.check(*self.qkv(12, (2,), seq_q, seq_kv, 2, 1, 4, 4), 2, n_kv_heads=1,
                                 causal=True)
                if seq_q > seq_kv:  # the first seq_q − seq_kv queries see no key: zeros
                    np.testing.assert_array_equal(out[:, : seq_q - seq_kv], 0)
