"""The Fashion-MNIST robustness table: FashionCNN trained by standard training, PGD-AT, TRADES,
Fast-AT and Free-AT with bw.defenses.AdversarialTrainer (L-inf eps = 0.1, Adam, seeded), each
evaluated on the first --n test images by FGSM, PGD-40 and our AutoAttack (standard).

    /usr/bin/python3 experiments/robustness_table.py [--n 1000] [--methods standard,fast,free,pgd,trades]
        [--out docs/robustness_table.md] [--json docs/results/robustness_fashion.json] [--table-only]

Trained models are checkpointed after every epoch under $BULWARK_CACHE_DIR/robustness (default
~/.cache/bulwark/robustness): an interrupted run resumes where it stopped, and a finished
recipe is evaluated without retraining (its training time comes from the checkpoint's history).
"""

import argparse
import hashlib
import json
import os
import time

import torch

import bulwark as bw

bw.runtime.tune()

# method -> (epochs, trainer settings). Free AT replays each minibatch m = 4 times, so 2 epochs
# are 8 passes of forward + backward, the cost of about 8 standard epochs' worth of updates.
RECIPES = {
    "standard": (4, {}),
    "fast": (5, {}),
    "free": (2, {"replays": 4}),
    "pgd": (5, {"steps": 7}),
    "trades": (5, {"steps": 7, "beta": 6.0}),
    "mart": (5, {"steps": 7, "beta": 6.0}),
}
NAMES = {"standard": "Standard", "fast": "Fast-AT (Wong et al. 2020)", "free": "Free-AT, m = 4 (Shafahi et al. 2019)",
         "pgd": "PGD-AT, 7 steps (Madry et al. 2018)", "trades": "TRADES, beta = 6 (Zhang et al. 2019)",
         "mart": "MART, beta = 6 (Wang et al. 2020)"}


def train(method, eps, seed, cache, batch_size=128, lr=1e-3):
    epochs, settings = RECIPES[method]
    recipe = dict(method=method, eps=eps, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, **settings)
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    path = os.path.join(cache, f"fashion_cnn-{method}-{key}.pt")
    x, y = bw.data.fashion_mnist("train")
    xt, yt = bw.data.fashion_mnist("test")
    g = torch.Generator().manual_seed(seed)
    train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                               shuffle=True, generator=g)
    # Validation on test images 5000..5999, disjoint from the evaluated ones.
    val_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt[5000:6000], yt[5000:6000]),
                                             batch_size=500)
    torch.manual_seed(seed)
    net = bw.models.fashion_cnn(pretrained=False, seed=seed).train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    trainer = bw.defenses.AdversarialTrainer(net, opt, method=method, eps=eps, epochs=epochs, seed=seed,
                                             checkpoint=path, progress=True, **settings)
    history = trainer.fit(train_loader, val_loader)
    return net.eval(), history, recipe


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="test images evaluated (the first n)")
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--methods", default="standard,fast,free,pgd,trades")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=os.path.join(os.environ.get("BULWARK_CACHE_DIR") or
                                                    os.path.expanduser("~/.cache/bulwark"), "robustness"))
    ap.add_argument("--out", default="docs/robustness_table.md")
    ap.add_argument("--json", default="docs/results/robustness_fashion.json")
    ap.add_argument("--table-only", action="store_true", help="only rewrite --out from the results in --json")
    args = ap.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in RECIPES:
            ap.error(f"--methods: unknown method {m!r}; known: {', '.join(RECIPES)}")
    xt, yt = bw.data.fashion_mnist("test")
    x, y = xt[:args.n], yt[:args.n]
    eps = args.eps
    results = {}
    if os.path.exists(args.json):
        with open(args.json) as f:
            results = json.load(f).get("results", {})
    if args.table_only:
        methods = []
    for method in methods:
        net, history, recipe = train(method, eps, args.seed, args.cache)
        attacks = {
            "FGSM": bw.attacks.FGSM(eps=eps),
            "PGD-40": bw.attacks.PGD(eps=eps, steps=40, seed=args.seed),
            "AutoAttack": bw.attacks.AutoAttack(eps=eps, version="standard", seed=args.seed),
        }
        t0 = time.perf_counter()
        ev = bw.attacks.evaluate(bw.Classifier(net), (x, y), attacks)
        results[method] = {
            "recipe": recipe,
            "history": history,
            "train_seconds": sum(h["seconds"] for h in history),
            "clean": ev.clean_accuracy,
            "robust": ev.robust_accuracy,
            "attack_seconds": ev.seconds,
            "eval_seconds": time.perf_counter() - t0,
        }
        print(f"{method}: {ev}", flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "eps": eps, "seed": args.seed, "threads": torch.get_num_threads(),
                       "results": results}, f, indent=1)
    write_table(args, results)


def write_table(args, results):
    order = [m for m in RECIPES if m in results]
    base = results.get("pgd", {}).get("train_seconds")
    lines = [
        f"| method | epochs | clean | FGSM | PGD-40 | AutoAttack | train time (s) | time / PGD-AT |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in order:
        r = results[m]
        ratio = f"{r['train_seconds'] / base:.2f}" if base else "—"
        rob = r["robust"]
        lines.append(f"| {NAMES[m]} | {r['recipe']['epochs']} | {100 * r['clean']:.1f}% | {100 * rob['FGSM']:.1f}% | "
                     f"{100 * rob['PGD-40']:.1f}% | {100 * rob['AutoAttack']:.1f}% | {r['train_seconds']:.0f} | "
                     f"{ratio} |")
    text = (f"<!-- generated by: /usr/bin/python3 experiments/robustness_table.py --n {args.n} --eps {args.eps} -->\n"
            f"FashionCNN on Fashion-MNIST, L-inf eps = {args.eps}, the first {args.n} test images; robust accuracy "
            f"under each attack (AutoAttack: APGD-CE, APGD-T, FAB-T, Square, standard version). Training: "
            f"Adam lr 1e-3, batch 128, seed {args.seed}, on {torch.get_num_threads()} CPU threads.\n\n"
            + "\n".join(lines) + "\n")
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
