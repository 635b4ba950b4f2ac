import numpy as np
import pytest
import torch

import bulwark as bw


def test_fashion_mnist_test_split_matches_published_statistics():
    x, y = bw.data.fashion_mnist("test")
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.float32
    assert abs(x.mean().item() - 0.2868) < 5e-4
    assert torch.equal(torch.bincount(y), torch.full((10,), 1000))


def test_digits_match_sklearn_resized_independently():
    from sklearn.datasets import load_digits
    x, y = bw.data.digits()
    ref = load_digits()
    assert x.shape == (1797, 1, 28, 28) and len(y) == 1797
    np.testing.assert_array_equal(y.numpy(), ref.target)
    small = torch.from_numpy(ref.images).float().div(16).unsqueeze(1)
    big = torch.nn.functional.interpolate(small, size=(28, 28), mode="bilinear",
                                          align_corners=False).clamp(0, 1)
    torch.testing.assert_close(x, big, rtol=0, atol=1e-6)


def test_digits_bad_files(tmp_path):
    import gzip
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wt") as f:
        f.write("1,2,3\n")
    with pytest.raises(bw.FormatError, match="line 1: expected 64 pixels"):
        bw.data.digits(bad)
    with pytest.raises(OSError, match="python3-sklearn"):
        bw.data.digits(tmp_path / "missing.csv.gz")


@pytest.mark.parametrize("make", [
    lambda s: bw.data.uniform_noise(50, seed=s),
    lambda s: bw.data.gaussian_noise(50, seed=s),
    lambda s: bw.data.rotated(bw.data.fashion_mnist("test")[0][:50], seed=s),
])
def test_synthetic_ood_sets_are_seeded_and_in_range(make):
    a, la = make(1)
    b, _ = make(1)
    c, _ = make(2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (50, 1, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert (la == -1).all()


def test_inverted_and_rotated_are_exact_transforms():
    x = bw.data.fashion_mnist("test")[0][:20]
    inv, _ = bw.data.inverted(x)
    assert torch.equal(inv, 1 - x)
    rot, _ = bw.data.rotated(x, seed=0)
    for i in range(20):
        assert any(torch.equal(rot[i], torch.rot90(x[i], k, (1, 2))) for k in (1, 2, 3))


def test_gaussian_noise_moments():
    x, _ = bw.data.gaussian_noise(2000, seed=0, mean=0.5, std=0.1)
    assert abs(x.mean().item() - 0.5) < 0.005 and abs(x.std().item() - 0.1) < 0.005
