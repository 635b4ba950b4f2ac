"""Temperature scaling against a dense grid on real FashionCNN logits; metrics against numpy
(ties, empty bins); types; bad input."""

import numpy as np
import pytest
import torch

import bulwark as bw


def test_temperature_is_the_nll_minimiser_on_fashion_cnn(fashion_logits):
    z, y = fashion_logits
    ts = bw.calibration.TemperatureScaling().fit(z[:5000], y[:5000])
    t = ts.temperature
    grid = torch.arange(t - 0.01, t + 0.01, 1e-5, dtype=torch.float64)
    zz = z[:5000].double()
    nll = torch.stack([torch.nn.functional.cross_entropy(zz / g, y[:5000]) for g in grid])
    assert abs(grid[nll.argmin()].item() - t) <= 1e-4
    # T = 1 is a candidate, so the fitted NLL can only be lower on the fit data.
    assert bw.metrics.nll(ts.transform(z[:5000]), y[:5000], logits=True) <= \
        bw.metrics.nll(z[:5000], y[:5000], logits=True)


def numpy_ece(p, y, bins, equal_mass=False, power=1):
    conf, pred = p.max(1), p.argmax(1)
    correct = (pred == y).astype(float)
    n = len(y)
    if equal_mass:
        order = np.argsort(conf, kind="stable")
        idx = np.empty(n, dtype=int)
        idx[order] = (np.arange(n) * bins) // n
    else:
        idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean()) ** power
    return total ** (1 / power)


@pytest.mark.parametrize("bins", [1, 7, 15, 40])
def test_metrics_against_numpy(bins):
    rng = np.random.default_rng(bins)
    p = rng.dirichlet(np.ones(5) * 0.7, size=400)
    p = np.round(p, 1) + 1e-3           # ties and exact bin edges
    p /= p.sum(1, keepdims=True)
    y = rng.integers(0, 5, 400)
    assert bw.metrics.ece(p, y, bins=bins) == pytest.approx(numpy_ece(p, y, bins), rel=1e-10, abs=1e-12)
    assert bw.metrics.ece(p, y, bins=bins, p=2) == pytest.approx(numpy_ece(p, y, bins, power=2), rel=1e-10)
    assert bw.metrics.adaptive_ece(p, y, bins=bins) == pytest.approx(numpy_ece(p, y, bins, True), rel=1e-10, abs=1e-12)
    onehot = np.eye(5)[y]
    assert bw.metrics.brier(p, y) == pytest.approx(((p - onehot) ** 2).sum(1).mean())
    assert bw.metrics.nll(p, y) == pytest.approx(-np.log(p[np.arange(400), y]).mean())
    curve = bw.metrics.reliability_curve(p, y, bins=bins)
    assert isinstance(curve["count"], np.ndarray) and curve["count"].sum() == 400
    cw = 0.0
    for k in range(5):  # the ECE of p_k against [y = k], equal-width bins of (lo, hi]
        idx = np.clip(np.ceil(p[:, k] * 15).astype(int) - 1, 0, 14)
        hit = (y == k).astype(float)
        cw += sum((idx == b).mean() * abs(hit[idx == b].mean() - p[idx == b, k].mean())
                  for b in range(15) if (idx == b).any()) / 5
    assert bw.metrics.classwise_ece(p, y) == pytest.approx(cw, rel=1e-10)


def test_float32_and_logits(fashion_logits):
    z, y = fashion_logits
    z32 = z[:2000].float()
    a = bw.metrics.ece(z32, y[:2000], logits=True)
    b = bw.metrics.ece(torch.softmax(z32.double(), 1), y[:2000])
    assert a == pytest.approx(b, abs=1e-6)
    ts = bw.calibration.TemperatureScaling().fit(z32.numpy(), y[:2000].numpy())
    out = ts.predict_proba(z32.numpy())
    assert isinstance(out, np.ndarray) and out.dtype == np.float32


def test_save_load(tmp_path, fashion_logits):
    z, y = fashion_logits
    ts = bw.calibration.TemperatureScaling().fit(z[:1000], y[:1000])
    ts.save(tmp_path / "ts.json")
    assert bw.calibration.TemperatureScaling.load(tmp_path / "ts.json").temperature == ts.temperature
    (tmp_path / "bad.json").write_text('{"format": "bulwark.calibrator", "kind": "Isotonic", '
                                       '"version": 1, "num_classes": 3}')
    with pytest.raises(ValueError, match="unknown kind 'Isotonic'"):
        bw.calibration.TemperatureScaling.load(tmp_path / "bad.json")


def test_bad_input():
    z = torch.randn(20, 3)
    y = torch.randint(0, 3, (20,))
    with pytest.raises(ValueError, match="call fit"):
        bw.calibration.TemperatureScaling().predict_proba(z)
    bad = z.clone()
    bad[0, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN or"):
        bw.calibration.TemperatureScaling().fit(bad, y)
    with pytest.raises(ValueError, match="labels < num_classes = 3"):
        bw.calibration.TemperatureScaling().fit(z, y + 3)
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\)"):
        bw.metrics.ece(torch.softmax(z, 1), y[:5])
    with pytest.raises(ValueError, match="K >= 2"):
        bw.calibration.TemperatureScaling().fit(z[:, :1], torch.zeros(20, dtype=torch.int64))
    with pytest.raises(ValueError, match="must lie in"):
        bw.metrics.ece(z, y)  # logits passed as probabilities
    with pytest.raises(ValueError, match="empty|N >= 1"):
        bw.metrics.ece(torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64))


def test_isotonic_matches_sklearn_per_class():
    from sklearn.isotonic import IsotonicRegression
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=500)
    p = np.round(p, 2) + 1e-3              # ties in x, which PAV must average
    p /= p.sum(1, keepdims=True)
    y = rng.integers(0, 4, 500)
    ours = bw.calibration.IsotonicCalibration().fit(p, y)
    q = rng.dirichlet(np.ones(4), size=200)
    want = np.stack([IsotonicRegression(out_of_bounds="clip").fit(p[:, k], y == k).predict(q[:, k])
                     for k in range(4)], 1)
    s = want.sum(1, keepdims=True)
    want = np.where(s > 0, want / np.where(s > 0, s, 1), 0.25)
    np.testing.assert_allclose(ours.predict_proba(q), want, rtol=1e-10, atol=1e-12)


def test_histogram_binning_top_label_and_classwise():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(3) * 0.5, size=600)
    y = rng.integers(0, 3, 600)
    hb = bw.calibration.HistogramBinning(bins=10).fit(p, y)
    conf, pred = p.max(1), p.argmax(1)
    idx = np.clip(np.ceil(conf * 10).astype(int) - 1, 0, 9)
    for b in range(10):
        m = idx == b
        want = (pred[m] == y[m]).mean() if m.any() else (b + 0.5) / 10
        assert hb.bin_values[0, b].item() == pytest.approx(want)
    out = hb.predict_proba(p)
    assert np.allclose(out.sum(1), 1)
    np.testing.assert_allclose(out[np.arange(600), pred], hb.bin_values[0].numpy()[idx])
    cw = bw.calibration.HistogramBinning(bins=5, classwise=True).fit(p, y)
    assert np.allclose(cw.predict_proba(p).sum(1), 1)


def test_binary_metrics_bin_the_positive_class_probability():
    g = np.random.default_rng(7)
    y = g.integers(0, 2, 3000)
    p = np.clip(0.3 + 0.4 * y + 0.2 * g.standard_normal(3000), 0, 1)
    p[:50] = 0.5  # ties on a bin edge
    bins = 10
    idx = np.clip(np.ceil(p * bins).astype(int) - 1, 0, bins - 1)
    ece = sum(abs(y[idx == b].mean() - p[idx == b].mean()) * (idx == b).sum() / len(y)
              for b in range(bins) if (idx == b).any())
    assert bw.metrics.ece(p, y, bins=bins) == pytest.approx(ece, abs=1e-12)
    curve = bw.metrics.reliability_curve(p, y, bins=bins)
    assert curve["count"].sum() == len(y)
    ll = -np.mean(y * np.log(p.clip(1e-300)) + (1 - y) * np.log((1 - p).clip(1e-300)))
    assert bw.metrics.nll(p, y) == pytest.approx(ll, rel=1e-12)
    assert bw.metrics.brier(p, y) == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    s = np.log(p.clip(1e-6, 1 - 1e-6) / (1 - p.clip(1e-6, 1 - 1e-6)))
    assert bw.metrics.brier(s, y, logits=True) == pytest.approx(
        np.mean((p.clip(1e-6, 1 - 1e-6) - y) ** 2), rel=1e-9)
    with pytest.raises(ValueError, match="P\\(y = 1\\) in \\[0, 1\\]"):
        bw.metrics.ece(s, y)
    with pytest.raises(ValueError, match="labels"):
        bw.metrics.ece(p, y + 1)


def test_reliability_diagram(fashion_logits):
    import matplotlib
    matplotlib.use("Agg")
    z, y = fashion_logits
    fig = bw.plot.reliability_diagram(z[:2000], y[:2000], bins=10, logits=True, title="FashionCNN")
    top, bottom = fig.axes
    curve = bw.metrics.reliability_curve(z[:2000], y[:2000], bins=10, logits=True)
    used = curve["count"] > 0
    bars = top.patches[:int(used.sum())]  # accuracy bars first, then the shaded gaps
    gaps = top.patches[int(used.sum()):]
    np.testing.assert_allclose([b.get_height() for b in bars], curve["accuracy"][used].numpy())
    np.testing.assert_allclose([b.get_height() for b in gaps],
                               (curve["accuracy"] - curve["confidence"]).abs()[used].numpy(), atol=1e-12)
    assert "ECE" in top.get_legend().get_texts()[1].get_text()
    assert [b.get_height() for b in bottom.patches] == curve["count"].tolist()
    with pytest.raises(TypeError, match="axes must be a pair"):
        bw.plot.reliability_diagram(z[:10], y[:10], logits=True, axes=top)
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("bins", [10, 15, 20])
def test_confidences_on_every_bin_edge_follow_the_stated_rule(bins):
    # docs/calibration.md: bin = ceil(c B) - 1 in double, clamped; a confidence on an edge goes
    # where c B rounds (one ulp above 11/15, 15 c rounds to 11: bin 10 of 15).
    edges = np.array([b / bins for b in range(bins + 1)])
    conf = np.concatenate([edges, np.nextafter(edges, 2), np.nextafter(edges, -1)]).clip(0, 1)
    correct = np.arange(len(conf)) % 3 == 0
    # binary scores (N,) are binned as they are: P(y = 1) against y
    curve = bw.metrics.reliability_curve(torch.tensor(conf), torch.tensor(correct.astype(np.int64)), bins=bins)
    want = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    assert np.array_equal(np.asarray(curve["count"]), np.bincount(want, minlength=bins))
    if bins == 15:
        c = np.nextafter(11 / 15, 2)  # the example of the docs
        assert np.ceil(c * 15) - 1 == 10 and np.digitize(c, np.linspace(0, 1, 16), right=True) - 1 == 11


def test_temperature_scaling_reports_the_nll_at_its_temperature():
    g = torch.Generator().manual_seed(4)
    y = torch.randint(0, 4, (400,), generator=g)
    z = 4 * (torch.randn(400, 4, generator=g) + torch.nn.functional.one_hot(y, 4))
    ts = bw.calibration.TemperatureScaling().fit(z, y)
    # the fit sums float32 exponentials in double, the metric works in double: equal to 1e-6
    assert ts.nll == pytest.approx(bw.metrics.nll(z / ts.temperature, y, logits=True), rel=1e-6)
