"""One rule for non-finite logits (docs/architecture.md, "Non-finite numbers"): a model output,
score or feature holding NaN or +-inf raises bw.NonFiniteError naming the samples, in every
attack, evaluate, AutoAttack, randomized smoothing, calibrator, conformal predictor and OOD
detector; it is never counted as an attack success, as robust, or as a probability."""

import math

import pytest
import torch

import bulwark as bw

from conftest import SmallNet


class Poisoned(torch.nn.Module):
    """A SmallNet whose logits are `value` for the samples whose first pixel exceeds 0.5."""

    def __init__(self, value=math.nan):
        super().__init__()
        torch.manual_seed(0)
        self.net = SmallNet(classes=4, side=6)
        self.value = value

    def forward(self, x):
        z = self.net(x)
        bad = (x.flatten(1)[:, 0] > 0.5).unsqueeze(1)
        return torch.where(bad, torch.full_like(z, self.value), z)


def batch():
    x = torch.rand(8, 1, 6, 6, generator=torch.Generator().manual_seed(1)) * 0.4  # all below 0.5
    x[3, 0, 0, 0] = 0.9
    x[6, 0, 0, 0] = 0.8
    return x, torch.arange(8) % 4


ATTACKS = {
    "FGSM": lambda: bw.attacks.FGSM(0.05),
    "PGD": lambda: bw.attacks.PGD(0.05, steps=3),
    "APGD": lambda: bw.attacks.APGD(0.05, steps=4),
    "Square": lambda: bw.attacks.Square(0.05, queries=10),
    "DeepFool": lambda: bw.attacks.DeepFool(steps=3),
    "AutoAttack": lambda: bw.attacks.AutoAttack(0.05, steps=3, square_queries=10),
}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_raise_naming_the_samples(name, value):
    x, y = batch()
    with pytest.raises(bw.NonFiniteError, match=r"the model's logits contain NaN or \+-inf in 2 of 8 samples \(first: 3, 6\)"):
        ATTACKS[name]().run(Poisoned(value), x, y)


class NaNGradient(torch.nn.Module):
    """Finite logits whose gradient w.r.t. the input is NaN (d sqrt(u) / du at u = 0, times 0)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = SmallNet(classes=4, side=6)

    def forward(self, x):
        return self.net(x) + torch.sqrt(x.flatten(1)[:, :1] * 0)


@pytest.mark.parametrize("name", ["FGSM", "PGD", "APGD", "DeepFool", "AutoAttack"])
def test_nan_gradients_are_errors_not_robust_samples(name):
    x, y = batch()
    with pytest.raises(bw.NonFiniteError, match="gradient"):
        ATTACKS[name]().run(NaNGradient(), x, y)


def test_nan_is_never_a_success_in_evaluate():
    x, y = batch()
    with pytest.raises(bw.NonFiniteError, match="first: 3, 6"):
        bw.attacks.evaluate(Poisoned(), (x, y), [bw.attacks.FGSM(0.05)], progress=False)
    # The same data without the poisoned samples evaluates.
    keep = torch.tensor([i for i in range(8) if i not in (3, 6)])
    ev = bw.attacks.evaluate(Poisoned(), (x[keep], y[keep]), [bw.attacks.FGSM(0.05)], progress=False)
    assert 0 <= ev.clean_accuracy <= 1


def test_classifier_calls_raise():
    x, _ = batch()
    clf = bw.Classifier(Poisoned())
    for call in (clf.logits, clf.predict):
        with pytest.raises(bw.NonFiniteError, match="2 of 8 samples"):
            call(x)
    assert issubclass(bw.NonFiniteError, bw.InvalidArgumentError)
    assert issubclass(bw.NonFiniteError, ValueError)


def test_smoothing_raises():
    x, _ = batch()
    rs = bw.defenses.RandomizedSmoothing(sigma=0.0001)
    with pytest.raises(bw.NonFiniteError):
        rs.predict(Poisoned(), x[3:4], n=10)


def nan_logits():
    y = torch.arange(40) % 4
    z = torch.randn(40, 4, generator=torch.Generator().manual_seed(2)) + 2 * torch.nn.functional.one_hot(y, 4)
    bad = z.clone()
    bad[5, 1] = math.nan
    bad[17, 0] = math.inf
    return z, y, bad


@pytest.mark.parametrize("make", [
    lambda: bw.calibration.TemperatureScaling(),
    lambda: bw.calibration.VectorScaling(),
    lambda: bw.calibration.HistogramBinning(logits=True),
])
def test_calibrators_raise_naming_the_samples(make):
    z, y, bad = nan_logits()
    with pytest.raises(bw.NonFiniteError, match=r"2 of 40 samples \(first: 5, 17\)"):
        make().fit(bad, y)
    cal = make().fit(z, y)
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        cal.predict_proba(bad)


def test_conformal_raises():
    z, y, bad = nan_logits()
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        bw.conformal.SplitConformal(alpha=0.2, input="logits").fit(bad, y)
    cp = bw.conformal.SplitConformal(alpha=0.2, input="logits").fit(z, y)
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        cp.predict(bad)


def test_detectors_raise():
    z, y, bad = nan_logits()
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        bw.ood.Energy().score(bad)
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        bw.ood.Mahalanobis().fit(bad, y)


def test_metrics_raise():
    z, y, bad = nan_logits()
    with pytest.raises(bw.NonFiniteError, match="first: 5, 17"):
        bw.metrics.ece(bad, y, logits=True)
