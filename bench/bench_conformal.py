"""Split conformal APS and RAPS on 200,000 x 100 synthetic probabilities (100k calibration,
100k test): bulwark (C++, OpenMP) against a vectorised numpy implementation of the same method,
timed alternately in one run (median of reps). Usage: bench_conformal.py [reps=5]"""

import sys
import time

import numpy as np
import torch

import bulwark as bw

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


if __name__ == "__main__":
    main()
