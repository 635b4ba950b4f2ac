"""Top-label calibration of the reference FashionCNN before and after each calibrator, on clean
test images and under PGD (L-inf, 10 steps). Calibrators are fitted on the clean logits of test
images 5,000-9,999 and evaluated on images 0-4,999 (clean and attacked). ECE: 15 equal-width
bins; NLL: mean -log p_y. The binary calibrators (Platt, beta) calibrate the top-label
confidence as "is the prediction right" (Platt on the top-two logit margin, beta on the top
probability), so they have a top-label ECE but no K-class NLL. Writes the reliability diagrams
of the uncalibrated and the vector-scaled model, clean and under the largest PGD radius.

    /usr/bin/python3 experiments/calibration_under_attack.py [--n 5000] [--figure docs/figures/calibration_fashion.png]
"""

import argparse
import os

import torch

import bulwark as bw

bw.runtime.tune()

cal = bw.calibration


def top_two_margin(z):
    top2 = z.topk(2, dim=1).values
    return top2[:, 0] - top2[:, 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="evaluation images (the first n)")
    ap.add_argument("--eps", type=float, nargs="+", default=[0.01, 0.03], help="PGD L-inf radii")
    ap.add_argument("--figure", default="docs/figures/calibration_fashion.png")
    args = ap.parse_args()
    clf = bw.Classifier(bw.models.fashion_cnn(progress=False))
    x, y = bw.data.fashion_mnist("test")

    def logits(inputs):
        with torch.no_grad():
            return torch.cat([clf.logits(inputs[i:i + 1000]).double() for i in range(0, len(inputs), 1000)])

    z_cal, y_cal = logits(x[5000:]), y[5000:]
    xe, ye = x[:args.n], y[:args.n]
    evals = {"clean": logits(xe)}
    for eps in args.eps:
        attack = bw.attacks.PGD(eps, steps=10, seed=0)
        adv = torch.cat([attack(clf, xe[i:i + 250], ye[i:i + 250]) for i in range(0, len(xe), 250)])
        evals[f"PGD {eps}"] = logits(adv)

    multiclass = {
        "none": None,
        "temperature scaling": cal.TemperatureScaling(),
        "vector scaling": cal.VectorScaling(),
        "matrix scaling (reg 1e-2)": cal.MatrixScaling(reg=1e-2),
        "Dirichlet (ODIR 1e-3)": cal.DirichletCalibration(logits=True),
        "histogram binning (15)": cal.HistogramBinning(logits=True),
        "isotonic (one-vs-rest)": cal.IsotonicCalibration(logits=True),
    }
    for c in multiclass.values():
        if c is not None:
            c.fit(z_cal, y_cal)
    correct_cal = (z_cal.argmax(1) == y_cal).long()
    platt = cal.PlattScaling().fit(top_two_margin(z_cal), correct_cal)
    beta = cal.BetaCalibration().fit(torch.softmax(z_cal, 1).max(1).values, correct_cal)

    acc = {k: (z.argmax(1) == ye).double().mean().item() for k, z in evals.items()}
    print(f"FashionCNN, {args.n} evaluation images; accuracy: "
          + ", ".join(f"{k} {100 * v:.2f}%" for k, v in acc.items())
          + f"; fitted temperature {multiclass['temperature scaling'].temperature:.4f}")
    print()
    print("| calibrator | " + " | ".join(f"{k} ECE % | {k} NLL" for k in evals) + " |")
    print("| --- |" + " ---: | ---: |" * len(evals))
    for name, c in multiclass.items():
        cells = []
        for z in evals.values():
            p = torch.softmax(z, 1) if c is None else c.predict_proba(z)
            cells += [f"{100 * bw.metrics.ece(p, ye):.2f}", f"{bw.metrics.nll(p, ye):.4f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for name, c, score in (("Platt (top-label, margin)", platt, top_two_margin),
                           ("beta (top-label, max prob)", beta, lambda z: torch.softmax(z, 1).max(1).values)):
        cells = []
        for z in evals.values():
            conf = c.predict_proba(score(z))
            cells += [f"{100 * bw.metrics.ece(conf, (z.argmax(1) == ye).long()):.2f}", "—"]
        print(f"| {name} | " + " | ".join(cells) + " |")

    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        panels = [(k, name, c) for k in ("clean", f"PGD {args.eps[-1]}")
                  for name, c in (("uncalibrated", None), ("vector scaling", multiclass["vector scaling"]))]
        fig = plt.figure(figsize=(3.6 * len(panels), 4.6))
        grid = fig.add_gridspec(2, len(panels), height_ratios=[3, 1], hspace=0.08, wspace=0.3)
        for j, (k, name, c) in enumerate(panels):
            top = fig.add_subplot(grid[0, j])
            bottom = fig.add_subplot(grid[1, j], sharex=top)
            p = torch.softmax(evals[k], 1) if c is None else c.predict_proba(evals[k])
            bw.plot.reliability_diagram(p, ye, axes=(top, bottom), title=f"{k}, {name}")
            top.tick_params(labelbottom=False)
        os.makedirs(os.path.dirname(args.figure) or ".", exist_ok=True)
        fig.savefig(args.figure, dpi=110, bbox_inches="tight")
        print(f"\nreliability diagrams: {args.figure}")


if __name__ == "__main__":
    main()
