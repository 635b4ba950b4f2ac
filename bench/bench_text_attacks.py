"""PWWS on the 1D-CNN spam filter: bulwark (batched, cached candidate scoring in C++) against a
straightforward Python PWWS that scores one candidate text per model call
(bench/reference_pwws.py), side by side in one run, e-mail by e-mail alternately, on the same
correctly classified test e-mails. The two implement the same recipe, so they must reach the
same outcome on every e-mail; the bench checks it.

    /usr/bin/python3 bench/bench_text_attacks.py [--n 20] [--arch cnn]
"""

import argparse
import os
import sys
import time

import torch

import bulwark as bw

bw.runtime.tune()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_pwws import ReferencePWWS  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--arch", default="cnn", choices=["bag", "cnn"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    spam = bw.models.spam_filter(args.arch, progress=False)
    texts, labels, _ = bw.data.spam_assassin("test")
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(args.seed)).tolist()
    pred = spam.predict(texts)
    chosen = [i for i in order if int(pred[i]) == int(labels[i])][: args.n]

    ref = ReferencePWWS(spam, bw.text.WordNet(), bw.text.STOPWORDS)
    attack = bw.text.PWWS()
    t_ours = t_ref = 0.0
    ours_ok = ref_ok = agree = queries_ours = 0
    for i in chosen:
        t0 = time.perf_counter()
        r = attack.run(spam, [texts[i]], [int(labels[i])], progress=False)[0]
        t_ours += time.perf_counter() - t0
        t0 = time.perf_counter()
        status, words = ref.attack(texts[i], int(labels[i]))
        t_ref += time.perf_counter() - t0
        ours_ok += r.status == "success"
        ref_ok += status == "success"
        queries_ours += r.queries
        agree += status == r.status and (status != "success" or words == list(r.adversarial_words))
    n = len(chosen)
    print(f"PWWS on the {args.arch} spam filter, {n} e-mails, {torch.get_num_threads()} threads")
    print(f"  bulwark   : {t_ours / n:8.3f} s/e-mail, success {100 * ours_ok / n:5.1f}%, "
          f"{queries_ours / n:7.0f} texts scored per e-mail")
    print(f"  reference : {t_ref / n:8.3f} s/e-mail, success {100 * ref_ok / n:5.1f}%, "
          f"{ref.queries / n:7.0f} model calls per e-mail (one text each)")
    print(f"  speed-up  : {t_ref / t_ours:.1f}x; same outcome and same words on {agree}/{n} e-mails")

    # The ceiling batching alone can give on this victim: the model's cost per text in a batch
    # against one text per call, 256 tokens, best of a few repeats.
    def per_text(batch, reps):
        ids = torch.randint(2, len(spam.vocabulary), (batch, 256), generator=torch.Generator().manual_seed(0))
        best = float("inf")
        with torch.no_grad():
            spam.model(ids)
            for _ in range(reps):
                t0 = time.perf_counter()
                spam.model(ids)
                best = min(best, time.perf_counter() - t0)
        return best / batch

    single, batched = per_text(1, 50), per_text(256, 5)
    print(f"  model     : {1000 * single:.3f} ms per text alone, {1000 * batched:.3f} ms per text in a batch "
          f"of 256 (256 tokens): batching alone can give at most {single / batched:.1f}x")


if __name__ == "__main__":
    main()
