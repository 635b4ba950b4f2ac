"""Calibrators: make a classifier's confidence mean what it says.

    ts = bw.calibration.TemperatureScaling().fit(logits_val, y_val)
    probs = ts.predict_proba(logits_test)        # softmax(logits / T)

Inputs: torch tensors or numpy arrays, float32 or float64 (results come back in the type given).
"""

import os

from . import _core
from ._convert import as_labels, as_tensor, back, check_bool, check_int, check_real

__all__ = ["TemperatureScaling", "HistogramBinning", "IsotonicCalibration"]


def _path(p, fn):
    if not isinstance(p, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a str or os.PathLike, got {type(p).__name__}")
    return os.fspath(p)


class TemperatureScaling:
    """Temperature scaling (Guo et al. 2017): ``softmax(logits / T)`` with ``T > 0`` minimising
    the NLL on held-out data.

    The NLL is convex in ``beta = 1/T`` with ``f'(beta) = mean(E_p[z] - z_y)`` and
    ``f''(beta) = mean(Var_p[z])``; ``fit`` runs a safeguarded Newton iteration on ``beta``
    (bisection whenever Newton would leave the bracket), each step one fused C++ pass over the
    logits, to a relative tolerance ``tol`` on ``beta``: the exact minimiser, not a fixed
    number of gradient steps. Raises when no finite T minimises the NLL (perfectly separated
    logits, or labels scoring below average).
    """

    def __init__(self, tol=1e-10, max_iter=100):
        fn = "TemperatureScaling"
        self.tol = check_real(tol, fn, "tol", low=0, low_inclusive=False)
        self.max_iter = check_int(max_iter, fn, "max_iter", low=1)
        self._impl = _core.calibration.TemperatureScaling(self.tol, self.max_iter)

    def fit(self, logits, labels):
        fn = "TemperatureScaling.fit"
        z, _ = as_tensor(logits, fn, "logits")
        self._impl.fit(z, as_labels(labels, fn, "labels"))
        return self

    def transform(self, logits):
        """Calibrated logits, ``logits / T``."""
        z, was_numpy = as_tensor(logits, "TemperatureScaling.transform", "logits")
        return back(self._impl.transform(z), was_numpy)

    def predict_proba(self, logits):
        """Calibrated probabilities, ``softmax(logits / T)``."""
        z, was_numpy = as_tensor(logits, "TemperatureScaling.predict_proba", "logits")
        return back(self._impl.predict_proba(z), was_numpy)

    @property
    def temperature(self):
        return self._impl.temperature

    @property
    def iterations(self):
        return self._impl.iterations

    def save(self, path):
        """A small JSON file, readable from C++ (``TemperatureScaling::load``)."""
        self._impl.save(_path(path, "TemperatureScaling.save"))

    @classmethod
    def load(cls, path):
        self = cls.__new__(cls)
        self.tol, self.max_iter = 1e-10, 100
        self._impl = _core.calibration.TemperatureScaling.load(_path(path, "TemperatureScaling.load"))
        return self

    def __repr__(self):
        return repr(self._impl)


class _ProbabilityCalibrator:
    """fit(scores, labels) / predict_proba(scores) on probabilities, or logits with logits=True."""

    def fit(self, scores, labels):
        fn = f"{type(self).__name__}.fit"
        s, _ = as_tensor(scores, fn, "scores")
        self._impl.fit(s, as_labels(labels, fn, "labels"))
        return self

    def predict_proba(self, scores):
        s, was_numpy = as_tensor(scores, f"{type(self).__name__}.predict_proba", "scores")
        return back(self._impl.predict_proba(s), was_numpy)


class HistogramBinning(_ProbabilityCalibrator):
    """Histogram binning (Zadrozny & Elkan 2001): ``bins`` equal-width bins of a score, each
    mapped to the empirical frequency of its event on the calibration data (an empty bin keeps
    its centre). Top-label (default): the score is the top confidence and the event "the top
    class is right"; the other classes share the remaining mass in proportion.
    ``classwise=True``: each class's probability against ``[y = k]``, rows renormalised."""

    def __init__(self, bins=15, classwise=False, logits=False):
        fn = "HistogramBinning"
        self.bins = check_int(bins, fn, "bins", low=1)
        self.classwise = check_bool(classwise, fn, "classwise")
        self.logits = check_bool(logits, fn, "logits")
        self._impl = _core.calibration.HistogramBinning(self.bins, self.classwise, self.logits)

    @property
    def bin_values(self):
        return self._impl.bin_values


class IsotonicCalibration(_ProbabilityCalibrator):
    """Isotonic regression per class, one-vs-rest (Zadrozny & Elkan 2002): the non-decreasing
    map of ``p_k`` to ``[y = k]`` by pool-adjacent-violators (ties in ``p_k`` averaged),
    evaluated by linear interpolation between knots and clamped at the ends; rows renormalised
    (uniform where every class maps to 0)."""

    def __init__(self, logits=False):
        self.logits = check_bool(logits, "IsotonicCalibration", "logits")
        self._impl = _core.calibration.IsotonicCalibration(self.logits)
