# SPDX-License-Identifier: MIT
"""What peers.py and plot.py share besides the peers: the OpenBLAS core choice (made before
numpy loads OpenBLAS), thread counts, and interleaved median timing.

libmha, numpy and Debian's PyTorch all call into the one libopenblas.so.0 of the process, so
every setting here applies to all peers alike.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

CORE_VAR = "OPENBLAS_CORETYPE"
_NOTE_VAR = "MHA_BENCH_CORE_NOTE"  # carries the reason for a re-exec into the new process

# Cores OpenBLAS should pick on a CPU with these flags, best first. Debian 12's OpenBLAS 0.3.21
# does not know CPUs newer than it (e.g. Emerald Rapids) and falls back to "Prescott", its SSE3
# kernels, several times slower; naming the core by hand gives the right kernels.
_GOOD_CORES = [("avx512f", {"SkylakeX", "Cooperlake", "SapphireRapids"}, "SkylakeX"),
               ("avx2", {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}, "Haswell")]


def _cpu_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _probe_default_core():
    """The core OpenBLAS picks by itself, asked in a child so this process has not loaded it."""
    code = ("import mha, ctypes; f = mha._capi.lib.openblas_get_corename; "
            "f.restype = ctypes.c_char_p; print(f().decode())")
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def choose_openblas_core(argv):
    """Call before importing numpy. Re-executes this script with OPENBLAS_CORETYPE set when
    OpenBLAS would fall back to kernels older than the CPU; returns a line saying what was done.
    """
    if _NOTE_VAR in os.environ:
        return os.environ.pop(_NOTE_VAR)
    if CORE_VAR in os.environ:
        return f"{CORE_VAR}={os.environ[CORE_VAR]} as given by the caller"
    flags = _cpu_flags()
    default = _probe_default_core()
    for flag, good, wanted in _GOOD_CORES:
        if flag in flags:
            if default is None or default in good:
                return f"OpenBLAS's own choice kept ({default or 'unknown'})"
            os.environ[CORE_VAR] = wanted
            os.environ[_NOTE_VAR] = (f"OpenBLAS picked {default} on this {flag} CPU; re-ran with "
                                     f"{CORE_VAR}={wanted} (libmha, numpy and torch share it)")
            os.execv(sys.executable, [sys.executable, *argv])
    return f"OpenBLAS's own choice kept ({default or 'unknown'})"


def passive_openmp():
    """Call before importing torch. Its OpenMP threads spin after each parallel region by
    default; run interleaved, that spinning steals the two cores from the next peer's BLAS
    threads (measured here: 2-thread attention of every peer several times slower). PASSIVE makes
    them sleep at once, as OpenBLAS's pthreads do soon after a call."""
    if "OMP_WAIT_POLICY" in os.environ:
        return f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']} as given by the caller"
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return "OMP_WAIT_POLICY=PASSIVE (no OpenMP spinning between interleaved peers)"


def openblas_core(lib):
    """The core name of the OpenBLAS that `lib` (libmha's CDLL) is linked to, or None."""
    import ctypes

    try:
        f = lib.openblas_get_corename
    except AttributeError:
        return None
    f.restype = ctypes.c_char_p
    return f().decode()


class Threads:
    """Sets the thread count for the whole process: OpenBLAS's pool, OpenMP's (libmha's tiles and
    torch's own kernels; one libgomp) and torch's intra-op count."""

    def __init__(self, lib, torch=None):
        self.n = None
        self._torch = torch
        self._held = None
        # Reached through libmha's handle, so these are the OpenBLAS and libgomp libmha links.
        self._blas = getattr(lib, "openblas_set_num_threads", None)
        self._omp = getattr(lib, "omp_set_num_threads", None)
        self.libmha_has_openmp = self._omp is not None
        try:
            from threadpoolctl import threadpool_limits
            self._limits = threadpool_limits
            self.how = "threadpoolctl"
        except ImportError:
            self._limits = None
            found = [name for name, f in (("openblas_set_num_threads", self._blas),
                                          ("omp_set_num_threads", self._omp)) if f]
            self.how = " and ".join(found) or "nothing: no threadpoolctl, no OpenBLAS, no OpenMP"

    def set(self, n):
        self.n = n
        if self._limits is not None:
            self._held = self._limits(limits=n)  # BLAS and OpenMP pools alike
        else:
            for f in (self._blas, self._omp):
                if f is not None:
                    f(n)
        if self._torch is not None:
            self._torch.set_num_threads(n)

    def blas_only(self, n):
        """OpenBLAS's count alone, for a moment (the libmha-tiles peer); None without OpenBLAS."""
        if self._blas is None:
            return None
        self._blas(n)
        return n


def time_interleaved(calls, min_reps, budget_s):
    """Median seconds per call for each of `calls` (name -> no-argument callable), run in turns
    (a, b, c, a, b, c, …) so that a slow moment of the shared machine hits every peer alike.
    Runs at least min_reps rounds, more while the round total stays under budget_s."""
    times = {name: [] for name in calls}
    for fn in calls.values():  # warm-up: first-touch pages, BLAS buffers, thread start
        fn()
    started = time.perf_counter()
    rounds = 0
    while rounds < min_reps or (time.perf_counter() - started < budget_s and rounds < 50):
        for name, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        rounds += 1
    return {name: statistics.median(ts) for name, ts in times.items()}
