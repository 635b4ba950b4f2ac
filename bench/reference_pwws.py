"""A straightforward Python PWWS (Ren et al. 2019) that scores one candidate text per model call,
as OpenAttack-style implementations do: each candidate is a text (the words joined by spaces)
that goes through the filter's own text -> probabilities path (tokenize, look up, forward,
softmax). The baseline for bench_text_attacks.py.

Same recipe and constraints as ``bw.text.PWWS``: WordNet single-word synonyms, stopwords skipped,
one candidate per distinct token id (out-of-vocabulary synonyms all read as <unk>: the first is
kept), at most max(1, floor(0.2 * words)) words changed, untargeted.
"""

import math

import torch


class ReferencePWWS:
    def __init__(self, spam_filter, wordnet, stopwords, max_change_fraction=0.2):
        self.model, self.vocab, self.tok = spam_filter.model, spam_filter.vocabulary, spam_filter.tokenizer
        self.max_len, self.wordnet, self.stopwords = spam_filter.max_len, wordnet, set(stopwords)
        self.fraction = max_change_fraction
        # The text of a word replaced by <unk>: "<unk>" reads as the token "unk", which must be
        # outside the vocabulary so the model sees <unk>.
        if "unk" in self.vocab:
            raise ValueError("ReferencePWWS: 'unk' is in the vocabulary; pick another placeholder")
        self.queries = 0

    def prob(self, words, y):
        """P(. | text) for the candidate text " ".join(words): one forward for one text."""
        self.queries += 1
        tokens = self.tok(" ".join(words))[: self.max_len]
        ids = torch.tensor([self.vocab.encode(tokens)], dtype=torch.long)
        with torch.no_grad():
            return torch.softmax(self.model(ids).float(), 1)[0].tolist()

    def attack(self, text, y):
        words = self.tok(text)[: self.max_len]
        if not words:
            return "skipped", words
        p = self.prob(words, y)
        if max(range(len(p)), key=p.__getitem__) != y:
            return "skipped", words
        base = 1.0 - p[y]
        max_changes = max(1, math.floor(self.fraction * len(words) + 1e-9))
        positions = [i for i, w in enumerate(words) if w not in self.stopwords]
        saliency, best = [], []
        for i in positions:
            saliency.append((1.0 - self.prob(words[:i] + ["<unk>"] + words[i + 1:], y)[y]) - base)
            own = self.vocab.encode([words[i]])[0]
            seen, top = set(), None
            for s in self.wordnet.synonyms(words[i]):
                if "_" in s or self.tok(s) != [s]:
                    continue
                sid = self.vocab.encode([s])[0]
                if sid == own or sid in seen:
                    continue
                seen.add(sid)
                gain = (1.0 - self.prob(words[:i] + [s] + words[i + 1:], y)[y]) - base
                if top is None or gain > top[0]:
                    top = (gain, s)
            best.append(top)
        if not positions:
            return "failure", words
        m = max(saliency)
        z = sum(math.exp(s - m) for s in saliency)
        order = sorted(((math.exp(s - m) / z * b[0], k) for k, (s, b) in enumerate(zip(saliency, best))
                        if b is not None), key=lambda t: -t[0])
        adv = list(words)
        for changes, (_, k) in enumerate(order):
            if changes >= max_changes:
                break
            adv[positions[k]] = best[k][1]
            p = self.prob(adv, y)
            if max(range(len(p)), key=p.__getitem__) != y:
                return "success", adv
        return "failure", adv
