#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it: a -Werror build and its
# unit tests (with MPI's tests under mpirun when MPI is there), and libmha built without MPI.
# Prints one closing line "N passed, M failed" summed over every step.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0

# meson test's summary gives "Ok: N" and "Fail: M" (timeouts and unexpected passes count as failed).
count_meson() {
    local log=$1 ok fail
    ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -n 1)
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + fail))
}

# step NAME BUILD_DIR [meson setup args...]: configure, compile everything, test.
step() {
    local name=$1 dir=$2
    shift 2
    echo "== $name"
    if ! meson setup --wipe "$dir" --werror "$@" >"$dir.setup.log" 2>&1 &&
        ! meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log"
        failed=$((failed + 1))
        return
    fi
    if ! meson compile -C "$dir"; then
        failed=$((failed + 1))
        return
    fi
    meson test -C "$dir" --print-errorlogs --num-processes 2 | tee "$dir.test.log"
    count_meson "$dir.test.log"
}

step "unit tests (-Werror)" build-ci

# The MPI component is optional: libmha must build without it and never link MPI. (The step above
# builds and runs libmha_mpi's tests under mpirun when MPI is installed, as .ci/apt-packages does.)
echo "== libmha without MPI (-Dmpi=disabled)"
nompi=(build-nompi --werror -Dmpi=disabled -Dtests=false -Dbench=false)
if { meson setup --wipe "${nompi[@]}" >build-nompi.setup.log 2>&1 ||
    meson setup "${nompi[@]}" >build-nompi.setup.log 2>&1; } &&
    meson compile -C build-nompi >build-nompi.compile.log 2>&1 &&
    ! ldd build-nompi/src/libmha.so | grep -q libmpi; then
    echo "ok: libmha builds without MPI and does not link it"
    passed=$((passed + 1))
else
    echo "FAILED: libmha without MPI (see build-nompi.*.log)"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
