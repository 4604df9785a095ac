/* SPDX-License-Identifier: MIT */
/* The attention driver of one type, written once over its traits (type_f32.h: STORE for the
 * caller's matrices, REAL for the arithmetic, STAGE_IMPL for how the one reaches the other);
 * driver_<type>.c include it. The parts, each a file of its own and none calling back into
 * another:
 *   core_impl.h          the online softmax's row state; core.h: key visibility, workers
 *   stage_*_impl.h       the type's staging: operands to the GEMMs, results to the caller's rows,
 *                        and the projection
 *   tiles_impl.h         the tile schedule: GEMM, softmax, GEMM per block of query rows
 *   decode_impl.h        the decode schedule: the KV cache streamed once for a few rows
 *   zero_scores_impl.h   the zero-score schedule: d_head == 0
 * and here the dispatch on the plan's schedule. */
#include "convert.h"
#include "decode_kernels.h"
#include "driver.h"
#include "gemm.h"
#include "mha_assert.h"
#include "plan.h"
#include "softmax.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define GEMM RSFX(mha_gemm)
#define SOFTMAX_ROW_FN RSFX(mha_softmax_row_fn)
#define SOFTMAX_PICK RSFX(mha_softmax_pick)

#include "core_impl.h"

#include STAGE_IMPL

#include "decode_impl.h"
#include "tiles_impl.h"
#include "zero_scores_impl.h"

void SFX(mha_attend)(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                     const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                     void *workspace)
{
    unsigned char *base = aligned_workspace(workspace);
    switch (plan->schedule) {
    case MHA_SCHEDULE_TILES:
        tiles_attend(d, plan, Q, K, V, mask, out, lse, base);
        break;
    case MHA_SCHEDULE_DECODE:
        decode_attend(d, plan, Q, K, V, mask, out, lse, base);
        break;
    case MHA_SCHEDULE_ZERO_SCORES:
        zero_scores_attend(d, plan, V, mask, out, lse, base);
        break;
    }
}
