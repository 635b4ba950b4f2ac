"""bulwark-run: the same config gives byte-identical results (trained, then from the cache);
bad configs are refused before anything runs, naming the key; a failing stage leaves the
completed stages' files intact."""

import json
import re
import os
import pathlib
import subprocess
import sys

import pytest
import torch

import bulwark as bw
import bulwark.report

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("BULWARK_BUILD_DIR", ROOT / "build"))
RUN = BUILD / "experiments" / "bulwark-run"
SMOKE = ROOT / "experiments" / "configs" / "smoke.ini"
FILES = ["results.json", "config.ini", "train.csv", "robustness.csv", "calibration.csv", "conformal.csv", "ood.csv",
         "smoothing.csv", "text_attacks.csv"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    assert RUN.is_file(), f"{RUN} is missing: build the project first (make build)"
    e = dict(os.environ)
    # A fresh model cache, so the first run trains and the second loads; the spam corpus stays
    # where the bootstrap installed it.
    e["BULWARK_SPAM_ASSASSIN_DIR"] = bw._core.data.spam_assassin_dir()
    e["BULWARK_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    return e


def run(env, *args):
    return subprocess.run([str(RUN), *map(str, args)], env=env, capture_output=True, text=True, timeout=600)


def test_same_config_same_bytes(env, tmp_path):
    first = run(env, "--config", SMOKE, "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    assert "trained in" in first.stderr
    second = run(env, "--config", SMOKE, "--out", tmp_path / "b")
    assert second.returncode == 0, second.stderr
    assert "loaded from the model cache" in second.stderr
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

    r = json.loads((tmp_path / "a" / "results.json").read_text())
    assert r["format"] == "bulwark.experiment" and r["bulwark_version"] == bw.__version__
    assert r["stages"] == ["train", "robustness", "calibration", "conformal", "ood", "smoothing", "text"]
    assert r["config"]["models"]["defenses"] == "standard fast"
    for defense in ("standard", "fast"):
        rob = r["robustness"][defense]
        assert rob["eps"] == [0.05, 0.1]
        # Worst case over the attacks is at most each attack, which is at most clean accuracy.
        for k in range(2):
            assert rob["worst_case"][k] <= min(rob["attacks"]["fgsm"][k], rob["attacks"]["pgd"][k]) + 1e-12
            assert rob["attacks"]["pgd"][k] <= rob["clean_accuracy"] + 1e-12
        cal = r["calibration"][defense]["clean"]
        assert list(cal) == ["uncalibrated"] + [f"{c}_{fit}" for c in ("temperature", "vector", "matrix", "dirichlet",
                                                                       "histogram", "isotonic")
                                                for fit in ("clean", "adversarial")]
        # Temperature scaling never changes the predicted class.
        assert cal["temperature_clean"]["accuracy"] == cal["uncalibrated"]["accuracy"]
        assert r["calibration"][defense]["temperature"]["fitted_on_clean"] > 0
        rel = cal["uncalibrated"]["reliability"]
        assert sum(rel["count"]) == 100 and len(rel["edges"]) == 16
        cp = r["conformal"][defense]["aps"]["0.1"]["clean"]
        assert sum(cp["size_histogram"]) == 100 and len(cp["size_histogram"]) == 11
        ood = r["ood"][defense]["knn"]
        assert set(ood["sets"]) == {"digits", "uniform-noise", "gaussian-noise", "inverted", "adversarial"}
        assert sum(ood["id_histogram"]) == 100 and sum(ood["sets"]["digits"]["histogram"]) == 100
        assert 0 <= ood["sets"]["digits"]["auroc"] <= 1
    rs = r["smoothing"]
    curve = rs["curve_certified_accuracy"]
    assert all(a >= b for a, b in zip(curve, curve[1:]))  # certified accuracy falls with the radius
    assert curve[0] == rs["certified_accuracy"][0] <= rs["smoothed_accuracy"]
    assert rs["certified_accuracy"][-1] == 0  # radius 0.75 > the largest one 200 samples can certify
    assert rs["max_certifiable_radius"] < 0.75
    text = r["text"]["attacks"]["hotflip"]
    assert text["success_rate"] > 0.5 and len(text["examples"]) == 2
    x = text["examples"][0]["excerpt"]  # the edits as spans into the excerpt's UTF-8 bytes
    raw = x["text"].encode()
    assert x["edits"] and all(raw[e["begin"]:e["end"]].decode() == e["from"] for e in x["edits"])
    cfg = (tmp_path / "a" / "config.ini").read_text()
    assert "[models]\n" in cfg and "defenses = standard fast\n" in cfg and "lr = 0.001\n" in cfg

    # The report: markdown with every section, and the figures it links, as PNG files.
    report = pathlib.Path(bw.report.write_report(tmp_path / "a"))
    md = report.read_text()
    for heading in ("## Headline", "## Robustness", "## Calibration", "## Conformal prediction",
                    "## Out-of-distribution detection", "## Certified robustness", "## Token attacks on the spam filter"):
        assert heading in md
    figures = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
    assert set(figures) == {"robustness.png", "reliability_standard.png", "reliability_fast.png", "conformal.png",
                            "ood_standard.png", "ood_fast.png", "certified_accuracy.png"}
    for f in figures:
        assert (tmp_path / "a" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "~~" in md and "**" in md  # an adversarial e-mail with its edits marked

    # The names come from the results file (bulwark-run's one registry), not from the report: a
    # renamed defense, dataset and class list show up, and every subset of the stages renders.
    assert r["names"]["defenses"]["fast"] == "Fast-AT" and r["names"]["attacks"]["pgd"] == "PGD"
    assert r["data"]["classes"][0] == "T-shirt/top" and r["data"]["text_classes"] == ["ham", "spam"]
    r["names"]["defenses"]["fast"] = "Quick-AT"
    r["data"]["model"], r["data"]["classes"] = "TinyNet", [f"class {k}" for k in range(10)]
    for keep in (["conformal"], ["ood"], ["smoothing"], ["text"], ["calibration", "ood"], []):
        d = tmp_path / ("only_" + "_".join(keep))
        d.mkdir()
        sub = {k: v for k, v in r.items() if k not in ("robustness", "calibration", "conformal", "ood", "smoothing",
                                                          "text") or k in keep}
        sub["stages"] = ["train"] + keep
        (d / "results.json").write_text(json.dumps(sub))
        md = pathlib.Path(bw.report.write_report(d)).read_text()
        if keep and keep != ["smoothing"] and keep != ["text"]:
            assert "## Headline" in md and "Quick-AT" in md and "Fast-AT" not in md
        if "smoothing" in keep:
            assert "A TinyNet trained with Gaussian noise" in md


def test_resolved_config_reruns_to_the_same_results(env, tmp_path):
    first = run(env, "--config", SMOKE, "--out", tmp_path / "a", "--experiment.stages", "train robustness")
    assert first.returncode == 0, first.stderr
    again = run(env, "--config", tmp_path / "a" / "config.ini", "--out", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()


@pytest.mark.parametrize("text, message", [
    ("[attacks]\nfoo = 1\n", "unrecognised option 'attacks.foo'"),
    ("[models]\nepochs = many\n", "the argument ('many') for option 'models.epochs' is invalid"),
    ("[attacks]\neps = 0.1 abc\n", "attacks.eps: 'abc' is not a number"),
    ("[attacks]\neps = 0.1 2\n", "attacks.eps: 2 is outside (0, 1]"),
    ("[models]\ndefenses = standard fastt\n", "models.defenses: unknown entry 'fastt'"),
    ("[data]\neval-samples = 0\n", "data.eval-samples must be >= 1, got 0"),
    ("[experiment]\nstages = robustness\n", "'robustness' needs the models of the 'train' stage"),
    ("seed = 1\n", "unrecognised option 'seed'"),
])
def test_bad_config_is_refused_before_anything_runs(env, tmp_path, text, message):
    cfg = tmp_path / "bad.ini"
    cfg.write_text(text)
    r = run(env, "--config", cfg, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert message in r.stderr
    assert not (tmp_path / "out").exists()


def test_missing_config_file_and_help(env, tmp_path):
    r = run(env, "--config", tmp_path / "nope.ini", "--out", tmp_path / "out")
    assert r.returncode == 2 and "no such file" in r.stderr and "nope.ini" in r.stderr
    h = run(env, "--help")
    assert h.returncode == 0
    for option in ("--experiment.seed", "--models.defenses", "--attacks.eps", "--conformal.alphas", "--ood.sets",
                   "--text.attacks"):
        assert option in h.stdout


def test_a_failing_stage_keeps_the_completed_results(env, tmp_path):
    bad = dict(env, BULWARK_DIGITS_PATH=str(tmp_path / "no-digits.csv.gz"))
    r = run(bad, "--config", SMOKE, "--out", tmp_path / "out")
    assert r.returncode == 1
    assert "stage 'ood' failed" in r.stderr and "no-digits.csv.gz" in r.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["stages"] == ["train", "robustness", "calibration", "conformal"]
    assert (tmp_path / "out" / "conformal.csv").exists() and not (tmp_path / "out" / "ood.csv").exists()
    assert "ood" not in results
    assert not list((tmp_path / "out").glob("*.tmp.*"))  # no temporary left behind


def test_report_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results.json"):
        bw.report.write_report(tmp_path)
    (tmp_path / "results.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a bulwark-run result"):
        bw.report.write_report(tmp_path)
    with pytest.raises(TypeError, match="results_dir must be a path"):
        bw.report.write_report(3)
    r = subprocess.run([sys.executable, "-m", "bulwark.report", str(tmp_path / "missing")], capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "python")))
    assert r.returncode == 2 and "no results.json" in r.stderr


def test_an_unwritable_output_fails_before_any_stage(env, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    r = run(env, "--config", SMOKE, "--out", a_file / "out")
    assert r.returncode == 1, r.stderr
    assert "cannot write results to" in r.stderr and "no stage was run" in r.stderr
    assert "[1/" not in r.stderr  # nothing was trained
    if os.geteuid() != 0:  # root writes into read-only directories
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        r = run(env, "--config", SMOKE, "--out", ro)
        assert r.returncode == 1 and "no stage was run" in r.stderr


def test_a_rerun_with_fewer_stages_leaves_no_stale_files(env, tmp_path):
    out = tmp_path / "out"
    first = run(env, "--config", SMOKE, "--out", out, "--experiment.stages", "train robustness")
    assert first.returncode == 0, first.stderr
    bulwark.report.write_report(out)
    assert (out / "robustness.csv").exists() and (out / "report.md").exists()
    assert list(out.glob("*.png"))
    (out / "notes.txt").write_text("the user's own file")
    second = run(env, "--config", SMOKE, "--out", out, "--experiment.stages", "train conformal")
    assert second.returncode == 0, second.stderr
    assert "held an earlier run's results" in second.stderr and "robustness.csv" in second.stderr
    assert not (out / "robustness.csv").exists() and not (out / "report.md").exists()
    assert not list(out.glob("*.png"))
    assert (out / "conformal.csv").exists() and (out / "notes.txt").exists()
    assert json.loads((out / "results.json").read_text())["stages"] == ["train", "conformal"]
    # A directory that holds no bulwark-run results is left alone.
    other = tmp_path / "other"
    other.mkdir()
    (other / "robustness.csv").write_text("not ours")
    third = run(env, "--config", SMOKE, "--out", other, "--experiment.stages", "train")
    assert third.returncode == 0 and (other / "robustness.csv").read_text() == "not ours"


def test_the_runs_standard_model_is_the_python_reference_model(env, tmp_path):
    # One recipe, one training loop, one cache key (issue 24, item 4): after bulwark-run trained
    # its standard model, bw.models.fashion_cnn() with the same settings loads it, training nothing.
    out = run(env, "--config", SMOKE, "--out", tmp_path / "a", "--experiment.stages", "train",
              "--models.defenses", "standard")
    assert out.returncode == 0, out.stderr
    key = json.loads((tmp_path / "a" / "results.json").read_text())["train"]["standard"]["cache_key"]
    models = pathlib.Path(env["BULWARK_CACHE_DIR"]) / "models"
    before = {p.name: p.stat().st_mtime_ns for p in models.iterdir()}
    assert f"{key}.pt" in before and f"{key}.history.json" in before
    net = bw.models.fashion_cnn(epochs=1, batch_size=128, lr=1e-3, seed=0, train_samples=2000, progress=False,
                                cache_dir=env["BULWARK_CACHE_DIR"])
    assert {p.name: p.stat().st_mtime_ns for p in models.iterdir()} == before  # nothing trained or written
    cached = bw._core.models.FashionCNN(0)
    cached.load(str(models / f"{key}.pt"))
    for name, t in cached.state_dict().items():
        assert torch.equal(net.state_dict()[name], t), name


def test_the_demo_is_the_full_experiment_with_short_recipes():
    """make demo's config differs from fashion_mnist_full.ini only in the training epochs (and the
    name), so the demo's fast first run measures the same experiment."""
    import configparser

    def read(name):
        c = configparser.ConfigParser()
        assert c.read(ROOT / "experiments" / "configs" / name)
        return {(s, k): v for s in c.sections() for k, v in c[s].items()}

    demo, full = read("fashion_mnist.ini"), read("fashion_mnist_full.ini")
    differ = {key for key in demo.keys() | full.keys() if demo.get(key) != full.get(key)}
    assert differ == {("experiment", "name"), ("models", "epochs"), ("models", "adversarial-epochs"),
                      ("smoothing", "epochs")}
    assert all(int(demo[k]) < int(full[k]) for k in differ if k[1].endswith("epochs"))
