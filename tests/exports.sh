#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# exports.sh LIBMHA_SO MHA_H TEST_API: the shared library's dynamic symbols are exactly the MHA_API
# functions declared in mha.h (hidden visibility leaks nothing), and TEST_API references all of
# them (so every export is called through the .so at least once).
set -euo pipefail
lib=$1 header=$2 api=$3

# "MHA_API <type> [*]name(..." → name
declared=$(grep -E '^MHA_API ' "$header" | sed -E 's/\(.*//; s/.*[ *]//' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWDdBbRr]$/ {print $3}' | sort -u)
called=$(nm -u "$api" | awk '{print $2}' | sed 's/@.*//' | grep '^mha_' | sort -u || true)

status=0
if [ "$declared" != "$exported" ]; then
    echo "exports differ from mha.h's MHA_API declarations (< header, > library):"
    diff <(echo "$declared") <(echo "$exported") || true
    status=1
fi
if [ "$declared" != "$called" ]; then
    echo "test_api does not call every export (< header, > test_api):"
    diff <(echo "$declared") <(echo "$called") || true
    status=1
fi
[ "$status" -eq 0 ] && echo "$(echo "$declared" | wc -l) exports, all declared, all called"
exit "$status"
