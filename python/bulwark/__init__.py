"""bulwark: adversarial robustness and calibration, a C++ core on LibTorch with a thin Python layer.

    import bulwark as bw
    model = bw.Classifier(net, bounds=(0, 1))
    x_adv = bw.attacks.FGSM(eps=0.1)(model, x, y)

Importing bulwark changes nothing in the process: ``bw.runtime.tune()`` sets torch's threads to
the number of cores and tunes glibc's malloc for large batches, when a program asks for it
(docs/performance.md). Every stochastic call takes ``seed`` (default: ``bw.get_seed()``) and draws
from its own generator, never from torch's global one (docs/architecture.md, "Reproducibility").
"""

import torch as _torch  # loads libtorch_python, which _core needs for its tensor casters

from . import _core
from ._core import (
    ArgumentTypeError,
    Error,
    FileError,
    FormatError,
    InternalError,
    InvalidArgumentError,
    NonFiniteError,
    NotFittedError,
    ShapeError,
)
from ._random import derive_seed, get_seed, seed
from .classifier import Classifier
from . import runtime, attacks, calibration, conformal, data, defenses, metrics, models, ood, ops, plot, text

__version__ = _core.__version__

__all__ = [
    "__version__", "seed", "get_seed", "derive_seed", "runtime", "Classifier", "attacks", "calibration", "conformal", "data", "defenses",
    "metrics", "models", "ood", "ops", "plot", "text",
    "Error", "InvalidArgumentError", "ShapeError", "NotFittedError", "FormatError", "NonFiniteError",
    "ArgumentTypeError", "FileError", "InternalError",
]
