"""Reference models: Python twins of the C++ ones, trained by bulwark's C++ core.

    net = bw.models.fashion_cnn()           # trained (or loaded from the model cache), eval mode
    clf = bw.Classifier(net)                # attack it, calibrate it, ...

The weights move between the C++ module and its Python twin without loss (same logits).
"""

import os

import torch
from torch import nn

from . import _core
from ._convert import check_bool, check_int, check_real, check_seed, check_str
from ._progress import progress_callback

_models = _core.models


def _keep_global_rng():
    """torch's layer constructors initialise from the global generator; the twins' weights come
    from the C++ model, so construct them with that generator's state saved and restored
    (bulwark leaves torch's global stream as it found it)."""
    return torch.random.fork_rng(devices=[])


class FashionCNN(nn.Module):
    """Two 3x3 convolutions (32, 64 channels) with 2x2 max pooling, then 3136 -> 128 -> 10.

    Input ``(N, 1, 28, 28)`` in [0, 1]; output logits ``(N, 10)``. :meth:`features` returns the
    128-d penultimate activations. The C++ ``bulwark::models::FashionCNN`` has the same layers and
    parameter names; :meth:`from_cpp` and :meth:`to_cpp` move weights between them.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def features(self, x):
        h = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return torch.relu(self.fc1(h.flatten(1)))

    def forward(self, x):
        return self.fc2(self.features(x))

    def logits_and_features(self, x):
        """``(logits, features)`` from one forward (``bw.Classifier`` picks this up)."""
        f = self.features(x)
        return self.fc2(f), f

    @classmethod
    def from_cpp(cls, cpp_model):
        """A Python twin holding a copy of a C++ FashionCNN's weights."""
        with _keep_global_rng():  # the layers' own init draws; the weights are replaced anyway
            net = cls()
        net.load_state_dict(cpp_model.state_dict())
        return net

    def to_cpp(self):
        """A C++ FashionCNN (``bulwark._core.models.FashionCNN``) with a copy of these weights."""
        cpp = _models.FashionCNN(0)
        cpp.load_state_dict({k: v.detach().cpu().float() for k, v in self.state_dict().items()})
        return cpp


def fashion_cnn(pretrained=True, epochs=4, batch_size=128, lr=1e-3, seed=0, progress=True,
                use_cache=True, cache_dir=None, data_dir=None, train_samples=60000):
    """The reference FashionCNN as a Python ``nn.Module`` in eval mode.

    ``pretrained=True`` trains it on the first ``train_samples`` of the 60,000 Fashion-MNIST
    training images with Adam (in C++, in bulwark's training loop, deterministic under
    ``seed``), or loads the weights from the model cache when this exact recipe was trained
    before (``cache_dir``, default ``$BULWARK_CACHE_DIR`` or ``~/.cache/bulwark``). make demo's
    standard model is this recipe with the defaults, so after the demo this loads at once. The
    default recipe reaches about 90% test accuracy in under two minutes on two cores. A corrupt
    cached file is reported and retrained, never used.
    ``pretrained=False`` returns the seeded initial weights.
    """
    fn = "fashion_cnn"
    seed = check_seed(seed, fn)
    if not check_bool(pretrained, fn, "pretrained"):
        return FashionCNN.from_cpp(_models.FashionCNN(seed)).eval()
    epochs = check_int(epochs, fn, "epochs")
    batch_size = check_int(batch_size, fn, "batch_size")
    lr = check_real(lr, fn, "lr")
    show = check_bool(progress, fn, "progress")
    for name, value in (("cache_dir", cache_dir), ("data_dir", data_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise _core.ArgumentTypeError(f"{fn}: {name} must be a path, got {type(value).__name__}")
    with progress_callback("FashionCNN", enabled=show) as on_batch:
        cpp, _ = _models.trained_fashion_cnn(
            epochs, batch_size, lr, seed, check_int(train_samples, fn, "train_samples"),
            check_bool(use_cache, fn, "use_cache"),
            os.fspath(cache_dir) if cache_dir is not None else "",
            os.fspath(data_dir) if data_dir is not None else "", on_batch)
    return FashionCNN.from_cpp(cpp).eval()


def cache_dir():
    """Where trained reference models are cached."""
    return _models.cache_dir()


class _TextModel(nn.Module):
    """Shared by the text twins: forward(ids) = forward_embedded(embed(ids), ids != 0)."""

    def embed(self, ids):
        """``(N, L)`` int64 token ids -> ``(N, L, D)`` embeddings."""
        return self.embedding(ids)

    def forward(self, ids):
        return self.forward_embedded(self.embed(ids), ids.ne(0).to(self.embedding.weight.dtype))

    @classmethod
    def from_cpp(cls, cpp_model, **shape):
        with _keep_global_rng():
            net = cls(**shape)
        net.load_state_dict(cpp_model.state_dict())
        return net


class EmbeddingBagClassifier(_TextModel):
    """Mean of the token embeddings (padding, id 0, excluded), then a linear layer. Linear in
    the embeddings, so a first-order (HotFlip) flip gain is exact for it."""

    def __init__(self, vocab_size, dim=64, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.fc = nn.Linear(dim, num_classes)

    def forward_embedded(self, embeddings, mask):
        m = mask.unsqueeze(-1)
        return self.fc((embeddings * m).sum(1) / m.sum(1).clamp_min(1.0))


class TextCNN(_TextModel):
    """Kim (2014): convolutions of widths 3, 4, 5 over the embeddings, ReLU, max over the
    non-padding positions, a linear layer."""

    def __init__(self, vocab_size, dim=64, filters=64, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.conv3 = nn.Conv1d(dim, filters, 3, padding=1)
        self.conv4 = nn.Conv1d(dim, filters, 4, padding=2)
        self.conv5 = nn.Conv1d(dim, filters, 5, padding=2)
        self.fc = nn.Linear(3 * filters, num_classes)

    def forward_embedded(self, embeddings, mask):
        x = (embeddings * mask.unsqueeze(-1)).transpose(1, 2)
        length = embeddings.shape[1]
        pooled = []
        for conv in (self.conv3, self.conv4, self.conv5):
            h = torch.relu(conv(x))[:, :, :length]
            h = h.masked_fill(mask.unsqueeze(1).eq(0), float("-inf"))
            best = h.max(2).values
            pooled.append(torch.where(torch.isinf(best), torch.zeros_like(best), best))
        return self.fc(torch.cat(pooled, 1))


class SpamFilter:
    """A trained text classifier with its tokenizer and vocabulary (label 1 = spam).

    Attributes: ``model`` (an ``nn.Module`` over token ids, eval mode), ``tokenizer``,
    ``vocabulary``, ``max_len``. :meth:`encode` turns texts into the model's input.
    """

    def __init__(self, model, tokenizer, vocabulary, max_len):
        self.model, self.tokenizer, self.vocabulary, self.max_len = model, tokenizer, vocabulary, max_len

    def encode(self, texts):
        """``(ids (N, L) int64, number of texts cut to max_len)``."""
        return self.vocabulary.encode_batch(self.tokenizer.batch(texts), self.max_len)

    def predict(self, texts):
        """Predicted labels ``(N,)`` for a list of texts."""
        ids, _ = self.encode(texts)
        with torch.no_grad():
            return self.model(ids).argmax(1)

    def __repr__(self):
        return (f"SpamFilter(model={type(self.model).__name__}, vocabulary={len(self.vocabulary)}, "
                f"max_len={self.max_len})")


def spam_filter(arch="bag", epochs=5, batch_size=32, lr=2e-3, dim=64, max_len=256, min_freq=2,
                max_vocab=20000, seed=0, progress=True, use_cache=True, cache_dir=None,
                data_dir=None):
    """A spam filter trained on the SpamAssassin training split (or loaded from the cache).

    ``arch``: ``"bag"`` (:class:`EmbeddingBagClassifier`, about 98% test accuracy in seconds) or
    ``"cnn"`` (:class:`TextCNN`, about 98% in under 20 s on two cores). The vocabulary is built
    from the training texts (``min_freq``, ``max_vocab``); texts are cut to ``max_len`` tokens.
    """
    from .text import Tokenizer, Vocabulary

    fn = "spam_filter"
    arch = check_str(arch, fn, "arch")  # the values, like the numbers', are C++'s to check
    ints = {name: check_int(v, fn, name) for name, v in (
        ("epochs", epochs), ("batch_size", batch_size), ("dim", dim),
        ("max_len", max_len), ("min_freq", min_freq), ("max_vocab", max_vocab))}
    lr = check_real(lr, fn, "lr")
    for name, value in (("cache_dir", cache_dir), ("data_dir", data_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise _core.ArgumentTypeError(f"{fn}: {name} must be a path, got {type(value).__name__}")
    with progress_callback(f"spam {arch}", enabled=check_bool(progress, fn, "progress")) as cb:
        cpp, tokens, _ = _models.trained_spam_classifier(
            arch, ints["epochs"], ints["batch_size"], lr, ints["dim"], ints["max_len"],
            ints["min_freq"], ints["max_vocab"], check_seed(seed, fn),
            check_bool(use_cache, fn, "use_cache"),
            os.fspath(cache_dir) if cache_dir is not None else "",
            os.fspath(data_dir) if data_dir is not None else "", cb)
    vocab = Vocabulary(tokens[2:])
    shape = {"vocab_size": len(vocab), "dim": ints["dim"]}
    twin = (EmbeddingBagClassifier if arch == "bag" else TextCNN).from_cpp(cpp, **shape).eval()
    return SpamFilter(twin, Tokenizer(), vocab, ints["max_len"])
