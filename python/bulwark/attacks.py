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
from ._convert import as_labels, as_tensor, back, check_bool, check_int, check_seed, check_str
from ._options import WithOptions
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
        queries: forward/backward calls and samples the attack spent, the final check included
            (``QueryCounts``: ``forward_calls``, ``forward_samples``, ``backward_calls``,
            ``backward_samples``).
        report: for :class:`AutoAttack`, one ``SubAttackReport`` per sub-attack (``name``,
            ``attacked``, ``broken``, ``robust_accuracy`` after it, ``seconds``, ``queries``);
            else None. clean_accuracy: for :class:`AutoAttack`, else None.
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


class Attack(WithOptions):
    """Base of the attacks. Each attack's options are its C++ Options struct (bound as
    ``bulwark._core.attacks.<Name>Options``): names, defaults and checks live in C++ alone
    (bulwark/_options.py). Options read back as attributes (``atk.eps``, ``atk.seed`` — the one
    resolved —, ``atk.step_size`` — the one used)."""

    _core_cls = None  # the C++ class, default the Python class's name
    _options_cls = None  # the C++ Options class, default "<_core_cls>Options"

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

    def _build(self, arguments):
        core = self._core_cls or type(self).__name__
        super()._build(getattr(_core.attacks, core),
                       getattr(_core.attacks, self._options_cls or f"{core}Options"), arguments)


class FGSM(Attack):
    """Fast Gradient Sign Method (Goodfellow et al. 2015): one step of ``step_size`` along
    ``sign(grad)`` (Linf) or ``grad / ||grad||_2`` (L2), projected onto the eps-ball and the box.

    ``random_start=True`` is the variant of Wong et al. (2020): start from a uniform point of
    the eps-ball and step ``1.25 * eps`` (unless ``step_size`` is given). ``targeted=True``
    descends the loss towards the labels given as ``y``. ``loss``: ``"ce"``, ``"margin"``, ``"dlr"``.
    """

    def __init__(self, eps=8 / 255, norm="linf", loss="ce", random_start=False, step_size=None,
                 targeted=False, eot_samples=1, seed=None):
        self._build(locals())


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

    def __init__(self, eps=8 / 255, norm="linf", steps=10, step_size=None, random_start=True,
                 restarts=1, loss="ce", targeted=False, l1_sparsity=0.99, eot_samples=1, seed=None):
        self._build(locals())


class MIFGSM(Attack):
    """Momentum Iterative FGSM (Dong et al. 2018): the gradient, L1-normalised, accumulates in a
    momentum ``g <- decay * g + grad / ||grad||_1``; each of ``steps`` steps moves
    ``step_size`` (default ``eps / steps``) along ``sign(g)`` (Linf) or ``g / ||g||_2`` (L2)."""

    def __init__(self, eps=8 / 255, norm="linf", steps=10, step_size=None, decay=1.0, loss="ce",
                 targeted=False, eot_samples=1):
        self._build(locals())


class APGD(Attack):
    """Auto-PGD (Croce & Hein 2020): PGD with momentum and the paper's step-size schedule (halved
    at checkpoints when the loss stalls, restarting from the best point). ``loss``: ``"ce"`` or
    ``"dlr"`` (or ``"margin"``). Only samples not yet adversarial are attacked; each returns its
    first successful point, else its highest-loss point. ``restarts`` start from random points
    on the eps-sphere. ``targeted=True`` (ce/margin) descends the loss towards ``y``."""

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, loss="ce", rho=0.75,
                 targeted=False, eot_samples=1, seed=None):
        self._build(locals())


class APGDT(Attack):
    """APGD on the targeted DLR loss (Croce & Hein 2020) towards each of the ``num_targets``
    highest-scoring other classes in turn, on the samples still robust. The goal is
    misclassification (``y`` are the true labels)."""

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, num_targets=9, rho=0.75,
                 eot_samples=1, seed=None):
        self._build(locals())


class FAB(Attack):
    """Fast Adaptive Boundary attack (Croce & Hein 2020), minimal-norm (Linf or L2): steps onto
    the closest linearised decision boundary, biased towards ``x``, keeping each sample's
    smallest adversarial perturbation. ``eps`` is the random-restart radius, and a sample whose
    best perturbation is within ``eps`` is not attacked further. Needs a bounded box."""

    _core_cls = "FAB"
    _options_cls = "FABOptions"  # FABT's too

    def __init__(self, eps=8 / 255, norm="linf", steps=100, restarts=1, alpha_max=0.1, eta=1.05,
                 beta=0.9, seed=None, num_targets=9):
        self._build(locals())


class FABT(FAB):
    """FAB towards each of the ``num_targets`` highest-scoring other classes in turn (the
    targeted FAB AutoAttack runs); one backward per step instead of K. The goal is
    misclassification."""

    _core_cls = "FABT"


class Square(Attack):
    """Square Attack (Andriushchenko et al. 2020): score-based random search, forward passes only.
    Each sample spends at most ``queries`` model evaluations (the clean check included) and
    stops once adversarial. ``p_init``: the initial fraction of pixels changed per step.
    Images ``(N, C, H, W)`` or ``(N, H, W)``; Linf also flat ``(N, D)``."""

    def __init__(self, eps=8 / 255, norm="linf", queries=5000, p_init=0.8, rescale_schedule=True,
                 loss="margin", targeted=False, seed=None):
        self._build(locals())


class CW(Attack):
    """Carlini & Wagner (2017) L2, minimal-norm: Adam on ``||delta||^2 + c * f(x + delta)`` in
    tanh space, with a per-sample binary search over ``c``. Returns each sample's smallest
    successful example (with margin ``kappa``), else ``x``."""

    def __init__(self, c=1e-3, kappa=0.0, steps=100, binary_search_steps=9, lr=1e-2,
                 abort_early=True, targeted=False):
        self._build(locals())


class DeepFool(Attack):
    """DeepFool (Moosavi-Dezfooli et al. 2016), minimal-norm: repeated steps onto the closest
    linearised boundary among the ``candidates`` top classes until the label flips, scaled by
    ``1 + overshoot``. ``norm``: ``"l2"`` or ``"linf"``."""

    def __init__(self, norm="l2", steps=50, overshoot=0.02, candidates=10):
        self._build(locals())


class AutoAttack(Attack):
    """AutoAttack (Croce & Hein 2020): the parameter-free ensemble, each attack run only on the
    samples still robust. ``version``: ``"standard"`` (APGD-CE, APGD-T, FAB-T, Square),
    ``"plus"`` (adds APGD-DLR and FAB, 5 restarts) or ``"rand"`` (APGD-CE and APGD-DLR with
    ``eot_samples`` EOT draws, for randomised defences). Each attack runs on all the samples
    still robust, ``batch_size`` at a time. :meth:`run` adds ``report`` (robust accuracy, time
    and queries after each attack) to the result."""

    def __init__(self, eps=8 / 255, norm="linf", version="standard", steps=100,
                 square_queries=5000, eot_samples=20, batch_size=250, seed=None):
        self._build(locals())

    @property
    def attacks(self):
        """``[(name, attack), ...]`` in the order they run (C++ attack objects)."""
        return self._impl.attacks

    def run(self, model, x, y):
        fn = "AutoAttack.run"
        clf, t, yt, was_numpy = self._prepare(fn, model, x, y)
        run = self._impl.run_with_report(clf._impl, t, yt)
        return AttackResult(run.result, was_numpy, report=run.report.attacks,
                            clean_accuracy=run.report.clean_accuracy)


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
    """What :func:`evaluate` returns, as C++ computed it.

    Attributes:
        clean_accuracy: fraction of samples classified correctly.
        robust_accuracy: ``{name: fraction}`` correct and not broken by that attack.
        worst_case_accuracy: fraction correct and broken by no attack.
        correct: ``(N,)`` bool; robust: ``{name: (N,) bool}``; worst_case: ``(N,)`` bool.
        seconds, queries: ``{name: ...}`` time and model queries (``QueryCounts``) per attack.
    """

    def __init__(self, raw, was_numpy):
        names = raw.names
        self.correct = back(raw.correct, was_numpy)
        self.robust = {n: back(raw.robust[i], was_numpy) for i, n in enumerate(names)}
        self.worst_case = back(raw.worst_case, was_numpy)
        self.seconds = dict(zip(names, raw.seconds))
        self.queries = dict(zip(names, raw.queries))
        self.clean_accuracy = raw.clean_accuracy
        self.robust_accuracy = {n: raw.robust_accuracy(i) for i, n in enumerate(names)}
        self.worst_case_accuracy = raw.worst_case_accuracy

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
        raise _core.ArgumentTypeError(f"{fn}: attacks must be an Attack, a list of them or a dict name -> Attack, "
                        f"got {type(attacks).__name__}")
    out = []
    for name, a in items:
        if not isinstance(a, Attack):
            raise _core.ArgumentTypeError(f"{fn}: attacks must hold bulwark attacks, got {type(a).__name__} "
                            f"for {name!r}")
        if not isinstance(name, str):
            raise _core.ArgumentTypeError(f"{fn}: attack names must be strings, got {type(name).__name__}")
        out.append((name, a._impl))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise _core.InvalidArgumentError(f"{fn}: attack names must be unique, got {names}")
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
    bs = check_int(batch_size, fn, "batch_size")  # the value is C++'s to check
    show = check_bool(progress, fn, "progress")
    if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], (tuple, list)):
        batches = iter([data])
    else:
        try:
            batches = iter(data)
        except TypeError:
            raise _core.ArgumentTypeError(f"{fn}: data must be an (x, y) pair or an iterable of (x, y) batches, "
                            f"got {type(data).__name__}") from None
    state = {"was_numpy": False}

    def next_batch():
        item = next(batches, None)
        if item is None:
            return None
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise _core.ArgumentTypeError(f"{fn}: each batch of data must be an (x, y) pair, got {type(item).__name__}")
        t, state["was_numpy"] = as_tensor(item[0], fn, "x")
        return t, as_labels(item[1], fn, device=t.device)

    with sample_bar("evaluate", enabled=show) as bar:
        raw = _core.attacks.evaluate(clf._impl, next_batch, named, bs, bar(0))
    return Evaluation(raw, state["was_numpy"])
