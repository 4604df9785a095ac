/* SPDX-License-Identifier: MIT */
/* Internal invariants: checked in debug and test builds, compiled out with NDEBUG. Never used on
 * caller input — that is validate.c's job and returns a status. */
#ifndef MHA_ASSERT_H
#define MHA_ASSERT_H

#ifdef NDEBUG
#define MHA_ASSERT(cond) ((void)0)
#else
#define MHA_ASSERT(cond) ((cond) ? (void)0 : __builtin_trap())
#endif

#endif
