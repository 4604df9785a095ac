#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-consumer.sh MESON BUILD_DIR MHA_H: install the build into a staging directory (meson
# install --destdir), then compile the example of mha.h's overview — extracted from the header, so
# the documented example is the one tested — with `pkg-config --cflags --libs mha` resolved inside
# the stage, run it against the staged libmha.so, and check that it prints the seed example's first
# value. $CC is the compiler of the build; $MHA_SANITIZE its b_sanitize (the example must link the
# same sanitizer runtime as an instrumented library).
set -euo pipefail
meson=$1 build=$2 header=$3
cc=${CC:-cc}
want=4.99917422934229

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$stage/root" >"$stage/install.log" 2>&1 ||
    { cat "$stage/install.log"; echo "meson install failed"; exit 1; }

pc=$(find "$stage/root" -name mha.pc -print -quit)
[ -n "$pc" ] || { echo "no mha.pc installed"; exit 1; }
installed_header=$(find "$stage/root" -path '*/include/mha.h' -print -quit)
cmp "$installed_header" "$header" || { echo "installed mha.h differs from the source"; exit 1; }

# The .pc names its final prefix; the sysroot makes pkg-config point into the stage instead.
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$stage/root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$(pkg-config --cflags --libs mha)
libdir=$(pkg-config --libs-only-L mha | sed -E 's/^ *-L//; s/ .*//')
[ -f "$libdir/libmha.so" ] || { echo "pkg-config -L ($libdir) has no libmha.so"; exit 1; }

# The lines between @code and @endcode in the overview, without the comment's " * ".
sed -n '/@code/,/@endcode/p' "$header" | sed '1d;$d' | sed -E 's/^ \* ?//; s/^ \*$//' >"$stage/example.c"
grep -q 'int main' "$stage/example.c" || { echo "no example found in mha.h"; exit 1; }

san=()
if [ -n "${MHA_SANITIZE:-}" ] && [ "$MHA_SANITIZE" != none ]; then
    san=("-fsanitize=$MHA_SANITIZE")
fi
# shellcheck disable=SC2086 # $cc may be a command with arguments, $flags is a flag list
$cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${san[@]}" "$stage/example.c" -o "$stage/example" $flags

# Only the staged library can satisfy it: no rpath, no build directory on the path.
got=$(LD_LIBRARY_PATH=$libdir "$stage/example")
resolved=$(LD_LIBRARY_PATH=$libdir ldd "$stage/example" | awk '/libmha/ {print $3}')
case $resolved in
"$stage"/*) ;;
*) echo "example resolved libmha to '$resolved', not the staged copy"; exit 1 ;;
esac
if [ "$got" != "$want" ]; then
    echo "example printed '$got', expected '$want'"
    exit 1
fi
echo "installed $(basename "$pc") + mha.h + libmha.so; example built with pkg-config prints $got"
