"""Defenses: adversarial-training losses for your own training loop, and certified
robustness by randomized smoothing (Cohen et al. 2019).

    for x, y in loader:                       # your loop, your optimizer
        loss = bw.defenses.trades_loss(model, x, y, eps=0.1, beta=6.0)
        opt.zero_grad(); loss.backward(); opt.step()

    rs = bw.defenses.RandomizedSmoothing(sigma=0.25, seed=0)
    cert = rs.certify(clf, x, n0=100, n=100_000, alpha=0.001)   # prediction (-1: abstain), radius
    bw.defenses.certified_accuracy(cert, y, radii=torch.linspace(0, 1, 21))

The base classifier should be trained on Gaussian-noised inputs
(``gaussian_augmentation(x, sigma, seed)``): the certificate holds for any base classifier, but
only one that is accurate under noise gets useful radii.
"""

from collections import namedtuple

import torch

from . import _core
from ._convert import as_labels, as_tensor, back, check_bool, check_int, check_real, check_seed
from ._adversarial_trainer import AdversarialTrainer, _crafting_module
from ._options import make_options
from ._progress import count_bar
from ._random import get_seed

__all__ = ["AdversarialTrainer", "pgd_at_loss", "fast_at_loss", "trades_loss", "mart_loss", "freelb_loss",
           "attack_augmentation", "AttackAugmentation", "RandomizedSmoothing", "Certificate", "certified_accuracy", "gaussian_augmentation"]

Certificate = namedtuple("Certificate", ["prediction", "radius", "p_lower"])
Certificate.__doc__ = """CERTIFY's answer per input: ``prediction`` (int64, -1 = abstain),
``radius`` (the certified L2 radius, 0 where abstaining) and ``p_lower`` (the Clopper-Pearson
lower bound on the top class's probability under noise)."""


def _classifier(model):
    from .classifier import Classifier
    return model if isinstance(model, Classifier) else Classifier(model)


# -- adversarial-training losses -----------------------------------------------------------

_LOSSES_DOC = """
    One call per batch inside your own training loop; returns a scalar loss whose graph reaches
    ``model``'s parameters (``loss.backward()``, then your optimizer step). ``model``: the
    ``nn.Module`` being trained (or any callable), in the mode you set (``model.train()``) for
    the training forward. The attack queries it through a ``bw.Classifier`` over ``bounds``
    that runs it in eval mode while crafting when ``eval_while_crafting=True`` (the default and
    the usual choice: batch-norm layers use and do not update their running statistics on
    attack iterates, dropout is off; ``False`` crafts in the caller's mode, as Madry et al.'s
    code did). Crafting never changes the model. Under ``DistributedDataParallel`` pass the DDP
    module: the attack queries the wrapped module (no gradient synchronisation while crafting)
    and the training forward goes through DDP, so the gradients are all-reduced as usual. ``seed``: the attack's random start (default
    :func:`bulwark.get_seed`); give each batch its own, e.g. ``seed=bw.derive_seed(seed, step)``,
    or every batch starts from the same noise pattern.
    ``return_adv=True`` returns ``(loss, x_adv, logits_adv)``.
"""


def _loss_args(fn, model, x, y, bounds, eval_while_crafting):
    """The crafting classifier and the batch; the losses' options are C++ Options structs
    (bulwark/_options.py), which check the values."""
    from .classifier import Classifier
    if isinstance(model, Classifier):
        raise _core.ArgumentTypeError(f"{fn}: model must be the nn.Module being trained (or a callable), not a bw.Classifier")
    if not callable(model):
        raise _core.ArgumentTypeError(f"{fn}: model must be callable, got {type(model).__name__}")
    crafter = Classifier(_crafting_module(model), bounds=bounds,
                         eval_mode=check_bool(eval_while_crafting, fn, "eval_while_crafting"))
    xt, _ = as_tensor(x, fn, "x")
    yt = as_labels(y, fn, "y", device=xt.device)
    return crafter._impl, xt, yt


def _result(out, return_adv):
    """The loss, or (loss, x_adv, logits_adv) — from the C++ AdversarialLoss."""
    return (out.loss, out.x_adv, out.logits_adv) if return_adv else out.loss


def _attack_form(fn, eps, attack):
    """Exactly one of eps (the settings form) and attack (an untargeted bw.attacks object)."""
    from .attacks import Attack
    if attack is None:
        if eps is None:
            raise _core.ArgumentTypeError(f"{fn}: give eps (and the attack settings) or attack=, an attack object")
        return None
    if eps is not None:
        raise _core.ArgumentTypeError(f"{fn}: give eps or attack=, not both (the attack object carries its own eps)")
    if not isinstance(attack, Attack):
        raise _core.ArgumentTypeError(f"{fn}: attack must be a bulwark attack (bw.attacks.PGD, APGD, ...), got "
                        f"{type(attack).__name__}")
    if attack.targeted:
        raise _core.InvalidArgumentError(f"{fn}: attack must be untargeted, got {attack!r}")
    return attack._impl


def pgd_at_loss(model, x, y, eps=None, steps=10, step_size=None, norm="linf", random_start=True, bounds=(0.0, 1.0),
                eval_while_crafting=True, seed=None, return_adv=False, attack=None):
    """PGD adversarial training (Madry et al. 2018): ``CE(model(x'), y)`` with ``x'`` from PGD
    maximising the cross-entropy in the ``norm`` ball of radius ``eps`` (``steps`` steps of
    ``step_size``, default ``2.5 eps / steps``, uniform random start). Or ``attack=`` any
    untargeted bulwark attack object (``APGD``, ``MIFGSM``, ...) instead of the settings; it keeps
    its own seed, so its random start repeats from batch to batch."""
    fn = "pgd_at_loss"
    impl = _attack_form(fn, eps, attack)
    crafter, xt, yt = _loss_args(fn, model, x, y, bounds, eval_while_crafting)
    if impl is not None:
        return _result(_core.defenses.pgd_at_loss_with(crafter, model, xt, yt, impl), return_adv)
    options = make_options(_core.attacks.PGDOptions, dict(eps=eps, steps=steps, step_size=step_size, norm=norm,
                                                          random_start=random_start, seed=seed))
    return _result(_core.defenses.pgd_at_loss(crafter, model, xt, yt, options), return_adv)


def fast_at_loss(model, x, y, eps, step_size=None, bounds=(0.0, 1.0), eval_while_crafting=True, seed=None,
                 return_adv=False):
    """Fast adversarial training (Wong, Rice & Kolter 2020): ``CE(model(x'), y)`` with ``x'`` one
    FGSM step of ``step_size`` (default ``1.25 eps``) from a uniform random start in the L-inf
    ball, projected back."""
    fn = "fast_at_loss"
    crafter, xt, yt = _loss_args(fn, model, x, y, bounds, eval_while_crafting)
    options = make_options(_core.attacks.FGSMOptions, dict(eps=eps, step_size=step_size, seed=seed))
    return _result(_core.defenses.fast_at_loss(crafter, model, xt, yt, options), return_adv)


def trades_loss(model, x, y, eps, beta=6.0, steps=10, step_size=None, bounds=(0.0, 1.0),
                eval_while_crafting=True, seed=None, return_adv=False):
    """TRADES (Zhang et al. 2019): ``CE(model(x), y) + beta * mean_i KL(p(x_i) || p(x'_i))`` with
    ``x'`` maximising that KL by L-inf PGD (``steps`` sign steps of ``step_size``, default
    ``eps / 4``) from ``x + 0.001 N(0, I)``, as the authors' code."""
    fn = "trades_loss"
    crafter, xt, yt = _loss_args(fn, model, x, y, bounds, eval_while_crafting)
    options = make_options(_core.defenses.TradesOptions, dict(eps=eps, beta=beta, steps=steps, step_size=step_size,
                                                              seed=seed))
    return _result(_core.defenses.trades_loss(crafter, model, xt, yt, options), return_adv)


def mart_loss(model, x, y, eps=None, beta=6.0, steps=10, step_size=None, norm="linf", random_start=True,
              bounds=(0.0, 1.0), eval_while_crafting=True, seed=None, return_adv=False, attack=None):
    """MART (Wang et al. 2020): ``CE(f(x'), y) - log(1.0001 - p_{y'}(x') + 1e-12) + beta *
    mean_i KL(p(x_i) || p(x'_i)) (1.0000001 - p_y(x_i))`` with ``y'`` the most likely wrong
    class at ``x'``, and ``x'`` from PGD on the cross-entropy (the authors' code, guards
    included). ``attack=``: any untargeted bulwark attack object instead of the PGD settings."""
    fn = "mart_loss"
    impl = _attack_form(fn, eps, attack)
    crafter, xt, yt = _loss_args(fn, model, x, y, bounds, eval_while_crafting)
    beta = check_real(beta, fn, "beta")  # a plain argument: C++ checks its value
    if impl is not None:
        return _result(_core.defenses.mart_loss_with(crafter, model, xt, yt, impl, beta), return_adv)
    options = make_options(_core.attacks.PGDOptions, dict(eps=eps, steps=steps, step_size=step_size, norm=norm,
                                                          random_start=random_start, seed=seed))
    return _result(_core.defenses.mart_loss(crafter, model, xt, yt, options, beta), return_adv)


for _f in (pgd_at_loss, fast_at_loss, trades_loss, mart_loss):
    _f.__doc__ += _LOSSES_DOC


def freelb_loss(model, ids, y, steps=3, step_size=0.1, init_mag=0.1, max_norm=0.0, seed=None, return_adv=False):
    """FreeLB (Zhu et al. 2020): adversarial training of a text model in its input-embedding
    space. ``steps`` (K) L2 ascent steps of ``step_size`` on a perturbation of the token
    embeddings (padding, id 0, excluded), from a uniform start of magnitude ``init_mag``,
    rescaled to ``max_norm`` when larger (0: unconstrained, the authors' default); the loss is
    the mean of the K steps' cross-entropies, so one ``backward()`` accumulates the K
    gradients as the authors' loop does. ``model`` must expose ``embed(ids) -> (N, L, D)`` and
    ``forward_embedded(embeddings, mask) -> logits`` (the reference text models do); it runs in
    your mode. ``seed``: the random start (default :func:`bulwark.get_seed`; give each
    batch its own, e.g. ``bw.derive_seed(seed, step)``).
    ``return_adv=True`` returns ``(loss, delta, logits)`` with ``delta`` the last
    perturbation ``(N, L, D)``."""
    fn = "freelb_loss"
    embed = getattr(model, "embed", None)
    forward_embedded = getattr(model, "forward_embedded", None)
    if not callable(embed) or not callable(forward_embedded):
        raise _core.ArgumentTypeError(f"{fn}: model must have embed(ids) and forward_embedded(embeddings, mask) methods "
                        f"(as bw.models.EmbeddingBagClassifier and TextCNN), got {type(model).__name__}")
    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64:
        raise _core.ArgumentTypeError(f"{fn}: ids must be an int64 torch.Tensor of token ids, got "
                        f"{ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__}")
    yt = as_labels(y, fn, "y", device=ids.device)
    options = make_options(_core.defenses.FreeLBOptions, dict(steps=steps, step_size=step_size, init_mag=init_mag,
                                                              max_norm=max_norm, seed=seed))
    return _result(_core.defenses.freelb_loss(embed, forward_embedded, ids, yt, options), return_adv)


class AttackAugmentation:
    """One round of token-attack examples from :func:`attack_augmentation`: the successful
    adversarial ``texts`` (whole texts with the edits written in), their true ``labels`` and
    their ``indices`` in the texts given (int64 tensors), the same examples as the model sees them
    in ``ids`` (``(M, L)`` int64 token ids padded with 0, at most the victim's ``max_len``
    long), and every attacked text's result in ``results`` (:class:`bw.text.TextAttackResults`,
    texts the model already got wrong marked skipped)."""

    def __init__(self, texts, labels, indices, ids, results):
        self.texts = texts
        self.labels = torch.tensor(labels, dtype=torch.int64)
        self.indices = torch.tensor(indices, dtype=torch.int64)
        self.ids = ids
        self.results = results

    def __len__(self):
        return len(self.texts)

    def __repr__(self):
        s = self.results.summary()
        return (f"AttackAugmentation({len(self)} adversarial examples from {len(self.results)} attacked texts; "
                f"success rate {100 * s.success_rate:.1f}%)")


def attack_augmentation(victim, attack, texts, labels, examples=None, seed=None, progress=True):
    """Adversarial examples for training a text classifier by augmentation (TextAttack's trainer,
    Morris et al. 2020; Jin et al. 2020): attacks ``examples`` of the training ``texts`` (drawn
    without replacement with ``seed``; ``None``: all of them, in order) with ``attack`` (an
    untargeted ``bw.text`` attack) against ``victim`` — the model being trained, as a
    ``bw.text.Victim`` or ``bw.models.SpamFilter``; it is scored in eval mode and left exactly as
    it was — and returns the successes under their true ``labels`` as an
    :class:`AttackAugmentation`. Train on the clean data plus ``.ids``/``.labels``; refresh the
    examples every epoch or few, as the model changes. ``seed`` (default :func:`bulwark.get_seed`)
    draws the texts: give each round its own, e.g. ``seed=bw.derive_seed(seed, epoch)``."""
    fn = "attack_augmentation"
    from . import text as _text
    if not isinstance(attack, _text._TextAttack):
        raise _core.ArgumentTypeError(f"{fn}: attack must be a bw.text attack (PWWS, TextFooler, HotFlip, DeepWordBug), got "
                        f"{type(attack).__name__}")
    victim, texts, labels = attack._inputs(fn, victim, texts, labels)
    # The values (examples in 1..N, an untargeted attack) are C++'s to check.
    examples = -1 if examples is None else check_int(examples, fn, "examples")
    seed = check_seed(seed, fn, allow_none=True)
    with count_bar(f"{attack._NAME} augmentation", len(texts) if examples == -1 else examples,
                             check_bool(progress, fn, "progress")) as bar:
        out = _core.defenses.attack_augmentation(attack._impl, victim._impl, texts, labels, examples, seed, bar)
    _text._warn_truncated(fn, victim, out.results)
    return AttackAugmentation(out.texts, out.labels, out.indices, out.ids, _text.TextAttackResults(out.results))

class RandomizedSmoothing:
    """Randomized smoothing (Cohen, Rosenfeld & Kolter 2019): ``g(x) = argmax_c P(f(x + e) = c)``
    with ``e ~ N(0, sigma^2 I)``, certifiably robust in L2 with radius
    ``sigma * Phi^-1(p_A)`` where ``p_A`` lower-bounds the top class's probability.

    ``predict(model, x, n=100, alpha=0.001)``: the paper's PREDICT — ``n`` noisy samples, the top
    class if the two-sided binomial test of the top two counts rejects ``p = 1/2`` at ``alpha``,
    else ``-1`` (abstain). ``certify(model, x, n0=100, n=100_000, alpha=0.001)``: CERTIFY — ``n0``
    samples pick the class, ``n`` fresh samples bound its probability below (one-sided
    Clopper-Pearson at ``1 - alpha``); abstain unless the bound exceeds 1/2. Noise is drawn in
    batches of ``batch_size`` from a generator seeded with ``seed`` on every call (same call,
    same answer) and is not clipped to the input box.
    """

    def __init__(self, sigma, batch_size=1000, seed=None):
        fn = "RandomizedSmoothing"
        seed = check_seed(seed, fn, allow_none=True)
        self._impl = _core.defenses.RandomizedSmoothing(check_real(sigma, fn, "sigma"),
                                                        check_int(batch_size, fn, "batch_size"),
                                                        get_seed() if seed is None else seed)

    # The settings as the C++ object holds them (the seed resolved).
    sigma = property(lambda self: self._impl.sigma)
    batch_size = property(lambda self: self._impl.batch_size)
    seed = property(lambda self: self._impl.seed)

    def predict(self, model, x, n=100, alpha=0.001):
        fn = "RandomizedSmoothing.predict"
        t, was_numpy = as_tensor(x, fn, "x")
        out = self._impl.predict(_classifier(model)._impl, t, check_int(n, fn, "n"),
                                 check_real(alpha, fn, "alpha"))
        return back(out, was_numpy)

    def certify(self, model, x, n0=100, n=100_000, alpha=0.001):
        fn = "RandomizedSmoothing.certify"
        t, was_numpy = as_tensor(x, fn, "x")
        out = self._impl.certify(_classifier(model)._impl, t, check_int(n0, fn, "n0"),
                                 check_int(n, fn, "n"), check_real(alpha, fn, "alpha"))
        return Certificate(back(out.prediction, was_numpy), back(out.radius, was_numpy), back(out.p_lower, was_numpy))

    def __repr__(self):
        return f"RandomizedSmoothing(sigma={self.sigma}, batch_size={self.batch_size}, seed={self.seed})"


def certified_accuracy(certificate, labels, radii):
    """For each radius ``r``: the fraction of inputs certified with the right class and a
    radius ``>= r``. Returns float64 ``(R,)`` (numpy if ``radii`` was numpy)."""
    fn = "certified_accuracy"
    if not isinstance(certificate, Certificate):
        raise _core.ArgumentTypeError(f"{fn}: certificate must be a bw.defenses.Certificate, got {type(certificate).__name__}")
    pred, _ = as_tensor(certificate.prediction, fn, "certificate.prediction")
    radius, _ = as_tensor(certificate.radius, fn, "certificate.radius")
    r, was_numpy = as_tensor(radii, fn, "radii")
    return back(_core.defenses.certified_accuracy(pred, radius.double(), as_labels(labels, fn, "labels"), r),
                was_numpy)


def gaussian_augmentation(x, sigma, seed=None):
    """``x + N(0, sigma^2 I)`` (not clipped), drawn from a generator seeded with ``seed``: the
    training augmentation for a smoothed classifier's base model."""
    fn = "gaussian_augmentation"
    t, was_numpy = as_tensor(x, fn, "x")
    seed = check_seed(seed, fn, allow_none=True)
    return back(_core.defenses.gaussian_augmentation(t, check_real(sigma, fn, "sigma"),
                                                     get_seed() if seed is None else seed), was_numpy)
