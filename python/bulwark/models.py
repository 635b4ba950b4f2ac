"""Reference models: Python twins of the C++ ones, trained by bulwark's C++ core.

    net = bw.models.fashion_cnn()           # trained (or loaded from the model cache), eval mode
    clf = bw.Classifier(net)                # attack it, calibrate it, ...

The weights move between the C++ module and its Python twin without loss (same logits).
"""

import os

import torch
from torch import nn

from . import _core
from ._convert import check_bool, check_int, check_real, check_seed
from ._progress import progress_callback

_models = _core.models


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

    @classmethod
    def from_cpp(cls, cpp_model):
        """A Python twin holding a copy of a C++ FashionCNN's weights."""
        net = cls()
        net.load_state_dict(cpp_model.state_dict())
        return net

    def to_cpp(self):
        """A C++ FashionCNN (``bulwark._core.models.FashionCNN``) with a copy of these weights."""
        cpp = _models.FashionCNN(0)
        cpp.load_state_dict({k: v.detach().cpu().float() for k, v in self.state_dict().items()})
        return cpp


def fashion_cnn(pretrained=True, epochs=4, batch_size=128, lr=1e-3, seed=0, progress=True,
                use_cache=True, cache_dir=None, data_dir=None):
    """The reference FashionCNN as a Python ``nn.Module`` in eval mode.

    ``pretrained=True`` trains it on the 60,000 Fashion-MNIST training images with Adam (in C++,
    deterministic under ``seed``), or loads the weights from the model cache when this exact
    recipe was trained before (``cache_dir``, default ``$BULWARK_CACHE_DIR`` or
    ``~/.cache/bulwark``). The default recipe reaches about 90% test accuracy in under two
    minutes on two cores. A corrupt cached file is reported and retrained, never used.
    ``pretrained=False`` returns the seeded initial weights.
    """
    fn = "fashion_cnn"
    seed = check_seed(seed, fn)
    if not check_bool(pretrained, fn, "pretrained"):
        return FashionCNN.from_cpp(_models.FashionCNN(seed)).eval()
    epochs = check_int(epochs, fn, "epochs", low=1)
    batch_size = check_int(batch_size, fn, "batch_size", low=1)
    lr = check_real(lr, fn, "lr", low=0, low_inclusive=False)
    show = check_bool(progress, fn, "progress")
    for name, value in (("cache_dir", cache_dir), ("data_dir", data_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{fn}: {name} must be a path, got {type(value).__name__}")
    with progress_callback("FashionCNN", enabled=show) as on_batch:
        cpp, _ = _models.trained_fashion_cnn(
            epochs, batch_size, lr, seed, check_bool(use_cache, fn, "use_cache"),
            os.fspath(cache_dir) if cache_dir is not None else "",
            os.fspath(data_dir) if data_dir is not None else "", on_batch)
    return FashionCNN.from_cpp(cpp).eval()


def cache_dir():
    """Where trained reference models are cached."""
    return _models.cache_dir()
