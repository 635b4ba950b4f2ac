"""Conformal prediction: sets of labels that contain the true label with probability >= 1 - alpha.

    cp = bw.conformal.SplitConformal(score="aps", alpha=0.1, seed=0).fit(probs_cal, y_cal)
    sets = cp.predict(probs_test)                    # (N, K) bool
    bw.conformal.coverage(sets, y_test), bw.conformal.set_size(sets)

Inputs are probabilities (rows summing to 1) or, with ``input="logits"``, logits; torch tensors
or numpy arrays (numpy in, numpy out).

The quantile rule: on n calibration scores the threshold is the ceil((n + 1)(1 - alpha))-th
smallest (the finite-sample correction of split conformal prediction); with fewer than
1/alpha - 1 points no finite threshold exists and ``fit`` raises. Randomised scores use one
uniform per sample, shared by all its labels (Romano et al. 2020), drawn from a generator seeded
by ``seed`` (``fit``) and a seed derived from it (each ``predict``), so results repeat.

Scores (classes ranked by probability, ties by lower index; r(y) the 0-based rank of y, C(y)
the probability ranked before y, u the sample's uniform, u = 1 when not randomised):

- ``"lac"`` (``"thr"``), Sadinle et al. 2019: ``1 - p_y``.
- ``"aps"``, Romano et al. 2020: ``C(y) + u p_y``.
- ``"raps"``, Angelopoulos et al. 2021: APS ``+ lam * max(0, r(y) + 1 - k_reg)``.
- ``"saps"``, Huang et al. 2023: ``u p_max`` if r(y) = 0 else ``p_max + lam (r(y) - 1 + u)``.
- ``"topk"``: ``r(y) + u``.
"""

import torch

from . import _core
from ._convert import (as_labels, as_tensor, back, check_bool, check_int, check_path, check_real,
                       check_seed)
from ._options import WithOptions

__all__ = ["SplitConformal", "ClassConditionalConformal", "tune_raps", "coverage", "set_size",
           "size_stratified_coverage", "class_conditional_coverage", "coverage_under_attack",
           "ConformalRiskControl", "fnr_losses"]


class SplitConformal(WithOptions):
    """Split conformal prediction (one threshold for all classes).

    Args:
        score: ``"lac"``, ``"aps"``, ``"raps"``, ``"saps"`` or ``"topk"`` (see the module doc).
        alpha: miscoverage level in (0, 1).
        randomized: the randomised score (exact coverage) or not (conservative).
        lam, k_reg: RAPS penalty and free ranks; ``lam`` is also SAPS's rank weight. ``lam``
            defaults to the score's own: 0.01 for RAPS (Angelopoulos et al. 2021), 0.2 for SAPS
            (TorchCP's default; Huang et al. 2023 tune it on held-out data from a grid).
        input: ``"probs"`` (checked: in [0, 1], rows summing to 1) or ``"logits"``.
        seed: for the uniforms of randomised scores (default: ``bw.seed``'s).

    The options are C++'s ``ConformalOptions`` (``bulwark/_options.py``): defaults and checks
    live there, and read back as attributes (``cp.alpha``, ``cp.seed``).
    """

    _core_cls = "SplitConformal"
    def __init__(self, score="aps", alpha=0.1, randomized=True, lam=None, k_reg=5, input="probs",
                 seed=None):
        self._build(getattr(_core.conformal, self._core_cls), _core.conformal.ConformalOptions, locals())

    def fit(self, scores, labels):
        """Calibrates on ``scores`` (N, K) and ``labels`` (N,). Returns self."""
        fn = f"{type(self).__name__}.fit"
        t, _ = as_tensor(scores, fn, "scores")
        self._impl.fit(t, as_labels(labels, fn, "labels"))
        return self

    def predict(self, scores):
        """(N, K) bool prediction sets."""
        t, was_numpy = as_tensor(scores, f"{type(self).__name__}.predict", "scores")
        return back(self._impl.predict(t), was_numpy)

    def predict_sets(self, scores):
        """The sets as lists of labels, one list per sample."""
        mask = self.predict(scores)
        mask = torch.as_tensor(mask)
        return [row.nonzero().flatten().tolist() for row in mask]

    def save(self, path):
        """Writes the fitted predictor to a small JSON file (readable from C++,
        ``bulwark::conformal::SplitConformal::load``)."""
        self._impl.save(check_path(path, f"{type(self).__name__}.save"))

    @staticmethod
    def load(path):
        """A predictor saved by :meth:`save` (either class)."""
        impl = _core.conformal.SplitConformal.load(check_path(path, "load"))
        cls = ClassConditionalConformal if isinstance(impl, _core.conformal.ClassConditionalConformal) \
            else SplitConformal
        self = cls.__new__(cls)
        self._impl = impl
        return self

    @property
    def threshold(self):
        """q-hat, the calibrated score threshold (the largest per-class one for the Mondrian
        version)."""
        return self._impl.threshold

    @property
    def fitted(self):
        return self._impl.fitted


class ClassConditionalConformal(SplitConformal):
    """Class-conditional (Mondrian) conformal prediction (Vovk 2012): one threshold per class,
    from that class's calibration points, so coverage holds within every class. A class with
    fewer than 1/alpha - 1 calibration points gets threshold +inf (it is in every set) and is
    listed in ``small_classes``."""

    _core_cls = "ClassConditionalConformal"

    @property
    def thresholds(self):
        return self._impl.thresholds

    @property
    def small_classes(self):
        return list(self._impl.small_classes)


def _sets_and_labels(fn, sets, labels):
    s, was_numpy = as_tensor(sets, fn, "sets")
    if s.dtype != torch.bool:
        raise _core.ArgumentTypeError(f"{fn}: sets must be a bool mask (N, K), got dtype {s.dtype}")
    return s, as_labels(labels, fn, "labels", device=s.device), was_numpy


def coverage(sets, labels):
    """Fraction of samples whose set contains their label."""
    s, y, _ = _sets_and_labels("coverage", sets, labels)
    return _core.conformal.coverage(s, y)


def set_size(sets):
    """``(mean size, histogram)``: ``histogram[j]`` is the number of sets of size j, j = 0..K."""
    s, was_numpy = as_tensor(sets, "set_size", "sets")
    if s.dtype != torch.bool or s.dim() != 2:
        raise _core.ArgumentTypeError(f"set_size: sets must be a bool mask (N, K), got {s.dtype} {tuple(s.shape)}")
    sizes = _core.conformal.set_sizes(s)
    hist = torch.bincount(sizes.cpu(), minlength=s.shape[1] + 1)
    return float(sizes.double().mean()), back(hist, was_numpy)


def size_stratified_coverage(sets, labels, alpha, edges=None):
    """Size-stratified coverage violation (SSCV, Angelopoulos et al. 2021): the worst
    ``|coverage - (1 - alpha)|`` over set-size strata ``[edges[j], edges[j+1])``. Default strata:
    sizes 0-1, 2-3, 4-10, 11-100, 101-K (the paper's, for 1,000 classes), cut to K."""
    fn = "size_stratified_coverage"
    s, y, _ = _sets_and_labels(fn, sets, labels)
    a = check_real(alpha, fn, "alpha")
    if edges is None:
        k = s.shape[1]
        edges = sorted({e for e in (0, 2, 4, 11, 101) if e <= k} | {k + 1})
    return _core.conformal.size_stratified_coverage_violation(s, y, a, [int(e) for e in edges])


def class_conditional_coverage(sets, labels, alpha=None):
    """Per-class coverage ``(K,)`` (NaN for classes absent from ``labels``); with ``alpha``,
    also the coverage gap, the mean over classes of ``|coverage_k - (1 - alpha)|``."""
    fn = "class_conditional_coverage"
    s, y, was_numpy = _sets_and_labels(fn, sets, labels)
    per = _core.conformal.class_coverage(s, y, s.shape[1])
    if alpha is None:
        return back(per, was_numpy)
    a = check_real(alpha, fn, "alpha")
    present = ~torch.isnan(per)
    gap = float((per[present] - (1 - a)).abs().mean())
    return back(per, was_numpy), gap


def tune_raps(probs, labels, alpha=0.1, randomized=True, lams=(0.001, 0.01, 0.1, 0.2, 0.5),
              seed=None):
    """RAPS's ``k_reg`` and ``lam`` chosen on a tuning split, as Angelopoulos et al. (2021) do:
    ``k_reg`` = 1 + the (1 - alpha) quantile of the true labels' 0-based ranks, then the ``lam``
    in ``lams`` giving the smallest mean set size on the tuning split. Returns
    ``{"k_reg", "lam", "mean_sizes"}``; use a split disjoint from the calibration data."""
    fn = "tune_raps"
    p, _ = as_tensor(probs, fn, "probs")
    y = as_labels(labels, fn, "labels")
    a = check_real(alpha, fn, "alpha")
    lam_list = [check_real(v, fn, "lams") for v in lams]
    r = _core.conformal.tune_raps(p, y, a, check_bool(randomized, fn, "randomized"), lam_list,
                                  check_seed(seed, fn, allow_none=True))
    return {"k_reg": r.k_reg, "lam": r.lam, "mean_sizes": dict(zip(lam_list, r.mean_sizes))}


def coverage_under_attack(predictor, model, x, y, attack, batch_size=500):
    """How much coverage adversarial inputs take away (Gendler et al. 2022): the fitted
    ``predictor`` (on the model's softmax probabilities) evaluated on clean ``x`` and on
    ``attack(model, x, y)``. Returns ``{"clean": {"coverage", "mean_size"}, "attacked": {...}}``."""
    fn = "coverage_under_attack"
    if not isinstance(predictor, SplitConformal):
        raise _core.ArgumentTypeError(f"{fn}: predictor must be a fitted bw.conformal predictor, got "
                        f"{type(predictor).__name__}")
    from .attacks import Attack
    from .classifier import as_classifier
    if not isinstance(attack, Attack):
        raise _core.ArgumentTypeError(f"{fn}: attack must be a bulwark attack, got {type(attack).__name__}")
    clf = as_classifier(model, fn)
    xt, _ = as_tensor(x, fn, "x")
    yt = as_labels(y, fn, "y", device=xt.device)
    bs = check_int(batch_size, fn, "batch_size", low=1)
    out = {}
    for name in ("clean", "attacked"):
        sets = []
        for i in range(0, len(xt), bs):
            xb, yb = xt[i:i + bs], yt[i:i + bs]
            if name == "attacked":
                xb = attack(clf, xb, yb)
            with torch.no_grad():
                z = clf.logits(xb)
            sets.append(predictor.predict(z if predictor.input == "logits" else torch.softmax(z.double(), 1)))
        s = torch.cat(sets)
        out[name] = {"coverage": coverage(s, yt), "mean_size": set_size(s)[0]}
    return out


def fnr_losses(scores, targets, lambdas):
    """``(n, m)`` false-negative rates of the multi-label sets ``{k : scores_k >= 1 - lambda}``
    for each ``lambda`` in ``lambdas``: ``1 - |Y and C| / |Y|`` (0 for an empty ``Y``)."""
    fn = "fnr_losses"
    s, was_numpy = as_tensor(scores, fn, "scores")
    t, _ = as_tensor(targets, fn, "targets")
    lam, _ = as_tensor(lambdas, fn, "lambdas")
    return back(_core.conformal.fnr_losses(s, t.bool() if t.dtype != torch.bool else t, lam), was_numpy)


class ConformalRiskControl:
    """Conformal risk control (Angelopoulos et al. 2022): picks ``lambda`` so that the expected
    loss on a new point is at most ``alpha``, for any loss in ``[0, bound]`` that does not
    increase with ``lambda`` (e.g. the false-negative rate of multi-label sets,
    :func:`fnr_losses`).

        crc = bw.conformal.ConformalRiskControl(alpha=0.1).fit(losses, lambdas)
        crc.lambda_            # the smallest lambda with n/(n+1) mean loss + bound/(n+1) <= alpha

    ``losses``: ``(n, m)``, ``losses[i, j]`` the loss of calibration point i at ``lambdas[j]``
    (ascending). For the multi-label FNR, ``predict(scores)`` gives the sets.
    """

    def __init__(self, alpha=0.1, bound=1.0):
        fn = "ConformalRiskControl"
        self.alpha, self.bound = check_real(alpha, fn, "alpha"), check_real(bound, fn, "bound")
        _core.conformal.check_risk_control_options(self.alpha, self.bound, fn)
        self.lambda_ = None

    def fit(self, losses, lambdas):
        fn = "ConformalRiskControl.fit"
        l, _ = as_tensor(losses, fn, "losses")
        lam, _ = as_tensor(lambdas, fn, "lambdas")
        r = _core.conformal.risk_control(l, lam.double(), self.alpha, self.bound)
        self.lambda_, self.index_, self.bound_value_ = r.lambda_, r.index, r.bound_value
        return self

    def predict(self, scores):
        """Multi-label sets ``scores >= 1 - lambda_`` (``(n, K)`` bool), for scores in [0, 1]."""
        if self.lambda_ is None:
            raise _core.InvalidArgumentError("ConformalRiskControl.predict: call fit() first")
        s, was_numpy = as_tensor(scores, "ConformalRiskControl.predict", "scores")
        return back(s >= 1 - self.lambda_, was_numpy)

    def __repr__(self):
        return f"ConformalRiskControl(alpha={self.alpha}, bound={self.bound}, lambda_={self.lambda_})"
