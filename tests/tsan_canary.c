/* SPDX-License-Identifier: MIT */
/* A deliberate data race, for the ThreadSanitizer step of tests/run-all.sh only (built in TSan
 * builds, never run as a unit test). tests/tsan.supp drops reports on interceptors called from
 * OpenBLAS and libomp, whose own threads TSan cannot follow; this proves a race in code we
 * compile is still reported, with those libraries' threads busy around it.
 *
 *   tsan_canary blas    two threads make attention calls whose GEMMs OpenBLAS threads (its
 *                       workers memset C through TSan's interceptor), then both bump an
 *                       unguarded counter
 *   tsan_canary openmp  the same from the two threads of an OpenMP parallel region (Archer)
 *
 * Each thread makes its calls before it touches the counter, so a false report from the
 * libraries (without tests/tsan.supp: OpenBLAS's memset of a workspace just allocated on the
 * calling thread, sgemm_beta_*) comes out first: the step requires the first report to name
 * racy_counter. */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */

#include "mha.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { SEQ = 96, HEADS = 4, D = 64, CALLS = 16, WIDTH = HEADS * D };

long racy_counter;

/* Q·Kᵀ is 96 × 96 × 64 per head, above OpenBLAS's threading threshold (m·n·k = 2¹⁸), with a
 * workspace small enough to be reused from the heap call after call. */
static void attend(float *buffers)
{
    float *Q = buffers, *out = buffers + SEQ * WIDTH;
    mha_attention_desc d;
    mha_attention_desc_init(&d, SEQ, SEQ, HEADS, HEADS, D, D);
    d.n_threads = 1;
    for (int i = 0; i < CALLS; i++)
        if (mha_attention(&d, Q, Q, Q, NULL, out, NULL) != MHA_OK)
            exit(2);
}

static float *make_buffers(void)
{
    float *b = calloc(2 * SEQ * WIDTH, sizeof *b);
    if (b == NULL)
        exit(2);
    for (size_t i = 0; i < SEQ * WIDTH; i++)
        b[i] = (float)(i % 7) / 7.0f;
    return b;
}

static pthread_barrier_t calls_done;

static void *blas_worker(void *arg)
{
    attend(arg);
    pthread_barrier_wait(&calls_done);
    racy_counter++; /* the race */
    return NULL;
}

static int race_with_blas_threads(void)
{
    float *b[2] = {make_buffers(), make_buffers()};
    pthread_t t[2];
    pthread_barrier_init(&calls_done, NULL, 2);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, blas_worker, b[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&calls_done);
    free(b[0]), free(b[1]);
    return 0;
}

static int race_with_openmp_threads(void)
{
#ifdef _OPENMP
    float *b[2] = {make_buffers(), make_buffers()};
#pragma omp parallel num_threads(2)
    {
        attend(b[omp_get_thread_num() % 2]);
        racy_counter++; /* the race (no barrier: Archer may order two of them through it) */
    }
    free(b[0]), free(b[1]);
    return 0;
#else
    fprintf(stderr, "tsan_canary: built without OpenMP\n");
    return 2;
#endif
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "blas") == 0)
        return race_with_blas_threads();
    if (argc == 2 && strcmp(argv[1], "openmp") == 0)
        return race_with_openmp_threads();
    fprintf(stderr, "usage: %s blas|openmp\n", argv[0]);
    return 2;
}
