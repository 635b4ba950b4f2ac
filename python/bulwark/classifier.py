"""The classifier abstraction: inputs -> logits, differentiable, with bounds and query counts."""

import os

import torch

from . import _core
from ._convert import as_labels, as_tensor, back, check_bool, check_bounds, check_int, check_str


def _check_options(fn, bounds, num_classes, input_shape, eval_mode):
    bounds = check_bounds(bounds, fn)
    num_classes = check_int(num_classes, fn, "num_classes", allow_none=True)
    if input_shape is None:
        input_shape = []
    elif not isinstance(input_shape, (tuple, list, torch.Size)):
        raise _core.ArgumentTypeError(f"{fn}: input_shape must be a tuple of ints, got {type(input_shape).__name__}")
    input_shape = [check_int(d, fn, "input_shape") for d in input_shape]
    return bounds, num_classes, input_shape, check_bool(eval_mode, fn, "eval_mode")


class Classifier:
    """A differentiable classifier: ``x (N, ...)`` in ``bounds`` -> logits ``(N, K)``.

    Wraps any callable that maps a ``torch.Tensor`` to logits: an ``nn.Module``, a TorchScript
    module, or a plain function. Attacks, defenses, calibrators and detectors all take one (or
    wrap a bare model with the default ``bounds=(0, 1)``).

    Using a classifier never changes the model: its parameters, their ``.grad``,
    ``requires_grad`` and train/eval mode are as before. With ``eval_mode=True`` (the default)
    each call runs the model in eval mode and gives every submodule its own mode back after.

    Args:
        model: the callable.
        bounds: ``(lower, upper)`` the inputs live in; inputs outside are an error.
        num_classes: K; taken from the first call when not given.
        input_shape: one sample's shape without N, checked on every call when given.
        eval_mode: run the model in eval mode during calls.
        features: a callable ``x -> (logits, features)`` exposing the model's penultimate
            features (for feature-based OOD detectors); by default the model's own
            ``logits_and_features`` method when it has one (the reference models do).

    Query counts (``queries``) add up every forward and backward the classifier made.
    """

    def __init__(self, model, bounds=(0.0, 1.0), num_classes=None, input_shape=None,
                 eval_mode=True, features=None):
        if isinstance(model, Classifier):
            raise _core.ArgumentTypeError("Classifier: model is already a bulwark.Classifier")
        opts = _check_options("Classifier", bounds, num_classes, input_shape, eval_mode)
        if features is None:
            features = getattr(model, "logits_and_features", None)
        if features is not None and not callable(features):
            raise _core.ArgumentTypeError(f"Classifier: features must be callable (x -> (logits, features)), got "
                            f"{type(features).__name__}")
        self._impl = _core.PythonClassifier(model, *opts, features)

    @classmethod
    def load(cls, path, bounds=(0.0, 1.0), num_classes=None, input_shape=None, eval_mode=True,
             device="cpu"):
        """A classifier over a TorchScript file (``torch.jit.save``), run by C++ without Python."""
        if not isinstance(path, (str, os.PathLike)):
            raise _core.ArgumentTypeError(f"Classifier.load: path must be a str or os.PathLike, got {type(path).__name__}")
        opts = _check_options("Classifier.load", bounds, num_classes, input_shape, eval_mode)
        if not isinstance(device, (str, torch.device)):
            raise _core.ArgumentTypeError(f"Classifier.load: device must be a str or torch.device, got {type(device).__name__}")
        try:
            device = str(torch.device(device))
        except RuntimeError as e:
            raise _core.InvalidArgumentError(f"Classifier.load: device {device!r} is not a device: {e}") from None
        self = cls.__new__(cls)
        self._impl = _core.TorchScriptClassifier(os.fspath(path), *opts, device)
        return self

    # -- calls -------------------------------------------------------------------------------
    def logits_and_features(self, x):
        """``(logits (N, K), features (N, D))`` from one forward: the penultimate features for
        feature-based OOD detectors. ``ValueError`` when the model does not expose them."""
        t, was_numpy = as_tensor(x, "Classifier.logits_and_features", "x")
        r = self._impl.logits_and_features(t)
        return back(r.logits, was_numpy), back(r.features, was_numpy)

    @property
    def has_features(self):
        """Whether :meth:`logits_and_features` is available."""
        return self._impl.has_features

    def logits(self, x):
        """Logits ``(N, K)`` for ``x (N, ...)``; differentiable w.r.t. ``x`` (torch input)."""
        t, was_numpy = as_tensor(x, "Classifier.logits", "x")
        return back(self._impl.logits(t), was_numpy)

    __call__ = logits

    def predict(self, x):
        """Predicted labels ``(N,)`` int64."""
        t, was_numpy = as_tensor(x, "Classifier.predict", "x")
        return back(self._impl.predict(t), was_numpy)

    def gradient(self, x, y, loss="ce"):
        """Gradient of ``sum_i loss(logits_i, y_i)`` w.r.t. ``x``, shaped like ``x``.

        ``loss``: ``"ce"`` (cross-entropy), ``"margin"`` (Carlini-Wagner) or ``"dlr"``. One forward
        and one backward; no parameter's ``.grad`` is touched.
        """
        return self.loss_and_gradient(x, y, loss)[1]

    def loss_and_gradient(self, x, y, loss="ce"):
        """``(per-sample loss (N,), gradient like x)``; see :meth:`gradient`."""
        fn = "Classifier.loss_and_gradient"
        t, was_numpy = as_tensor(x, fn, "x")
        yt = as_labels(y, fn, device=t.device)
        r = self._impl.loss_and_gradient(t, yt, check_str(loss, fn, "loss"))
        return back(r.loss, was_numpy), back(r.grad, was_numpy)

    def jacobian(self, x, classes=None):
        """``(logits (N, K), jacobian (N, C, ...))``: the gradients of the logits ``classes``
        ``(N, C)`` int64 picks per sample (all K classes when None) w.r.t. ``x``. One forward and
        C backward passes."""
        fn = "Classifier.jacobian"
        t, was_numpy = as_tensor(x, fn, "x")
        if classes is not None:
            classes = as_labels(classes, fn, "classes", device=t.device)
        r = self._impl.jacobian(t, classes)
        return back(r.logits, was_numpy), back(r.jacobian, was_numpy)

    # -- properties --------------------------------------------------------------------------
    @property
    def num_classes(self):
        return self._impl.num_classes

    @property
    def bounds(self):
        return self._impl.bounds

    @property
    def queries(self):
        """``{forward_calls, forward_samples, backward_calls, backward_samples}`` so far."""
        return self._impl.queries

    def reset_queries(self):
        self._impl.reset_queries()

    @property
    def model(self):
        """The wrapped Python callable (None for a TorchScript file loaded in C++)."""
        return getattr(self._impl, "model", None)

    def __repr__(self):
        return repr(self._impl)


def as_classifier(model, fn):
    """A bulwark Classifier for ``model``: itself, or a wrapper with the default bounds (0, 1)."""
    if isinstance(model, Classifier):
        return model
    if callable(model):
        return Classifier(model)
    raise _core.ArgumentTypeError(f"{fn}: model must be a bulwark.Classifier, an nn.Module or a callable, "
                    f"got {type(model).__name__}")
