"""Adversarial training of the SpamAssassin spam filter: standard training against FreeLB
(embedding-space PGD, Zhu et al. 2020) and against augmentation with token-attack examples
(TextAttack's recipe, Morris et al. 2020): the same model, data, optimizer and seed. Each model
is evaluated by clean test accuracy, accuracy under an L2 PGD attack on the token embeddings at
several radii (bw.attacks.PGD, no random start, the perturbation on the tokens only), and
accuracy under PWWS and greedy HotFlip on the same --eval-texts test e-mails.

    /usr/bin/python3 experiments/text_adversarial_training.py [--arch bag] [--epochs 5]
        [--methods standard,freelb,pwws-aug,hotflip-aug] [--train-eps 4] [--eval-eps 2,5,10]
        [--clean-epochs 1] [--adv-examples 1000] [--eval-texts 400] [--out docs/text_adversarial_training_table.md]

Augmentation: after --clean-epochs clean epochs, every epoch starts by attacking --adv-examples
training texts (a fresh seeded draw) with the epoch's model and trains on the training set plus
the successful adversarial texts under their true labels (bw.defenses.attack_augmentation);
each round's examples replace the last round's.
"""

import argparse
import math
import os
import time
import warnings

import torch
import torch.nn.functional as F

import bulwark as bw

bw.runtime.tune()

AUGMENTATION = {"pwws-aug": ("PWWS augmentation", lambda: bw.text.PWWS()),
                "hotflip-aug": ("HotFlip (greedy) augmentation",
                                lambda: bw.text.HotFlip(beam_width=1, flips_per_state=1))}
NAMES = {"standard": "standard", "freelb": "FreeLB", **{k: v[0] for k, v in AUGMENTATION.items()}}
EVAL_ATTACKS = {"PWWS": lambda: bw.text.PWWS(),
                "HotFlip": lambda: bw.text.HotFlip(beam_width=1, flips_per_state=1)}


def pad_to(ids, width):
    return F.pad(ids, (0, width - ids.shape[1]))


def train(spam, texts, ids, y, method, args, log):
    torch.manual_seed(args.seed)
    shape = {"vocab_size": len(spam.vocabulary)}
    net = (bw.models.EmbeddingBagClassifier if args.arch == "bag" else bw.models.TextCNN)(**shape).train()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    step = 0
    for epoch in range(args.epochs):
        x, t = ids, y
        if method in AUGMENTATION and epoch >= args.clean_epochs:
            victim = bw.text.Victim(net, spam.vocabulary, spam.tokenizer, spam.max_len)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # long e-mails: attacked on their first max_len words
                aug = bw.defenses.attack_augmentation(victim, AUGMENTATION[method][1](), texts, y,
                                                      examples=min(args.adv_examples, len(texts)),
                                                      seed=args.seed * 1_000_003 + epoch, progress=False)
            log(f"  {method} epoch {epoch + 1}: {len(aug)} adversarial examples from {len(aug.results)} texts")
            width = max(ids.shape[1], aug.ids.shape[1]) if len(aug) else ids.shape[1]
            x = torch.cat([pad_to(ids, width), pad_to(aug.ids, width)]) if len(aug) else ids
            t = torch.cat([y, aug.labels])
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), args.batch_size):
            idx = order[i:i + args.batch_size]
            if method == "freelb":
                loss = bw.defenses.freelb_loss(net, x[idx], t[idx], steps=args.steps,
                                               step_size=args.train_eps / 2, init_mag=args.train_eps / 10,
                                               max_norm=args.train_eps, seed=args.seed * 1_000_003 + step)
            else:
                loss = F.cross_entropy(net(x[idx]), t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    return net.eval()


def embedding_pgd_accuracy(net, ids, y, eps, steps=20, batch=200):
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


def token_attack_accuracy(spam, net, texts, labels, attack):
    """(accuracy under attack, success rate) on the given e-mails; e-mails the model already gets
    wrong count as errors and are not attacked."""
    victim = bw.text.Victim(net, spam.vocabulary, spam.tokenizer, spam.max_len)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # long e-mails: attacked on their first max_len words
        s = bw.text.TextAttackResults(attack.run(victim, texts, labels, progress=False)).summary()
    return s.accuracy_under_attack, s.success_rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="bag", choices=["bag", "cnn"])
    ap.add_argument("--methods", default="standard,freelb,pwws-aug,hotflip-aug")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--steps", type=int, default=3, help="FreeLB ascent steps K")
    ap.add_argument("--train-eps", type=float, default=4.0, help="FreeLB max_norm (L2, per text)")
    ap.add_argument("--clean-epochs", type=int, default=1, help="augmentation: clean epochs first")
    ap.add_argument("--adv-examples", type=int, default=1000, help="augmentation: texts attacked per epoch")
    ap.add_argument("--eval-eps", default="2,5,10")
    ap.add_argument("--eval-texts", type=int, default=400, help="test e-mails under the token attacks")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="also write the table (markdown) here")
    args = ap.parse_args()
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in NAMES]
    if unknown:
        ap.error(f"unknown methods {unknown}; choose from {', '.join(NAMES)}")
    eval_eps = [0.0] + [float(e) for e in args.eval_eps.split(",")]
    spam = bw.models.spam_filter(arch=args.arch, progress=False)  # tokenizer + vocabulary
    texts, y, _ = bw.data.spam_assassin("train")
    ids, _ = spam.encode(texts)
    texts_t, y_t, _ = bw.data.spam_assassin("test")
    ids_t, _ = spam.encode(texts_t)
    pick = torch.randperm(len(texts_t), generator=torch.Generator().manual_seed(args.seed))[:args.eval_texts]
    eval_texts, eval_labels = [texts_t[i] for i in pick.tolist()], y_t[pick].tolist()

    rows = []
    for method in methods:
        t0 = time.perf_counter()
        net = train(spam, texts, ids, y, method, args, lambda s: print(s, flush=True))
        seconds = time.perf_counter() - t0
        pgd = [embedding_pgd_accuracy(net, ids_t, y_t, e) for e in eval_eps]
        tokens = [token_attack_accuracy(spam, net, eval_texts, eval_labels, make()) for make in EVAL_ATTACKS.values()]
        rows.append((method, seconds, pgd, tokens))
        print(f"{method}: {seconds:.0f} s, " + ", ".join(f"{100 * a:.1f}%" for a in pgd) + ", "
              + ", ".join(f"{100 * a:.1f}% ({100 * s:.1f}% success)" for a, s in tokens), flush=True)

    lines = [f"<!-- generated by: /usr/bin/python3 experiments/text_adversarial_training.py --arch {args.arch} "
             f"--epochs {args.epochs} --seed {args.seed} --adv-examples {args.adv_examples} "
             f"--eval-texts {args.eval_texts} -->",
             f"SpamAssassin, {args.arch} model, {len(ids)} training / {len(ids_t)} test texts, {args.epochs} epochs, "
             f"FreeLB K = {args.steps}, max_norm = {args.train_eps}; augmentation from epoch "
             f"{args.clean_epochs + 1}, {args.adv_examples} texts attacked per epoch. Accuracy on all test texts "
             f"(clean, embedding PGD) and on {args.eval_texts} test e-mails under the token attacks (success rate "
             "over the e-mails the model got right in brackets); at most 20% of the words change.", "",
             "| training | time (s) | " + " | ".join("clean" if e == 0 else f"L2 PGD-20, ε {e:g}" for e in eval_eps)
             + " | " + " | ".join(EVAL_ATTACKS) + " |",
             "|---|---:|" + "---:|" * (len(eval_eps) + len(EVAL_ATTACKS))]
    for method, seconds, pgd, tokens in rows:
        lines.append(f"| {NAMES[method]} | {seconds:.0f} | " + " | ".join(f"{100 * a:.1f}%" for a in pgd) + " | "
                     + " | ".join(f"{100 * a:.1f}% ({100 * s:.0f}%)" for a, s in tokens) + " |")
    print("\n" + "\n".join(lines))
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
