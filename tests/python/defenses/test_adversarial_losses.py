"""Adversarial-training losses: formulas against direct transcriptions of the authors' code
(given the crafted inputs), the graph reaching the parameters, the eps-ball and box, batch-norm
statistics untouched by crafting, the model left as it was, determinism under a seed."""

import pytest
import torch
import torch.nn.functional as F

import bulwark as bw

D = bw.defenses


class BNNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).flatten(1))


def batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(8, 1, 6, 6, generator=g), torch.randint(0, 3, (8,), generator=g)


@pytest.mark.parametrize("name", ["pgd_at", "fast_at", "trades", "mart"])
def test_loss_graph_ball_and_model_state(name):
    net = BNNet().train()
    x, y = batch()
    fn = getattr(D, f"{name}_loss")
    stats = net.bn.running_mean.clone()
    loss, x_adv, z_adv = fn(net, x, y, eps=0.1, seed=3, return_adv=True)
    assert loss.dim() == 0 and loss.requires_grad
    assert all(p.grad is None for p in net.parameters())  # crafting wrote no gradients
    assert net.training and net.bn.training
    assert (x_adv - x).abs().max() <= 0.1 + 1e-6 and x_adv.min() >= 0 and x_adv.max() <= 1
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    # Only the training forwards moved the batch-norm statistics, never the attack's queries.
    net2 = BNNet().train()
    with torch.no_grad():
        if name in ("trades", "mart"):
            net2(x)
        net2(x_adv)
    torch.testing.assert_close(net.bn.running_mean, net2.bn.running_mean)
    assert not torch.equal(stats, net.bn.running_mean)
    # Same seed, same loss.
    again = fn(BNNet().train(), x, y, eps=0.1, seed=3)
    assert again.item() == pytest.approx(loss.item(), rel=1e-6)


def test_pgd_at_is_the_cross_entropy_at_a_stronger_point():
    net = BNNet().eval()
    x, y = batch()
    loss, x_adv, z = D.pgd_at_loss(net, x, y, eps=0.1, steps=10, seed=0, return_adv=True)
    torch.testing.assert_close(loss, F.cross_entropy(net(x_adv), y))
    assert loss.item() > F.cross_entropy(net(x), y).item()
    fast = D.fast_at_loss(net, x, y, eps=0.1, seed=0)
    assert fast.item() > F.cross_entropy(net(x), y).item()


def test_trades_formula():
    net = BNNet().eval()
    x, y = batch()
    loss, x_adv, _ = D.trades_loss(net, x, y, eps=0.1, beta=6.0, seed=0, return_adv=True)
    # The authors' code: CE(model(x), y) + beta / B * KLDivLoss(sum)(log_softmax(model(x')), softmax(model(x))).
    kl = torch.nn.KLDivLoss(reduction="sum")(F.log_softmax(net(x_adv), 1), F.softmax(net(x), 1))
    torch.testing.assert_close(loss, F.cross_entropy(net(x), y) + 6.0 / len(x) * kl)
    assert D.trades_loss(net, x, y, eps=0.1, beta=0.0, seed=0).item() == pytest.approx(
        F.cross_entropy(net(x), y).item(), rel=1e-6)
    # The inner maximisation raises the KL above the starting point's.
    assert kl.item() > 1e-4


def test_mart_formula():
    net = BNNet().eval()
    x, y = batch()
    loss, x_adv, _ = D.mart_loss(net, x, y, eps=0.1, beta=6.0, seed=0, return_adv=True)
    # The authors' code, transcribed.
    logits, logits_adv = net(x), net(x_adv)
    adv_probs = F.softmax(logits_adv, dim=1)
    tmp1 = torch.argsort(adv_probs, dim=1)[:, -2:]
    new_y = torch.where(tmp1[:, -1] == y, tmp1[:, -2], tmp1[:, -1])
    loss_adv = F.cross_entropy(logits_adv, y) + F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y)
    nat_probs = F.softmax(logits, dim=1)
    true_probs = torch.gather(nat_probs, 1, y.unsqueeze(1).long()).squeeze()
    kl = torch.nn.KLDivLoss(reduction="none")
    loss_robust = (1.0 / len(x)) * torch.sum(
        torch.sum(kl(torch.log(adv_probs + 1e-12), nat_probs), dim=1) * (1.0000001 - true_probs))
    torch.testing.assert_close(loss, loss_adv + 6.0 * loss_robust)


def test_bad_input():
    net = BNNet()
    x, y = batch()
    with pytest.raises(bw.InvalidArgumentError, match="PGD: eps must be finite and >= 0"):
        D.pgd_at_loss(net, x, y, eps=-0.1)  # eps = 0 is clean training, as in an eps ramp
    with pytest.raises(TypeError, match="nn.Module being trained"):
        D.trades_loss(bw.Classifier(net), x, y, eps=0.1)
    with pytest.raises(ValueError, match="y must have shape"):
        D.mart_loss(net, x, y[:3], eps=0.1)
    with pytest.raises(ValueError):
        D.fast_at_loss(net, x + 2, y, eps=0.1)  # outside the box
    with pytest.raises(ValueError, match="norm"):
        D.pgd_at_loss(net, x, y, eps=0.1, norm="l3")


@pytest.mark.parametrize("name", ["pgd_at", "mart"])
def test_attack_object_form_equals_the_settings_form(name):
    x, y = batch()
    fn = getattr(D, f"{name}_loss")
    # Fresh nets: each training forward updates the batch-norm statistics crafting then uses.
    by_settings, xa, _ = fn(BNNet().train(), x, y, eps=0.1, steps=3, seed=5, return_adv=True)
    attack = bw.attacks.PGD(eps=0.1, steps=3, seed=5)
    net = BNNet().train()
    by_object, xb, _ = fn(net, x, y, attack=attack, return_adv=True)
    assert torch.equal(xa, xb)
    assert by_object.item() == pytest.approx(by_settings.item(), rel=1e-6)
    apgd, xc, _ = fn(net, x, y, attack=bw.attacks.APGD(eps=0.1, steps=5, seed=0), return_adv=True)
    assert (xc - x).abs().max() <= 0.1 + 1e-6 and apgd.requires_grad
    with pytest.raises(TypeError, match="not both"):
        fn(net, x, y, eps=0.1, attack=attack)
    with pytest.raises(TypeError, match="give eps"):
        fn(net, x, y)
    with pytest.raises(TypeError, match="bulwark attack"):
        fn(net, x, y, attack="pgd")
    with pytest.raises(ValueError, match="untargeted"):
        fn(net, x, y, attack=bw.attacks.PGD(eps=0.1, targeted=True))
