"""Attacks on continuous inputs (images, tabular rows, embeddings).

    atk = bw.attacks.PGD(eps=0.1, steps=40)
    x_adv = atk(model, x, y)          # same shape, dtype and device (or numpy in, numpy out)
    res = atk.run(model, x, y)        # res.x_adv, res.success, res.norm, res.queries

    aa = bw.attacks.AutoAttack(eps=0.1)
    res = aa.run(model, x, y)         # res.report: robust accuracy and time after each attack

    ev = bw.attacks.evaluate(model, (x, y), [bw.attacks.FGSM(0.1), aa], batch_size=500)

``model`` is a :class:`bulwark.Classifier`, or any ``nn.Module``/callable (wrapped with
bounds (0, 1)). Fixed-budget attacks keep ``||x_adv - x|| <= eps``; the minimal-norm attacks
(:class:`FAB`, :class:`DeepFool`, :class:`CW`) return the smallest adversarial perturbation
they find. Every gradient attack takes ``eot_samples`` (expectation over transformation,
Athalye et al. 2018) for models with randomness in the forward pass.
"""

from . import _core
from ._convert import (as_labels, as_tensor, back, check_bool, check_int, check_real, check_seed,
                       check_str, kwargs_repr)
from ._progress import sample_bar
from .classifier import as_classifier

__all__ = ["Attack", "AttackResult", "FGSM", "PGD", "MIFGSM", "APGD", "APGDT", "FAB", "FABT",
           "Square", "CW", "DeepFool", "AutoAttack", "targets", "evaluate", "Evaluation"]


class AttackResult:
    """What :meth:`Attack.run` returns.

    Attributes:
        x_adv: adversarial inputs, like ``x``.
        success: ``(N,)`` bool, the attack's goal reached (misclassified, or the target hit).
        norm: ``(N,)`` perturbation norm ``||x_adv - x||`` in the attack's norm.
        queries: forward/backward calls and samples the attack spent, the final check included.
        report: for :class:`AutoAttack`, one dict per sub-attack (``attack``, ``attacked``,
            ``broken``, ``robust_accuracy`` after it, ``seconds``, ``queries``); else None.
    """

    def __init__(self, raw, was_numpy, report=None, clean_accuracy=None):
        self.x_adv = back(raw.x_adv, was_numpy)
        self.success = back(raw.success, was_numpy)
        self.norm = back(raw.norm, was_numpy)
        self.queries = raw.queries
        self.report = report
        self.clean_accuracy = clean_accuracy

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

    def _build(self, cls, **options):
        """Keeps the checked options as attributes and builds the C++ attack from them."""
        for k, v in options.items():
            if not isinstance(getattr(type(self), k, None), property):  # norm, targeted
                setattr(self, k, v)
        self._impl = cls(options)

    @property
    def norm(self):
        return self._impl.norm

    @property
    def targeted(self):
        return self._impl.targeted

    def __repr__(self):
        return kwargs_repr(self, self._params)


def _common(fn, eps=None, norm=None, steps=None, loss=None, targeted=None, eot_samples=None,
            seed=None, seed_given=False):
    """The checks every attack shares; returns the options that were passed."""
    out = {}
    if eps is not None:
        out["eps"] = check_real(eps, fn, "eps", low=0)
    if norm is not None:
        out["norm"] = check_str(norm, fn, "norm")
    if steps is not None:
        out["steps"] = check_int(steps, fn, "steps", low=1)
    if loss is not None:
        out["loss"] = check_str(loss, fn, "loss")
    if targeted is not None:
        out["targeted"] = check_bool(targeted, fn, "targeted")
    if eot_samples is not None:
        out["eot_samples"] = check_int(eot_samples, fn, "eot_samples", low=1)
    if seed_given:
        out["seed"] = check_seed(seed, fn, allow_none=True)
    return out


def _seeded(attack):
    """Replace a None seed by the one the C++ side resolved (bw.seed's default)."""
    attack.seed = attack._impl.seed
    return attack


class FGSM(Attack):
    """Fast Gradient Sign Method (Goodfellow et al. 2015): one step of ``step_size`` along
    ``sign(grad)`` (Linf) or ``grad / ||grad||_2`` (L2), projected onto the eps-ball and the box.

    ``random_start=True`` is the variant of Wong et al. (2020): start from a uniform point of
    the eps-ball and step ``1.25 * eps`` (unless ``step_size`` is given). ``targeted=True``
    descends the loss towards the labels given as ``y``. ``loss``: ``"ce"``, ``"margin"``, ``"dlr"``.
    """

    _params = ("eps", "norm", "loss", "random_start", "step_size", "targeted", "eot_samples", "seed")

    def __init__(self, eps=8 / 255, norm="linf", loss="ce", random_start=False, step_size=None,
                 targeted=False, eot_samples=1, seed=None):
        fn = "FGSM"
        self._build(_core.attacks.FGSM,
                    **_common(fn, eps=eps, norm=norm, loss=loss, targeted=targeted,
                              eot_samples=eot_samples, seed=seed, seed_given=True),
                    random_start=check_bool(random_start, fn, "random_start"),
                    step_size=check_real(step_size, fn, "step_size", low=0, low_inclusive=False,
                                         allow_none=True))
        self.step_size = self._impl.step_size
        _seeded(self)


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
               "targeted", "l1_sparsity", "eot_samples", "seed")

    def __init__(self, eps=8 / 255, norm="linf", steps=10, step_size=None, random_start=True,
                 restarts=1, loss="ce", targeted=False, l1_sparsity=0.99, eot_samples=1, seed=None):
        fn = "PGD"
        self._build(_core.attacks.PGD,
                    **_common(fn, eps=eps, norm=norm, steps=steps, loss=loss, targeted=targeted,
                              eot_samples=eot_samples, seed=seed, seed_given=True),
                    step_size=check_real(step_size, fn, "step_size", low=0, low_inclusive=False,
                                         allow_none=True),
                    random_start=check_bool(random_start, fn, "random_start"),
                    restarts=check_int(restarts, fn, "restarts", low=1),
                    l1_sparsity=check_real(l1_sparsity, fn, "l1_sparsity", low=0))
        self.step_size = self._impl.step_size
        _seeded(self)


class MIFGSM(Attack):
    """Momentum Iterative FGSM (Dong et al. 2018): the gradient, L1-normalised, accumulates in a
    momentum ``g <- decay * g + grad / ||grad||_1``; each of ``steps`` steps moves
    ``step_size`` (default ``eps / steps``) along ``sign(g)`` (Linf) or ``g / ||g||_2`` (L2)."""

    _params = ("eps", "norm", "steps", "step_size", "decay", "loss", "targeted", "eot_samples")

    def __init__(self, eps=8 / 255, norm="linf", steps=10, step_size=None, decay=1.0, loss="ce",
                 targeted=False, eot_samples=1):
        fn = "MIFGSM"
        self._build(_core.attacks.MIFGSM,
                    **_common(fn, eps=eps, norm=norm, steps=steps, loss=loss, targeted=targeted,
                              eot_samples=eot_samples),
                    step_size=check_real(step_size, fn, "step_size", low=0, low_inclusive=False,
                                         allow_none=True),
                    decay=check_real(decay, fn, "decay", low=0))
        self.step_size = self._impl.step_size


class APGD(Attack):
    """Auto-PGD (Croce & Hein 2020): PGD with momentum and the paper's step-size schedule (halved
    at checkpoints when the loss stalls, restarting from the best point). ``loss``: ``"ce"`` or
    ``"dlr"`` (or ``"margin"``). Only samples not yet adversarial are attacked; each returns its
    first successful point, else its highest-loss point. ``restarts`` start from random points
    on the eps-sphere. ``targeted=True`` (ce/margin) descends the loss towards ``y``."""

    _params = ("eps", "norm", "steps", "restarts", "loss", "rho", "targeted", "eot_samples", "seed")

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, loss="ce", rho=0.75,
                 targeted=False, eot_samples=1, seed=None):
        fn = "APGD"
        self._build(_core.attacks.APGD,
                    **_common(fn, eps=eps, norm=norm, steps=steps, loss=loss, targeted=targeted,
                              eot_samples=eot_samples, seed=seed, seed_given=True),
                    restarts=check_int(restarts, fn, "restarts", low=1),
                    rho=check_real(rho, fn, "rho", low=0, low_inclusive=False))
        _seeded(self)


class APGDT(Attack):
    """APGD on the targeted DLR loss (Croce & Hein 2020) towards each of the ``num_targets``
    highest-scoring other classes in turn, on the samples still robust. The goal is
    misclassification (``y`` are the true labels)."""

    _params = ("eps", "norm", "steps", "restarts", "num_targets", "rho", "eot_samples", "seed")

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, num_targets=9, rho=0.75,
                 eot_samples=1, seed=None):
        fn = "APGDT"
        self._build(_core.attacks.APGDT,
                    **_common(fn, eps=eps, norm=norm, steps=steps, eot_samples=eot_samples,
                              seed=seed, seed_given=True),
                    restarts=check_int(restarts, fn, "restarts", low=1),
                    num_targets=check_int(num_targets, fn, "num_targets", low=1),
                    rho=check_real(rho, fn, "rho", low=0, low_inclusive=False))
        _seeded(self)


class FAB(Attack):
    """Fast Adaptive Boundary attack (Croce & Hein 2020), minimal-norm (Linf or L2): steps onto
    the closest linearised decision boundary, biased towards ``x``, keeping each sample's
    smallest adversarial perturbation. ``eps`` is the random-restart radius, and a sample whose
    best perturbation is within ``eps`` is not attacked further. Needs a bounded box."""

    _params = ("eps", "norm", "steps", "restarts", "alpha_max", "eta", "beta", "seed")
    _core_cls = "FAB"

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, alpha_max=0.1, eta=1.05,
                 beta=0.9, seed=None, num_targets=9):
        fn = type(self).__name__
        self._build(getattr(_core.attacks, self._core_cls),
                    **_common(fn, eps=eps, norm=norm, steps=steps, seed=seed, seed_given=True),
                    restarts=check_int(restarts, fn, "restarts", low=1),
                    alpha_max=check_real(alpha_max, fn, "alpha_max", low=0),
                    eta=check_real(eta, fn, "eta", low=1),
                    beta=check_real(beta, fn, "beta", low=0, low_inclusive=False),
                    num_targets=check_int(num_targets, fn, "num_targets", low=1))
        _seeded(self)


class FABT(FAB):
    """FAB towards each of the ``num_targets`` highest-scoring other classes in turn (the
    targeted FAB AutoAttack runs); one backward per step instead of K. The goal is
    misclassification."""

    _params = FAB._params + ("num_targets",)
    _core_cls = "FABT"


class Square(Attack):
    """Square Attack (Andriushchenko et al. 2020): score-based random search, forward passes only.
    Each sample spends at most ``queries`` model evaluations (the clean check included) and
    stops once adversarial. ``p_init``: the initial fraction of pixels changed per step.
    Images ``(N, C, H, W)`` or ``(N, H, W)``; Linf also flat ``(N, D)``."""

    _params = ("eps", "norm", "queries", "p_init", "rescale_schedule", "loss", "targeted", "seed")

    def __init__(self, eps=8 / 255, norm="linf", queries=5000, p_init=0.8, rescale_schedule=True,
                 loss="margin", targeted=False, seed=None):
        fn = "Square"
        self._build(_core.attacks.Square,
                    **_common(fn, eps=eps, norm=norm, loss=loss, targeted=targeted, seed=seed,
                              seed_given=True),
                    queries=check_int(queries, fn, "queries", low=2),
                    p_init=check_real(p_init, fn, "p_init", low=0, low_inclusive=False),
                    rescale_schedule=check_bool(rescale_schedule, fn, "rescale_schedule"))
        _seeded(self)


class CW(Attack):
    """Carlini & Wagner (2017) L2, minimal-norm: Adam on ``||delta||^2 + c * f(x + delta)`` in
    tanh space, with a per-sample binary search over ``c``. Returns each sample's smallest
    successful example (with margin ``kappa``), else ``x``."""

    _params = ("c", "kappa", "steps", "binary_search_steps", "lr", "abort_early", "targeted")

    def __init__(self, c=1e-3, kappa=0.0, steps=100, binary_search_steps=9, lr=1e-2,
                 abort_early=True, targeted=False):
        fn = "CW"
        self._build(_core.attacks.CW,
                    **_common(fn, steps=steps, targeted=targeted),
                    c=check_real(c, fn, "c", low=0, low_inclusive=False),
                    kappa=check_real(kappa, fn, "kappa", low=0),
                    binary_search_steps=check_int(binary_search_steps, fn, "binary_search_steps",
                                                  low=1),
                    lr=check_real(lr, fn, "lr", low=0, low_inclusive=False),
                    abort_early=check_bool(abort_early, fn, "abort_early"))


class DeepFool(Attack):
    """DeepFool (Moosavi-Dezfooli et al. 2016), minimal-norm: repeated steps onto the closest
    linearised boundary among the ``candidates`` top classes until the label flips, scaled by
    ``1 + overshoot``. ``norm``: ``"l2"`` or ``"linf"``."""

    _params = ("norm", "steps", "overshoot", "candidates")

    def __init__(self, norm="l2", steps=50, overshoot=0.02, candidates=10):
        fn = "DeepFool"
        self._build(_core.attacks.DeepFool,
                    **_common(fn, norm=norm, steps=steps),
                    overshoot=check_real(overshoot, fn, "overshoot", low=0),
                    candidates=check_int(candidates, fn, "candidates", low=2))


class AutoAttack(Attack):
    """AutoAttack (Croce & Hein 2020): the parameter-free ensemble, each attack run only on the
    samples still robust. ``version``: ``"standard"`` (APGD-CE, APGD-T, FAB-T, Square),
    ``"plus"`` (adds APGD-DLR and FAB, 5 restarts) or ``"rand"`` (APGD-CE and APGD-DLR with
    ``eot_samples`` EOT draws, for randomised defences). Each attack runs on all the samples
    still robust, ``batch_size`` at a time. :meth:`run` adds ``report`` (robust accuracy, time
    and queries after each attack) to the result."""

    _params = ("eps", "norm", "version", "steps", "square_queries", "eot_samples", "batch_size",
               "seed")

    def __init__(self, eps=8 / 255, norm="linf", version="standard", steps=100,
                 square_queries=5000, eot_samples=20, batch_size=250, seed=None):
        fn = "AutoAttack"
        self._build(_core.attacks.AutoAttack,
                    **_common(fn, eps=eps, norm=norm, steps=steps, eot_samples=eot_samples,
                              seed=seed, seed_given=True),
                    version=check_str(version, fn, "version"),
                    square_queries=check_int(square_queries, fn, "square_queries", low=2),
                    batch_size=check_int(batch_size, fn, "batch_size", low=1))
        _seeded(self)

    @property
    def attacks(self):
        """``[(name, attack), ...]`` in the order they run (C++ attack objects)."""
        return self._impl.attacks

    def run(self, model, x, y):
        fn = "AutoAttack.run"
        clf, t, yt, was_numpy = self._prepare(fn, model, x, y)
        raw, clean, report = self._impl.run_with_report(clf._impl, t, yt)
        return AttackResult(raw, was_numpy, report=report, clean_accuracy=clean)


def targets(model, x, y, rule="random", seed=None):
    """Target classes ``(N,)`` for targeted attacks, never equal to ``y``: ``"random"`` (uniform
    over the other classes, seeded), ``"least_likely"`` (lowest clean logit) or ``"runner_up"``
    (highest clean logit other than ``y``)."""
    fn = "targets"
    clf = as_classifier(model, fn)
    t, was_numpy = as_tensor(x, fn, "x")
    yt = as_labels(y, fn, device=t.device)
    out = _core.attacks.select_targets(clf._impl, t, yt, check_str(rule, fn, "rule"),
                                       check_seed(seed, fn, allow_none=True))
    return back(out, was_numpy)


class Evaluation:
    """What :func:`evaluate` returns.

    Attributes:
        clean_accuracy: fraction of samples classified correctly.
        robust_accuracy: ``{name: fraction}`` correct and not broken by that attack.
        worst_case_accuracy: fraction correct and broken by no attack.
        correct: ``(N,)`` bool; robust: ``{name: (N,) bool}``; worst_case: ``(N,)`` bool.
        seconds, queries: ``{name: ...}`` time and model queries each attack spent.
    """

    def __init__(self, names, correct, robust, worst, seconds, queries):
        self.correct = correct
        self.robust = {n: robust[i] for i, n in enumerate(names)}
        self.worst_case = worst
        self.seconds = dict(zip(names, seconds))
        self.queries = dict(zip(names, queries))
        n = max(len(correct), 1)
        self.clean_accuracy = float(correct.sum()) / n
        self.robust_accuracy = {k: float(v.sum()) / n for k, v in self.robust.items()}
        self.worst_case_accuracy = float(worst.sum()) / n

    def __repr__(self):
        rows = [f"  clean: {self.clean_accuracy:.4f}"]
        rows += [f"  {k}: {v:.4f} ({self.seconds[k]:.1f} s)" for k, v in self.robust_accuracy.items()]
        rows.append(f"  worst case: {self.worst_case_accuracy:.4f}")
        return "Evaluation(\n" + "\n".join(rows) + "\n)"


def _named(attacks, fn):
    if isinstance(attacks, Attack):
        attacks = [attacks]
    if isinstance(attacks, dict):
        items = list(attacks.items())
    elif isinstance(attacks, (list, tuple)):
        items = []
        for a in attacks:
            items.append((repr(a), a))
    else:
        raise TypeError(f"{fn}: attacks must be an Attack, a list of them or a dict name -> Attack, "
                        f"got {type(attacks).__name__}")
    if not items:
        raise ValueError(f"{fn}: attacks is empty")
    out = []
    for name, a in items:
        if not isinstance(a, Attack):
            raise TypeError(f"{fn}: attacks must hold bulwark attacks, got {type(a).__name__} "
                            f"for {name!r}")
        if not isinstance(name, str):
            raise TypeError(f"{fn}: attack names must be strings, got {type(name).__name__}")
        out.append((name, a._impl))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{fn}: attack names must be unique, got {names}")
    return out


def evaluate(model, data, attacks, batch_size=250, progress=True):
    """Robust accuracy of ``model`` under each attack and the per-sample worst case.

    ``data``: an ``(x, y)`` pair of tensors/arrays, or an iterable of ``(x, y)`` batches (e.g. a
    ``DataLoader``). ``attacks``: an attack, a list (named by their repr) or a dict
    ``{name: attack}``; untargeted. Each attack runs only on the correctly classified samples,
    ``batch_size`` at a time. Returns an :class:`Evaluation`.
    """
    fn = "evaluate"
    clf = as_classifier(model, fn)
    named = _named(attacks, fn)
    bs = check_int(batch_size, fn, "batch_size", low=1)
    show = check_bool(progress, fn, "progress")
    if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], (tuple, list)):
        batches = [data]
    else:
        try:
            batches = iter(data)
        except TypeError:
            raise TypeError(f"{fn}: data must be an (x, y) pair or an iterable of (x, y) batches, "
                            f"got {type(data).__name__}") from None
    import torch
    parts = []
    was_numpy = False
    seen = 0
    with sample_bar("evaluate", enabled=show) as bar:
        for item in batches:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"{fn}: each batch of data must be an (x, y) pair, got "
                                f"{type(item).__name__}")
            t, was_numpy = as_tensor(item[0], fn, "x")
            yt = as_labels(item[1], fn, device=t.device)
            parts.append(_core.attacks.evaluate(clf._impl, t, yt, named, bs, bar(seen)))
            seen += len(t)
    if not parts:
        raise ValueError(f"{fn}: data is empty")
    names = parts[0][0]
    correct = torch.cat([p[1] for p in parts])
    robust = torch.cat([p[2] for p in parts], dim=1)
    worst = torch.cat([p[3] for p in parts])
    seconds = [sum(p[4][i] for p in parts) for i in range(len(names))]
    queries = [{k: sum(p[5][i][k] for p in parts) for k in parts[0][5][i]} for i in range(len(names))]
    return Evaluation(names, back(correct, was_numpy), back(robust, was_numpy),
                      back(worst, was_numpy), seconds, queries)
