/* SPDX-License-Identifier: MIT */
/* Denormal inputs vs normal ones: does mha_attention slow down by orders of magnitude when Q, K
 * or V hold subnormal numbers (x86 handles some of them in microcode)? Checks each input set
 * against tests/ref first, then reports the median time of each and its ratio to normal inputs.
 * No assertion on speed: this prints numbers for docs/HARDENING.md.
 * Usage: bench_denormal [--smoke]   (--smoke: one tiny run of each case, for `meson test`) */
#define _POSIX_C_SOURCE 199309L /* clock_gettime, for now_seconds() */

#include "common/support.h"
#include "mha.h"
#include "ref.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input sets: which of Q, K, V are scaled into the subnormal range. */
typedef struct input_set {
    const char *name;
    bool tiny_qk, tiny_v;
} input_set;

static const input_set sets[] = {
    {"normal", false, false},
    {"denormal V", false, true},
    {"denormal Q, K", true, false},
    {"all denormal", true, true},
};

/* Fills float and double copies: uniform in [-1, 1], times 1e-39 (float) / 1e-310 (double) where
 * tiny — below FLT_MIN / DBL_MIN, so every nonzero value is subnormal. */
static void fill(float *xf, double *xd, size_t n, bool tiny, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        double v = 2.0 * rand() / RAND_MAX - 1;
        xf[i] = (float)v * (tiny ? 1e-39f : 1.0f);
        xd[i] = v * (tiny ? 1e-310 : 1.0);
    }
}

/* The float result against the reference on the same (float) values: absolute error, as flushing
 * subnormals to zero would be a legitimate difference. */
static int check(const mha_attention_desc *d, const float *Q, const float *K, const float *V,
                 const float *out, size_t nq, size_t nk, size_t no)
{
    double *q = malloc(nq * 8), *k = malloc(nk * 8), *v = malloc(nk * 8), *want = malloc(no * 8);
    if (!q || !k || !v || !want)
        return 1;
    for (size_t i = 0; i < nq; i++)
        q[i] = (double)Q[i];
    for (size_t i = 0; i < nk; i++)
        k[i] = (double)K[i], v[i] = (double)V[i];
    ref_attention(d, q, k, v, NULL, want, NULL);
    int bad = 0;
    for (size_t i = 0; i < no; i++)
        bad |= !(fabs((double)out[i] - want[i]) <= 1e-4);
    free(q), free(k), free(v), free(want);
    return bad;
}

int main(int argc, char **argv)
{
    int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
    size_t seq = smoke ? 16 : 512, heads = 4, dh = 64, reps = smoke ? 1 : 15;
    mha_attention_desc d;
    mha_attention_desc_init(&d, seq, seq, heads, heads, dh, dh);
    d.flags = MHA_CAUSAL;
    size_t n = seq * heads * dh;
    float *Q = malloc(n * 4), *K = malloc(n * 4), *V = malloc(n * 4), *out = malloc(n * 4);
    double *Qd = malloc(n * 8), *Kd = malloc(n * 8), *Vd = malloc(n * 8), *outd = malloc(n * 8);
    double *t = malloc(reps * sizeof *t), base[2] = {0, 0};
    if (!Q || !K || !V || !out || !Qd || !Kd || !Vd || !outd || !t)
        return 1;
    printf("mha_attention, causal, seq %zu, %zu heads of %zu, median of %zu runs\n", seq, heads, dh,
           reps);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        fill(Q, Qd, n, sets[s].tiny_qk, 1);
        fill(K, Kd, n, sets[s].tiny_qk, 2);
        fill(V, Vd, n, sets[s].tiny_v, 3);
        if (mha_attention(&d, Q, K, V, NULL, out, NULL) != MHA_OK ||
            check(&d, Q, K, V, out, n, n, n)) {
            fprintf(stderr, "%s: result differs from the reference\n", sets[s].name);
            return 1;
        }
        for (int f64 = 0; f64 <= 1; f64++) {
            for (size_t r = 0; r < reps; r++) {
                double t0 = now_seconds();
                mha_status st = f64 ? mha_attention_f64(&d, Qd, Kd, Vd, NULL, outd, NULL)
                                    : mha_attention(&d, Q, K, V, NULL, out, NULL);
                t[r] = now_seconds() - t0;
                if (st != MHA_OK)
                    return 1;
            }
            double median = median_sort(t, reps);
            if (s == 0)
                base[f64] = median;
            printf("  %-14s %-6s %9.3f ms  x%.2f\n", sets[s].name, f64 ? "double" : "float",
                   1e3 * median, median / base[f64]);
        }
    }
    free(Q), free(K), free(V), free(out), free(Qd), free(Kd), free(Vd), free(outd), free(t);
    return 0;
}
