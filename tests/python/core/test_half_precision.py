"""Half precision (issue 24, item 10): float16 and bfloat16 scores, probabilities and features are
computed in float32 by the metrics, detectors, calibrators and conformal predictors — the same
answers as float32 tensors holding the same values — and requests that would allocate absurd
amounts of memory are refused before allocating."""

import pytest
import torch

import bulwark as bw

HALF = [torch.float16, torch.bfloat16]


def logits(n=600, k=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=g)
    z = 2 * torch.randn(n, k, generator=g) + 3 * torch.nn.functional.one_hot(y, k)
    return z, y


@pytest.mark.parametrize("dtype", HALF)
def test_metrics_compute_half_precision_in_float32(dtype):
    z, y = logits()
    zh = z.to(dtype)
    # Probabilities exact in every dtype (multiples of 1/16 summing to 1), so the float32 copy
    # is valid too; and half-precision softmax rows, off 1 by up to eps/2 of the type, are accepted.
    g = torch.Generator().manual_seed(1)
    base = torch.tensor([8.0, 4.0, 2.0, 1.0, 1.0]) / 16
    ph = torch.stack([base[torch.randperm(5, generator=g)] for _ in range(len(y))]).to(dtype)
    assert bw.metrics.ece(torch.softmax(z, 1).to(dtype), y) >= 0
    for fn in (bw.metrics.ece, bw.metrics.mce, bw.metrics.classwise_ece, bw.metrics.nll, bw.metrics.brier):
        assert fn(zh, y, logits=True) == pytest.approx(fn(zh.float(), y, logits=True), rel=1e-12), fn.__name__
        assert fn(ph, y) == pytest.approx(fn(ph.float(), y), rel=1e-12), fn.__name__
    a, b = zh.max(1).values, (zh - 2).max(1).values
    assert bw.ood.auroc(a, b) == bw.ood.auroc(a.float(), b.float())


@pytest.mark.parametrize("dtype", HALF)
def test_detectors_score_half_precision_in_float32(dtype):
    z, y = logits()
    zh = z.to(dtype)
    for det in (bw.ood.MSP(), bw.ood.Energy(), bw.ood.MaxLogit(), bw.ood.Entropy()):
        s = det.score(zh)
        assert s.dtype == torch.float32
        assert torch.equal(s, det.score(zh.float()))
    for make in (lambda: bw.ood.KNN(k=5), lambda: bw.ood.Mahalanobis()):
        a, b = make().fit(zh, y), make().fit(zh.float(), y)
        s = a.score(zh[:50])
        assert s.dtype == torch.float32
        torch.testing.assert_close(s, b.score(zh[:50].float()))


@pytest.mark.parametrize("dtype", HALF)
def test_calibrators_and_conformal_accept_half_precision(dtype):
    z, y = logits()
    zh = z.to(dtype)
    t = bw.calibration.TemperatureScaling().fit(zh, y).temperature
    assert t == pytest.approx(bw.calibration.TemperatureScaling().fit(zh.float(), y).temperature, rel=1e-9)
    g = torch.Generator().manual_seed(1)
    base = torch.tensor([8.0, 4.0, 2.0, 1.0, 1.0]) / 16  # exact in every dtype
    ph = torch.stack([base[torch.randperm(5, generator=g)] for _ in range(len(y))]).to(dtype)
    p = bw.calibration.TemperatureScaling().fit(zh, y).predict_proba(zh)
    assert p.dtype == dtype  # calibrated probabilities keep the input's dtype
    a = bw.conformal.SplitConformal("lac", alpha=0.1).fit(ph[:400], y[:400]).predict(ph[400:])
    b = bw.conformal.SplitConformal("lac", alpha=0.1).fit(ph[:400].float(), y[:400]).predict(ph[400:].float())
    assert torch.equal(torch.as_tensor(a), torch.as_tensor(b))


def test_absurd_sizes_are_refused_before_allocating():
    z, y = logits()
    p = torch.softmax(z, 1)
    for fn in (bw.metrics.ece, bw.metrics.mce, bw.metrics.classwise_ece):
        with pytest.raises(bw.InvalidArgumentError, match=r"bins must lie in \[1, 1000000\], got 10000000000000"):
            fn(p, y, bins=10**13)
    with pytest.raises(bw.InvalidArgumentError, match="labels go up to 999999999"):
        bw.ood.Mahalanobis().fit(z, torch.full((600,), 10**9 - 1))
