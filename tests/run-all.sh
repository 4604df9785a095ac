#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it: the clang-format check, a
# -Werror build and its unit tests (with MPI's tests under mpirun when MPI is there), the same on
# the pthreads OpenBLAS, libmha built without MPI, then the hardening steps (docs/HARDENING.md):
# valgrind memcheck, ASan+UBSan, ThreadSanitizer on the stress test with its canary, and a
# fixed-seed libFuzzer run. Prints each step's duration and one closing line "N passed, M failed"
# summed over every step. Nothing here reads or sets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, or
# depends on the CPU's vendor or kernels.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
durations=()

# meson test's summary gives "Ok: N" and "Fail: M" (timeouts and unexpected passes count as failed).
count_meson() {
    local log=$1 ok fail
    ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -n 1)
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + fail))
    # A test run that printed no summary at all (crashed, or ran nothing) is a failure.
    if [ -z "$ok" ]; then failed=$((failed + 1)); fi
}

# configure DIR [meson setup args...]: a fresh configuration (wiped if it exists).
configure() {
    local dir=$1
    shift
    if ! meson setup --wipe "$dir" --werror "$@" >"$dir.setup.log" 2>&1 &&
        ! meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log"
        return 1
    fi
}

# timed NAME FUNCTION [args...]: runs one step and records how long it took.
timed() {
    local name=$1 start=$SECONDS
    shift
    echo "== $name"
    "$@"
    durations+=("$(printf '%5ds  %s' $((SECONDS - start)) "$name")")
}

# suite_step DIR [TEST_ARGS...] -- [SETUP_ARGS...]: a fresh configuration of DIR, everything
# compiled, then `meson test` with TEST_ARGS; each test counts.
suite_step() {
    local dir=$1 test_args=()
    shift
    while [ "$1" != -- ]; do
        test_args+=("$1")
        shift
    done
    shift
    if ! configure "$dir" "$@" || ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
        cat "$dir.compile.log" 2>/dev/null
        failed=$((failed + 1))
        return
    fi
    meson test -C "$dir" --print-errorlogs --num-processes 2 "${test_args[@]}" | tee "$dir.test.log"
    count_meson "$dir.test.log"
}

# The -Werror build, everything compiled, every test.
unit_step() {
    suite_step build-ci --
}

# The default build links Debian's OpenMP-built OpenBLAS (meson.build); without it libmha falls
# back to OpenBLAS through pkg-config, the pthreads flavour: the suite must pass on that too. This
# gcc build also goes without oneDNN (the default one has it when installed), so the suite runs
# on the f32 fallback of the bf16 GEMM as well (test_gemm_bf16's declining branch).
pthreads_step() {
    suite_step build-pthreads -- -Dblas=openblas -Dmpi=disabled -Dbench=false -Donednn=disabled
}

# The MPI component is optional: libmha must build without it and never link MPI. (The step above
# builds and runs libmha_mpi's tests under mpirun when MPI is installed, as .ci/apt-packages does.)
nompi_step() {
    local nompi=(build-nompi --werror -Dmpi=disabled -Dtests=false -Dbench=false)
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
}

# The Python package installed both ways (docs/PYTHON.md), each into a temporary prefix, and
# imported from an empty directory with only that prefix's site-packages on PYTHONPATH: meson
# install, and the wheel pip builds offline through meson-python. One pass or failure each.
python_install_step() {
    local root=$PWD/build-pyinstall
    rm -rf "$root" && mkdir -p "$root/empty"
    if configure build-pyinstall/meson --prefix="$root/meson-prefix" -Dtests=false -Dbench=false \
        -Dmpi=disabled && meson install -C build-pyinstall/meson >"$root/meson.log" 2>&1 &&
        import_installed "$root/meson-prefix"; then
        passed=$((passed + 1))
    else
        echo "FAILED: meson install of the Python package (see $root/meson.log)"
        failed=$((failed + 1))
    fi
    if /usr/bin/python3 -m pip install --no-build-isolation --no-index --prefix "$root/pip-prefix" \
        . >"$root/pip.log" 2>&1 && import_installed "$root/pip-prefix"; then
        passed=$((passed + 1))
    else
        echo "FAILED: pip install of the Python package (see $root/pip.log)"
        tail -n 20 "$root/pip.log"
        failed=$((failed + 1))
    fi
}

# import_installed PREFIX: tests/installed_python.py against the package installed under PREFIX.
import_installed() {
    local init site
    init=$(find "$1" -path '*/mha/__init__.py' | head -n 1)
    [ -n "$init" ] || return 1
    site=$(dirname "$(dirname "$init")")
    (cd "$(dirname "$1")/empty" &&
        PYTHONPATH=$site /usr/bin/python3 "$OLDPWD/tests/installed_python.py" "$1")
}

# valgrind memcheck (setup 'valgrind' in tests/meson.build: suites 'slow' and 'python' left out)
# on a build over Debian's reference BLAS (-Dblas=netlib). valgrind 3.19 cannot execute AVX-512,
# and OpenBLAS runs AVX-512 kernels under valgrind when the environment pins OPENBLAS_CORETYPE to
# one (SkylakeX): the reference BLAS's plain loops run on every CPU whatever the environment says.
# OpenBLAS itself runs under ASan+UBSan and ThreadSanitizer below (docs/HARDENING.md). No oneDNN
# either: its JIT kernels are AVX-512 on this kind of CPU (gcc's ASan step runs them instead).
valgrind_step() {
    suite_step build-valgrind --setup valgrind -- -Dblas=netlib -Dmpi=disabled -Dbench=false \
        -Donednn=disabled
}

# AddressSanitizer + UndefinedBehaviorSanitizer (gcc), every test, any report fatal. The MPI tests
# run with leak detection off: OpenMPI leaks at MPI_Finalize from plugins it has unloaded, which
# no suppression can name (docs/HARDENING.md); every other ASan and UBSan check stays on.
asan_step() {
    if ! configure build-asan -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all ||
        ! meson compile -C build-asan; then
        failed=$((failed + 1))
        return
    fi
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite mpi |
        tee build-asan.test.log
    count_meson build-asan.test.log
    if grep -q '"libmha:mpi"' build-asan/meson-info/intro-tests.json; then
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            meson test -C build-asan --print-errorlogs --no-rebuild --suite mpi |
            tee build-asan.mpi.log
        count_meson build-asan.mpi.log
    fi
}

# ThreadSanitizer (clang) on the thread stress test: concurrent callers, OpenBLAS's threads (not
# instrumented) and the library's OpenMP tile workers, with Archer supplying OpenMP's
# synchronisation to TSan and tests/tsan.supp dropping what TSan cannot follow inside libomp and
# OpenBLAS (docs/HARDENING.md). Then the canary: tests/tsan_canary races on purpose beside both
# libraries' threads, and TSan must report exactly that race, in each mode (one pass each).
tsan_step() {
    if ! CC=clang configure build-tsan -Db_sanitize=thread -Dbench=false ||
        ! meson compile -C build-tsan tests/test_stress tests/tsan_canary; then
        failed=$((failed + 1))
        return
    fi
    local archer=/usr/lib/llvm-14/lib/libarcher.so
    [ -f "$archer" ] || archer=
    export OMP_TOOL_LIBRARIES=$archer TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp"
    meson test -C build-tsan --print-errorlogs --no-rebuild stress | tee build-tsan.test.log
    count_meson build-tsan.test.log
    local mode
    for mode in blas openmp; do
        if LD_LIBRARY_PATH=build-tsan/src build-tsan/tests/tsan_canary $mode \
            >"build-tsan.canary-$mode.log" 2>&1; then
            echo "FAILED: tsan_canary $mode: the deliberate race went unreported"
            failed=$((failed + 1))
        elif grep -q "Location is global 'racy_counter'" "build-tsan.canary-$mode.log"; then
            echo "ok: tsan_canary $mode: the deliberate race is reported, nothing before it"
            passed=$((passed + 1))
        else
            echo "FAILED: tsan_canary $mode: another report came first"
            cat "build-tsan.canary-$mode.log"
            failed=$((failed + 1))
        fi
    done
    unset OMP_TOOL_LIBRARIES TSAN_OPTIONS
}

# libFuzzer (clang, ASan+UBSan): the committed seed corpus replayed, then FUZZ_RUNS inputs (default
# 30000, about a minute) mutated from it with the fixed FUZZ_SEED (default 1), so the step explores
# the same inputs on every run of one commit and a red fuzz step is never chance; any finding
# fails it. New inputs go to a scratch corpus in the build dir, a crash input to build-fuzz/. A
# long campaign with random seeds is run by hand (docs/HARDENING.md). One pass or one failure.
fuzz_step() {
    if ! CC=clang configure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Dc_args=-fno-sanitize-recover=all -Dbench=false ||
        ! meson compile -C build-fuzz tests/fuzz/fuzz_attention; then
        failed=$((failed + 1))
        return
    fi
    rm -rf build-fuzz/corpus-work && mkdir -p build-fuzz/corpus-work
    if LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp build-fuzz/tests/fuzz/fuzz_attention \
        -seed="${FUZZ_SEED:-1}" -runs="${FUZZ_RUNS:-30000}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=build-fuzz/ \
        build-fuzz/corpus-work tests/fuzz/corpus >build-fuzz.log 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        tail -n 60 build-fuzz.log
    fi
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)' \
        build-fuzz.log
}

# The house style (.clang-format, clang-format 14): every tracked C/C++ file, no diff. One pass or
# one failure.
format_step() {
    if git ls-files -z '*.c' '*.h' '*.cpp' | xargs -0 clang-format --dry-run --Werror; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}

timed "clang-format" format_step
timed "unit tests (-Werror)" unit_step
timed "pthreads OpenBLAS (-Dblas=openblas)" pthreads_step
timed "libmha without MPI (-Dmpi=disabled)" nompi_step
timed "Python package: meson install and pip" python_install_step
timed "valgrind memcheck" valgrind_step
timed "ASan+UBSan" asan_step
timed "ThreadSanitizer (stress, canary)" tsan_step
timed "libFuzzer (seed ${FUZZ_SEED:-1}, ${FUZZ_RUNS:-30000} runs)" fuzz_step

echo "== durations"
printf '%s\n' "${durations[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
