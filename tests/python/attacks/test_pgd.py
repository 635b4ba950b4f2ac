import pytest
import torch

import bulwark as bw


from conftest import accuracy


def test_strength_ordering_on_the_trained_model(fashion):
    clf, x, y = fashion
    clean = accuracy(clf, x, y)
    fgsm = accuracy(clf, bw.attacks.FGSM(eps=0.1)(clf, x, y), y)
    pgd = accuracy(clf, bw.attacks.PGD(eps=0.1, steps=40)(clf, x, y), y)
    assert pgd <= fgsm < clean
    assert pgd < 0.5 * clean


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("l2", 1.5), ("l1", 10.0)])
def test_pgd_invariants(fashion, norm, eps):
    clf, x, y = fashion
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


def test_pgd_arguments():
    with pytest.raises(ValueError, match=r"steps must be in \[1, 1000000\]"):
        bw.attacks.PGD(steps=0)
    with pytest.raises(ValueError, match="more can only be a mistake"):
        bw.attacks.PGD(steps=2**62)
    with pytest.raises(TypeError, match="steps must be an integer"):
        bw.attacks.PGD(steps=2.5)
    with pytest.raises(ValueError, match="PGD: norm must be one of"):
        bw.attacks.PGD(norm="l0")
    r = repr(bw.attacks.PGD(eps=0.1, steps=4, seed=3))
    assert r.startswith("PGD(eps=0.1, norm='linf', steps=4, step_size=0.0625") and "seed=3" in r
