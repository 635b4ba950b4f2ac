"""Saved objects written by earlier versions stay readable (docs/architecture.md, "JSON").

tests/data/saved_v1/ holds calibrators, conformal predictors and OOD detectors saved by bulwark
before its JSON moved to nlohmann-json (arrays on one line, numbers as %.17g, +inf thresholds as
"inf"), with the inputs and the outputs that version computed (expected.pt). This version must
load each file and compute the same outputs; a file it saves again must load to the same.

expected.pt was computed on another machine, and BLAS and vector-math kernels differ between CPUs
in the last bits: outputs are compared with it within ACROSS_CPUS (relative 1e-5 in float32,
1e-10 in float64, docs/architecture.md, "Reproducibility"); the object saved again and the one
loaded run on this machine and must agree exactly."""

import json
import math
import os

import pytest
import torch

import bulwark as bw
from bulwark.report import number

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "saved_v1")
E = torch.load(os.path.join(DATA, "expected.pt"))

CALIBRATORS = {"temperature": "z_new", "dirichlet": "p_new", "histogram": "p_new", "isotonic": "p_new",
               "platt": "s1_new", "beta": "s1_new"}


def inputs(key):
    return E["z_new"].softmax(1) if key == "p_new" else E[key]


ACROSS_CPUS = {torch.float32: dict(rtol=1e-5, atol=1e-6), torch.float64: dict(rtol=1e-10, atol=1e-12)}


def same_as_saved(actual, expected):
    actual = torch.as_tensor(actual)
    torch.testing.assert_close(actual, expected, **ACROSS_CPUS.get(actual.dtype, dict(rtol=0, atol=0)))


def resaved(obj, tmp_path, name, load):
    obj.save(tmp_path / f"{name}.json")
    return load(tmp_path / f"{name}.json")


@pytest.mark.parametrize("name", sorted(CALIBRATORS))
def test_calibrators(name, tmp_path):
    cal = bw.calibration.load(os.path.join(DATA, f"{name}.json"))
    x = inputs(CALIBRATORS[name])
    same_as_saved(cal.predict_proba(x), E[name])
    again = resaved(cal, tmp_path, name, bw.calibration.load)
    torch.testing.assert_close(again.predict_proba(x), cal.predict_proba(x), rtol=0, atol=0)


@pytest.mark.parametrize("name", ["split_aps", "mondrian_lac"])
def test_conformal(name, tmp_path):
    cp = bw.conformal.SplitConformal.load(os.path.join(DATA, f"{name}.json"))
    p = E["z_new"].softmax(1)
    assert torch.equal(torch.as_tensor(cp.predict(p)), E[name])
    again = resaved(cp, tmp_path, name, bw.conformal.SplitConformal.load)
    assert torch.equal(torch.as_tensor(again.predict(p)), E[name])


def test_infinite_threshold_round_trips_as_a_string(tmp_path):
    cp = bw.conformal.SplitConformal.load(os.path.join(DATA, "mondrian_lac.json"))
    assert math.isinf(float(cp.thresholds[0]))
    cp.save(tmp_path / "m.json")
    saved = json.loads((tmp_path / "m.json").read_text())  # valid JSON: no bare Infinity
    assert saved["thresholds"][0] == "inf"
    assert number(saved["thresholds"][0]) == math.inf


@pytest.mark.parametrize("name", ["knn", "mahalanobis", "energy"])
def test_detectors(name, tmp_path):
    det = bw.ood.load(os.path.join(DATA, f"{name}.json"))
    x = E["z_new"].float() if name == "energy" else E["f_new"]
    same_as_saved(det.score(x), E[name])
    again = resaved(det, tmp_path, name, bw.ood.load)
    torch.testing.assert_close(again.score(x), det.score(x), rtol=0, atol=0)


def saved_kinds(tmp_path):
    """One fitted object of each family, saved: (path, load)."""
    z = E["z_new"].float()
    y = torch.randint(0, z.shape[1], (len(z),), generator=torch.Generator().manual_seed(0))
    ts = bw.calibration.TemperatureScaling().fit(z, y)
    knn = bw.ood.KNN(k=3).fit(E["f_new"])
    cp = bw.conformal.SplitConformal(score="lac").fit(z.softmax(1), y)
    out = []
    for name, obj, load in (("ts", ts, bw.calibration.load), ("knn", knn, bw.ood.load),
                            ("cp", cp, bw.conformal.SplitConformal.load)):
        path = tmp_path / f"{name}.json"
        obj.save(path)
        out.append((path, load))
    return out


def test_saved_files_carry_a_digest_of_their_values(tmp_path):
    """Version 2 files are sealed with the CRC-32 of their values: a changed number (a
    temperature, one base64 character of the KNN bank, a threshold) is refused as altered;
    re-indenting the file is not a change; a version-2 file without its digest is refused."""
    for path, load in saved_kinds(tmp_path):
        meta = json.loads(path.read_text())
        assert meta["version"] == 2 and len(meta["crc32"]) == 8
        path.write_text(json.dumps(meta, indent=7))  # same values, other bytes
        load(path)
        for key, value in meta.items():
            if key in ("format", "version", "kind", "crc32"):
                continue
            altered = dict(meta)
            if isinstance(value, bool):
                altered[key] = not value
            elif isinstance(value, (int, float)):
                altered[key] = value * 1.5 + 1
            elif isinstance(value, list) and value and isinstance(value[0], (int, float)):
                altered[key] = [value[0] + 1] + value[1:]
            elif isinstance(value, str) and ";" in value:  # an encoded tensor: one base64 character
                i = value.rindex(";") + 5
                altered[key] = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1:]
            else:
                continue
            path.write_text(json.dumps(altered))
            with pytest.raises(bw.FormatError, match="do not match their CRC-32"):
                load(path)
        unsealed = dict(meta)
        del unsealed["crc32"]
        path.write_text(json.dumps(unsealed))
        with pytest.raises(bw.FormatError, match='has no "crc32" digest'):
            load(path)
