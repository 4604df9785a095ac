# SPDX-License-Identifier: MIT
"""Finds and opens libmha.so: the MHA_LIBRARY variable, then the library an installed package was
installed with, then a meson build tree, then the system."""

import ctypes
import ctypes.util
import os
import re
from pathlib import Path

ENV_VAR = "MHA_LIBRARY"

PACKAGE_DIR = Path(__file__).resolve().parent
# python/mha/_loader.py -> the repository root, where `meson setup build` puts build/src/libmha.so.
REPO_ROOT = PACKAGE_DIR.parents[1]


def installed_candidates(package_dir=PACKAGE_DIR):
    """The library of an installed package: inside the package (a wheel), or where `meson install`
    put it (recorded in _installed.py, which only an installed package has)."""
    beside = sorted(package_dir.glob("libmha.so*"))
    recorded = []
    installed = package_dir / "_installed.py"
    if installed.is_file():
        found = re.search(r'^LIBRARY = "(.*)"$', installed.read_text(), re.MULTILINE)
        if found and found.group(1):
            recorded = [Path(found.group(1))]
    return [p for p in [*beside, *recorded] if p.is_file()]


def build_tree_candidates(repo_root=REPO_ROOT):
    """libmha.so in the meson build directories beside the package: `build` first (the README's
    name), then every other `build*` directory in name order (e.g. build-ci from tests/run-all.sh).
    """
    preferred = repo_root / "build" / "src" / "libmha.so"
    others = sorted(p for p in repo_root.glob("build*/src/libmha.so") if p != preferred)
    return [p for p in [preferred, *others] if p.is_file()]


def find_library_path(environ=os.environ, repo_root=REPO_ROOT,
                      find_system=ctypes.util.find_library, package_dir=PACKAGE_DIR):
    """The path or soname to open, and where it came from, in lookup order.

    An MHA_LIBRARY that names no file is an error, not a reason to fall back: a user who sets it
    means that library, and silently loading another one would hide their mistake.
    """
    explicit = environ.get(ENV_VAR)
    if explicit:
        if not Path(explicit).is_file():
            raise OSError(f"{ENV_VAR}={explicit!r} is not a file; point it at libmha.so")
        return explicit, ENV_VAR
    installed = installed_candidates(package_dir)
    if installed:
        return str(installed[0]), "installed"
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
