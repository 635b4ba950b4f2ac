"""bulwark: adversarial robustness and calibration, a C++ core on LibTorch with a thin Python layer.

    import bulwark as bw
    model = bw.Classifier(net, bounds=(0, 1))
    x_adv = bw.attacks.FGSM(eps=0.1)(model, x, y)

On import, bulwark sets torch's intra-op threads to the number of cores (Debian's torch starts
with one) unless OMP_NUM_THREADS is set, and tunes glibc malloc so large activation buffers are
reused instead of returned to the OS after every free (BULWARK_TUNE_MALLOC=0 turns that off; see
docs/performance.md).
"""

import os as _os

import torch as _torch  # loads libtorch_python, which _core needs for its tensor casters

from . import _core
from ._core import (
    ArgumentTypeError,
    Error,
    FileError,
    FormatError,
    InternalError,
    InvalidArgumentError,
    NotFittedError,
    ShapeError,
)
from ._random import get_seed, seed
from .classifier import Classifier
from . import attacks, calibration, conformal, data, defenses, metrics, models, ood, ops, plot, text

__version__ = _core.__version__

_core.configure_threads()
if _os.environ.get("BULWARK_TUNE_MALLOC", "1") != "0":
    _core.tune_malloc()

__all__ = [
    "__version__", "seed", "get_seed", "Classifier", "attacks", "calibration", "conformal", "data", "defenses",
    "metrics", "models", "ood", "ops", "plot", "text",
    "Error", "InvalidArgumentError", "ShapeError", "NotFittedError", "FormatError",
    "ArgumentTypeError", "FileError", "InternalError",
]
