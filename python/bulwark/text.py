"""Text tools for text classifiers and token attacks: a tokenizer, a vocabulary and WordNet.

    tok = bw.text.Tokenizer()
    vocab = bw.text.Vocabulary.build([tok(t) for t in texts], min_freq=2)
    ids, truncated = vocab.encode_batch([tok(t) for t in texts], max_len=256)
    bw.text.WordNet().synonyms("buy", pos="v")
"""

import os

from . import _core
from ._convert import check_bool, check_int, check_str

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
            raise TypeError("Tokenizer.batch: texts must be a list of str")
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
        min_freq = check_int(min_freq, fn, "min_freq", low=1)
        max_size = -1 if max_size is None else check_int(max_size, fn, "max_size", low=2)
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
        return self._impl.encode_batch(docs, check_int(max_len, fn, "max_len", low=1))

    def __repr__(self):
        return repr(self._impl)


class WordNet:
    """WordNet 3.0 from Debian's ``wordnet-base`` (``/usr/share/wordnet`` or
    ``$BULWARK_WORDNET_DIR``), parsed once per process in C++.

    ``pos``: ``"n"``, ``"v"``, ``"a"`` or ``"r"``; ``None`` for all four."""

    def __init__(self, dir=None):
        if dir is not None and not isinstance(dir, (str, os.PathLike)):
            raise TypeError(f"WordNet: dir must be a path, got {type(dir).__name__}")
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
        raise TypeError(f"{fn}: {name} must be a list of str tokens")
    return list(tokens)
