"""Saved files are input (issue 24, item 11): every numeric field of every saved calibrator,
conformal predictor and detector, mutated to huge, tiny, negative, zero, NaN and infinite values,
either loads to an object whose outputs are valid or is refused with a bulwark error — never a
crash, a hang, a torch error or a silent NaN. Each kind runs in a process of its own, so a crash
is reported as one (the last line it printed names the field and the value)."""

import os
import subprocess
import sys

import pytest

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "saved_v1")

# kind file -> (loader, input key in expected.pt, how to use the object)
CASES = {
    "temperature": ("bw.calibration.load", "z_new", "calibrator"),
    "dirichlet": ("bw.calibration.load", "p_new", "calibrator"),
    "histogram": ("bw.calibration.load", "p_new", "calibrator"),
    "isotonic": ("bw.calibration.load", "p_new", "calibrator"),
    "platt": ("bw.calibration.load", "s1_new", "calibrator"),
    "beta": ("bw.calibration.load", "s1_new", "calibrator"),
    "split_aps": ("bw.conformal.SplitConformal.load", "p_new", "conformal"),
    "mondrian_lac": ("bw.conformal.SplitConformal.load", "p_new", "conformal"),
    "knn": ("bw.ood.load", "f_new", "detector"),
    "mahalanobis": ("bw.ood.load", "f_new", "detector"),
    "energy": ("bw.ood.load", "z_float", "detector"),
    # fitted here (no fixture): the worker saves them first
    "vector": ("bw.calibration.load", "z_new", "calibrator"),
    "matrix": ("bw.calibration.load", "z_new", "calibrator"),
    "vim": ("bw.ood.load", "f8", "detector"),
    "react": ("bw.ood.load", "f8", "detector"),
    "gradnorm": ("bw.ood.load", "f8", "detector"),
    "knn_raw": ("bw.ood.load", "f_new", "detector"),
}

WORKER = r'''
import copy, json, math, os, sys
import torch
import bulwark as bw

name, data, tmp, loader, key, use = sys.argv[1:7]
load = eval(loader)
E = torch.load(os.path.join(data, "expected.pt"))
g = torch.Generator().manual_seed(0)
f8 = torch.randn(64, 8, generator=g)
W, b = torch.randn(4, 8, generator=g, dtype=torch.float64), torch.randn(4, generator=g, dtype=torch.float64)
x = {"p_new": E["z_new"].softmax(1), "z_float": E["z_new"].float(), "f8": f8}.get(key, E.get(key))
y = E["z_new"].argmax(1)
fresh = {
    "vector": lambda: bw.calibration.VectorScaling().fit(E["z_new"], y),
    "matrix": lambda: bw.calibration.MatrixScaling().fit(E["z_new"], y),
    "vim": lambda: bw.ood.ViM(W, b, principal_dim=4).fit(f8),
    "react": lambda: bw.ood.ReAct(W, b).fit(f8),
    "gradnorm": lambda: bw.ood.GradNorm(W, b).fit(f8),
    "knn_raw": lambda: bw.ood.KNN(k=2, normalize=False).fit(E["f_new"]),
}
source = os.path.join(data, name + ".json")
if name in fresh:
    source = os.path.join(tmp, name + "-fitted.json")
    fresh[name]().save(source)
base = json.load(open(source))
MUTATIONS = [1e19, -1e19, 2**63, 1e-320, -1.0, 0.0, 0.5, 1e308, "nan", "inf", "-inf"]
SKIP = {"version"}  # the format version has its own test

def numeric(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) or v in ("nan", "inf", "-inf")

def valid(out):
    if use == "conformal":
        return out.dtype == torch.bool
    return bool(torch.isfinite(out).all()) and (use != "calibrator" or bool(((out >= 0) & (out <= 1)).all()))

path = os.path.join(tmp, name + ".json")
for field, value in base.items():
    if field in SKIP:
        continue
    places = [None] if numeric(value) else ([0] if isinstance(value, list) and value and numeric(value[0]) else [])
    for place in places:
        for m in MUTATIONS:
            doc = copy.deepcopy(base)
            if place is None:
                doc[field] = m
            else:
                doc[field][place] = m
            with open(path, "w") as f:
                json.dump(doc, f)
            print(f"TRY {field} = {m!r}", flush=True)
            try:
                obj = load(path)
                out = obj.predict_proba(x) if use == "calibrator" else (
                    torch.as_tensor(obj.predict(x)) if use == "conformal" else obj.score(x))
            except bw.Error:
                continue
            except Exception as e:
                print(f"BAD {field} = {m!r}: {type(e).__name__}: {e}", flush=True)
                continue
            if not valid(out):
                print(f"BAD {field} = {m!r}: loaded and gave invalid outputs", flush=True)
print("DONE", flush=True)
'''


@pytest.mark.parametrize("name", sorted(CASES))
def test_numeric_mutations_of_saved_files(name, tmp_path):
    loader, key, use = CASES[name]
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-c", WORKER, name, DATA, str(tmp_path), loader, key, use],
                       capture_output=True, text=True, timeout=300, env=env)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines and lines[-1] == "DONE", \
        f"the process died (exit {r.returncode}) after: {lines[-1] if lines else '(nothing)'}\n{r.stderr[-2000:]}"
    bad = [line for line in lines if line.startswith("BAD")]
    assert not bad, "\n".join(bad)
