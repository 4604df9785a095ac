/* SPDX-License-Identifier: MIT */
/* The kernel-class judgement of mha_runtime_info (src/api/runtime.h), on every kind of pairing: the
 * machine under test has only one CPU and one core choice, and tests never set OPENBLAS_CORETYPE.
 * And the kernel tables the report reads: one naming of instruction sets across them.
 */
#include "common/test_util.h"
#include "convert.h"
#include "decode_kernels.h"
#include "runtime.h"
#include "softmax_kernels.h"

typedef struct pairing {
    const char *core, *cpu;
    bool below;
    const char *fix; /* the OPENBLAS_CORETYPE the reason must name */
} pairing;

static void kernels_against_cpu(void **state)
{
    (void)state;
    const pairing cases[] = {
        {"Prescott", "avx512f", true, "SkylakeX"}, /* the Xeon fallback of OpenBLAS 0.3.21 */
        {"Haswell", "avx512f", true, "SkylakeX"},  /* a pinned AVX2 core on Zen 5 */
        {"Zen", "avx512f", true, "SkylakeX"},
        {"Sandybridge", "avx2", true, "Haswell"},
        {"Prescott", "avx2", true, "Haswell"},
        {"Haswell", "avx2", false, NULL},
        {"SkylakeX", "avx512f", false, NULL},
        {"Cooperlake", "avx512f", false, NULL},
        {"SapphireRapids", "avx512f", false, NULL},
        {"Cooperlake", "avx2", false, NULL},
        {"Prescott", "sse2", false, NULL},
        {"", "avx512f", false, NULL},
        {"Prescott", "", false, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char reason[192] = "";
        bool below = mha_kernels_below_cpu(cases[i].core, cases[i].cpu, reason, sizeof reason);
        if (below != cases[i].below)
            fail_msg("%s on %s: below = %d", cases[i].core, cases[i].cpu, below);
        if (below) {
            assert_non_null(strstr(reason, cases[i].core));
            char want[64];
            snprintf(want, sizeof want, "OPENBLAS_CORETYPE=%s", cases[i].fix);
            assert_non_null(strstr(reason, want));
        } else {
            assert_string_equal(reason, "");
        }
    }
    /* A short buffer is truncated, still terminated. */
    char tiny[8];
    assert_true(mha_kernels_below_cpu("Prescott", "avx2", tiny, sizeof tiny));
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

/* The setup line names what decides the speed and what to set: nothing when the BLAS is serial
 * inside the workers; OPENBLAS_NUM_THREADS=1 (and oneDNN) when it is threaded; the workers each
 * case runs. */
static void setup_line(void **state)
{
    (void)state;
    char line[256];
    mha_describe_setup("openmp", 2, false, 2, 2, line, sizeof line);
    assert_non_null(strstr(line, "OpenMP OpenBLAS"));
    assert_non_null(strstr(line, "2 worker"));
    assert_non_null(strstr(line, "nothing to set"));
    mha_describe_setup("pthreads", 1, false, 4, 4, line, sizeof line);
    assert_non_null(strstr(line, "single-threaded"));
    assert_non_null(strstr(line, "4 worker"));
    mha_describe_setup("pthreads", 2, true, 2, 2, line, sizeof line);
    assert_non_null(strstr(line, "oneDNN's sgemm on 2 workers"));
    assert_non_null(strstr(line, "OPENBLAS_NUM_THREADS=1"));
    assert_null(strstr(line, "nothing to set"));
    mha_describe_setup("pthreads", 8, false, 1, 8, line, sizeof line);
    assert_non_null(strstr(line, "tile by tile"));
    assert_non_null(strstr(line, "OPENBLAS_NUM_THREADS=1"));
    assert_non_null(strstr(line, "oneDNN"));
    mha_describe_setup("sequential", 1, false, 1, 0, line, sizeof line);
    assert_non_null(strstr(line, "without OpenMP"));
    /* Every line fits the report's field. */
    const char *const kinds[] = {"openmp", "pthreads", "sequential", "unknown"};
    for (size_t k = 0; k < 4; k++)
        for (int onednn = 0; onednn <= 1; onednn++) {
            char big[512];
            mha_describe_setup(kinds[k], 64, onednn, 256, 256, big, sizeof big);
            assert_true(strlen(big) < sizeof line);
        }
}

/* Whether name is one of the instruction sets the kernel tables name (cpu.h). */
static bool isa_name(const char *name)
{
    static const char *const names[] = {"avx512bf16", "avx512f", "avx2", "scalar"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* The report names the softmax table's row that dispatch takes; every table's rows are named from
 * one list, each table ending with the portable "scalar". */
static void tables_behind_the_report(void **state)
{
    (void)state;
    mha_runtime r;
    assert_int_equal(mha_runtime_info(&r), MHA_OK);
    assert_string_equal(r.softmax_isa, mha_softmax_isa_best()->name);
    for (size_t i = 0; i < mha_softmax_isa_count; i++)
        assert_true(isa_name(mha_softmax_isas[i].name));
    for (size_t i = 0; i < mha_decode_isa_count; i++)
        assert_true(isa_name(mha_decode_isas[i].name));
    for (size_t i = 0; i < mha_convert_isa_count; i++)
        assert_true(isa_name(mha_convert_isas[i].name));
    assert_string_equal(mha_softmax_isas[mha_softmax_isa_count - 1].name, "scalar");
    assert_string_equal(mha_decode_isas[mha_decode_isa_count - 1].name, "scalar");
    assert_string_equal(mha_convert_isas[mha_convert_isa_count - 1].name, "scalar");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernels_against_cpu),
        cmocka_unit_test(setup_line),
        cmocka_unit_test(tables_behind_the_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
