"""Builds bulwark._core with CMake and packages python/bulwark around it.

    /usr/bin/python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --no-build-isolation .

BULWARK_CMAKE_BUILD_DIR reuses an existing CMake build directory (``make venv`` passes the
one ``make`` built), so the extension is not compiled twice.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(bulwark VERSION ([0-9.]+)", text).group(1)


def cmake_paths():
    """Where this interpreter's own torch (and pybind11, when it is a Python package) keep their
    CMake files, ahead of any other on CMake's search path: the extension must link the LibTorch
    of the torch that will import it (CMake refuses a mismatch: cmake/BulwarkTorchCheck.cmake)."""
    prefixes, extra = [], []
    try:
        import torch.utils
        prefixes.append(torch.utils.cmake_prefix_path)
    except ImportError:
        pass  # configure then says the interpreter cannot import torch
    try:
        import pybind11
        extra.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
    except ImportError:
        pass  # Debian's pybind11-dev, found by CMake itself
    if prefixes:
        extra.append("-DCMAKE_PREFIX_PATH=" + ";".join(prefixes))
    return extra


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("BULWARK_CMAKE_BUILD_DIR", ROOT / "build" / "pip"))
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.check_call([
                "cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}",
                "-DBULWARK_TESTS=OFF", "-DBULWARK_EXPERIMENTS=OFF", "-DBULWARK_BENCH=OFF",
                *cmake_paths()])
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_core",
                               "-j", str(os.cpu_count() or 2)])
        built = sorted((ROOT / "python" / "bulwark").glob("_core*.so"), key=os.path.getmtime)
        if not built:
            raise RuntimeError("setup.py: CMake did not produce python/bulwark/_core*.so")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


setup(
    version=version(),
    packages=["bulwark"],
    package_dir={"": "python"},
    ext_modules=[Extension("bulwark._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
