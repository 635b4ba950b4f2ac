"""Configure refuses to build bulwark._core against a LibTorch other than the torch its Python
imports (issue 22, item 1: cmake/BulwarkTorchCheck.cmake): another version, or another C++ ABI,
would build and then fail at import. A fake interpreter — Debian's Python with a stand-in torch
package first on its path — plays the user's other torch."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake")


def fake_python(tmp_path, version, abi):
    pkg = tmp_path / "site" / "torch"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        f"__version__ = {version!r}\n\nclass _C:\n    _GLIBCXX_USE_CXX11_ABI = {abi}\n")
    exe = tmp_path / "python3"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{tmp_path / "site"}" exec "{sys.executable}" "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def configure(tmp_path, python):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run(
        ["cmake", "-S", str(ROOT), "-B", str(tmp_path / "build"), "-G", "Ninja",
         f"-DPython_EXECUTABLE={python}", "-DBULWARK_TESTS=OFF", "-DBULWARK_EXPERIMENTS=OFF",
         "-DBULWARK_BENCH=OFF"], capture_output=True, text=True, env=env, timeout=300)
    # CMake wraps its messages: compare the words
    return r.returncode, " ".join(r.stdout.split()), " ".join(r.stderr.split())



def test_another_torch_version_is_refused(tmp_path):
    rc, _, err = configure(tmp_path, fake_python(tmp_path, "2.5.1+cu124", True))
    assert rc != 0
    assert "and the torch 2.5.1+cu124 that" in err and "differ" in err, err[-2000:]
    assert "torch.utils.cmake_prefix_path" in err


def test_another_cxx_abi_is_refused(tmp_path):
    import torch
    rc, _, err = configure(tmp_path, fake_python(tmp_path, torch.__version__, not torch._C._GLIBCXX_USE_CXX11_ABI))
    assert rc != 0
    assert "_GLIBCXX_USE_CXX11_ABI" in err and "cannot share C++ objects" in err, err[-2000:]


def test_the_matching_torch_configures(tmp_path):
    rc, out, err = configure(tmp_path, sys.executable)
    assert rc == 0, err[-2000:]
    assert "bulwark: Python's torch" in out and "matches LibTorch" in out
