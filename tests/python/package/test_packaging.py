"""bulwark pip-installed into a venv made from Debian's Python, and used from a Jupyter kernel."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VENV = os.environ.get("BULWARK_VENV")
pytestmark = pytest.mark.skipif(not VENV, reason="BULWARK_VENV not set (make test sets it)")


def venv_python():
    return str(Path(VENV) / "bin" / "python")


def clean_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the installed package, not the build tree
    return env


def test_import_from_the_venv():
    out = subprocess.run([venv_python(), "-c",
                          "import bulwark, torch; print(bulwark.__file__); print(bulwark.__version__)"],
                         env=clean_env(), capture_output=True, text=True, check=True, cwd="/")
    path, version = out.stdout.split()
    assert path.startswith(VENV), path
    import bulwark
    assert version == bulwark.__version__


def test_notebook_runs_in_a_venv_kernel(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "code", "id": "smoke", "metadata": {}, "execution_count": None, "outputs": [],
             "source": "import torch, bulwark as bw\n"
                       "net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))\n"
                       "x = torch.rand(5, 4); y = torch.tensor([0, 1, 2, 0, 1])\n"
                       "res = bw.attacks.FGSM(eps=0.1).run(net, x, y)\n"
                       "print(bw.__file__, float(res.norm.max()))"},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "smoke.ipynb"
    path.write_text(json.dumps(nb))
    runner = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        # the kernel `make venv` installs into the venv: its Python runs the cells
        "NotebookClient(nb, kernel_name='bulwark', timeout=120).execute()\n"
        "print(''.join(o['text'] for o in nb.cells[0].outputs if o.get('name') == 'stdout'))\n"
    )
    out = subprocess.run([venv_python(), "-c", runner, str(path)], env=clean_env(),
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    file, norm = out.stdout.split()[:2]
    assert file.startswith(VENV), file
    assert abs(float(norm) - 0.1) < 1e-6
