"""The robustness report: ``python -m bulwark.report results/fmnist`` reads what ``bulwark-run``
wrote there (results.json) and writes ``report.md`` with PNG figures next to it: robust
accuracy against ε per model and attack, reliability diagrams before and after temperature
scaling on clean and adversarial data, conformal set sizes and coverage per class, OOD score
histograms and ROC curves, certified accuracy against the L2 radius, and adversarial e-mails
with their edits marked.

    from bulwark.report import write_report
    write_report("results/fmnist")          # -> results/fmnist/report.md
"""

import argparse
import json
import math
import os
import sys

from . import _core

__all__ = ["write_report", "number", "main"]


def number(v):
    """A number read from a bulwark JSON file as a float. bulwark writes non-finite values as
    the strings ``"nan"``, ``"inf"`` and ``"-inf"`` (JSON has no literal for them; the one
    convention of docs/architecture.md, "JSON"); ``None`` reads as NaN."""
    if v is None:
        return math.nan
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise _core.InvalidArgumentError(f"number: expected a number or 'nan', 'inf', '-inf', got {v!r}")
        return float(v)
    return float(v)


def _name(r, family, key):
    """How the experiment names ``key`` of ``family`` ("defenses", "attacks", "calibrators",
    "detectors", "ood_sets", ...): results.json carries bulwark-run's one registry of names."""
    return r.get("names", {}).get(family, {}).get(key, key)


def _data(r, key):
    """What was measured on: "dataset", "model", "classes", "text_dataset", "text_classes"."""
    defaults = {"dataset": "the data", "model": "model", "classes": [], "text_dataset": "text",
                "text_classes": []}
    return r.get("data", {}).get(key, defaults[key])


def _calibrator_name(r, key):
    """"uncalibrated", or "<calibrator>_clean" / "<calibrator>_adversarial" as a label."""
    if key == "uncalibrated":
        return key
    name, _, fit = key.rpartition("_")
    return f"{_name(r, 'calibrators', name)} (fit on {fit})"


def _num(v, fmt=".3f"):
    v = number(v)
    return "–" if math.isnan(v) else format(v, fmt)


def _pct(v, digits=1):
    v = number(v)
    return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def _first_calibrator(entry):
    """The key of the first calibrator fitted on clean data in a calibration entry."""
    return next(k for k in entry["clean"] if k.endswith("_clean"))


def _defense(r, name):
    return _name(r, "defenses", name)


def _table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "font.size": 9, "axes.titlesize": 10,
                         "axes.grid": True, "grid.alpha": 0.3})
    return plt


def _save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.savefig(path + ".tmp.png", bbox_inches="tight")
    os.replace(path + ".tmp.png", path)
    _pyplot().close(fig)
    return name


# --- sections ------------------------------------------------------------------------------------

def _robustness(r, out_dir):
    plt = _pyplot()
    models = list(r["robustness"])
    fig, axes = plt.subplots(1, len(models), figsize=(4.4 * len(models), 3.4), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], models):
        rob = r["robustness"][m]
        eps = [0.0] + rob["eps"]
        for k, (attack, accs) in enumerate(rob["attacks"].items()):
            ax.plot(eps, [100 * rob["clean_accuracy"]] + [100 * a for a in accs], marker="o", markersize=3,
                    label=_name(r, "attacks", attack), color=f"C{k}")
        ax.plot(eps, [100 * rob["clean_accuracy"]] + [100 * a for a in rob["worst_case"]], "k--", linewidth=1.2,
                label="worst case")
        ax.set_title(f"{_defense(r, m)} {_data(r, 'model')}")
        ax.set_xlabel("L∞ radius ε (pixels in [0, 1])")
        ax.set_ylim(0, 100)
        ax.legend(fontsize="small")
    axes[0][0].set_ylabel("accuracy on the evaluation images (%)")
    fig.suptitle("Robust accuracy against the attack radius", y=1.02)
    name = _save(fig, out_dir, "robustness.png")
    attacks = list(next(iter(r["robustness"].values()))["attacks"])
    eps = next(iter(r["robustness"].values()))["eps"]
    rows = []
    for m in models:
        rob = r["robustness"][m]
        for attack in attacks + ["worst case"]:
            accs = rob["worst_case"] if attack == "worst case" else rob["attacks"][attack]
            rows.append([_defense(r, m), _name(r, "attacks", attack), _pct(rob["clean_accuracy"])]
                        + [_pct(a) for a in accs])
    text = ["## Robustness", "",
            f"Accuracy on the {r['config']['data']['eval-samples']} evaluation images under each attack "
            f"({r['config']['attacks']['steps']} steps for the iterative ones); an image counts for the worst case only "
            "if no attack broke it.", "", f"![robust accuracy against ε]({name})", "",
            _table(["model", "attack", "clean"] + [f"ε = {e:g}" for e in eps], rows, ["---", "---"] + ["---:"] * (1 + len(eps)))]
    return "\n".join(text)


def _reliability_axes(ax, rel, label, color, half):
    """Accuracy per confidence bin as bars filling the left (half = 0) or right (half = 1) half of
    each bin, so two calibrators sit side by side."""
    import numpy as np
    edges = np.asarray(rel["edges"], dtype=float)
    acc = np.asarray([number(a) for a in rel["accuracy"]], dtype=float)
    count = np.asarray(rel["count"], dtype=float)
    used = count > 0
    width = np.diff(edges) / 2
    ax.bar(edges[:-1][used] + half * width[used], acc[used], width=width[used], align="edge", color=color,
           edgecolor="white", linewidth=0.4, label=label)


def _calibration(r, out_dir):
    plt = _pyplot()
    models = list(r["calibration"])
    eps = r["config"]["calibration"]["adversarial-eps"]
    figures = []
    for m in models:
        cal = r["calibration"][m]
        first = _first_calibrator(cal)
        fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.6), sharey=True)
        for ax, data in zip(axes, ("clean", "adversarial")):
            for half, (calibrator, color) in enumerate((("uncalibrated", "C3"), (first, "C0"))):
                v = cal[data][calibrator]
                _reliability_axes(ax, v["reliability"], f"{_calibrator_name(r, calibrator)}, ECE {_pct(v['ece'], 2)}",
                                  color, half)
            ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel("confidence (top-class probability)")
            ax.set_title(f"{data} images" + (f" (PGD, ε = {eps:g})" if data == "adversarial" else ""))
            ax.legend(fontsize="small", loc="upper left")
        axes[0].set_ylabel("accuracy in the confidence bin")
        fig.suptitle(f"Reliability, {_defense(r, m)} {_data(r, 'model')}", y=1.02)
        figures.append(_save(fig, out_dir, f"reliability_{m}.png"))
    rows = []
    for m in models:
        cal = r["calibration"][m]
        for data in ("clean", "adversarial"):
            for calibrator, v in cal[data].items():
                rows.append([_defense(r, m), data, _calibrator_name(r, calibrator), _pct(v["accuracy"]), _pct(v["ece"], 2),
                             _num(v["nll"]), _num(v["brier"]), _pct(v["mean_confidence"])])
    temps = "; ".join(f"{_defense(r, m)}: T = {r['calibration'][m]['temperature']['fitted_on_clean']:.2f} fitted on clean, "
                      f"{r['calibration'][m]['temperature']['fitted_on_adversarial']:.2f} on adversarial"
                      for m in models if "temperature" in r["calibration"][m])
    text = ["## Calibration", "",
            f"Calibrators fitted on the {r['config']['data']['calibration-samples']} calibration images, clean or "
            f"perturbed by PGD at ε = {eps:g}, measured on the evaluation images"
            + (f" ({temps})" if temps else "") + f". ECE with {r['config']['calibration']['bins']} equal-width bins; "
            "the figures show the first calibrator fitted on clean images.", ""]
    text += [f"![reliability diagram]({f})" for f in figures]
    text += ["", _table(["model", "data", "calibrator", "accuracy", "ECE", "NLL", "Brier", "mean confidence"], rows,
                        ["---", "---", "---"] + ["---:"] * 5)]
    return "\n".join(text)


def _conformal(r, out_dir):
    plt = _pyplot()
    import numpy as np
    models = list(r["conformal"])
    scores = list(r["conformal"][models[0]])
    alphas = list(r["conformal"][models[0]][scores[0]])
    score, alpha = scores[-1], alphas[0]  # the figures show one (score, alpha); the table all
    fig, axes = plt.subplots(2, len(models), figsize=(4.6 * len(models), 6.4), squeeze=False)
    for j, m in enumerate(models):
        e = r["conformal"][m][score][alpha]
        ax = axes[0][j]
        k = len(e["clean"]["size_histogram"])
        x = np.arange(k)
        for off, data, color in ((-0.2, "clean", "C0"), (0.2, "adversarial", "C3")):
            h = np.asarray(e[data]["size_histogram"], dtype=float)
            ax.bar(x + off, 100 * h / h.sum(), width=0.4, color=color,
                   label=f"{data}: mean size {e[data]['mean_set_size']:.2f}")
        ax.set_xticks(x)
        ax.set_xlabel("prediction set size (classes)")
        ax.set_ylabel("share of images (%)")
        ax.set_title(f"{_defense(r, m)}: set sizes ({_name(r, 'scores', score)}, α = {alpha})")
        ax.legend(fontsize="small")
        ax = axes[1][j]
        classes = np.arange(len(e["clean"]["class_coverage"]))
        for off, data, color in ((-0.2, "clean", "C0"), (0.2, "adversarial", "C3")):
            cov = np.asarray([number(c) for c in e[data]["class_coverage"]], dtype=float)
            ax.bar(classes + off, 100 * cov, width=0.4, color=color,
                   label=f"{data}: coverage {_pct(e[data]['coverage'])}")
        ax.axhline(100 * (1 - float(alpha)), color="k", linestyle="--", linewidth=1, label=f"target {_pct(1 - float(alpha), 0)}")
        ax.set_xticks(classes)
        ax.set_xticklabels((_data(r, "classes") or list(range(len(classes))))[:len(classes)], rotation=45, ha="right")
        ax.set_ylim(0, 105)
        ax.set_ylabel("coverage (%)")
        ax.set_title(f"{_defense(r, m)}: coverage per true class")
        ax.legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    name = _save(fig, out_dir, "conformal.png")
    rows = []
    for m in models:
        for s in scores:
            for a in alphas:
                e = r["conformal"][m][s][a]
                rows.append([_defense(r, m), _name(r, "scores", s), a, _pct(1 - float(a), 0), _pct(e["clean"]["coverage"]),
                             f"{e['clean']['mean_set_size']:.2f}", _pct(e["adversarial"]["coverage"]),
                             f"{e['adversarial']['mean_set_size']:.2f}"])
    n = r["config"]["data"]["calibration-samples"]
    text = ["## Conformal prediction", "",
            f"Split conformal sets calibrated on the {n} clean calibration images, evaluated on the clean and the "
            f"PGD-perturbed (ε = {r['config']['calibration']['adversarial-eps']:g}) evaluation images. On clean data the "
            "coverage guarantee holds on average over calibration draws; under attack exchangeability is gone.", "",
            f"![set sizes and coverage per class]({name})", "",
            _table(["model", "score", "α", "target", "coverage (clean)", "mean size (clean)", "coverage (adversarial)",
                    "mean size (adversarial)"], rows, ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:"])]
    return "\n".join(text)


def _set_name(r, key):
    if key == "adversarial":
        return f"adversarial (PGD) {_data(r, 'dataset')}"
    return _name(r, "ood_sets", key)


def _ood(r, out_dir):
    plt = _pyplot()
    import numpy as np
    figures = []
    models = list(r["ood"])
    for m in models:
        detectors = list(r["ood"][m])
        fig, axes = plt.subplots(2, len(detectors), figsize=(3.6 * len(detectors), 6.2), squeeze=False)
        for j, d in enumerate(detectors):
            v = r["ood"][m][d]
            edges = np.asarray(v["histogram_edges"], dtype=float)
            centers = (edges[:-1] + edges[1:]) / 2
            ax = axes[0][j]
            h = np.asarray(v["id_histogram"], dtype=float)
            ax.fill_between(centers, h / h.sum(), step="mid", alpha=0.35, color="k", label=f"{_data(r, 'dataset')} (ID)")
            for k, (s, sv) in enumerate(v["sets"].items()):
                hs = np.asarray(sv["histogram"], dtype=float)
                ax.step(centers, hs / hs.sum(), where="mid", color=f"C{k}", label=_set_name(r, s))
            ax.set_title(_name(r, "detectors", d))
            ax.set_xlabel("outlier score (higher: more OOD)")
            ax.set_ylabel("share of images")
            ax = axes[1][j]
            for k, (s, sv) in enumerate(v["sets"].items()):
                ax.plot(sv["roc_fpr"], sv["roc_tpr"], color=f"C{k}",
                        label=f"{_set_name(r, s)}: AUROC {_pct(sv['auroc'])}")
            ax.plot([0, 1], [0, 1], "k:", linewidth=1)
            ax.set_xlabel("ID images flagged (false positive rate)")
            ax.set_ylabel("OOD images flagged (true positive rate)")
            ax.legend(fontsize="x-small", loc="lower right")
        axes[0][0].legend(fontsize="x-small")
        fig.suptitle(f"OOD detection, {_defense(r, m)} {_data(r, 'model')}: score histograms and ROC curves", y=1.01)
        fig.tight_layout()
        figures.append(_save(fig, out_dir, f"ood_{m}.png"))
    rows = []
    for m in models:
        for d, v in r["ood"][m].items():
            rows.append([_defense(r, m), _name(r, "detectors", d)] + [f"{_pct(sv['auroc'])} / {_pct(sv['fpr_at_95_tpr'])}" for sv in v["sets"].values()])
    sets = list(next(iter(next(iter(r["ood"].values())).values()))["sets"])
    text = ["## Out-of-distribution detection", "",
            f"{_data(r, 'dataset')} evaluation images (in-distribution) against {r['config']['ood']['samples']} images of each "
            "OOD set, and the PGD-perturbed evaluation images; feature detectors fitted on the penultimate features "
            f"of {r['config']['ood']['fit-samples']} training images. Cells: AUROC / FPR at 95% TPR (ID positive: the "
            "share of OOD images accepted when 95% of ID images are).", ""]
    text += [f"![OOD scores and ROC curves]({f})" for f in figures]
    text += ["", _table(["model", "detector"] + [_set_name(r, s) for s in sets], rows,
                        ["---", "---"] + ["---:"] * len(sets))]
    return "\n".join(text)


def _smoothing(r, out_dir):
    plt = _pyplot()
    s = r["smoothing"]
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.plot(s["curve_radii"], [100 * a for a in s["curve_certified_accuracy"]], color="C0", drawstyle="steps-post",
            label=f"σ = {s['sigma']:g}, n = {s['n']}, α = {s['alpha']:g}")
    ax.axvline(s["max_certifiable_radius"], color="k", linestyle=":", linewidth=1,
               label=f"largest radius n samples can certify ({s['max_certifiable_radius']:.2f})")
    ax.set_xlabel("L2 radius (pixels in [0, 1])")
    ax.set_ylabel("certified accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(s["curve_radii"]))
    ax.legend(fontsize="small")
    ax.set_title(f"Randomized smoothing, {s['samples']} evaluation images")
    name = _save(fig, out_dir, "certified_accuracy.png")
    rows = [[f"{rad:g}", _pct(acc)] for rad, acc in zip(s["radii"], s["certified_accuracy"])]
    text = ["## Certified robustness (randomized smoothing)", "",
            f"A {_data(r, 'model')} trained with Gaussian noise (σ = {s['sigma']:g}) and smoothed: CERTIFY (Cohen et al. 2019) "
            f"with n0 = {s['n0']} and n = {s['n']} noise samples per image, each certificate wrong with probability at "
            f"most α = {s['alpha']:g}. The smoothed classifier is right on {_pct(s['smoothed_accuracy'])} of the images "
            f"and abstains on {_pct(s['abstain_rate'])}; no radius beyond {s['max_certifiable_radius']:.2f} can be "
            "certified with n samples.", "", f"![certified accuracy against radius]({name})", "",
            _table(["L2 radius", "certified accuracy"], rows)]
    return "\n".join(text)


def _markdown_edits(excerpt):
    """An example's excerpt (text and edit spans, results.json) as one line of Markdown: old
    words struck out, new ones in bold, the e-mail's own characters escaped."""
    from .text import render_edits
    md = render_edits(excerpt["text"], excerpt["edits"], "markdown").strip()
    return ("… " if excerpt["cut_start"] else "") + md + (" …" if excerpt["cut_end"] else "")


def _text(r):
    t = r["text"]
    rows = []
    for name, v in t["attacks"].items():
        rows.append([_name(r, "text_attacks", name), _pct(v["success_rate"]), _pct(v["accuracy_under_attack"]), _pct(v["clean_accuracy"]),
                     f"{v['mean_words_changed_percent']:.1f}%", f"{v['mean_queries']:.0f}",
                     _pct(v["spam_to_ham_success"]), _pct(v["ham_to_spam_success"])])
    text = ["## Token attacks on the spam filter", "",
            f"The {t['model']} spam filter on {t['samples']} {_data(r, 'text_dataset')} test e-mails; at most 20% of the "
            "words change, "
            "stopwords never do.", "",
            _table(["attack", "success", "accuracy under attack", "clean accuracy", "words changed", "texts scored",
                    "spam → ham", "ham → spam"], rows, ["---"] + ["---:"] * 7)]
    for name, v in t["attacks"].items():
        if not v["examples"]:
            continue
        text += ["", f"### {_name(r, 'text_attacks', name)}: adversarial e-mails (removed words struck out, new words in bold)"]
        for ex in v["examples"]:
            names = _data(r, "text_classes")
            label, new = (names[i] if i < len(names) else str(i) for i in (ex["label"], ex["adversarial_prediction"]))
            text += ["", f"*{label} read as {new}, {ex['words_changed']} of {ex['words']} words changed:*", "",
                     "> " + _markdown_edits(ex["excerpt"])]
    return "\n".join(text)


def _headline(r):
    rows = []
    sections = [k for k in ("robustness", "calibration", "conformal", "ood") if k in r]
    models = list(r[sections[0]]) if sections else []  # every per-model stage covers the same models
    if not models:
        return ""

    def ood_set(m, d):  # the digits if measured, else the first set
        sets = r["ood"][m][d]["sets"]
        return "digits" if "digits" in sets else next(iter(sets))

    for m in models:
        row = [_defense(r, m)]
        if "robustness" in r:
            rob = r["robustness"][m]
            row += [_pct(rob["clean_accuracy"])] + [_pct(a) for a in rob["worst_case"]]
        if "calibration" in r:
            c = r["calibration"][m]
            first = _first_calibrator(c)
            row.append(f"{_pct(c['clean']['uncalibrated']['ece'], 2)} → {_pct(c['clean'][first]['ece'], 2)}")
            row.append(f"{_pct(c['adversarial']['uncalibrated']['ece'], 2)} → {_pct(c['adversarial'][first]['ece'], 2)}")
        if "conformal" in r:
            s = list(r["conformal"][m])[-1]
            a = list(r["conformal"][m][s])[0]
            e = r["conformal"][m][s][a]
            row.append(f"{_pct(e['clean']['coverage'])} / {_pct(e['adversarial']['coverage'])}")
        if "ood" in r:
            d = list(r["ood"][m])[-1]
            row.append(_pct(r["ood"][m][d]["sets"][ood_set(m, d)]["auroc"]))
        rows.append(row)
    header = ["model"]
    if "robustness" in r:
        header += ["clean"] + [f"robust, ε = {e:g}" for e in r["robustness"][models[0]]["eps"]]
    if "calibration" in r:
        first = _name(r, "calibrators", _first_calibrator(r["calibration"][models[0]])[:-len("_clean")])
        header += [f"ECE clean (→ {first})", f"ECE adversarial (→ {first})"]
    if "conformal" in r:
        s = list(r["conformal"][models[0]])[-1]
        a = list(r["conformal"][models[0]][s])[0]
        header.append(f"{_name(r, 'scores', s)} coverage at α = {a}, clean / adversarial")
    if "ood" in r:
        d = list(r["ood"][models[0]])[-1]
        header.append(f"{_name(r, 'detectors', d)} AUROC, {_set_name(r, ood_set(models[0], d))}")
    return _table(header, rows)


def write_report(results_dir):
    """Reads ``results_dir/results.json`` and writes ``report.md`` and the PNG figures next to it.
    Returns the report's path."""
    if not isinstance(results_dir, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"write_report: results_dir must be a path, got {type(results_dir).__name__}")
    path = os.path.join(results_dir, "results.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"write_report: no results.json in {results_dir!r} (run bulwark-run --out {results_dir} first)")
    with open(path) as f:
        r = json.load(f)
    if r.get("format") != "bulwark.experiment":
        raise _core.InvalidArgumentError(f"write_report: {path} is not a bulwark-run result (format {r.get('format')!r})")
    parts = [f"# bulwark report: {r['name']}", "",
             f"bulwark {r['bulwark_version']}, seed {r['seed']}; stages run: {', '.join(r['stages'])}. "
             "Every number below is in `results.json` (schema: docs/experiments.md), the tables also as CSV, the "
             "configuration that produced them in `config.ini`.", ""]
    headline = _headline(r)
    if headline:
        parts += ["## Headline", "", headline, ""]
    for key, section in (("robustness", _robustness), ("calibration", _calibration), ("conformal", _conformal),
                         ("ood", _ood)):
        if key in r:
            parts += [section(r, results_dir), ""]
    if "smoothing" in r:
        parts += [_smoothing(r, results_dir), ""]
    if "text" in r:
        parts += [_text(r), ""]
    out = os.path.join(results_dir, "report.md")
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(parts))
    os.replace(out + ".tmp", out)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bulwark.report", description=__doc__.splitlines()[0])
    ap.add_argument("results_dir", help="the --out directory of a bulwark-run")
    args = ap.parse_args(argv)
    try:
        out = write_report(args.results_dir)
    except (FileNotFoundError, ValueError) as e:
        print(f"bulwark.report: {e}", file=sys.stderr)
        return 2
    print(f"bulwark.report: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
