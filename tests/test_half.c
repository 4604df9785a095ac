/* SPDX-License-Identifier: MIT */
/* The bf16 and f16 entry points beyond test_general's attention cases (which run in both half
 * types too): the projections and the seed attention on random shapes against the double
 * reference within mha.h's half bounds, scores up to |1e4| from Q·Kᵀ, the same bits for any
 * number of workers, and the error rules. */
#include "common/problem.h"
#include "common/test_util.h"
#include "mha.h"
#include "ref.h"

/* clang-format off */
#include "type_bf16.h"
#define TO_HALF mha_convert_f32_to_bf16
#define TO_FLOAT mha_convert_bf16_to_f32
#define U 0x1p-8
#include "half_impl.h"
#undef TO_HALF
#undef TO_FLOAT
#undef U
#include "type_end.h"

#include "type_f16.h"
#define TO_HALF mha_convert_f32_to_f16
#define TO_FLOAT mha_convert_f16_to_f32
#define U 0x1p-11
#include "half_impl.h"
#undef TO_HALF
#undef TO_FLOAT
#undef U
#include "type_end.h"
/* clang-format on */

#define BOTH(name) cmocka_unit_test(name##_bf16), cmocka_unit_test(name##_f16)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(projections),           BOTH(seed_attention), BOTH(huge_scores),
        BOTH(same_bits_any_workers), BOTH(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
