"""Data sets that Debian's packages ship, read by bulwark's C++ core."""

import os

from . import _core
from ._convert import check_str


def fashion_mnist(split="train", dir=None):
    """Fashion-MNIST (Xiao et al. 2017): ``(images, labels)``.

    ``images``: float32 ``(N, 1, 28, 28)`` in [0, 1]; ``labels``: int64 ``(N,)`` in [0, 10).
    ``split``: ``"train"`` (60,000) or ``"test"`` (10,000). The idx files come from Debian's
    ``dataset-fashion-mnist``; ``dir`` (or ``$BULWARK_FASHION_MNIST_DIR``) points elsewhere.
    """
    split = check_str(split, "fashion_mnist", "split")
    if dir is not None and not isinstance(dir, (str, os.PathLike)):
        raise TypeError(f"fashion_mnist: dir must be a path, got {type(dir).__name__}")
    return _core.data.fashion_mnist(split, "" if dir is None else os.fspath(dir))


def read_idx(path):
    """An idx file (optionally gzip'd) of unsigned bytes as a uint8 tensor."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_idx: path must be a path, got {type(path).__name__}")
    return _core.data.read_idx(os.fspath(path))
