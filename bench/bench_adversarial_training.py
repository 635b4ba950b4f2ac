"""Adversarial training cost per minibatch: each method of bw.defenses.AdversarialTrainer on
FashionCNN (batch 128, L-inf eps 0.1), timed round-robin in one run, as a multiple of one
standard training step (forward + backward + Adam step); and PGD-AT against the same loop
written in plain PyTorch (torchattacks-style PGD), to show what the C++ loop costs or saves.

    /usr/bin/python3 bench/bench_adversarial_training.py [--batches 8] [--reps 5]
"""

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

import bulwark as bw

bw.runtime.tune()

METHODS = [("standard", {}), ("fast", {}), ("free", {"replays": 4}), ("pgd", {"steps": 7}),
           ("trades", {"steps": 7}), ("mart", {"steps": 7})]
EPS = 0.1


def torch_pgd_at(net, opt, batches, steps=7):
    """PGD-AT in plain PyTorch: PGD in eval mode (uniform start, sign steps of 2.5 eps / steps),
    then one training step on the adversarial batch."""
    alpha = 2.5 * EPS / steps
    for x, y in batches:
        net.eval()
        delta = torch.empty_like(x).uniform_(-EPS, EPS)
        x_adv = (x + delta).clamp(0, 1)
        for _ in range(steps):
            x_adv.requires_grad_(True)
            g, = torch.autograd.grad(F.cross_entropy(net(x_adv), y), x_adv)
            x_adv = (x + (x_adv.detach() + alpha * g.sign() - x).clamp(-EPS, EPS)).clamp(0, 1)
        net.train()
        loss = F.cross_entropy(net(x_adv.detach()), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    x, y = bw.data.fashion_mnist("train")
    n = 128 * args.batches
    batches = [(x[i:i + 128], y[i:i + 128]) for i in range(0, n, 128)]
    torch.manual_seed(0)
    net = bw.models.fashion_cnn(pretrained=False).train()
    opt = torch.optim.Adam(net.parameters(), 1e-4)

    def ours(method, settings):
        def run():
            t = bw.defenses.AdversarialTrainer(net, opt, method=method, eps=EPS, epochs=1, progress=False, **settings)
            t.fit(batches)
        return run

    runs = [(m, ours(m, s)) for m, s in METHODS] + [("pgd (plain PyTorch)", lambda: torch_pgd_at(net, opt, batches))]
    for _, r in runs:  # warm-up
        r()
    times = {name: [] for name, _ in runs}
    for _ in range(args.reps):
        for name, r in runs:
            t0 = time.perf_counter()
            r()
            times[name].append((time.perf_counter() - t0) / args.batches)
    med = {k: float(np.median(v)) for k, v in times.items()}
    std = med["standard"]
    print(f"FashionCNN, batch 128, eps {EPS}, {torch.get_num_threads()} threads, median of {args.reps} rounds "
          f"of {args.batches} minibatches\n")
    print("| method | ms / minibatch | x standard step | forward+backward passes |")
    print("|---|---:|---:|---:|")
    passes = {"standard": 1, "fast": 2, "free": 4, "pgd": 8, "trades": 9, "mart": 9, "pgd (plain PyTorch)": 8}
    for name, _ in runs:
        print(f"| {name} | {1000 * med[name]:.1f} | {med[name] / std:.2f} | {passes[name]} |")
    print(f"\nFast-AT / PGD-AT time per minibatch: {med['fast'] / med['pgd']:.3f}; "
          f"bulwark PGD-AT / plain-PyTorch PGD-AT: {med['pgd'] / med['pgd (plain PyTorch)']:.3f}")


if __name__ == "__main__":
    main()
