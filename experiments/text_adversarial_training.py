"""Adversarial training of the SpamAssassin spam filter in embedding space (FreeLB, Zhu et al.
2020) against standard training: the same model, data, optimizer and seed, trained with the
plain cross-entropy or with bw.defenses.freelb_loss; evaluated by clean test accuracy and by
accuracy under an L2 PGD attack on the token embeddings (bw.attacks.PGD, no random start, the
perturbation acting on the tokens only), at several radii.

    /usr/bin/python3 experiments/text_adversarial_training.py [--arch bag] [--epochs 5]
        [--train-eps 4] [--eval-eps 2,5,10]

(Augmentation with token-attack examples comes with the token attacks, issue 5.)
"""

import argparse
import math
import time

import torch
import torch.nn.functional as F

import bulwark as bw


def encode(spam, split):
    texts, labels, _ = bw.data.spam_assassin(split)
    ids, _ = spam.encode(texts)
    return ids, labels


def train(arch, shape, ids, y, method, args):
    torch.manual_seed(args.seed)
    net = (bw.models.EmbeddingBagClassifier if arch == "bag" else bw.models.TextCNN)(**shape).train()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    step = 0
    for _ in range(args.epochs):
        order = torch.randperm(len(ids), generator=g)
        for i in range(0, len(ids), args.batch_size):
            idx = order[i:i + args.batch_size]
            if method == "freelb":
                loss = bw.defenses.freelb_loss(net, ids[idx], y[idx], steps=args.steps,
                                               step_size=args.train_eps / 2, init_mag=args.train_eps / 10,
                                               max_norm=args.train_eps, seed=args.seed * 1_000_003 + step)
            else:
                loss = F.cross_entropy(net(ids[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    return net.eval()


def robust_accuracy(net, ids, y, eps, steps=20, batch=200):
    """Accuracy under L2 PGD on the embeddings of each text's tokens (padding positions carry no
    perturbation: the model masks them, and PGD starts at the clean embeddings)."""
    correct = 0
    for i in range(0, len(ids), batch):
        b_ids, b_y = ids[i:i + batch], y[i:i + batch]
        mask = b_ids.ne(0).float()
        with torch.no_grad():
            e = net.embed(b_ids)
        clf = bw.Classifier(lambda emb: net.forward_embedded(emb, mask), bounds=(-math.inf, math.inf))
        if eps == 0:
            pred = clf.predict(e)
        else:
            adv = bw.attacks.PGD(eps=eps, norm="l2", steps=steps, random_start=False)(clf, e, b_y)
            pred = clf.predict(adv)
        correct += int((pred == b_y).sum())
    return correct / len(ids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="bag", choices=["bag", "cnn"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--steps", type=int, default=3, help="FreeLB ascent steps K")
    ap.add_argument("--train-eps", type=float, default=4.0, help="FreeLB max_norm (L2, per text)")
    ap.add_argument("--eval-eps", default="2,5,10")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    eval_eps = [0.0] + [float(e) for e in args.eval_eps.split(",")]
    spam = bw.models.spam_filter(arch=args.arch, progress=False)  # tokenizer + vocabulary
    ids, y = encode(spam, "train")
    ids_t, y_t = encode(spam, "test")
    shape = {"vocab_size": len(spam.vocabulary)}
    rows = []
    for method in ("standard", "freelb"):
        t0 = time.perf_counter()
        net = train(args.arch, shape, ids, y, method, args)
        seconds = time.perf_counter() - t0
        rows.append((method, seconds, [robust_accuracy(net, ids_t, y_t, e) for e in eval_eps]))
    print(f"SpamAssassin, {args.arch} model, {len(ids)} training / {len(ids_t)} test texts, {args.epochs} epochs, "
          f"FreeLB K = {args.steps}, max_norm = {args.train_eps}\n")
    print("| training | time (s) | " + " | ".join("clean" if e == 0 else f"L2 PGD-20, eps {e:g}" for e in eval_eps)
          + " |")
    print("|---|---:|" + "---:|" * len(eval_eps))
    for method, seconds, accs in rows:
        print(f"| {method} | {seconds:.0f} | " + " | ".join(f"{100 * a:.1f}%" for a in accs) + " |")


if __name__ == "__main__":
    main()
