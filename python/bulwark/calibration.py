"""Calibrators: make a classifier's confidence mean what it says.

    ts = bw.calibration.TemperatureScaling().fit(logits_val, y_val)
    probs = ts.predict_proba(logits_test)        # softmax(logits / T)
    ts.save("ts.json"); bw.calibration.load("ts.json")   # any calibrator, also from C++

Multi-class calibrators map ``(N, K)`` scores to ``(N, K)`` probabilities; the binary ones
(``PlattScaling``, ``BetaCalibration``) map ``(N,)`` scores to ``P(y = 1)`` of shape ``(N,)``.
Inputs: torch tensors or numpy arrays, float32 or float64; results come back in the type given.
Every calibrator: ``fit(scores, labels)`` returns self; ``predict_proba``; ``save(path)`` and
``Class.load(path)`` through a small JSON file that C++ reads with
``bulwark::calibration::load_calibrator``. A file of another kind, a corrupt file, inputs with
another K, NaN/Inf, bad labels or an unfitted calibrator raise ``ValueError``/``TypeError``.
"""

from . import _core
from ._convert import as_labels, as_tensor, back, check_bool, check_int, check_path, check_real
from ._saved import SavedObject

__all__ = ["TemperatureScaling", "VectorScaling", "MatrixScaling", "DirichletCalibration",
           "HistogramBinning", "IsotonicCalibration", "PlattScaling", "BetaCalibration", "load"]


class _Calibrator(SavedObject):
    """What every calibrator shares; ``_impl`` is the C++ object."""

    _load_impl = staticmethod(lambda path: _core.calibration.load_calibrator(path))

    def fit(self, scores, labels):
        fn = f"{type(self).__name__}.fit"
        s, _ = as_tensor(scores, fn, "scores")
        self._impl.fit(s, as_labels(labels, fn, "labels"))
        return self

    def predict_proba(self, scores):
        s, was_numpy = as_tensor(scores, f"{type(self).__name__}.predict_proba", "scores")
        return back(self._impl.predict_proba(s), was_numpy)

    @property
    def fitted(self):
        return self._impl.fitted

    def _transform(self, scores):
        s, was_numpy = as_tensor(scores, f"{type(self).__name__}.transform", "scores")
        return back(self._impl.transform(s), was_numpy)

    def __repr__(self):
        return f"{type(self).__name__}({'fitted' if self.fitted else 'unfitted'})"


class TemperatureScaling(_Calibrator):
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
        self.tol = check_real(tol, fn, "tol")
        self.max_iter = check_int(max_iter, fn, "max_iter")
        self._impl = _core.calibration.TemperatureScaling(self.tol, self.max_iter)

    def fit(self, logits, labels):
        return super().fit(logits, labels)

    def transform(self, logits):
        """Calibrated logits, ``logits / T``."""
        return self._transform(logits)

    def predict_proba(self, logits):
        """Calibrated probabilities, ``softmax(logits / T)``."""
        return super().predict_proba(logits)

    @property
    def temperature(self):
        return self._impl.temperature

    @property
    def iterations(self):
        return self._impl.iterations

    @property
    def nll(self):
        """The mean NLL of the fitting data at the fitted temperature (saved with it)."""
        return self._impl.nll

    def _restore(self):  # what the loaded C++ object holds (C++'s defaults: files keep no fit settings)
        self.tol, self.max_iter = self._impl.tol, self._impl.max_iter

    def __repr__(self):
        return repr(self._impl)


class _Affine(_Calibrator):
    """softmax(W x + b): fitted by L-BFGS on the penalised mean NLL (convex) to max |gradient|
    <= gtol (or the objective's rounding floor; fit raises if the gradient there is > 1e-6)."""

    def transform(self, scores):
        """Calibrated logits ``W x + b`` (``x`` the logits, or log-probabilities for Dirichlet)."""
        return self._transform(scores)

    @property
    def weight(self):
        """``(K,)`` for vector scaling, ``(K, K)`` otherwise; float64."""
        return self._impl.weight

    @property
    def bias(self):
        return self._impl.bias

    @property
    def iterations(self):
        return self._impl.iterations

    @property
    def objective(self):
        """The penalised mean NLL at the fit."""
        return self._impl.objective

    @property
    def grad_max(self):
        """max |gradient| of the objective at the fit."""
        return self._impl.grad_max


def _fit_options(fn, gtol, max_iter):
    return (check_real(gtol, fn, "gtol"),
            check_int(max_iter, fn, "max_iter"))


class _ScalingToIdentity(_Affine):
    def __init__(self, reg, gtol, max_iter):
        fn = type(self).__name__
        self.reg = check_real(reg, fn, "reg")
        self.gtol, self.max_iter = _fit_options(fn, gtol, max_iter)
        self._impl = getattr(_core.calibration, fn)(self.reg, self.gtol, self.max_iter)

    def _restore(self):
        self.reg, self.gtol, self.max_iter = self._impl.reg, self._impl.gtol, self._impl.max_iter


class VectorScaling(_ScalingToIdentity):
    """Vector scaling (Guo et al. 2017): ``softmax(w * z + b)`` on logits, ``w, b`` in ``R^K``,
    minimising ``mean NLL + reg * (||w - 1||^2 + ||b||^2)``."""

    def __init__(self, reg=0.0, gtol=1e-8, max_iter=1000):
        super().__init__(reg, gtol, max_iter)


class MatrixScaling(_ScalingToIdentity):
    """Matrix scaling (Guo et al. 2017): ``softmax(W z + b)`` on logits, minimising
    ``mean NLL + reg * (||W - I||_F^2 + ||b||^2)`` (L2 towards the identity map; ``reg=0`` is
    the unregularised original, which overfits and diverges on separable logits)."""

    def __init__(self, reg=1e-3, gtol=1e-8, max_iter=1000):
        super().__init__(reg, gtol, max_iter)


class DirichletCalibration(_Affine):
    """Dirichlet calibration (Kull et al. 2019): ``softmax(W log p + b)`` on probabilities
    (``logits=True``: on logits, ``log p = log_softmax(z)``) with ODIR regularisation,
    minimising ``mean NLL + reg_lambda / (K (K-1)) * sum_{i != j} W_ij^2 + reg_mu / K * ||b||^2``.
    Zero probabilities are clipped to the input type's smallest normal number before the log."""

    def __init__(self, reg_lambda=1e-3, reg_mu=1e-3, logits=False, gtol=1e-8, max_iter=1000):
        fn = "DirichletCalibration"
        self.reg_lambda = check_real(reg_lambda, fn, "reg_lambda")
        self.reg_mu = check_real(reg_mu, fn, "reg_mu")
        self.logits = check_bool(logits, fn, "logits")
        self.gtol, self.max_iter = _fit_options(fn, gtol, max_iter)
        self._impl = _core.calibration.DirichletCalibration(self.reg_lambda, self.reg_mu, self.logits,
                                                            self.gtol, self.max_iter)

    def _restore(self):
        self.reg_lambda, self.reg_mu = self._impl.reg_lambda, self._impl.reg_mu
        self.logits = self._impl.logits
        self.gtol, self.max_iter = self._impl.gtol, self._impl.max_iter


class HistogramBinning(_Calibrator):
    """Histogram binning (Zadrozny & Elkan 2001): ``bins`` equal-width bins of a score, each
    mapped to the empirical frequency of its event on the calibration data (an empty bin keeps
    its centre). Top-label (default): the score is the top confidence and the event "the top
    class is right"; the other classes share the remaining mass in proportion.
    ``classwise=True``: each class's probability against ``[y = k]``, rows renormalised.
    Scores are probabilities, or logits with ``logits=True``."""

    def __init__(self, bins=15, classwise=False, logits=False):
        fn = "HistogramBinning"
        self.bins = check_int(bins, fn, "bins")
        self.classwise = check_bool(classwise, fn, "classwise")
        self.logits = check_bool(logits, fn, "logits")
        self._impl = _core.calibration.HistogramBinning(self.bins, self.classwise, self.logits)

    @property
    def bin_values(self):
        return self._impl.bin_values

    def _restore(self):
        values = self._impl.bin_values
        self.bins, self.classwise = values.shape[1], values.shape[0] > 1
        self.logits = self._impl.logits


class IsotonicCalibration(_Calibrator):
    """Isotonic regression per class, one-vs-rest (Zadrozny & Elkan 2002): the non-decreasing
    map of ``p_k`` to ``[y = k]`` by pool-adjacent-violators (ties in ``p_k`` averaged),
    evaluated by linear interpolation between knots and clamped at the ends; rows renormalised
    (uniform where every class maps to 0). Scores are probabilities, or logits with
    ``logits=True``."""

    def __init__(self, logits=False):
        self.logits = check_bool(logits, "IsotonicCalibration", "logits")
        self._impl = _core.calibration.IsotonicCalibration(self.logits)

    def _restore(self):
        self.logits = self._impl.logits


class PlattScaling(_Calibrator):
    """Platt scaling (Platt 1999; Newton's method as in Lin, Lin & Weng 2007) for binary
    problems: ``P(y = 1) = sigmoid(a * s + c)`` on real-valued scores ``s`` of shape ``(N,)``
    (decision values, or the logit difference ``z[:, 1] - z[:, 0]``), fitted by maximum
    likelihood against Platt's smoothed targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``
    (0/1 targets with ``smooth_targets=False``). Labels are 0/1."""

    def __init__(self, smooth_targets=True):
        self.smooth_targets = check_bool(smooth_targets, "PlattScaling", "smooth_targets")
        self._impl = _core.calibration.PlattScaling(self.smooth_targets)

    def _restore(self):
        self.smooth_targets = self._impl.smooth_targets

    def transform(self, scores):
        """The calibrated logit ``a * s + c``."""
        return self._transform(scores)

    @property
    def a(self):
        return self._impl.a

    @property
    def c(self):
        return self._impl.c


class BetaCalibration(_Calibrator):
    """Beta calibration (Kull, Silva Filho & Flach 2017), the three-parameter map for binary
    problems: ``P(y = 1) = sigmoid(a ln s - b ln(1 - s) + c)`` on probabilities ``s`` of shape
    ``(N,)`` (clipped to ``[eps, 1 - eps]``), ``a, b >= 0``: a logistic regression on
    ``(ln s, -ln(1 - s))``; a coefficient that comes out negative is fixed at 0 and the other
    refitted, as in the authors' code. Labels are 0/1."""

    def __init__(self):
        self._impl = _core.calibration.BetaCalibration()

    def transform(self, scores):
        """The calibrated logit ``a ln s - b ln(1 - s) + c``."""
        return self._transform(scores)

    @property
    def parameters(self):
        """``(a, b, c)``."""
        return tuple(self._impl.parameters)


_KINDS = {cls.__name__: cls for cls in (TemperatureScaling, VectorScaling, MatrixScaling,
                                        DirichletCalibration, HistogramBinning,
                                        IsotonicCalibration, PlattScaling, BetaCalibration)}


def load(path):
    """Whichever calibrator the file at ``path`` holds."""
    impl = _core.calibration.load_calibrator(check_path(path, "calibration.load"))
    return _KINDS[impl.kind]._wrap(impl)
