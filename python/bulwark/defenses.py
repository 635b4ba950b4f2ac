"""Defenses. So far: certified robustness by randomized smoothing (Cohen et al. 2019).

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
from ._convert import as_labels, as_tensor, back, check_int, check_real, check_seed
from ._random import get_seed

__all__ = ["RandomizedSmoothing", "Certificate", "certified_accuracy", "gaussian_augmentation"]

Certificate = namedtuple("Certificate", ["prediction", "radius", "p_lower"])
Certificate.__doc__ = """CERTIFY's answer per input: ``prediction`` (int64, -1 = abstain),
``radius`` (the certified L2 radius, 0 where abstaining) and ``p_lower`` (the Clopper-Pearson
lower bound on the top class's probability under noise)."""


def _classifier(model):
    from .classifier import Classifier
    return model if isinstance(model, Classifier) else Classifier(model)


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
        self.sigma = check_real(sigma, fn, "sigma", low=0, low_inclusive=False)
        self.batch_size = check_int(batch_size, fn, "batch_size", low=1)
        seed = check_seed(seed, fn, allow_none=True)
        self.seed = get_seed() if seed is None else seed
        self._impl = _core.defenses.RandomizedSmoothing(self.sigma, self.batch_size, self.seed)

    def predict(self, model, x, n=100, alpha=0.001):
        fn = "RandomizedSmoothing.predict"
        t, was_numpy = as_tensor(x, fn, "x")
        out = self._impl.predict(_classifier(model)._impl, t, check_int(n, fn, "n", low=1),
                                 check_real(alpha, fn, "alpha", low=0, low_inclusive=False))
        return back(out, was_numpy)

    def certify(self, model, x, n0=100, n=100_000, alpha=0.001):
        fn = "RandomizedSmoothing.certify"
        t, was_numpy = as_tensor(x, fn, "x")
        out = self._impl.certify(_classifier(model)._impl, t, check_int(n0, fn, "n0", low=1),
                                 check_int(n, fn, "n", low=1),
                                 check_real(alpha, fn, "alpha", low=0, low_inclusive=False))
        return Certificate(*(back(v, was_numpy) for v in out))

    def __repr__(self):
        return f"RandomizedSmoothing(sigma={self.sigma}, batch_size={self.batch_size}, seed={self.seed})"


def certified_accuracy(certificate, labels, radii):
    """For each radius ``r``: the fraction of inputs certified with the right class and a
    radius ``>= r``. Returns float64 ``(R,)`` (numpy if ``radii`` was numpy)."""
    fn = "certified_accuracy"
    if not isinstance(certificate, Certificate):
        raise TypeError(f"{fn}: certificate must be a bw.defenses.Certificate, got {type(certificate).__name__}")
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
    return back(_core.defenses.gaussian_augmentation(t, check_real(sigma, fn, "sigma", low=0),
                                                     get_seed() if seed is None else seed), was_numpy)
