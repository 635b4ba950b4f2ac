import numpy as np
import pytest
import torch

import bulwark as bw


def test_fgsm_equals_sign_gradient_step_computed_with_autograd(net, batch):
    x, y = batch
    x_adv = bw.attacks.FGSM(eps=0.05)(bw.Classifier(net), x, y)
    net.eval()
    xr = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(net(xr), y).backward()
    expected = (x + 0.05 * xr.grad.sign()).clamp(0, 1)
    torch.testing.assert_close(x_adv, expected, rtol=0, atol=1e-7)


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("random_start", [False, True])
def test_fgsm_invariants(net, batch, norm, random_start):
    x, y = batch
    clf = bw.Classifier(net)
    atk = bw.attacks.FGSM(eps=0.2, norm=norm, random_start=random_start, seed=3)
    res = atk.run(clf, x, y)
    assert res.x_adv.shape == x.shape and res.x_adv.dtype == x.dtype
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    assert (bw.ops.per_sample_norm(res.x_adv - x, norm) <= 0.2 + 1e-6).all()
    torch.testing.assert_close(res.norm, bw.ops.per_sample_norm(res.x_adv - x, norm))
    assert torch.equal(atk(clf, x, y), res.x_adv)
    assert res.queries.backward_calls == 1
    if random_start:
        other = bw.attacks.FGSM(eps=0.2, norm=norm, random_start=True, seed=4)(clf, x, y)
        assert not torch.equal(other, res.x_adv)


def test_fgsm_accepts_bare_modules_and_numpy(net, batch):
    x, y = batch
    a = bw.attacks.FGSM(eps=0.1)(net, x.numpy(), y.numpy())
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, bw.attacks.FGSM(eps=0.1)(net, x, y).numpy())


def test_fgsm_repr_shows_arguments():
    r = repr(bw.attacks.FGSM(eps=0.1, random_start=True, seed=5))
    assert r.startswith("FGSM(eps=0.1, norm='linf'") and "step_size=0.125" in r and "seed=5" in r
