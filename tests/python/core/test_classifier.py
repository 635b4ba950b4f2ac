import numpy as np
import pytest
import torch

import bulwark as bw


def test_module_and_torchscript_give_identical_gradients(net, batch, tmp_path):
    x, y = batch
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    from_module = bw.Classifier(net)
    from_file = bw.Classifier.load(path)
    g_module = from_module.gradient(x, y)
    g_file = from_file.gradient(x, y)
    assert g_module.shape == x.shape
    assert torch.equal(g_module, g_file)
    # and both equal plain autograd in eval mode
    net.eval()
    xr = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(net(xr), y, reduction="sum").backward()
    torch.testing.assert_close(g_module, xr.grad, rtol=1e-5, atol=1e-6)


def test_model_state_untouched_after_100_calls(net, batch):
    x, y = batch
    net.train()
    net.drop.eval()                      # mixed modes must come back as they were
    net.fc.weight.requires_grad_(False)
    net.conv.weight.grad = torch.full_like(net.conv.weight, 0.5)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    modes = {name: m.training for name, m in net.named_modules()}

    clf = bw.Classifier(net)
    for _ in range(100):
        clf.logits(x)
        clf.gradient(x, y, loss="margin")

    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k          # parameters and BN running stats
    assert {name: m.training for name, m in net.named_modules()} == modes
    assert not net.fc.weight.requires_grad and net.conv.weight.requires_grad
    assert torch.equal(net.conv.weight.grad, torch.full_like(net.conv.weight, 0.5))
    assert net.fc.bias.grad is None and net.conv.bias.grad is None
    assert clf.queries == bw._core.QueryCounts(forward_calls=200, forward_samples=1200, backward_calls=100,
                                               backward_samples=600)


def test_mode_restored_when_the_model_raises(net):
    net.train()
    calls = []

    def boom(x):
        calls.append(net.training)
        raise RuntimeError("model failed")

    wrapper = torch.nn.Module()
    wrapper.inner = net
    wrapper.forward = boom
    clf = bw.Classifier(wrapper)
    with pytest.raises(RuntimeError, match="model failed"):
        clf.logits(torch.rand(2, 1, 6, 6))
    assert calls == [False]
    assert net.training and net.bn.training


def test_numpy_in_numpy_out(net, batch):
    x, y = batch
    clf = bw.Classifier(net)
    z = clf.logits(x.numpy())
    assert isinstance(z, np.ndarray) and z.shape == (6, 3)
    np.testing.assert_allclose(z, clf.logits(x).detach().numpy(), rtol=1e-6)
    g = clf.gradient(x.numpy(), y.numpy().astype(np.int32))
    assert isinstance(g, np.ndarray) and g.shape == x.shape
    assert clf.predict(x.numpy()).dtype == np.int64


def test_logits_are_differentiable_through_the_adapter(net, batch):
    x, _ = batch
    clf = bw.Classifier(net)
    xr = x.clone().requires_grad_(True)
    clf.logits(xr).sum().backward()
    assert xr.grad is not None and xr.grad.abs().sum() > 0


def test_plain_function_and_no_grad_context(batch):
    x, y = batch
    w = torch.randn(36, 3)
    clf = bw.Classifier(lambda t: t.flatten(1) @ w, num_classes=3)
    with torch.no_grad():
        g = clf.gradient(x, y)           # the classifier turns autograd on for itself
    assert g.shape == x.shape and g.abs().sum() > 0
    with torch.inference_mode():
        xi = torch.rand(2, 1, 6, 6)
    assert clf.gradient(xi, y[:2]).shape == xi.shape


def test_repr_and_properties(net):
    clf = bw.Classifier(net, bounds=(-1, 1), input_shape=(1, 6, 6))
    assert "bounds=(-1, 1)" in repr(clf) and "input_shape=[1, 6, 6]" in repr(clf)
    assert clf.bounds == (-1.0, 1.0)
    clf.logits(torch.zeros(1, 1, 6, 6))
    assert clf.num_classes == 3
    assert "num_classes=3" in repr(clf)
