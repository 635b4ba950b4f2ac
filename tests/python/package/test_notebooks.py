"""The example notebooks run top to bottom in a Jupyter kernel, on reduced sizes
(BULWARK_NOTEBOOK_SMALL=1): any error in any cell fails the test. `make test` runs them in the
"Python (bulwark)" kernel of the venv (BULWARK_VENV); without it, in Debian's python3 kernel with
this checkout on PYTHONPATH."""

import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[3]
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))


def test_there_are_four_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["1_", "2_", "3_", "4_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("BULWARK_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    venv = os.environ.get("BULWARK_VENV")
    if venv:
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
            [str(pathlib.Path(venv) / "share" / "jupyter")] + [p for p in [os.environ.get("JUPYTER_PATH")] if p]))
        kernel = "bulwark"
    else:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "python")] + [
            p for p in [os.environ.get("PYTHONPATH")] if p]))
        kernel = "python3"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name=kernel, resources={"metadata": {"path": str(tmp_path)}})
    # Debian's nbclient 0.7 reads a widget's comm_open in the ipywidgets 7 format and fails on the
    # ipywidgets 8 messages tqdm's notebook bars send; it only mimics a frontend's Output widget
    # with them, which these notebooks do not use.
    client.comm_open_handlers.pop("jupyter.widget", None)
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
