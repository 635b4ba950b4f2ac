"""OOD metrics against scikit-learn and brute force (ties, both FPR conventions); detectors
against direct numpy/torch implementations (ViM after the authors' code); features from the
Classifier; save/load; bad input."""

import numpy as np
import pytest
import torch

import bulwark as bw

ood = bw.ood


def tied(seed, n_in=300, n_out=200):
    g = np.random.default_rng(seed)
    return g.integers(0, 10, n_in).astype(float), g.integers(4, 16, n_out).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn_with_ties(seed):
    from sklearn.metrics import average_precision_score, roc_auc_score
    s_in, s_out = tied(seed)
    y = np.r_[np.zeros(len(s_in)), np.ones(len(s_out))]
    s = np.r_[s_in, s_out]
    m = ood.evaluate(s_in, s_out)
    assert m["auroc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["aupr_out"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert m["aupr_in"] == pytest.approx(average_precision_score(1 - y, -s), abs=1e-12)
    # FPR@95, ID positive, by brute force over thresholds.
    for t in np.unique(s_in):
        if (s_in <= t).mean() >= 0.95:
            assert m["fpr_at_95_tpr"] == pytest.approx((s_out <= t).mean())
            break
    # OOD positive: the other convention.
    for t in np.unique(s_out)[::-1]:
        if (s_out >= t).mean() >= 0.95:
            assert ood.fpr_at_tpr(s_in, s_out, positive="out") == pytest.approx((s_in >= t).mean())
            break


def test_fpr_conventions_differ_on_asymmetric_scores():
    g = np.random.default_rng(3)
    s_in = g.normal(0, 1, 5000)
    s_out = g.normal(2, 3, 5000)  # wide outlier scores
    ours, theirs = ood.fpr_at_tpr(s_in, s_out), ood.fpr_at_tpr(s_in, s_out, positive="out")
    assert abs(ours - theirs) > 0.1
    assert ood.auroc(s_in, s_in) == 0.5
    assert ood.auroc(np.zeros(3), np.ones(4)) == 1.0


def test_a_million_scores():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(500_000, generator=g), torch.randn(500_000, generator=g) + 1
    m = ood.evaluate(a, b)
    # Two unit-variance normals one apart: AUROC = Phi(1 / sqrt 2) = 0.7602.
    assert m["auroc"] == pytest.approx(0.76025, abs=2e-3)


def test_logit_detectors_formulas():
    z = torch.randn(50, 7, dtype=torch.float64)
    p = torch.softmax(z, 1)
    torch.testing.assert_close(ood.MSP().score(z), -p.max(1).values)
    torch.testing.assert_close(ood.MaxLogit().score(z), -z.max(1).values)
    torch.testing.assert_close(ood.Energy(2.0).score(z), -2.0 * torch.logsumexp(z / 2.0, 1))
    torch.testing.assert_close(ood.Entropy().score(z), -(p * p.log()).sum(1))
    out = ood.Energy().score(z.float().numpy())
    assert isinstance(out, np.ndarray) and out.dtype == np.float32


def test_knn_is_exact():
    g = torch.Generator().manual_seed(1)
    train, test = torch.randn(1000, 16, generator=g), torch.randn(300, 16, generator=g)
    knn = ood.KNN(k=10, block_elements=5000).fit(train)  # many tiles, a ragged last one
    a, b = torch.nn.functional.normalize(train, dim=1), torch.nn.functional.normalize(test, dim=1)
    expected = torch.cdist(b.double(), a.double()).topk(10, dim=1, largest=False).values[:, -1]
    torch.testing.assert_close(knn.score(test).double(), expected, atol=1e-5, rtol=0)
    out = knn.score(test.numpy())
    assert isinstance(out, np.ndarray) and out.shape == (300,)


def test_mahalanobis_matches_numpy_and_warns_on_singular_covariance():
    g = np.random.default_rng(4)
    y = g.integers(0, 3, 500)
    f = g.normal(size=(500, 5)) + y[:, None]
    m = ood.Mahalanobis().fit(f, y)
    mu = np.stack([f[y == k].mean(0) for k in range(3)])
    c = f - mu[y]
    p = np.linalg.inv(c.T @ c / len(f))
    x = g.normal(size=(40, 5)) * 2
    expected = np.min([np.einsum("ij,jk,ik->i", x - mu[k], p, x - mu[k]) for k in range(3)], axis=0)
    np.testing.assert_allclose(m.score(x), expected, rtol=1e-9)
    with pytest.warns(RuntimeWarning, match="singular"):
        ood.Mahalanobis().fit(np.c_[f, np.zeros(500)], y)


def test_vim_matches_the_reference_recipe():
    """The authors' recipe, in numpy: u = -pinv(W) b, eigenvectors of the covariance of the
    centred train features (assume_centered), residual = all but the top principal_dim."""
    from scipy.special import logsumexp
    g = np.random.default_rng(5)
    w, b = g.normal(size=(6, 20)), g.normal(size=6)
    f_train = np.maximum(g.normal(size=(800, 20)) + 0.5, 0)
    f_test = np.maximum(g.normal(size=(50, 20)) + 0.5, 0)
    vim = ood.ViM(w, b, principal_dim=8).fit(f_train)
    u = -np.linalg.pinv(w) @ b
    cov = (f_train - u).T @ (f_train - u) / len(f_train)
    vals, vecs = np.linalg.eigh(cov)
    ns = vecs[:, np.argsort(vals)[::-1][8:]]
    logit_train = f_train @ w.T + b
    v_train = np.linalg.norm((f_train - u) @ ns, axis=-1)
    alpha = logit_train.max(axis=-1).mean() / v_train.mean()
    v = np.linalg.norm((f_test - u) @ ns, axis=-1) * alpha
    expected = v - logsumexp(f_test @ w.T + b, axis=-1)
    assert vim.alpha == pytest.approx(alpha, rel=1e-9)
    np.testing.assert_allclose(vim.score(f_test), expected, rtol=1e-8, atol=1e-8)
    assert ood.ViM(np.zeros((3, 40)), np.zeros(3)).principal_dim == 20


def test_react_threshold_and_score():
    from scipy.special import logsumexp
    g = np.random.default_rng(6)
    w, b = g.normal(size=(4, 10)), g.normal(size=4)
    f = np.maximum(g.normal(size=(333, 10)), 0)
    r = ood.ReAct(w, b, percentile=90).fit(f)
    c = np.percentile(f, 90)
    assert r.threshold == pytest.approx(c, rel=1e-12)
    x = np.maximum(g.normal(size=(20, 10)) * 2, 0)
    np.testing.assert_allclose(r.score(x), -logsumexp(np.minimum(x, c) @ w.T + b, axis=1), rtol=1e-10)


def test_classifier_features_and_odin(fashion):
    clf, x, y = fashion
    z, f = clf.logits_and_features(x[:16])
    net = clf.model
    with torch.no_grad():
        torch.testing.assert_close(f, net.features(x[:16]))
        torch.testing.assert_close(z, net(x[:16]))
    assert clf.has_features
    plain = bw.Classifier(lambda t: t.flatten(1)[:, :3])
    assert not plain.has_features
    with pytest.raises(ValueError, match="does not expose penultimate features"):
        plain.logits_and_features(x[:2])
    custom = bw.Classifier(net, features=lambda t: (net(t), net.features(t)[:, :5]))
    assert custom.logits_and_features(x[:2])[1].shape == (2, 5)
    # ODIN with eps = 0 is MSP at temperature T; the model is left as it was.
    net.train()
    before = [p.detach().clone() for p in net.parameters()]
    s0 = ood.ODIN(temperature=100, eps=0).score(clf, x[:32])
    with torch.no_grad():
        torch.testing.assert_close(s0, -torch.softmax(net.eval()(x[:32]) / 100, 1).max(1).values)
    net.train()
    s1 = ood.ODIN(temperature=100, eps=0.002).score(net, x[:32])
    assert (s1 < s0).float().mean() > 0.75  # the step raises the top softmax score
    assert net.training and all(torch.equal(p, q) for p, q in zip(net.parameters(), before))
    assert all(p.grad is None for p in net.parameters())
    net.eval()


@pytest.mark.parametrize("make,needs", [
    (lambda w, b: ood.MSP(), "none"), (lambda w, b: ood.Energy(3.0), "none"),
    (lambda w, b: ood.ODIN(10, 0.01), "none"),
    (lambda w, b: ood.Mahalanobis(), "labels"), (lambda w, b: ood.KNN(k=3), "features"),
    (lambda w, b: ood.ViM(w, b), "features"), (lambda w, b: ood.ReAct(w, b, 80), "features"),
    (lambda w, b: ood.GradNorm(w, b, 2.0), "features"),
])
def test_save_load(tmp_path, make, needs):
    g = torch.Generator().manual_seed(7)
    w, b = torch.randn(3, 8, generator=g), torch.randn(3, generator=g)
    f, y = torch.relu(torch.randn(100, 8, generator=g)), torch.randint(0, 3, (100,), generator=g)
    d = make(w, b)
    if needs == "labels":
        d.fit(f, y)
    elif needs == "features":
        d.fit(f)
    d.save(tmp_path / "d.json")
    for loaded in (type(d).load(tmp_path / "d.json"), ood.load(tmp_path / "d.json")):
        assert type(loaded) is type(d)
        if needs != "none":
            assert torch.equal(loaded.score(f[:10]), d.score(f[:10]))
        elif not isinstance(d, ood.ODIN):
            assert torch.equal(loaded.score(w), d.score(w))
    other = ood.KNN if not isinstance(d, ood.KNN) else ood.MSP
    with pytest.raises(ValueError, match=f"holds a {type(d).__name__}, not a {other.__name__}"):
        other.load(tmp_path / "d.json")


def test_bad_input():
    f = torch.randn(50, 6)
    knn = ood.KNN(k=5)
    with pytest.raises(ValueError, match="call fit"):
        knn.score(f)
    with pytest.raises(ValueError, match="call fit"):
        knn.save("/tmp/never.json")
    with pytest.raises(ValueError, match="larger than the training set"):
        ood.KNN(k=60).fit(f)
    knn.fit(f)
    with pytest.raises(ValueError, match="fitted on D = 6"):
        knn.score(torch.randn(3, 7))
    with pytest.raises(ValueError, match="NaN"):
        knn.score(torch.full((2, 6), float("nan")))
    with pytest.raises(TypeError, match="labels"):
        ood.Mahalanobis().fit(f)
    with pytest.raises(ValueError, match="K >= 2"):
        ood.MSP().score(torch.randn(4, 1))
    with pytest.raises(ValueError, match=r"bias must have shape \(K,\)"):
        ood.ViM(torch.randn(3, 6), torch.randn(4))
    with pytest.raises(ValueError, match="principal_dim"):
        ood.ViM(torch.randn(3, 6), torch.randn(3), principal_dim=6)
    with pytest.raises(ValueError, match="positive must be"):
        ood.fpr_at_tpr(np.ones(1), np.ones(1), positive="ood")
    with pytest.raises(ValueError, match="NaN"):
        ood.auroc(np.array([1.0, np.nan]), np.ones(1))
    with pytest.raises(ValueError, match="N >= 1"):
        ood.auroc(np.ones(0), np.ones(1))
    with pytest.raises(TypeError, match="k must be an int"):
        ood.KNN(k=2.5)


def test_gradnorm_equals_the_autograd_gradient_norm():
    """The official recipe: backpropagate the KL to uniform, L1 norm of the last layer's grad."""
    g = torch.Generator().manual_seed(8)
    fc = torch.nn.Linear(12, 5).double()
    f = torch.relu(torch.randn(6, 12, generator=g, dtype=torch.float64))
    gn = ood.GradNorm(fc.weight, fc.bias, temperature=2.0)
    expected = []
    for i in range(len(f)):
        fc.zero_grad()
        out = fc(f[i:i + 1])
        loss = torch.sum(-torch.ones_like(out) / 5 * torch.log_softmax(out / 2.0, dim=-1))
        loss.backward()
        expected.append(-fc.weight.grad.abs().sum().item())
    torch.testing.assert_close(gn.score(f), torch.tensor(expected, dtype=torch.float64))
    assert gn.fit(f) is gn
    with pytest.raises(ValueError, match="fitted on D = 12"):
        gn.score(torch.randn(2, 11))
