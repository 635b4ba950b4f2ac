"""Out-of-distribution detection: detectors and their metrics.

**Convention, everywhere: ``score(...)`` returns an outlier score — higher means more likely
out-of-distribution.** (So MSP's score is ``-max softmax``, Energy's ``-T logsumexp(z / T)``.)

    clf = bw.Classifier(bw.models.fashion_cnn())
    z_train, f_train = clf.logits_and_features(x_train)     # penultimate features
    knn = bw.ood.KNN(k=50).fit(f_train)
    s_in, s_out = knn.score(f_test), knn.score(f_ood)
    bw.ood.evaluate(s_in, s_out)   # {"auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"}

Detectors by what they read: logits (``MSP``, ``MaxLogit``, ``Energy``, ``Entropy``:
``score(logits)``), features (``Mahalanobis``, ``KNN``, ``ViM``, ``ReAct``: ``fit(features[,
labels])`` then ``score(features)``; ViM and ReAct also take the last layer's weight and bias),
or the model itself (``ODIN``: ``score(classifier, x)``). Every detector saves to one JSON file
that C++ reads with ``bulwark::ood::load_detector`` (``save``, ``Class.load``, ``bw.ood.load``).
Inputs: torch tensors or numpy arrays; scores come back in the type given.
"""

import warnings

import torch

from . import _core
from ._convert import (as_labels, as_tensor, back, check_bool, check_int, check_path, check_real,
                       check_str)
from ._saved import SavedObject

__all__ = ["MSP", "MaxLogit", "Energy", "Entropy", "ODIN", "Mahalanobis", "KNN", "ViM", "ReAct",
           "GradNorm", "load", "auroc", "aupr_in", "aupr_out", "fpr_at_tpr", "evaluate"]


class _Detector(SavedObject):
    _load_impl = staticmethod(lambda path: _core.ood.load_detector(path))

    @property
    def fitted(self):
        return self._impl.fitted

    def __repr__(self):
        return f"{type(self).__name__}()"


class _LogitDetector(_Detector):
    def score(self, logits):
        """Outlier scores ``(N,)`` from logits ``(N, K)``; higher = more likely OOD."""
        z, was_numpy = as_tensor(logits, f"{type(self).__name__}.score", "logits")
        return back(self._impl.score(z), was_numpy)


class MSP(_LogitDetector):
    """Maximum softmax probability (Hendrycks & Gimpel 2017): score ``-max_k softmax(z)_k``."""

    def __init__(self):
        self._impl = _core.ood.MSP()


class MaxLogit(_LogitDetector):
    """Maximum logit (Hendrycks et al. 2022): score ``-max_k z_k``."""

    def __init__(self):
        self._impl = _core.ood.MaxLogit()


class Energy(_LogitDetector):
    """Energy score (Liu et al. 2020): ``-T logsumexp(z / T)``."""

    def __init__(self, temperature=1.0):
        self._impl = _core.ood.Energy(check_real(temperature, "Energy", "temperature"))

    @property
    def temperature(self):
        return self._impl.temperature


class Entropy(_LogitDetector):
    """Predictive entropy: ``-sum_k p_k log p_k`` with ``p = softmax(z)``."""

    def __init__(self):
        self._impl = _core.ood.Entropy()


class ODIN(_Detector):
    """ODIN (Liang et al. 2018): ``x~ = x - eps * sign(-grad_x log S_yhat(x; T))`` clamped to the
    classifier's bounds, score ``-max_k softmax(f(x~) / T)_k``. One forward-backward and one
    forward through the classifier; the model is left as it was."""

    def __init__(self, temperature=1000.0, eps=0.0014):
        self._impl = _core.ood.ODIN(check_real(temperature, "ODIN", "temperature"),
                                    check_real(eps, "ODIN", "eps"))

    def score(self, model, x):
        from .classifier import Classifier
        clf = model if isinstance(model, Classifier) else Classifier(model)
        t, was_numpy = as_tensor(x, "ODIN.score", "x")
        return back(self._impl.score(clf._impl, t), was_numpy)

    @property
    def temperature(self):
        return self._impl.temperature

    @property
    def eps(self):
        return self._impl.eps


class _FeatureDetector(_Detector):
    def fit(self, features, labels=None):
        fn = f"{type(self).__name__}.fit"
        f, _ = as_tensor(features, fn, "features")
        y = torch.empty(0, dtype=torch.int64) if labels is None else as_labels(labels, fn, "labels")
        self._impl.fit(f, y)
        return self

    def score(self, features):
        """Outlier scores ``(M,)`` for features ``(M, D)``; higher = more likely OOD."""
        f, was_numpy = as_tensor(features, f"{type(self).__name__}.score", "features")
        return back(self._impl.score(f), was_numpy)


class Mahalanobis(_FeatureDetector):
    """Mahalanobis distance to the closest class mean (Lee et al. 2018), with one shared
    covariance of the training features: score ``min_k (f - mu_k)' Sigma^-1 (f - mu_k)``.
    ``fit(features, labels)``. A singular covariance (dead units; fewer samples than
    dimensions) is regularised to ``Sigma + s I`` with ``s = rcond_shrink * trace / D`` and a
    ``RuntimeWarning`` says so (``regularization`` holds ``s``). The paper's input
    pre-processing is not implemented."""

    def __init__(self, rcond=1e-10, rcond_shrink=1e-6):
        self._impl = _core.ood.Mahalanobis(check_real(rcond, "Mahalanobis", "rcond"),
                                           check_real(rcond_shrink, "Mahalanobis", "rcond_shrink"))

    def fit(self, features, labels=None):
        if labels is None:
            raise _core.ArgumentTypeError("Mahalanobis.fit: labels (N,) are required (class means)")
        super().fit(features, labels)
        if self._impl.regularization > 0:
            warnings.warn(f"Mahalanobis.fit: the feature covariance is singular; regularised with "
                          f"{self._impl.regularization:.3g} * I", RuntimeWarning, stacklevel=2)
        return self

    @property
    def regularization(self):
        return self._impl.regularization

    @property
    def means(self):
        return self._impl.means

    @property
    def precision(self):
        return self._impl.precision


class KNN(_FeatureDetector):
    """Deep k-nearest neighbours (Sun et al. 2022): score = distance from the L2-normalised
    feature to its k-th nearest L2-normalised training feature. Exact, by tiled GEMMs into one
    reused buffer of at most ``block_elements`` numbers (bounded memory), each input keeping a
    size-k heap of its largest similarities across tiles."""

    def __init__(self, k=50, normalize=True, block_elements=1 << 20):
        self._impl = _core.ood.KNN(check_int(k, "KNN", "k"), check_bool(normalize, "KNN", "normalize"),
                                   check_int(block_elements, "KNN", "block_elements"))

    @property
    def k(self):
        return self._impl.k


def _last_layer(fn, weight, bias):
    w, _ = as_tensor(weight, fn, "weight")
    b, _ = as_tensor(bias, fn, "bias")
    return w.detach(), b.detach()


class ViM(_FeatureDetector):
    """Virtual-logit matching (Wang et al. 2022) with the last layer ``logits = W f + b``:
    origin ``u = -pinv(W) b``; the residual space of the training features' principal
    subspace (``principal_dim``; default as the authors': 1000 for D >= 2048, 512 for D >= 768,
    else D // 2); score ``alpha * |R'(f - u)| - logsumexp(W f + b)``."""

    def __init__(self, weight, bias, principal_dim=None):
        w, b = _last_layer("ViM", weight, bias)
        pd = 0 if principal_dim is None else check_int(principal_dim, "ViM", "principal_dim", low=1)
        self._impl = _core.ood.ViM(w, b, pd)

    @property
    def principal_dim(self):
        return self._impl.principal_dim

    @property
    def alpha(self):
        return self._impl.alpha


class ReAct(_FeatureDetector):
    """ReAct (Sun et al. 2021): clip features at the ``percentile``-th percentile ``c`` of the
    training activations, then the energy score of the last layer:
    ``-T logsumexp((W min(f, c) + b) / T)``."""

    def __init__(self, weight, bias, percentile=90.0, temperature=1.0):
        w, b = _last_layer("ReAct", weight, bias)
        self._impl = _core.ood.ReAct(w, b, check_real(percentile, "ReAct", "percentile"),
                                     check_real(temperature, "ReAct", "temperature"))

    @property
    def threshold(self):
        return self._impl.threshold


class GradNorm(_FeatureDetector):
    """GradNorm (Huang et al. 2021) with the last layer ``logits = W f + b``: the L1 norm of the
    gradient w.r.t. ``W`` of the KL divergence from uniform to ``softmax(z / T)``, which is the
    outer product ``(p - 1/K) f' / T``, so exactly ``sum_k |p_k - 1/K| * sum_d |f_d| / T`` (no
    backward pass). Outlier score: minus the norm. Nothing to fit (``fit`` checks D)."""

    def __init__(self, weight, bias, temperature=1.0):
        w, b = _last_layer("GradNorm", weight, bias)
        self._impl = _core.ood.GradNorm(w, b, check_real(temperature, "GradNorm", "temperature"))


_KINDS = {c.__name__: c for c in (MSP, MaxLogit, Energy, Entropy, ODIN, Mahalanobis, KNN, ViM, ReAct,
                                  GradNorm)}


def load(path):
    """Whichever detector the file at ``path`` holds."""
    impl = _core.ood.load_detector(check_path(path, "ood.load"))
    return _KINDS[impl.kind]._wrap(impl)


# -- metrics ----------------------------------------------------------------------------------

def _metrics(fn, id_scores, ood_scores, tpr=0.95, positive="in"):
    a, _ = as_tensor(id_scores, fn, "id_scores")
    b, _ = as_tensor(ood_scores, fn, "ood_scores")
    positive = check_str(positive, fn, "positive")
    if positive not in ("in", "out"):
        raise _core.InvalidArgumentError(f"{fn}: positive must be 'in' or 'out', got {positive!r}")
    return _core.ood.ood_metrics(a, b, check_real(tpr, fn, "tpr"),
                                 positive == "in")


def auroc(id_scores, ood_scores):
    """``P(s_ood > s_id) + P(s_ood = s_id) / 2``: the area under the ROC curve of telling
    outliers from in-distribution inputs by the score (ties count one half)."""
    return _metrics("auroc", id_scores, ood_scores).auroc


def aupr_in(id_scores, ood_scores):
    """Average precision with in-distribution as the positive class, ranked by ``-score``
    (scikit-learn's ``average_precision_score``: tied scores share a threshold)."""
    return _metrics("aupr_in", id_scores, ood_scores).aupr_in


def aupr_out(id_scores, ood_scores):
    """Average precision with OOD as the positive class, ranked by the score."""
    return _metrics("aupr_out", id_scores, ood_scores).aupr_out


def fpr_at_tpr(id_scores, ood_scores, tpr=0.95, positive="in"):
    """False-positive rate at a true-positive rate of ``tpr``.

    ``positive="in"`` (ours, the default; the definition of the OOD literature's "FPR@95"):
    in-distribution is the positive class. Inputs with ``score <= t`` are accepted as ID; ``t``
    is the smallest threshold accepting at least ``tpr`` of the ID inputs; returns the fraction
    of OOD inputs accepted with them. ``positive="out"``: OOD is positive; inputs with
    ``score >= t`` are flagged, ``t`` the largest threshold flagging at least ``tpr`` of the
    OOD inputs; returns the fraction of ID inputs flagged — the convention some libraries use
    silently. The two differ whenever the score distributions are asymmetric.
    """
    return _metrics("fpr_at_tpr", id_scores, ood_scores, tpr, positive).fpr_at_tpr


def evaluate(id_scores, ood_scores, tpr=0.95):
    """``{"auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"}`` (the last named by ``tpr``) from
    one sort of each score array."""
    m = _metrics("evaluate", id_scores, ood_scores, tpr)
    return {"auroc": m.auroc, "aupr_in": m.aupr_in, "aupr_out": m.aupr_out,
            f"fpr_at_{round(100 * tpr):d}_tpr": m.fpr_at_tpr}
