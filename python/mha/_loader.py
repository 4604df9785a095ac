# SPDX-License-Identifier: MIT
"""Finds and opens libmha.so: the MHA_LIBRARY variable, then a meson build tree, then the system."""

import ctypes
import ctypes.util
import os
from pathlib import Path

ENV_VAR = "MHA_LIBRARY"

# python/mha/_loader.py -> the repository root, where `meson setup build` puts build/src/libmha.so.
REPO_ROOT = Path(__file__).resolve().parents[2]


def build_tree_candidates(repo_root=REPO_ROOT):
    """libmha.so in the meson build directories beside the package: `build` first (the README's
    name), then every other `build*` directory in name order (e.g. build-ci from tests/run-all.sh).
    """
    preferred = repo_root / "build" / "src" / "libmha.so"
    others = sorted(p for p in repo_root.glob("build*/src/libmha.so") if p != preferred)
    return [p for p in [preferred, *others] if p.is_file()]


def find_library_path(environ=os.environ, repo_root=REPO_ROOT,
                      find_system=ctypes.util.find_library):
    """The path or soname to open, and where it came from, in lookup order.

    An MHA_LIBRARY that names no file is an error, not a reason to fall back: a user who sets it
    means that library, and silently loading another one would hide their mistake.
    """
    explicit = environ.get(ENV_VAR)
    if explicit:
        if not Path(explicit).is_file():
            raise OSError(f"{ENV_VAR}={explicit!r} is not a file; point it at libmha.so")
        return explicit, ENV_VAR
    built = build_tree_candidates(repo_root)
    if built:
        return str(built[0]), "meson build tree"
    system = find_system("mha")
    if system:
        return system, "system"
    raise OSError(
        "libmha.so not found: set MHA_LIBRARY=/path/to/libmha.so, or build it with "
        f"`meson setup build && meson compile -C build` in {repo_root}, or install it "
        "(`meson install -C build`) so that the dynamic linker finds it"
    )


def load():
    """Opens the library; returns (CDLL, path). CDLL (not PyDLL) releases the GIL during calls."""
    path, _source = find_library_path()
    try:
        return ctypes.CDLL(path), path
    except OSError as e:
        raise OSError(f"could not open libmha at {path!r}: {e}") from e
