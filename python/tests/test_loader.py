# SPDX-License-Identifier: MIT
"""Library lookup order: MHA_LIBRARY, then an installed package's library, then the meson build
tree, then the system."""

import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mha import _loader  # noqa: E402


def no_system(_name):
    return None


class Lookup(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.root = Path(tmp.name)

    def build(self, name):
        path = self.root / name / "src" / "libmha.so"
        path.parent.mkdir(parents=True)
        path.touch()
        return str(path)

    def find(self, environ=None, system=no_system, package=None):
        package = package or self.root / "no-package"
        return _loader.find_library_path(environ or {}, self.root, system, package)

    def package(self, library_in_package=False, recorded=None):
        pkg = self.root / "site-packages" / "mha"
        pkg.mkdir(parents=True)
        if library_in_package:
            (pkg / "libmha.so.0.1.0").touch()
        if recorded is not None:
            (pkg / "_installed.py").write_text(f'LIBRARY = "{recorded}"\n')
        return pkg

    def test_installed_package_uses_its_recorded_library(self):
        self.build("build")
        lib = self.root / "prefix" / "lib" / "libmha.so.0"
        lib.parent.mkdir(parents=True)
        lib.touch()
        pkg = self.package(recorded=lib)
        self.assertEqual(self.find(package=pkg), (str(lib), "installed"))
        self.assertEqual(self.find({"MHA_LIBRARY": str(lib)}, package=pkg)[1], "MHA_LIBRARY")

    def test_wheel_uses_the_library_inside_the_package(self):
        pkg = self.package(library_in_package=True, recorded="")
        self.assertEqual(self.find(package=pkg), (str(pkg / "libmha.so.0.1.0"), "installed"))

    def test_recorded_library_gone_falls_through(self):
        main = self.build("build")
        pkg = self.package(recorded=self.root / "removed" / "libmha.so.0")
        self.assertEqual(self.find(package=pkg), (main, "meson build tree"))

    def test_environment_variable_comes_first(self):
        self.build("build")
        explicit = str(self.root / "elsewhere.so")
        Path(explicit).touch()
        self.assertEqual(self.find({"MHA_LIBRARY": explicit}), (explicit, "MHA_LIBRARY"))

    def test_environment_variable_naming_no_file_is_an_error(self):
        self.build("build")
        with self.assertRaisesRegex(OSError, "MHA_LIBRARY"):
            self.find({"MHA_LIBRARY": str(self.root / "missing.so")})

    def test_build_directory_then_other_build_directories_by_name(self):
        ci = self.build("build-ci")
        asan = self.build("build-asan")
        self.assertEqual(self.find()[0], asan)
        main = self.build("build")
        self.assertEqual(self.find(), (main, "meson build tree"))
        self.assertEqual(_loader.build_tree_candidates(self.root),
                         [Path(main), Path(asan), Path(ci)])

    def test_system_last(self):
        found = self.find(system=lambda name: f"lib{name}.so.0")
        self.assertEqual(found, ("libmha.so.0", "system"))

    def test_nothing_found_says_how_to_fix_it(self):
        with self.assertRaisesRegex(OSError, "MHA_LIBRARY=.*meson setup build"):
            self.find()


if __name__ == "__main__":
    unittest.main()
