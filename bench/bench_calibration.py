"""Temperature scaling and ECE on 200,000 x 100 float32 logits, logits = 6 (randn + 3 onehot(y))
(optimal T near 2): bulwark (C++, fused passes) against plain PyTorch doing the same
computation (the same safeguarded Newton on 1/T, each step's NLL, gradient and curvature
from torch ops; ECE with torch ops), timed alternately in one run, median of reps.
Second part: matrix scaling (reg 1e-2) and Dirichlet calibration (ODIR) fits on 20,000 x 10
distorted logits, bulwark (Newton, exact Hessian) against the PyTorch recipe those methods are
usually fitted with (torch.optim.LBFGS, strong-Wolfe line search, on the same objective), run
to the same gradient tolerance 1e-8 (and, as commonly copied, for 50 iterations at lr 0.01).
Third part: the metrics on probabilities (softmax of the same logits, float32) against a
straightforward numpy implementation of each (issue 24, item 2: the "rows are probabilities"
check must not make them slower than numpy).
Usage: bench_calibration.py [reps=3]"""

import sys
import time

import numpy as np
import torch

import bulwark as bw
from _timing import alternate

bw.runtime.tune()


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


def torch_affine(x, y, penalty, max_iter, lr=1.0):
    """Minimises mean NLL(softmax(x W^T + b)) + penalty(W, b) with torch.optim.LBFGS."""
    k = x.shape[1]
    w = torch.eye(k, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=lr, max_iter=max_iter, tolerance_grad=1e-8, tolerance_change=0,
                            history_size=10, line_search_fn="strong_wolfe" if lr == 1.0 else None)

    def closure():
        opt.zero_grad()
        f = torch.nn.functional.cross_entropy(x @ w.T + b, y) + penalty(w, b)
        f.backward()
        return f

    opt.step(closure)
    with torch.no_grad():
        return (torch.nn.functional.cross_entropy(x @ w.T + b, y) + penalty(w, b)).item()


def np_bins(c, bins):
    return np.clip(np.ceil(c * bins).astype(np.int64) - 1, 0, bins - 1)


def np_ece(p, y, bins=15):
    conf, pred = p.max(1).astype(np.float64), p.argmax(1)
    idx = np_bins(conf, bins)
    n = np.bincount(idx, minlength=bins)
    c = np.bincount(idx, weights=conf, minlength=bins)
    a = np.bincount(idx, weights=(pred == y).astype(np.float64), minlength=bins)
    return float(np.abs(a - c)[n > 0].sum() / len(y))


def np_classwise_ece(p, y, bins=15):
    total = 0.0
    for j in range(p.shape[1]):
        c = p[:, j].astype(np.float64)
        idx = np_bins(c, bins)
        n = np.bincount(idx, minlength=bins)
        s = np.bincount(idx, weights=c, minlength=bins)
        a = np.bincount(idx, weights=(y == j).astype(np.float64), minlength=bins)
        total += np.abs(a - s)[n > 0].sum() / len(y)
    return float(total / p.shape[1])


def np_nll(p, y):
    return float(-np.log(np.maximum(p[np.arange(len(y)), y].astype(np.float64), 1e-300)).mean())


def np_brier(p, y):
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1
    return float(((p - onehot) ** 2).sum(1).astype(np.float64).mean())


def probability_rows(z, y, reps):
    p = torch.softmax(z, 1)
    pn, yn = p.numpy(), y.numpy()
    rows = []
    for name, ours, theirs in [
        ("ECE, 15 bins", lambda: bw.metrics.ece(p, y), lambda: np_ece(pn, yn)),
        ("classwise ECE", lambda: bw.metrics.classwise_ece(p, y), lambda: np_classwise_ece(pn, yn)),
        ("NLL", lambda: bw.metrics.nll(p, y), lambda: np_nll(pn, yn)),
        ("Brier", lambda: bw.metrics.brier(p, y), lambda: np_brier(pn, yn)),
    ]:
        rows.append((name, *alternate(ours, theirs, reps)))
    print("\nthe same 200,000 x 100 as float32 probabilities (softmax), against numpy")
    print(f"  {'what':<16} {'bulwark s':>10} {'numpy s':>10} {'ratio':>7}  values")
    for name, b, t, vb, vt in rows:
        print(f"  {name:<16} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}  {vb:.6f} / {vt:.6f}")


def affine_rows(reps):
    g = torch.Generator().manual_seed(1)
    k = 10
    y = torch.randint(0, k, (20_000,), generator=g)
    z = ((torch.randn(20_000, k, generator=g) + 2 * torch.nn.functional.one_hot(y, k))
         * torch.linspace(1, 4, k)).double()
    logp = torch.log_softmax(z, 1)
    eye, off = torch.eye(k, dtype=torch.float64), 1 - torch.eye(k, dtype=torch.float64)

    def ms_pen(w, b):
        return 1e-2 * ((w - eye).square().sum() + b.square().sum())

    def odir_pen(w, b):
        return 1e-3 / (k * (k - 1)) * (w * off).square().sum() + 1e-3 / k * b.square().sum()

    cases = [
        ("matrix scaling", lambda: bw.calibration.MatrixScaling(1e-2).fit(z, y).objective,
         lambda: torch_affine(z, y, ms_pen, 10000), lambda: torch_affine(z, y, ms_pen, 50, lr=0.01)),
        ("Dirichlet ODIR", lambda: bw.calibration.DirichletCalibration(logits=True).fit(z, y).objective,
         lambda: torch_affine(logp, y, odir_pen, 10000), lambda: torch_affine(logp, y, odir_pen, 50, lr=0.01)),
    ]
    rows = []
    for name, ours, theirs, recipe in cases:
        t0 = time.perf_counter()
        vr = recipe()
        tr = time.perf_counter() - t0
        rows.append((name, *alternate(ours, theirs, reps), tr, vr))
    print("\n20,000 x 10 float64 logits: penalised NLL at the fit (lower is better)")
    print(f"  {'what':<16} {'bulwark s':>10} {'LBFGS s':>10} {'ratio':>7}  {'bulwark':>12} {'LBFGS':>12}"
          f"  | 50 it, lr 0.01: s, objective")
    for name, b, t, vb, vt, tr, vr in rows:
        print(f"  {name:<16} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}  {vb:>12.8f} {vt:>12.8f}  | {tr:.3f}, {vr:.8f}")


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
        rows.append((name, *alternate(ours, theirs, reps)))
    print(f"  {'what':<16} {'bulwark s':>10} {'torch s':>10} {'ratio':>7}  values")
    for name, b, t, vb, vt in rows:
        print(f"  {name:<16} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}  {vb:.6f} / {vt:.6f}")
    probability_rows(z, y, reps)
    affine_rows(reps)


if __name__ == "__main__":
    main()
