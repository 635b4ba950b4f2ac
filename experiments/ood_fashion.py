"""Every OOD detector on the reference FashionCNN: Fashion-MNIST test (10,000) in-distribution
against sklearn's digits (1,797, enlarged to 28x28), uniform noise, Gaussian noise (10,000 each,
seed 0) and inverted Fashion-MNIST test images. Feature-based detectors are fitted on the
128-d penultimate features of the 60,000 training images (ViM and ReAct also use the last
layer). Prints AUROC and FPR@95 (ID positive: the fraction of OOD inputs accepted when 95% of
ID inputs are) per set, as a markdown table.

    /usr/bin/python3 experiments/ood_fashion.py
"""

import argparse

import torch

import bulwark as bw

bw.runtime.tune()

ood = bw.ood


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--odin-batch", type=int, default=500)
    args = ap.parse_args()
    net = bw.models.fashion_cnn(progress=False)
    clf = bw.Classifier(net)
    x_train, y_train = bw.data.fashion_mnist("train")
    x_test, _ = bw.data.fashion_mnist("test")
    sets = {
        "digits": bw.data.digits()[0],
        "uniform noise": bw.data.uniform_noise(10_000, seed=0)[0],
        "Gaussian noise": bw.data.gaussian_noise(10_000, seed=0)[0],
        "inverted": bw.data.inverted(x_test)[0],
    }

    def run(x):
        zs, fs = [], []
        with torch.no_grad():
            for i in range(0, len(x), 1000):
                z, f = clf.logits_and_features(x[i:i + 1000])
                zs.append(z)
                fs.append(f)
        return torch.cat(zs), torch.cat(fs)

    _, f_train = run(x_train)
    inputs = {"ID": x_test, **sets}
    outputs = {k: run(v) for k, v in inputs.items()}
    w, b = net.fc2.weight.detach(), net.fc2.bias.detach()
    feature_detectors = {
        "Mahalanobis": ood.Mahalanobis().fit(f_train, y_train),
        "KNN (k=50)": ood.KNN(k=50).fit(f_train),
        "ViM": ood.ViM(w, b).fit(f_train),
        "ReAct (p90) + Energy": ood.ReAct(w, b, percentile=90).fit(f_train),
        "GradNorm": ood.GradNorm(w, b),
    }
    logit_detectors = {"MSP": ood.MSP(), "MaxLogit": ood.MaxLogit(), "Energy": ood.Energy(),
                       "Entropy": ood.Entropy()}
    odin = ood.ODIN(temperature=1000, eps=0.0014)

    scores = {}
    for name, d in logit_detectors.items():
        scores[name] = {k: d.score(z) for k, (z, _) in outputs.items()}
    scores["ODIN (T=1000, eps=0.0014)"] = {
        k: torch.cat([odin.score(clf, v[i:i + args.odin_batch]) for i in range(0, len(v), args.odin_batch)])
        for k, v in inputs.items()}
    for name, d in feature_detectors.items():
        scores[name] = {k: d.score(f) for k, (_, f) in outputs.items()}

    print("FashionCNN, ID: Fashion-MNIST test (10,000). AUROC % / FPR@95 % (ID positive) per OOD set.")
    print()
    print("| detector | " + " | ".join(sets) + " | mean AUROC |")
    print("| --- |" + " ---: |" * (len(sets) + 1))
    for name, s in scores.items():
        cells, aurocs = [], []
        for k in sets:
            m = ood.evaluate(s["ID"], s[k])
            aurocs.append(m["auroc"])
            cells.append(f"{100 * m['auroc']:.2f} / {100 * m['fpr_at_95_tpr']:.2f}")
        print(f"| {name} | " + " | ".join(cells) + f" | {100 * sum(aurocs) / len(aurocs):.2f} |")


if __name__ == "__main__":
    main()
