/* SPDX-License-Identifier: MIT */
/* The seed example: X, and multi-head attention of Q = K = V = X (identity weights) with
 * two heads of width 2, as a float64 numpy reference computes it — values from outside the
 * library, shared by every test that checks them. */
#ifndef MHA_SEED_EXAMPLE_H
#define MHA_SEED_EXAMPLE_H

static const double seed_X[8] = {1, 2, 3, 4, 5, 6, 7, 8};

// clang-format off
static const double seed_two_heads[8] = {
    4.999174229342286,  5.999174229342286,  6.999999989919828, 7.999999989919828,
    4.9999999999998765, 5.9999999999998765, 7.0,               8.0};
// clang-format on

#endif
