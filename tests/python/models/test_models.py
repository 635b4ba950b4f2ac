import pytest
import torch

import bulwark as bw


@pytest.fixture(scope="session")
def trained():
    """The reference FashionCNN (trained once, then from the model cache)."""
    return bw.models.fashion_cnn(progress=False)


@pytest.fixture(scope="session")
def test_set():
    return bw.data.fashion_mnist("test")


def test_twin_and_cpp_give_the_same_logits():
    cpp = bw._core.models.FashionCNN(3)
    twin = bw.models.FashionCNN.from_cpp(cpp)
    x = torch.rand(16, 1, 28, 28)
    torch.testing.assert_close(twin(x), cpp.forward(x), rtol=0, atol=1e-5)
    torch.testing.assert_close(twin.features(x), cpp.features(x), rtol=0, atol=1e-5)
    back = twin.to_cpp()
    for k, v in back.state_dict().items():
        assert torch.equal(v, twin.state_dict()[k]), k


def test_load_state_dict_checks_names_and_shapes():
    cpp = bw._core.models.FashionCNN(0)
    state = cpp.state_dict()
    bad = dict(state)
    bad["fc2.weight"] = torch.zeros(3, 3)
    with pytest.raises(ValueError, match="fc2.weight' must have shape"):
        cpp.load_state_dict(bad)
    bad = dict(state)
    bad["nope"] = bad.pop("fc2.bias")
    with pytest.raises(ValueError, match="unknown entry 'nope'"):
        cpp.load_state_dict(bad)


def test_reference_fashion_cnn_reaches_89_percent(trained, test_set):
    x, y = test_set
    assert not trained.training
    with torch.no_grad():
        acc = (trained(x).argmax(1) == y).float().mean().item()
    assert acc >= 0.89, acc


def test_cached_model_is_identical(trained):
    again = bw.models.fashion_cnn(progress=False)
    for k, v in again.state_dict().items():
        assert torch.equal(v, trained.state_dict()[k])


def test_untrained_is_seeded():
    a = bw.models.fashion_cnn(pretrained=False, seed=1)
    b = bw.models.fashion_cnn(pretrained=False, seed=1)
    c = bw.models.fashion_cnn(pretrained=False, seed=2)
    assert torch.equal(a.fc1.weight, b.fc1.weight) and not torch.equal(a.fc1.weight, c.fc1.weight)


def test_fashion_cnn_arguments_checked():
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        bw.models.fashion_cnn(epochs=0)
    with pytest.raises(TypeError, match="cache_dir must be a path"):
        bw.models.fashion_cnn(cache_dir=3)
