/* SPDX-License-Identifier: MIT */
/* The online softmax's row state, shared by the schedules (tiles, decode, zero scores): written
 * once over a type's traits, included by driver_impl.h before them. A row carries its running max
 * and sum over the key blocks seen so far, and an output accumulated against that max:
 *   after a block:  m' = max(m, block max);  sum' = sum·e^(m − m') + Σ_block e^(s − m')
 *                   O' = O·e^(m − m') + Σ_block e^(s − m')·v
 *   at the end:     out = O / sum;  lse = m + log(sum)
 * so every block's weights share one reference and nothing overflows. */
#include "core.h"

#include <math.h>
#include <string.h>

static void zero_row(REAL *row, size_t n)
{
    /* row may be NULL when n == 0, and memset(NULL, 0, 0) is undefined */
    if (n != 0)
        memset(row, 0, n * sizeof *row);
}

/* One row's running sum after a block whose exps sum to `sum`: when the block raised the row's max
 * from old_max to new_max, the sum and the output o accumulated from earlier blocks (NULL: none
 * yet) shrink by exp(old − new) first. */
static void add_block_sum(REAL old_max, REAL new_max, REAL sum, REAL *row_sum, REAL *o, size_t d_v)
{
    if (new_max > old_max) {                  /* false for NaN: the sum carries it */
        REAL shrink = EXP(old_max - new_max); /* 0 when nothing was seen yet */
        *row_sum *= shrink;
        for (size_t c = 0; o != NULL && c < d_v; c++)
            o[c] *= shrink;
    }
    *row_sum += sum;
}

/* A row's log-sum-exp from its running max and sum: −inf for a row that saw no key. */
static REAL row_lse(REAL row_max, REAL row_sum)
{
    return row_sum == 0 ? -(REAL)INFINITY : row_max + LOG(row_sum);
}

/* dst = acc / row_sum over d_v columns (dst may be acc), or zeros for a row that saw no key (never
 * NaN: 0·inf in V could otherwise leak in). */
static void normalise_row(const REAL *acc, REAL *dst, size_t d_v, REAL row_sum)
{
    if (row_sum == 0) {
        zero_row(dst, d_v);
        return;
    }
    REAL inv = 1 / row_sum;
    for (size_t c = 0; c < d_v; c++)
        dst[c] = acc[c] * inv;
}
