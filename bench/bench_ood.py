"""OOD detection speed, bulwark against plain PyTorch doing the same computation in the same
run (timed alternately, median of reps):
  KNN, k = 50, 64-d L2-normalised float32 features, 50,000 train x 10,000 test: bulwark's
    blocked GEMM + bounded selection against torch (blocked mm + topk, same block size);
  Mahalanobis fit + score on the same sizes (10 classes): bulwark against torch (class means,
    pooled covariance, inverse, expanded-form distances);
  metrics (AUROC, AUPR-in/out, FPR@95) on 1,000,000 scores: bulwark against torch (one argsort
    and cumulative sums, ties grouped with unique_consecutive).
Usage: bench_ood.py [reps=3]"""

import sys

import torch

import bulwark as bw
from _timing import alternate

bw.runtime.tune()


def torch_knn(train, test, k, block_rows=167):
    bank = torch.nn.functional.normalize(train, dim=1)
    q = torch.nn.functional.normalize(test, dim=1)
    out = []
    for i in range(0, len(q), block_rows):
        s = q[i:i + block_rows] @ bank.T
        kth = s.topk(k, dim=1).values[:, -1]
        out.append((2 - 2 * kth.double()).clamp(min=0).sqrt())
    return torch.cat(out)


def torch_mahalanobis(train, y, test, k=10):
    f = train.double()
    means = torch.stack([f[y == c].mean(0) for c in range(k)])
    c = f - means[y]
    p = torch.linalg.inv(c.T @ c / len(f))
    t = test.double()
    tp = t @ p
    d = (tp * t).sum(1, keepdim=True) - 2 * tp @ means.T + ((means @ p) * means).sum(1)
    return d.min(1).values


def torch_metrics(s_in, s_out):
    s = torch.cat([s_in, s_out]).double()
    lab = torch.cat([torch.zeros(len(s_in)), torch.ones(len(s_out))]).double()
    order = torch.argsort(s, descending=True)
    s, lab = s[order], lab[order]
    _, counts = torch.unique_consecutive(s, return_counts=True)
    ends = counts.cumsum(0) - 1
    tp = lab.cumsum(0)[ends]
    fp = (1 - lab).cumsum(0)[ends]
    n_out, n_in = lab.sum(), (1 - lab).sum()
    tpr, fpr = torch.cat([torch.zeros(1, dtype=s.dtype), tp / n_out]), torch.cat([torch.zeros(1, dtype=s.dtype), fp / n_in])
    auroc = torch.trapz(tpr, fpr).item()
    ap_out = ((tpr[1:] - tpr[:-1]) * (tp / (tp + fp))).sum().item()
    return auroc, ap_out


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    g = torch.Generator().manual_seed(0)
    train = torch.randn(50_000, 64, generator=g)
    y = torch.randint(0, 10, (50_000,), generator=g)
    train += 0.5 * torch.nn.functional.one_hot(y, 64).float()
    test = torch.randn(10_000, 64, generator=g)
    print(f"bench_ood: {torch.get_num_threads()} threads, median of {reps}")
    rows = []
    knn = bw.ood.KNN(k=50)
    rows.append(("KNN k=50 fit+score", *alternate(lambda: knn.fit(train).score(test), lambda: torch_knn(train, test, 50),
                                                  reps)))
    rows.append(("Mahalanobis fit+score",
                 *alternate(lambda: bw.ood.Mahalanobis().fit(train, y).score(test),
                            lambda: torch_mahalanobis(train, y, test), reps)))
    s_in, s_out = torch.randn(500_000, generator=g), torch.randn(500_000, generator=g) + 1
    rows.append(("metrics, 1M scores", *alternate(lambda: bw.ood.evaluate(s_in, s_out),
                                                 lambda: torch_metrics(s_in, s_out), reps)))
    print(f"  {'what':<24} {'bulwark s':>10} {'torch s':>10} {'ratio':>7}  agreement")
    for name, b, t, vb, vt in rows:
        if isinstance(vb, dict):
            agree = f"AUROC {vb['auroc']:.6f} / {vt[0]:.6f}, AUPR-out {vb['aupr_out']:.6f} / {vt[1]:.6f}"
        else:
            agree = f"max abs diff {(vb.double() - vt.double()).abs().max().item():.2e}"
        print(f"  {name:<24} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}  {agree}")


if __name__ == "__main__":
    main()
