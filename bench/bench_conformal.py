"""Split conformal on 200,000 x 100 synthetic probabilities (100k calibration, 100k test).
First part: APS and RAPS in float64, bulwark (C++, OpenMP) against a vectorised numpy
implementation of the same method. Second part: LAC, APS, RAPS and SAPS on float32 softmax
outputs against TorchCP's way of computing them, in plain torch (TorchCP itself is not
installable here): every label's score from one sort and cumsum of each row (APS, RAPS, SAPS)
or 1 - p (LAC), the label's score gathered for calibration, sets by comparing all scores with
the quantile. Both timed alternately in one run (median of reps). Usage: bench_conformal.py [reps=5]"""

import sys
import time

import numpy as np
import torch

import bulwark as bw
from _timing import alternate

bw.runtime.tune()


def numpy_fit_predict(p_cal, y_cal, p_test, u_cal, u_test, alpha, lam, k_reg):
    """The same quantile rule and randomisation, vectorised numpy (one sort per row)."""
    order = np.argsort(-p_cal, axis=1, kind="stable")
    sorted_p = np.take_along_axis(p_cal, order, 1)
    cum = np.cumsum(sorted_p, 1)
    rank = np.argmax(order == y_cal[:, None], axis=1)
    p_y = p_cal[np.arange(len(y_cal)), y_cal]
    s = cum[np.arange(len(y_cal)), rank] - p_y + u_cal * p_y + lam * np.maximum(0, rank + 1 - k_reg)
    n = len(s)
    k = int(np.ceil((n + 1) * (1 - alpha) - 1e-9))
    q = np.partition(s, k - 1)[k - 1]
    order_t = np.argsort(-p_test, axis=1, kind="stable")
    sp = np.take_along_axis(p_test, order_t, 1)
    before = np.cumsum(sp, 1) - sp
    ranks = np.arange(p_test.shape[1])[None, :]
    scores = before + u_test[:, None] * sp + lam * np.maximum(0, ranks + 1 - k_reg)
    sets = np.zeros_like(p_test, dtype=bool)
    np.put_along_axis(sets, order_t, scores <= q, 1)
    return sets


def torchcp_all_scores(probs, score, u, lam, k_reg):
    """Every label's score, (N, K), as TorchCP computes it (sort, cumsum, scatter back)."""
    if score == "lac":
        return 1 - probs
    ordered, indices = torch.sort(probs, dim=-1, descending=True)
    ranks = torch.arange(probs.shape[1], device=probs.device)[None, :]
    if score == "saps":
        top = ordered[:, :1]
        ordered_scores = torch.where(ranks == 0, u[:, None] * top, top + lam * (ranks - 1 + u[:, None]))
    else:
        cumsum = torch.cumsum(ordered, dim=-1)
        ordered_scores = cumsum - ordered * (1 - u[:, None])
        if score == "raps":
            ordered_scores = ordered_scores + lam * torch.clamp(ranks + 1 - k_reg, min=0)
    return torch.empty_like(ordered_scores).scatter_(1, indices, ordered_scores)


def torchcp_fit_predict(p_cal, y_cal, p_test, u_cal, u_test, alpha, score, lam, k_reg):
    s = torchcp_all_scores(p_cal, score, u_cal, lam, k_reg).gather(1, y_cal[:, None]).squeeze(1)
    k = int(np.ceil((len(s) + 1) * (1 - alpha) - 1e-9))
    q = torch.kthvalue(s, k).values
    return torchcp_all_scores(p_test, score, u_test, lam, k_reg) <= q


def torchcp_rows(probs, y, reps):
    p = probs.float()
    p_cal, y_cal, p_test = p[:100_000], y[:100_000], p[100_000:]
    g = torch.Generator().manual_seed(1)
    u_cal, u_test = torch.rand(100_000, generator=g), torch.rand(100_000, generator=g)
    print(f"\nfloat32 probabilities, against TorchCP's computation in plain torch")
    print(f"  {'score':<8} {'bulwark s':>10} {'TorchCP s':>10} {'ratio':>7}")
    for score, lam, k_reg in [("lac", 0.0, 0), ("aps", 0.0, 0), ("raps", 0.01, 5), ("saps", 0.3, 0)]:
        def ours():
            options = {"lam": lam} if score in ("raps", "saps") else {}
            if score == "raps":
                options["k_reg"] = k_reg
            return bw.conformal.SplitConformal(score, alpha=0.1, seed=0, **options).fit(p_cal, y_cal).predict(p_test)

        b, t, sets, ref = alternate(ours, lambda: torchcp_fit_predict(p_cal, y_cal, p_test, u_cal, u_test, 0.1,
                                                                       score, lam, k_reg), reps)
        cov_b = bw.conformal.coverage(sets, y[100_000:])
        cov_t = float(ref[torch.arange(100_000), y[100_000:]].float().mean())
        print(f"  {score:<8} {b:>10.3f} {t:>10.3f} {t / b:>7.1f}   coverage {cov_b:.4f} / {cov_t:.4f}, "
              f"mean size {sets.sum(1).double().mean():.2f} / {ref.sum(1).double().mean():.2f}")


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(200_000, 100, generator=g) * 2
    probs = torch.softmax(logits, 1).double()
    y = torch.multinomial(probs.float(), 1, generator=g).squeeze(1)
    p_cal, y_cal, p_test = probs[:100_000], y[:100_000], probs[100_000:]
    np_cal, ny_cal, np_test = p_cal.numpy(), y_cal.numpy(), p_test.numpy()
    rng = np.random.default_rng(0)
    u_cal, u_test = rng.random(100_000), rng.random(100_000)
    print(f"bench_conformal: 100,000 calibration + 100,000 test x 100 classes, "
          f"{torch.get_num_threads()} threads, median of {reps}")
    print(f"  {'method':<8} {'bulwark s':>10} {'numpy s':>10} {'ratio':>7}")
    for score, lam, k_reg in [("aps", 0.0, 0), ("raps", 0.01, 5)]:
        tb, tn = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            cp = bw.conformal.SplitConformal(score, alpha=0.1, lam=max(lam, 0.0), k_reg=k_reg, seed=0)
            sets = cp.fit(p_cal, y_cal).predict(p_test)
            tb.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = numpy_fit_predict(np_cal, ny_cal, np_test, u_cal, u_test, 0.1, lam, k_reg)
            tn.append(time.perf_counter() - t0)
        b, n = float(np.median(tb)), float(np.median(tn))
        cov_b = bw.conformal.coverage(sets, y[100_000:])
        cov_n = float(ref[np.arange(100_000), y[100_000:].numpy()].mean())
        print(f"  {score:<8} {b:>10.3f} {n:>10.3f} {n / b:>7.1f}   coverage {cov_b:.4f} / {cov_n:.4f}, "
              f"mean size {sets.sum(1).double().mean():.2f} / {ref.sum(1).mean():.2f}")
    torchcp_rows(probs, y, reps)


if __name__ == "__main__":
    main()
