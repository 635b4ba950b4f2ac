"""Text tools for text classifiers and token attacks: a tokenizer, a vocabulary and WordNet.

    tok = bw.text.Tokenizer()
    vocab = bw.text.Vocabulary.build([tok(t) for t in texts], min_freq=2)
    ids, truncated = vocab.encode_batch([tok(t) for t in texts], max_len=256)
    bw.text.WordNet().synonyms("buy", pos="v")

Attack results carry their edits as spans (``result.edits``, ``result.excerpt()``), and
:func:`render_edits` marks them for a terminal, HTML or Markdown.
"""

import os
import warnings

import torch

from . import _core
from ._convert import check_bool, check_int, check_real, check_str
from ._options import WithOptions, make_options
from ._progress import count_bar

_text = _core.text


class Tokenizer:
    """Lower-case word tokens (ASCII letters, digits and non-ASCII bytes; apostrophes inside words,
    as in "don't"). ASCII punctuation separates words and is dropped, or with
    ``keep_punctuation=True`` kept as one-character tokens."""

    def __init__(self, lowercase=True, keep_punctuation=False):
        self._impl = _text.Tokenizer(check_bool(lowercase, "Tokenizer", "lowercase"),
                                     check_bool(keep_punctuation, "Tokenizer", "keep_punctuation"))

    def __call__(self, text):
        """The tokens of one text (list of str)."""
        return self._impl.tokenize(check_str(text, "Tokenizer", "text"))

    tokenize = __call__

    def batch(self, texts):
        """Tokens of many texts, tokenized in parallel in C++."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise _core.ArgumentTypeError("Tokenizer.batch: texts must be a list of str")
        return self._impl.tokenize_batch(list(texts))

    def __repr__(self):
        return repr(self._impl)


class Vocabulary:
    """Token <-> id. Id 0 is ``<pad>``, id 1 is ``<unk>`` (unknown tokens encode to it)."""

    PAD, UNK = 0, 1

    def __init__(self, tokens=()):
        self._impl = _text.Vocabulary(_tokens(tokens, "Vocabulary", "tokens"))

    @classmethod
    def build(cls, documents, min_freq=1, max_size=None):
        """Tokens seen at least ``min_freq`` times, most frequent first (ties alphabetical), at
        most ``max_size`` entries including ``<pad>`` and ``<unk>``."""
        fn = "Vocabulary.build"
        docs = [_tokens(d, fn, "documents[i]") for d in documents]
        min_freq = check_int(min_freq, fn, "min_freq")
        max_size = -1 if max_size is None else check_int(max_size, fn, "max_size")
        return cls._wrap(_text.Vocabulary.build(docs, min_freq, max_size))

    @classmethod
    def load(cls, path):
        """A vocabulary saved with :meth:`save` (one token per line)."""
        return cls._wrap(_text.Vocabulary.load(os.fspath(path)))

    @classmethod
    def _wrap(cls, impl):
        self = cls.__new__(cls)
        self._impl = impl
        return self

    def save(self, path):
        self._impl.save(os.fspath(path))

    def __len__(self):
        return len(self._impl)

    def __contains__(self, token):
        return isinstance(token, str) and token in self._impl

    @property
    def tokens(self):
        return self._impl.tokens

    def encode(self, tokens):
        return self._impl.encode(_tokens(tokens, "Vocabulary.encode", "tokens"))

    def decode(self, ids, skip_pad=True):
        ids = [check_int(i, "Vocabulary.decode", "ids[i]") for i in ids]
        return self._impl.decode(ids, check_bool(skip_pad, "Vocabulary.decode", "skip_pad"))

    def encode_batch(self, documents, max_len=256):
        """``(ids, truncated)``: ids an int64 tensor ``(N, L)`` padded with 0, L the longest
        document after cutting each to ``max_len`` tokens; ``truncated`` how many were cut."""
        fn = "Vocabulary.encode_batch"
        docs = [_tokens(d, fn, "documents[i]") for d in documents]
        return self._impl.encode_batch(docs, check_int(max_len, fn, "max_len"))

    def __repr__(self):
        return repr(self._impl)


class WordNet:
    """WordNet 3.0 from Debian's ``wordnet-base`` (``/usr/share/wordnet`` or
    ``$BULWARK_WORDNET_DIR``), parsed once per process in C++.

    ``pos``: ``"n"``, ``"v"``, ``"a"`` or ``"r"``; ``None`` for all four."""

    def __init__(self, dir=None):
        if dir is not None and not isinstance(dir, (str, os.PathLike)):
            raise _core.ArgumentTypeError(f"WordNet: dir must be a path, got {type(dir).__name__}")
        self._impl = _text.WordNet("" if dir is None else os.fspath(dir))

    def synonyms(self, word, pos=None):
        """Lemmas sharing a synset with ``word`` or one of its base forms (sorted, lower-case,
        multiword lemmas with ``_``), without ``word`` itself."""
        return self._impl.synonyms(check_str(word, "WordNet.synonyms", "word"),
                                   "" if pos is None else check_str(pos, "WordNet.synonyms", "pos"))

    def base_forms(self, word, pos):
        """WordNet's morphy: base forms of ``word`` that are lemmas of ``pos``."""
        return self._impl.base_forms(check_str(word, "WordNet.base_forms", "word"),
                                     check_str(pos, "WordNet.base_forms", "pos"))

    def parts_of_speech(self, word):
        return self._impl.parts_of_speech(check_str(word, "WordNet.parts_of_speech", "word"))

    def __len__(self):
        return len(self._impl)

    def __repr__(self):
        return repr(self._impl)


def _tokens(tokens, fn, name):
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be a list of str tokens")
    return list(tokens)


# --- token- and character-level attacks ---------------------------------------------------------

STOPWORDS = frozenset(_text.default_stopwords())


class Victim:
    """A text classifier under attack: ``model`` maps int64 token ids ``(N, L)`` (0 = padding) to
    logits ``(N, K)``, and ``vocabulary``/``tokenizer``/``max_len`` turn texts into those ids.

    ``model`` is an ``nn.Module``, a TorchScript module or any callable; it is white-box (HotFlip,
    embedding-based candidates and constraints work) when it has an ``embedding`` with a
    ``weight`` and a method ``forward_embedded(embeddings, mask)``, as bulwark's text models do.
    Or ``bw.text.Victim.from_torchscript(path, ...)`` runs a saved TorchScript module in C++.
    Every text the attacks score is counted in :meth:`queries`.
    """

    def __init__(self, model, vocabulary, tokenizer=None, max_len=256):
        fn = "Victim"
        tokenizer, vocabulary, max_len = _encoding(fn, vocabulary, tokenizer, max_len)
        self._impl = _text.PythonTextVictim(model, vocabulary._impl, tokenizer._impl, max_len)
        self.vocabulary, self.tokenizer, self.max_len = vocabulary, tokenizer, max_len

    @classmethod
    def from_torchscript(cls, path, vocabulary, tokenizer=None, max_len=256):
        """A TorchScript file (``torch.jit.save``) run from C++, without Python in the loop."""
        tokenizer, vocabulary, max_len = _encoding("Victim.from_torchscript", vocabulary, tokenizer, max_len)
        self = cls.__new__(cls)
        self._impl = _text.TorchScriptTextVictim(os.fspath(path), vocabulary._impl, tokenizer._impl, max_len)
        self.vocabulary, self.tokenizer, self.max_len = vocabulary, tokenizer, max_len
        return self

    @property
    def white_box(self):
        return self._impl.white_box

    def logits(self, ids):
        """Logits for ids ``(N, L)`` int64 (counted as N queries)."""
        if not isinstance(ids, torch.Tensor):
            raise _core.ArgumentTypeError(f"Victim.logits: ids must be a torch.Tensor, got {type(ids).__name__}")
        return self._impl.logits(ids)

    def queries(self):
        return self._impl.queries()

    def reset_queries(self):
        self._impl.reset_queries()

    def __repr__(self):
        return repr(self._impl)


def as_victim(victim, fn="attack"):
    """A :class:`Victim` from a Victim or a ``bw.models.SpamFilter``."""
    if isinstance(victim, Victim):
        return victim
    if all(hasattr(victim, a) for a in ("model", "vocabulary", "tokenizer", "max_len")):
        return Victim(victim.model, victim.vocabulary, victim.tokenizer, victim.max_len)
    raise _core.ArgumentTypeError(f"{fn}: victim must be a bw.text.Victim or a bw.models.SpamFilter, got "
                    f"{type(victim).__name__}")


def _encoding(fn, vocabulary, tokenizer, max_len):
    if not isinstance(vocabulary, Vocabulary):
        raise _core.ArgumentTypeError(f"{fn}: vocabulary must be a bw.text.Vocabulary, got {type(vocabulary).__name__}")
    tokenizer = Tokenizer() if tokenizer is None else tokenizer
    if not isinstance(tokenizer, Tokenizer):
        raise _core.ArgumentTypeError(f"{fn}: tokenizer must be a bw.text.Tokenizer or None, got {type(tokenizer).__name__}")
    return tokenizer, vocabulary, check_int(max_len, fn, "max_len")


def _warn_truncated(fn, victim, results):
    cut = sum(r.truncated for r in results)
    if cut:
        warnings.warn(f"{fn}: {cut} of {len(results)} texts have more than max_len = {victim.max_len} "
                      f"tokens; they were attacked on their first {victim.max_len} words and the rest "
                      "kept as it was (result.truncated)", stacklevel=3)


class TextAttackResults(list):
    """One :class:`TextAttackResult` per text, plus the metrics over them."""

    def summary(self, budgets=None):
        """Success rate (over texts classified correctly before the attack), accuracy under
        attack, mean % of words changed on successes, mean queries and seconds per attacked text,
        and the success-vs-query-budget curve (``budgets``, ``success_curve``)."""
        budgets = [] if budgets is None else [check_int(b, "summary", "budgets[i]") for b in budgets]
        return _text.summarize(list(self), budgets)

    def by_label(self, budgets=None):
        """``{label: summary}`` for the texts of each true label (e.g. spam -> ham is label 1)."""
        labels = sorted({r.label for r in self})
        return {y: TextAttackResults(r for r in self if r.label == y).summary(budgets) for y in labels}

    def successes(self):
        return TextAttackResults(r for r in self if r.status == "success")

    def show(self, i=None, format="terminal"):
        """Print the edits of result ``i`` (or of every success) marked in the text."""
        for r in (self.successes() if i is None else [self[i]]):
            print(f"[{r.status}] label {r.label}: {r.original_prediction} -> {r.adversarial_prediction}"
                  f" ({len(r.modified)}/{r.num_words} words, {r.queries} queries)")
            print(r.render(format))
            print()

    def _repr_html_(self):
        rows = []
        for r in self.successes()[:20]:
            x = r.excerpt(context=500, length=3000)
            rows.append(f"<tr><td>{r.label}&rarr;{r.adversarial_prediction}</td>"
                        f"<td style='white-space:pre-wrap'>{'&hellip;' if x.cut_start else ''}{x.render('html')}"
                        f"{'&hellip;' if x.cut_end else ''}</td></tr>")
        s = self.summary()
        head = (f"<p>{s.successes} successes, {s.failures} failures, {s.skipped} skipped; "
                f"success rate {100 * s.success_rate:.1f}%</p>")
        return head + "<table>" + "".join(rows) + "</table>"


class _TextAttack(WithOptions):
    """Shared by the token attacks: the constraints and :meth:`run`. Each attack's options are
    its C++ Options struct (``bulwark._core.text.<Name>Options``): names, defaults and checks
    live in C++ (bulwark/_options.py) and read back as attributes (``atk.seed``...)."""

    _NAME = "TextAttack"
    _PYTHON_ONLY = ()  # arguments of the C++ constructor besides its options

    def __init__(self, *, max_change_fraction=0.2, min_cosine=None, query_budget=None,
                 skip_stopwords=True, stopwords=None, same_pos=True, targeted=False,
                 batch_size=256, seed=None, **extra):
        arguments = {k: v for k, v in locals().items() if k not in ("self", "extra", "__class__")}
        own = {k: extra.pop(k) for k in self._PYTHON_ONLY}
        arguments.update(extra)
        options = make_options(getattr(_text, f"{self._NAME}Options"), arguments)
        self._impl = getattr(_text, self._NAME)(options, **own)
        options.seed = self._impl.seed  # the one resolved
        self._options = options

    @property
    def options(self):
        return self._options

    def run(self, victim, texts, labels, progress=True):
        """Attack each text; ``labels`` are the true labels (the targets when ``targeted``).
        Returns :class:`TextAttackResults`. Texts the victim already gets wrong and texts
        without a token are ``"skipped"``; texts longer than the victim's ``max_len`` are attacked
        on their first ``max_len`` words (``result.truncated``)."""
        fn = f"{self._NAME}.run"
        victim, texts, labels = self._inputs(fn, victim, texts, labels)
        with count_bar(self._NAME, len(texts), check_bool(progress, fn, "progress")) as bar:
            results = self._impl.run(victim._impl, texts, labels, bar)
        _warn_truncated(fn, victim, results)
        return TextAttackResults(results)

    @staticmethod
    def _inputs(fn, victim, texts, labels):
        """The checked (Victim, list of str, list of int) behind run()'s arguments."""
        victim = as_victim(victim, fn)
        if isinstance(texts, str):
            texts = [texts]
            labels = [labels] if not isinstance(labels, (list, tuple, torch.Tensor)) else labels
        if not all(isinstance(t, str) for t in texts):
            raise _core.ArgumentTypeError(f"{fn}: texts must be a list of str")
        if isinstance(labels, torch.Tensor):
            labels = labels.tolist()
        labels = [check_int(y, fn, "labels[i]") for y in labels]  # values: C++ checks them
        if len(labels) != len(texts):
            raise _core.InvalidArgumentError(f"{fn}: got {len(texts)} texts but {len(labels)} labels")
        return victim, list(texts), labels

    __call__ = run


class PWWS(_TextAttack):
    """Probability Weighted Word Saliency (Ren et al. 2019): words ordered by
    softmax(saliency) x best-candidate gain, replaced greedily. ``candidates``: ``"wordnet"``
    (default), ``"filtered"`` (WordNet synonyms in the vocabulary ranked by the victim's
    embedding cosine), ``"embedding"`` (nearest tokens) or a callable word -> list of words."""

    _NAME = "PWWS"
    _PYTHON_ONLY = ("candidates", "max_candidates", "candidate_cosine")

    def __init__(self, candidates="wordnet", max_candidates=50, candidate_cosine=0.0, **kwargs):
        super().__init__(candidates=candidates, max_candidates=check_int(max_candidates, "PWWS", "max_candidates"),
                         candidate_cosine=check_real(candidate_cosine, "PWWS", "candidate_cosine"), **kwargs)


class TextFooler(_TextAttack):
    """TextFooler-style greedy substitution (Jin et al. 2020): deletion importance, then for each
    word the ``max_candidates`` WordNet synonyms in the vocabulary closest in the victim's
    embedding space (cosine at least ``candidate_cosine``; -1: ranked, not filtered). Counter-fitted vectors and USE are not available offline:
    pass ``candidates=`` a callable word -> list of words to use a better source."""

    _NAME = "TextFooler"
    _PYTHON_ONLY = ("candidates",)

    def __init__(self, candidates="filtered", max_candidates=50, candidate_cosine=-1.0, **kwargs):
        super().__init__(candidates=candidates, max_candidates=max_candidates, candidate_cosine=candidate_cosine,
                         **kwargs)


class HotFlip(_TextAttack):
    """HotFlip (Ebrahimi et al. 2018) at the word level: first-order flip gains
    g_i . (E_b - E_a) for all positions and tokens from one backward pass, beam search with real
    forwards. Needs a white-box victim. ``candidates``: ``"vocabulary"``, ``"wordnet"`` or
    ``"embedding"`` (``neighbours`` nearest tokens)."""

    _NAME = "HotFlip"

    def __init__(self, beam_width=5, flips_per_state=5, candidates="vocabulary", neighbours=50, **kwargs):
        super().__init__(beam_width=beam_width, flips_per_state=flips_per_state, candidates=candidates,
                         neighbours=neighbours, **kwargs)

    @staticmethod
    def gains(victim, ids, label, targeted=False):
        """First-order margin gains ``(L, V)`` of every flip of the text ``ids`` ``(1, L)``."""
        victim = as_victim(victim, "HotFlip.gains")
        return _text.hotflip_gains(victim._impl, ids, check_int(label, "HotFlip.gains", "label"),
                                   check_bool(targeted, "HotFlip.gains", "targeted"))


class DeepWordBug(_TextAttack):
    """DeepWordBug (Gao et al. 2018): words ranked by ``scoring`` (``"replace1"``, ``"head"``,
    ``"tail"`` or ``"combined"``), then single-character ``edits`` (swap, substitute, delete,
    insert) within ``max_edit_distance``. On a word-vocabulary victim an edited word reads as
    ``<unk>`` unless it lands on another vocabulary word."""

    _NAME = "DeepWordBug"

    def __init__(self, scoring="combined", lambda_=1.0, edits=("swap", "substitute", "delete", "insert"),
                 max_edit_distance=30, same_pos=False, **kwargs):
        super().__init__(scoring=scoring, lambda_=lambda_, edits=edits, max_edit_distance=max_edit_distance,
                         same_pos=same_pos, **kwargs)


def character_edits(word, kinds=("swap", "substitute", "delete", "insert")):
    """All single-character edits of ``word`` of the given kinds (DeepWordBug's transformer).

    Characters are what a reader sees, not bytes or code points: a letter with its combining
    accents, an Arabic letter with its vowel signs, an emoji with its modifiers or zero-width-joined
    sequence (an approximation of Unicode grapheme clusters, UAX #29). Substitutions and insertions
    use the letters a-z and the word's own non-ASCII characters. Every edit is valid UTF-8."""
    return _text.character_edits(check_str(word, "character_edits", "word"), list(kinds))


TextEdit = _text.TextEdit
TextEdit.__doc__ = """One edit of a text: bytes ``[begin, end)`` of its UTF-8 encoding held ``before``
and ``after`` replaced it; ``word`` is the position in the words the model saw. A result's
``edits`` index its ``original_text``; an excerpt's, its ``text``."""


def render_edits(text, edits, format="plain"):
    """``text`` with its ``edits`` marked, from the spans alone (nothing is parsed back):
    ``"plain"`` (``[[old -> new]]``, for reading), ``"terminal"`` (ANSI colours; the text's own
    control characters shown as ``\\xNN``), ``"html"`` (``<del>``/``<ins>``, all escaped) or
    ``"markdown"`` (``~~old~~ **new**`` on one line, Markdown and HTML characters escaped).
    ``edits``: :class:`TextEdit` objects, or dicts with ``word``, ``begin``, ``end``, ``from``
    and ``to`` as ``results.json`` stores them."""
    fn = "render_edits"
    text = check_str(text, fn, "text")
    spans = []
    for e in edits:
        if isinstance(e, dict):
            try:
                e = TextEdit(e["word"], e["begin"], e["end"], e["from"], e["to"])
            except KeyError as k:
                raise _core.ArgumentTypeError(f"{fn}: an edit dict needs 'word', 'begin', 'end', 'from' and 'to', missing {k}") from None
        elif not isinstance(e, TextEdit):
            raise _core.ArgumentTypeError(f"{fn}: edits must hold bw.text.TextEdit objects or dicts, got {type(e).__name__}")
        spans.append(e)
    return _text.render_edits(text, spans, check_str(format, fn, "format"))
