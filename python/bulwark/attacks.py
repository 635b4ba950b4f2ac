"""Attacks on continuous inputs (images, tabular rows, embeddings).

    atk = bw.attacks.FGSM(eps=0.1)
    x_adv = atk(model, x, y)          # same shape, dtype and device (or numpy in, numpy out)
    res = atk.run(model, x, y)        # res.x_adv, res.success, res.norm, res.queries

``model`` is a :class:`bulwark.Classifier`, or any ``nn.Module``/callable (wrapped with
bounds (0, 1)).
"""

from . import _core
from ._convert import (as_labels, as_tensor, back, check_bool, check_int, check_real, check_seed,
                       check_str, kwargs_repr)
from .classifier import as_classifier


class AttackResult:
    """What :meth:`Attack.run` returns.

    Attributes:
        x_adv: adversarial inputs, like ``x``.
        success: ``(N,)`` bool, the attack's goal reached (misclassified, or the target hit).
        norm: ``(N,)`` perturbation norm ``||x_adv - x||`` in the attack's norm.
        queries: forward/backward calls and samples the attack spent, the final check included.
    """

    def __init__(self, raw, was_numpy):
        self.x_adv = back(raw.x_adv, was_numpy)
        self.success = back(raw.success, was_numpy)
        self.norm = back(raw.norm, was_numpy)
        self.queries = raw.queries

    def __repr__(self):
        n = len(self.success)
        return (f"AttackResult(n={n}, success_rate={float(self.success.sum()) / max(n, 1):.4f}, "
                f"queries={self.queries})")


class Attack:
    """Base of the attacks: validation and conversion around the C++ implementation."""

    _impl = None
    _params = ()

    def __call__(self, model, x, y):
        fn = f"{type(self).__name__}.__call__"
        clf, t, yt, was_numpy = self._prepare(fn, model, x, y)
        return back(self._impl(clf._impl, t, yt), was_numpy)

    def run(self, model, x, y):
        fn = f"{type(self).__name__}.run"
        clf, t, yt, was_numpy = self._prepare(fn, model, x, y)
        return AttackResult(self._impl.run(clf._impl, t, yt), was_numpy)

    def _prepare(self, fn, model, x, y):
        clf = as_classifier(model, fn)
        t, was_numpy = as_tensor(x, fn, "x")
        return clf, t, as_labels(y, fn, device=t.device), was_numpy

    @property
    def norm(self):
        return self._impl.norm

    def __repr__(self):
        return kwargs_repr(self, self._params)


class FGSM(Attack):
    """Fast Gradient Sign Method (Goodfellow et al. 2015): one step of ``step_size`` along
    ``sign(grad)`` (Linf) or ``grad / ||grad||_2`` (L2), projected onto the eps-ball and the box.

    ``random_start=True`` is the variant of Wong et al. (2020): start from a uniform point of
    the eps-ball and step ``1.25 * eps`` (unless ``step_size`` is given). ``targeted=True``
    descends the loss towards the labels given as ``y``. ``loss``: ``"ce"``, ``"margin"``, ``"dlr"``.
    """

    _params = ("eps", "norm", "loss", "random_start", "step_size", "targeted", "seed")

    def __init__(self, eps=8 / 255, norm="linf", loss="ce", random_start=False, step_size=None,
                 targeted=False, seed=None):
        fn = "FGSM"
        self.eps = check_real(eps, fn, "eps", low=0)
        self.loss = check_str(loss, fn, "loss")
        self.random_start = check_bool(random_start, fn, "random_start")
        step = check_real(step_size, fn, "step_size", low=0, low_inclusive=False, allow_none=True)
        self.targeted = check_bool(targeted, fn, "targeted")
        seed = check_seed(seed, fn, allow_none=True)
        self._impl = _core.attacks.FGSM(self.eps, check_str(norm, fn, "norm"), self.loss,
                                        self.random_start, step, self.targeted, seed)
        self.step_size = self._impl.step_size
        self.seed = _core.default_seed() if seed is None else seed


class PGD(Attack):
    """Projected Gradient Descent (Madry et al. 2018).

    ``steps`` steps of size ``step_size`` (default ``2.5 * eps / steps``) of steepest ascent of
    ``loss`` in ``norm``, each projected onto the eps-ball around ``x`` and the box:
    ``"linf"`` along ``sign(grad)``, ``"l2"`` along ``grad / ||grad||_2``, ``"l1"`` by sparse
    L1 descent (Tramèr & Boneh 2019): only coordinates whose ``|grad|`` lies above the
    ``l1_sparsity`` quantile move. ``random_start`` draws the start uniformly from the eps-ball;
    with ``restarts`` each sample keeps its strongest example (successful first, then highest
    loss) among all evaluated iterates. ``targeted=True`` descends the loss towards ``y``.
    """

    _params = ("eps", "norm", "steps", "step_size", "random_start", "restarts", "loss",
               "targeted", "l1_sparsity", "seed")

    def __init__(self, eps=8 / 255, norm="linf", steps=10, step_size=None, random_start=True,
                 restarts=1, loss="ce", targeted=False, l1_sparsity=0.99, seed=None):
        fn = "PGD"
        self.eps = check_real(eps, fn, "eps", low=0)
        self.steps = check_int(steps, fn, "steps", low=1)
        step = check_real(step_size, fn, "step_size", low=0, low_inclusive=False, allow_none=True)
        self.random_start = check_bool(random_start, fn, "random_start")
        self.restarts = check_int(restarts, fn, "restarts", low=1)
        self.loss = check_str(loss, fn, "loss")
        self.targeted = check_bool(targeted, fn, "targeted")
        self.l1_sparsity = check_real(l1_sparsity, fn, "l1_sparsity", low=0)
        seed = check_seed(seed, fn, allow_none=True)
        self._impl = _core.attacks.PGD(self.eps, check_str(norm, fn, "norm"), self.steps, step,
                                       self.random_start, self.restarts, self.loss, self.targeted,
                                       self.l1_sparsity, seed)
        self.step_size = self._impl.step_size
        self.seed = self._impl.seed
