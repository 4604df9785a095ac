/* SPDX-License-Identifier: MIT */
/* The process setups a user of libmha may be in, each a child process that runs the same checked
 * calls (bench_setup_impl.h in C, setup_child.py in Python) so that their speeds compare in one
 * run:
 *   (a) Python, numpy imported before mha (numpy brings Debian's pthreads OpenBLAS);
 *   (b) Python, torch imported before mha (likewise);
 *   (c) a C program whose pthreads OpenBLAS was loaded first (it leads the library path);
 *   (d) the default build's OpenMP OpenBLAS, nothing set;
 *   (e) tuned: OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS = cores, the reference speed, in C
 *       and in Python (mha imported first).
 * Every child starts with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS removed from the bench's own
 * environment (and (e) given its values); OPENBLAS_CORETYPE, if set, is passed on unchanged. */
#ifndef MHA_BENCH_SETUPS_H
#define MHA_BENCH_SETUPS_H

#include "bench_cases.h"

#include <stdbool.h>
#include <stddef.h>

#define BENCH_MAX_SETUP_CASES 8

/* The cases of a run (toy sizes when smoke), into cases[BENCH_MAX_SETUP_CASES]; returns the
 * count. */
size_t bench_setup_default_cases(bool smoke, bench_setup_case *cases);

/* Parses the --setup-cases list of a child ("name:kind:batch:seq:d_model:heads,..."). */
size_t bench_setup_parse_cases(const char *list, bench_setup_case *cases);

/* The parent: runs every setup as a child on `cases` in the storage types `dtypes` ("f32,bf16"),
 * `reps` timed runs each (0: the child's default), and prints a row per setup, case and type,
 * with its speed over the tuned setup's. c gives the ceilings the rates are measured against.
 * A child whose check fails fails the bench (status 1); a setup this machine cannot make (no
 * torch, no pthreads OpenBLAS, no Python) is skipped, with a note saying why. */
void bench_setups_run(const bench_config *c, const char *dtypes, const bench_setup_case *cases,
                      size_t n, int reps, bool smoke);

#endif
