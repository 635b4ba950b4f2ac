"""Temperature scaling and ECE on 200,000 x 100 float32 logits, logits = 6 (randn + 3 onehot(y))
(optimal T near 2): bulwark (C++, fused passes) against plain PyTorch doing the same
computation (the same safeguarded Newton on 1/T, each step's NLL, gradient and curvature
from torch ops; ECE with torch ops), timed alternately in one run, median of reps.
Usage: bench_calibration.py [reps=3]"""

import sys
import time

import numpy as np
import torch

import bulwark as bw


def torch_temperature(z, y, tol=1e-10, max_iter=100):
    zd = z.double()
    zy = zd.gather(1, y[:, None]).squeeze(1)

    def deriv(beta):
        p = torch.softmax(zd * beta, 1)
        ez = (p * zd).sum(1)
        ez2 = (p * zd * zd).sum(1)
        f = (torch.logsumexp(zd * beta, 1) - beta * zy).mean().item()
        return f, (ez - zy).mean().item(), (ez2 - ez * ez).clamp(min=0).mean().item()

    lo, hi = 0.0, 1.0
    while deriv(hi)[1] < 0:
        lo, hi = hi, hi * 4
    beta = 0.5 * (lo + hi) if not lo < 1.0 < hi else 1.0
    _, d1, d2 = deriv(beta)
    for _ in range(max_iter):
        if d1 < 0:
            lo = beta
        else:
            hi = beta
        nxt = beta - d1 / d2 if d2 > 0 else -1
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        step = abs(nxt - beta)
        beta = nxt
        _, d1, d2 = deriv(beta)
        if step <= tol * beta or hi - lo <= tol * beta:
            break
    return 1 / beta


def torch_ece(z, y, bins=15):
    p = torch.softmax(z.double(), 1)
    conf, pred = p.max(1)
    correct = (pred == y).double()
    idx = (conf * bins).ceil().long().sub(1).clamp(0, bins - 1)
    n = torch.zeros(bins, dtype=torch.float64).index_add_(0, idx, torch.ones_like(conf))
    c = torch.zeros(bins, dtype=torch.float64).index_add_(0, idx, conf)
    a = torch.zeros(bins, dtype=torch.float64).index_add_(0, idx, correct)
    m = n > 0
    return ((a[m] - c[m]).abs() / len(y)).sum().item()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 100, (200_000,), generator=g)
    z = 6 * (torch.randn(200_000, 100, generator=g) + 3 * torch.nn.functional.one_hot(y, 100))
    z = z.float()
    print(f"bench_calibration: 200,000 x 100 float32 logits, {torch.get_num_threads()} threads, "
          f"median of {reps}")
    rows = []
    for name, ours, theirs in [
        ("temperature fit", lambda: bw.calibration.TemperatureScaling().fit(z, y).temperature,
         lambda: torch_temperature(z, y)),
        ("ECE, 15 bins", lambda: bw.metrics.ece(z, y, logits=True), lambda: torch_ece(z, y)),
    ]:
        tb, tt = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            vb = ours()
            tb.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            vt = theirs()
            tt.append(time.perf_counter() - t0)
        b, t = float(np.median(tb)), float(np.median(tt))
        rows.append((name, b, t, vb, vt))
    print(f"  {'what':<16} {'bulwark s':>10} {'torch s':>10} {'ratio':>7}  values")
    for name, b, t, vb, vt in rows:
        print(f"  {name:<16} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}  {vb:.6f} / {vt:.6f}")


if __name__ == "__main__":
    main()
