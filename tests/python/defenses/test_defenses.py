"""Randomized smoothing on a linear classifier (the smoothed probability is exact there),
determinism, the Clopper-Pearson bounds and binomial test against scipy; bad input."""

import numpy as np
import pytest
import torch

import bulwark as bw


def linear_classifier():
    lin = torch.nn.Linear(4, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, 0, 0, 0], [1.0, -1, 0, 0]]))
        lin.bias.zero_()
    return bw.Classifier(lin)


def test_clopper_pearson_and_binomial_test_match_scipy():
    from scipy.stats import beta, binomtest
    for k, n in ((0, 10), (3, 10), (97, 100), (100, 100), (4321, 10000)):
        lo, hi = bw.metrics.clopper_pearson(k, n, alpha=0.01)
        assert lo == pytest.approx(0.0 if k == 0 else beta.ppf(0.01, k, n - k + 1), abs=1e-12)
        assert hi == pytest.approx(1.0 if k == n else beta.ppf(0.99, k + 1, n - k), abs=1e-12)
        assert bw._core.metrics.binomial_test_half(k, n) == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-9)


def test_certify_a_linear_classifier():
    from scipy.stats import norm
    clf = linear_classifier()
    x = torch.tensor([[0.9, 0.1, 0.5, 0.5], [0.2, 0.6, 0.0, 1.0], [0.5, 0.5, 0.3, 0.3]])
    y = torch.tensor([1, 0, 1])
    rs = bw.defenses.RandomizedSmoothing(sigma=0.25, batch_size=4000, seed=0)
    cert = rs.certify(clf, x, n0=100, n=20000, alpha=0.001)
    assert cert.prediction.tolist() == [1, 0, -1]
    d = torch.tensor([0.8, 0.4]) / 2 ** 0.5  # distances to the boundary x0 = x1
    assert (cert.radius[:2] <= d.double()).all()
    # The radius is sigma * Phi^-1(p_lower), and p_lower is below the exact Phi(d / sigma).
    torch.testing.assert_close(cert.radius[:2], 0.25 * torch.from_numpy(norm.ppf(cert.p_lower[:2].numpy())))
    assert (cert.p_lower[:2] <= torch.from_numpy(norm.cdf(d.numpy() / 0.25)).double()).all()
    assert cert.radius[1] >= 0.9 * d[1]
    again = rs.certify(clf, x, n0=100, n=20000, alpha=0.001)
    assert torch.equal(again.radius, cert.radius)
    acc = bw.defenses.certified_accuracy(cert, y, torch.tensor([0.0, 0.1, 10.0]))
    assert acc.tolist() == pytest.approx([2 / 3, 2 / 3, 0.0])
    assert rs.predict(clf, x, n=1000).tolist() == [1, 0, -1]


def test_gaussian_augmentation_and_plot():
    import matplotlib
    matplotlib.use("Agg")
    x = torch.zeros(2000, 3)
    a = bw.defenses.gaussian_augmentation(x, 0.5, seed=1)
    assert torch.equal(a, bw.defenses.gaussian_augmentation(x, 0.5, seed=1))
    assert a.std().item() == pytest.approx(0.5, rel=0.05)
    fig = bw.plot.certified_accuracy(np.linspace(0, 1, 5), np.array([0.9, 0.8, 0.5, 0.2, 0.0]), label="sigma 0.25")
    assert fig.axes[0].get_xlabel() == "L2 radius"
    matplotlib.pyplot.close("all")


def test_bad_input():
    clf = linear_classifier()
    with pytest.raises(ValueError, match="sigma"):
        bw.defenses.RandomizedSmoothing(sigma=0)
    rs = bw.defenses.RandomizedSmoothing(0.25, seed=0)
    with pytest.raises(ValueError):
        rs.certify(clf, torch.full((1, 4), 2.0), n0=10, n=10)  # outside the box
    with pytest.raises(ValueError, match="alpha"):
        rs.predict(clf, torch.zeros(1, 4), alpha=1.5)
    with pytest.raises(TypeError, match="certificate"):
        bw.defenses.certified_accuracy((1, 2, 3), torch.zeros(1, dtype=torch.long), torch.zeros(1))
    with pytest.raises(ValueError):
        bw.metrics.clopper_pearson(5, 4)
