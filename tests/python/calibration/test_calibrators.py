"""Vector/matrix/Dirichlet scaling, Platt and beta calibration against scikit-learn's
logistic regression (the same maximum-likelihood problems solved another way); save/load of
every calibrator; types; bad input."""

import json

import numpy as np
import pytest
import torch

import bulwark as bw

cal = bw.calibration


def distorted(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=g)
    z = (torch.randn(n, k, generator=g) + 2 * torch.nn.functional.one_hot(y, k)) * torch.linspace(1, 4, k)
    return z, y


def test_matrix_scaling_matches_sklearn_multinomial_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    z, y = distorted(3000, 4, 0)
    z = z.double()
    ms = cal.MatrixScaling(reg=0).fit(z, y)
    ref = LogisticRegression(penalty=None, tol=1e-12, max_iter=10000).fit(z.numpy(), y.numpy())
    p_ref = ref.predict_proba(z.numpy())
    # The same convex problem: the same probabilities, and our minimum is at least as low
    # (scikit-learn's L-BFGS stops on its function-change criterion first).
    np.testing.assert_allclose(ms.predict_proba(z).numpy(), p_ref, atol=2e-4)
    nll_ref = -np.log(p_ref[np.arange(len(y)), y.numpy()]).mean()
    assert ms.objective <= nll_ref + 1e-12
    assert ms.grad_max <= 1e-6


def test_nested_families_and_held_out_nll_on_fashion_cnn(fashion_logits):
    z, y = fashion_logits
    fit, test = slice(0, 5000), slice(5000, None)
    fit_nll = []
    for c in (cal.TemperatureScaling(), cal.VectorScaling(), cal.MatrixScaling(reg=0),
              cal.DirichletCalibration(reg_lambda=0, reg_mu=0, logits=True)):
        fit_nll.append(bw.metrics.nll(c.fit(z[fit], y[fit]).predict_proba(z[fit]), y[fit]))
    # Nested families (T within vector within matrix scaling; Dirichlet with W = I reproduces
    # the softmax): on the data they were fitted on, the richer one is never worse.
    assert fit_nll[1] <= fit_nll[0] + 1e-9 and fit_nll[2] <= fit_nll[1] + 1e-9
    assert fit_nll[3] <= bw.metrics.nll(z[fit], y[fit], logits=True) + 1e-9
    # The FashionCNN is close to calibrated already: on the other half no (regularised)
    # calibrator does harm beyond noise, and matrix scaling's per-class correction gains.
    test_nll = [bw.metrics.nll(c.fit(z[fit], y[fit]).predict_proba(z[test]), y[test])
                for c in (cal.TemperatureScaling(), cal.VectorScaling(), cal.MatrixScaling(reg=1e-2),
                          cal.DirichletCalibration(logits=True))]
    none = bw.metrics.nll(z[test], y[test], logits=True)
    assert max(test_nll) < none + 0.005, (none, test_nll)
    assert test_nll[2] < none - 0.005, (none, test_nll)


def test_dirichlet_on_probabilities_equals_on_logits():
    z, y = distorted(2000, 5, 1)
    p = torch.softmax(z.double(), 1)
    a = cal.DirichletCalibration(0.1, 0.1).fit(p, y)
    b = cal.DirichletCalibration(0.1, 0.1, logits=True).fit(z.double(), y)
    torch.testing.assert_close(a.predict_proba(p), b.predict_proba(z.double()), atol=1e-6, rtol=0)


def binary_data(n=4000, seed=2):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    s = torch.randn(n, generator=g, dtype=torch.float64) * 1.5 + 2.5 * (y.double() - 0.5)
    return s, y


def test_platt_matches_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    s, y = binary_data()
    platt = cal.PlattScaling(smooth_targets=False).fit(s.numpy(), y.numpy())
    ref = LogisticRegression(penalty=None, tol=1e-12, max_iter=10000).fit(s.numpy()[:, None], y.numpy())
    assert platt.a == pytest.approx(ref.coef_[0, 0], abs=1e-4)
    assert platt.c == pytest.approx(ref.intercept_[0], abs=1e-4)
    out = platt.predict_proba(s.numpy())
    assert isinstance(out, np.ndarray) and out.shape == (len(s),)
    p_ref = ref.predict_proba(s.numpy()[:, None])[:, 1]
    np.testing.assert_allclose(out, p_ref, atol=1e-5)
    # Our log-loss is at least as low as scikit-learn's (its L-BFGS stops earlier than Newton).
    def log_loss(p):
        return -np.mean(np.where(y.numpy() == 1, np.log(p), np.log1p(-p)))
    assert log_loss(out) <= log_loss(p_ref) + 1e-12
    # Platt's smoothed targets: the same problem against (N+ + 1)/(N+ + 2) and 1/(N- + 2).
    smooth = cal.PlattScaling().fit(s, y)
    pos = y.sum().item()
    t = torch.where(y == 1, (pos + 1) / (pos + 2), 1 / (len(y) - pos + 2)).double()
    a = torch.tensor([smooth.a, smooth.c], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(s * a[0] + a[1], t)
    assert torch.autograd.grad(loss, a)[0].abs().max() < 1e-7


def test_beta_calibration_matches_the_reference_recipe():
    """The authors' recipe (betacal): logistic regression on (ln s, -ln(1 - s)); a negative
    coefficient is dropped and the rest refitted."""
    from sklearn.linear_model import LogisticRegression
    s, y = binary_data(seed=3)
    for prob in (torch.sigmoid(3 * s), torch.sigmoid(0.5 * s + 1)):
        beta = cal.BetaCalibration().fit(prob, y)
        p = prob.clamp(np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps).numpy()
        x = np.column_stack([np.log(p), -np.log1p(-p)])
        ref = LogisticRegression(C=1e12, tol=1e-12, max_iter=10000).fit(x, y.numpy())
        a, b = ref.coef_[0]
        assert a >= 0 and b >= 0  # no refit needed on these scores
        np.testing.assert_allclose(beta.parameters, (a, b, ref.intercept_[0]), atol=1e-4)
        assert beta.predict_proba(prob).dtype == torch.float64
    # Scores that get worse with s: no non-decreasing map beats the base rate.
    beta = cal.BetaCalibration().fit(torch.sigmoid(-s), y)
    base = y.double().mean().item()
    assert beta.parameters[:2] == (0, 0)
    assert beta.parameters[2] == pytest.approx(np.log(base / (1 - base)), abs=1e-9)


@pytest.mark.parametrize("make,kind", [
    (lambda: cal.TemperatureScaling(), "logits"),
    (lambda: cal.VectorScaling(reg=0.01), "logits"),
    (lambda: cal.MatrixScaling(), "logits"),
    (lambda: cal.DirichletCalibration(0.1, 0.2), "probs"),
    (lambda: cal.DirichletCalibration(logits=True), "logits"),
    (lambda: cal.HistogramBinning(bins=8, classwise=True), "probs"),
    (lambda: cal.HistogramBinning(logits=True), "logits"),
    (lambda: cal.IsotonicCalibration(), "probs"),
    (lambda: cal.PlattScaling(), "binary"),
    (lambda: cal.BetaCalibration(), "binary_probs"),
])
def test_every_calibrator_saves_and_loads(tmp_path, make, kind):
    z, y = distorted(1500, 4, 4)
    x = {"logits": z, "probs": torch.softmax(z, 1), "binary": z[:, 1] - z[:, 0],
         "binary_probs": torch.sigmoid(z[:, 1] - z[:, 0])}[kind]
    labels = (y == 1).long() if kind.startswith("binary") else y
    c = make().fit(x, labels)
    path = tmp_path / "c.json"
    c.save(path)
    meta = json.loads(path.read_text())
    assert meta["format"] == "bulwark.calibrator" and meta["kind"] == type(c).__name__
    for loaded in (type(c).load(path), cal.load(path)):
        assert type(loaded) is type(c)
        assert torch.equal(loaded.predict_proba(x), c.predict_proba(x))
        for attr in ("reg", "reg_lambda", "reg_mu", "logits", "bins", "classwise", "smooth_targets"):
            if hasattr(c, attr):
                assert getattr(loaded, attr) == getattr(c, attr), attr
    other = cal.TemperatureScaling if not isinstance(c, cal.TemperatureScaling) else cal.MatrixScaling
    with pytest.raises(ValueError, match=f"holds a {type(c).__name__}, not a {other.__name__}"):
        other.load(path)


def test_corrupt_and_mismatched_files(tmp_path):
    z, y = distorted(500, 3, 5)
    ms = cal.MatrixScaling().fit(z, y)
    path = tmp_path / "ms.json"
    ms.save(path)
    meta = json.loads(path.read_text())
    meta["weight"] = meta["weight"][:-1]
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="do not match their CRC-32"):  # altered: refused as such
        cal.MatrixScaling.load(path)
    del meta["crc32"]
    meta["version"] = 1  # the same change in a file of before the digest: the shapes are checked
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="weight must hold 9 and bias 3 numbers"):
        cal.MatrixScaling.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError):
        cal.load(path)
    with pytest.raises(ValueError, match="fitted on K = 3 classes, got 4"):
        ms.predict_proba(torch.randn(5, 4))
    with pytest.raises(OSError):
        cal.load(tmp_path / "missing.json")


@pytest.mark.parametrize("make", [cal.VectorScaling, cal.MatrixScaling, cal.DirichletCalibration,
                                  cal.PlattScaling, cal.BetaCalibration])
def test_unfitted_raises(make, tmp_path):
    c = make()
    x = torch.rand(4) if make in (cal.PlattScaling, cal.BetaCalibration) else torch.softmax(torch.randn(4, 3), 1)
    with pytest.raises(ValueError, match="call fit"):
        c.predict_proba(x)
    with pytest.raises(ValueError, match="call fit"):
        c.save(tmp_path / "x.json")


def test_bad_input():
    z, y = distorted(100, 3, 6)
    with pytest.raises(ValueError, match="NaN"):
        cal.MatrixScaling().fit(torch.where(z > 5, float("nan"), z), y)
    with pytest.raises(ValueError, match="labels"):
        cal.VectorScaling().fit(z, y + 3)
    with pytest.raises(ValueError, match="K >= 2"):
        cal.VectorScaling().fit(z[:, :1], y * 0)
    with pytest.raises(ValueError, match="pass logits=True"):
        cal.DirichletCalibration().fit(z, y)  # logits given as probabilities
    with pytest.raises(ValueError, match=r"reg must be"):
        cal.MatrixScaling(reg=-1)
    with pytest.raises(TypeError, match="gtol"):
        cal.VectorScaling(gtol="1e-8")
    s = z[:, 0]
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        cal.PlattScaling().fit(z, y)
    with pytest.raises(ValueError, match="labels"):
        cal.PlattScaling().fit(s, y)  # three classes
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        cal.BetaCalibration().fit(s, (y == 1).long())
    with pytest.raises(ValueError, match="separate the labels"):
        cal.PlattScaling(smooth_targets=False).fit((y == 1).double() * 2 - 1, (y == 1).long())
    with pytest.raises(ValueError, match="both classes"):
        cal.PlattScaling().fit(s, torch.zeros(len(s), dtype=torch.long))
    with pytest.raises(ValueError):
        cal.PlattScaling().fit(torch.empty(0), torch.empty(0, dtype=torch.long))
