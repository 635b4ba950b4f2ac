import pytest
import torch

import bulwark as bw


@pytest.fixture(scope="module")
def trained_setup():
    net = bw.models.fashion_cnn(progress=False)
    x, y = bw.data.fashion_mnist("test")
    return bw.Classifier(net), x[:300], y[:300]


def accuracy(clf, x, y):
    return (clf.predict(x) == y).float().mean().item()


def test_strength_ordering_on_the_trained_model(trained_setup):
    clf, x, y = trained_setup
    clean = accuracy(clf, x, y)
    fgsm = accuracy(clf, bw.attacks.FGSM(eps=0.1)(clf, x, y), y)
    pgd = accuracy(clf, bw.attacks.PGD(eps=0.1, steps=40)(clf, x, y), y)
    assert pgd <= fgsm < clean
    assert pgd < 0.5 * clean


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("l2", 1.5), ("l1", 10.0)])
def test_pgd_invariants(trained_setup, norm, eps):
    clf, x, y = trained_setup
    x, y = x[:64], y[:64]
    net = clf.model
    before = {k: v.clone() for k, v in net.state_dict().items()}
    atk = bw.attacks.PGD(eps=eps, norm=norm, steps=10, seed=7)
    res = atk.run(clf, x, y)
    assert res.x_adv.dtype == x.dtype and res.x_adv.shape == x.shape
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    assert (bw.ops.per_sample_norm(res.x_adv - x, norm) <= eps * (1 + 1e-6) + 1e-6).all()
    assert torch.equal(atk(clf, x, y), res.x_adv)
    assert not net.training and all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert res.success.float().mean() > 0.5
    if norm == "l1":   # sparse steps: most pixels untouched
        assert ((res.x_adv - x).abs() > 1e-6).float().mean() < 0.5


def test_pgd_targeted_reaches_targets_at_large_eps(trained_setup):
    clf, x, y = trained_setup
    x, y = x[:64], y[:64]
    target = (y + 1) % 10
    res = bw.attacks.PGD(eps=0.3, steps=40, targeted=True, loss="ce").run(clf, x, target)
    assert res.success.float().mean() > 0.9
    assert torch.equal(clf.predict(res.x_adv)[res.success], target[res.success])


def test_pgd_arguments():
    with pytest.raises(ValueError, match="steps must be >= 1"):
        bw.attacks.PGD(steps=0)
    with pytest.raises(TypeError, match="steps must be an integer"):
        bw.attacks.PGD(steps=2.5)
    with pytest.raises(ValueError, match="PGD: norm must be one of"):
        bw.attacks.PGD(norm="l0")
    r = repr(bw.attacks.PGD(eps=0.1, steps=4, seed=3))
    assert r.startswith("PGD(eps=0.1, norm='linf', steps=4, step_size=0.0625") and "seed=3" in r
