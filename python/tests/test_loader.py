# SPDX-License-Identifier: MIT
"""Library lookup order: MHA_LIBRARY, then the meson build tree, then the system."""

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

    def find(self, environ=None, system=no_system):
        return _loader.find_library_path(environ or {}, self.root, system)

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
