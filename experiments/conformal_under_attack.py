"""Coverage and mean set size of split conformal prediction on the reference FashionCNN, on clean
test images and under PGD (L-inf eps 0.03 and 0.1, 10 steps), at alpha = 0.1. Calibration on
test images 5,000-9,999 (clean), RAPS tuned on 5,000-6,999, evaluation on images 0-4,999.

    /usr/bin/python3 experiments/conformal_under_attack.py [--n 5000]
"""

import argparse

import torch

import bulwark as bw

bw.runtime.tune()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="evaluation images (the first n)")
    ap.add_argument("--alpha", type=float, default=0.1)
    args = ap.parse_args()
    clf = bw.Classifier(bw.models.fashion_cnn(progress=False))
    x, y = bw.data.fashion_mnist("test")
    with torch.no_grad():
        probs = torch.cat([torch.softmax(clf.logits(x[i:i + 1000]).double(), 1)
                           for i in range(5000, 10000, 1000)])
    y_cal = y[5000:]
    tuned = bw.conformal.tune_raps(probs[:2000], y_cal[:2000], alpha=args.alpha, seed=0)
    predictors = {
        "LAC": bw.conformal.SplitConformal("lac", alpha=args.alpha, seed=0),
        "APS": bw.conformal.SplitConformal("aps", alpha=args.alpha, seed=0),
        f"RAPS (k_reg={tuned['k_reg']}, lam={tuned['lam']})": bw.conformal.SplitConformal(
            "raps", alpha=args.alpha, k_reg=tuned["k_reg"], lam=tuned["lam"], seed=0),
        "SAPS (lam=0.1)": bw.conformal.SplitConformal("saps", alpha=args.alpha, lam=0.1, seed=0),
    }
    for cp in predictors.values():
        cp.fit(probs, y_cal)
    xe, ye = x[:args.n], y[:args.n]
    inputs = {"clean": xe}
    for eps in (0.03, 0.1):
        attack = bw.attacks.PGD(eps, steps=10, seed=0)
        inputs[f"PGD eps={eps}"] = torch.cat([attack(clf, xe[i:i + 250], ye[i:i + 250])
                                             for i in range(0, len(xe), 250)])
    with torch.no_grad():
        eval_probs = {k: torch.cat([torch.softmax(clf.logits(v[i:i + 1000]).double(), 1)
                                    for i in range(0, len(v), 1000)]) for k, v in inputs.items()}
    acc = {k: (p.argmax(1) == ye).double().mean().item() for k, p in eval_probs.items()}
    print(f"FashionCNN, alpha = {args.alpha}, {args.n} evaluation images; accuracy: "
          + ", ".join(f"{k} {100 * v:.2f}%" for k, v in acc.items()))
    print()
    print("| score | " + " | ".join(f"{k} coverage | {k} mean size" for k in inputs) + " |")
    print("| --- |" + " --- | --- |" * len(inputs))
    for name, cp in predictors.items():
        cells = []
        for k, p in eval_probs.items():
            sets = cp.predict(p)
            cells += [f"{bw.conformal.coverage(sets, ye):.4f}", f"{bw.conformal.set_size(sets)[0]:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
