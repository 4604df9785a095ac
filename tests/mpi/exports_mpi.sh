#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# exports_mpi.sh LIBMHA_MPI_SO MHA_MPI_H: libmha_mpi's dynamic symbols are exactly the MHA_MPI_API
# functions of mha_mpi.h (the ring's internals stay hidden).
set -euo pipefail
lib=$1 header=$2

# "MHA_MPI_API <type> [*]name(..." → name
declared=$(grep -E '^MHA_MPI_API ' "$header" | sed -E 's/\(.*//; s/.*[ *]//' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWDdBbRr]$/ {print $3}' | sort -u)
if [ "$declared" != "$exported" ]; then
    echo "exports differ from mha_mpi.h's MHA_MPI_API declarations (< header, > library):"
    diff <(echo "$declared") <(echo "$exported") || true
    exit 1
fi
echo "$(echo "$declared" | wc -l) exports, all declared in mha_mpi.h"
