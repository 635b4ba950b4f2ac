"""Calibration metrics. ``scores``: probabilities ``(N, K)`` (checked: in [0, 1], rows summing to
1), or logits with ``logits=True``; ``labels``: ``(N,)`` integers. Top-label confidence
``c_i = max_k p_ik``, correct when ``argmax_k p_ik == y_i``.

- ``ece``: ``(sum_b n_b/N |acc_b - conf_b|^p)^(1/p)`` over non-empty bins (Naeini et al. 2015;
  Guo et al. 2017); ``p=2`` is the RMS calibration error. Equal-width bins hold ``c`` in
  ``(b/B, (b+1)/B]`` (the first also ``c = 0``); ``equal_mass=True`` cuts the samples sorted by
  confidence into B runs of ``floor``/``ceil(N/B)`` (ties broken by position).
- ``adaptive_ece``: ``ece`` with equal-mass bins.
- ``mce``: the largest ``|acc_b - conf_b|`` over non-empty bins.
- ``classwise_ece`` (static calibration error, Nixon et al. 2019): mean over classes of the
  equal-width ECE of ``p_k`` against ``[y = k]``.
- ``nll``: ``mean -log p_y``; ``brier``: ``mean sum_k (p_k - [y = k])^2``.
- ``reliability_curve``: per-bin mean confidence, accuracy (NaN where empty), count, edges.

Binary problems: ``scores`` of shape ``(N,)`` are ``P(y = 1)`` (their logits with
``logits=True``) and labels are 0/1. ``ece``, ``mce`` and ``reliability_curve`` then bin
``P(y = 1)`` against ``y`` (as scikit-learn's ``calibration_curve``); ``nll`` is the binary
log-loss, ``brier`` is ``mean (p - y)^2``.
"""

from . import _core
from ._convert import as_labels, as_tensor, back, check_bool, check_int, check_real

__all__ = ["ece", "adaptive_ece", "mce", "classwise_ece", "nll", "brier", "reliability_curve",
           "clopper_pearson"]


def _args(fn, scores, labels, logits):
    s, was_numpy = as_tensor(scores, fn, "scores")
    return s, as_labels(labels, fn, "labels", device=s.device), check_bool(logits, fn, "logits"), was_numpy


def ece(scores, labels, bins=15, equal_mass=False, p=1, logits=False):
    s, y, lg, _ = _args("ece", scores, labels, logits)
    return _core.metrics.ece(s, y, lg, check_int(bins, "ece", "bins"),
                             check_bool(equal_mass, "ece", "equal_mass"), check_real(p, "ece", "p"))


def adaptive_ece(scores, labels, bins=15, logits=False):
    return ece(scores, labels, bins=bins, equal_mass=True, logits=logits)


def mce(scores, labels, bins=15, equal_mass=False, logits=False):
    s, y, lg, _ = _args("mce", scores, labels, logits)
    return _core.metrics.mce(s, y, lg, check_int(bins, "mce", "bins"),
                             check_bool(equal_mass, "mce", "equal_mass"))


def classwise_ece(scores, labels, bins=15, logits=False):
    s, y, lg, _ = _args("classwise_ece", scores, labels, logits)
    return _core.metrics.classwise_ece(s, y, lg, check_int(bins, "classwise_ece", "bins"))


def nll(scores, labels, logits=False):
    s, y, lg, _ = _args("nll", scores, labels, logits)
    return _core.metrics.nll(s, y, lg)


def brier(scores, labels, logits=False):
    s, y, lg, _ = _args("brier", scores, labels, logits)
    return _core.metrics.brier(s, y, lg)


def reliability_curve(scores, labels, bins=15, equal_mass=False, logits=False):
    """``{"confidence", "accuracy", "count", "edges"}`` per bin."""
    s, y, lg, was_numpy = _args("reliability_curve", scores, labels, logits)
    c = _core.metrics.reliability_curve(s, y, lg, check_int(bins, "reliability_curve", "bins"),
                                        check_bool(equal_mass, "reliability_curve", "equal_mass"))
    return {k: back(getattr(c, k), was_numpy) for k in ("confidence", "accuracy", "count", "edges")}


def clopper_pearson(k, n, alpha=0.05):
    """Exact (Clopper-Pearson) confidence bounds ``(lower, upper)`` for a binomial proportion
    after ``k`` successes in ``n`` trials, each one-sided at level ``1 - alpha`` (together a
    ``1 - 2 alpha`` interval): the ``alpha`` quantile of ``Beta(k, n - k + 1)`` (0 when k = 0)
    and the ``1 - alpha`` quantile of ``Beta(k + 1, n - k)`` (1 when k = n)."""
    fn = "clopper_pearson"
    k, n = check_int(k, fn, "k"), check_int(n, fn, "n")
    alpha = check_real(alpha, fn, "alpha")
    return _core.metrics.clopper_pearson_lower(k, n, alpha), _core.metrics.clopper_pearson_upper(k, n, alpha)
