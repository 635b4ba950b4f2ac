import os
import subprocess
import sys

import torch

import bulwark as bw


def test_version_and_threads():
    assert bw.__version__.count(".") == 2
    if "OMP_NUM_THREADS" not in os.environ:
        assert torch.get_num_threads() == os.cpu_count()


def test_omp_num_threads_is_respected():
    out = subprocess.run(
        [sys.executable, "-c", "import bulwark, torch; print(torch.get_num_threads())"],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_seed_roundtrip():
    old = bw.get_seed()
    bw.seed(7)
    assert bw.get_seed() == 7
    bw.seed(old)
