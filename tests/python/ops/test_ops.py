import numpy as np
import pytest
import torch

import bulwark as bw


def l1_projection_bisection(v, eps):
    """Reference: soft-threshold found by bisection (not Duchi's sort)."""
    if np.abs(v).sum() <= eps:
        return v.copy()
    lo, hi = 0.0, np.abs(v).max()
    for _ in range(200):
        mid = (lo + hi) / 2
        (lo, hi) = (mid, hi) if np.maximum(np.abs(v) - mid, 0).sum() > eps else (lo, mid)
    return np.sign(v) * np.maximum(np.abs(v) - (lo + hi) / 2, 0)


def test_projections_match_numpy_references():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(30, 2, 5)) * 2
    flat = v.reshape(30, -1)
    for eps in (0.0, 0.5, 2.0, 100.0):
        p1 = bw.ops.project(v, "l1", eps)
        assert isinstance(p1, np.ndarray) and p1.dtype == np.float64
        ref = np.stack([l1_projection_bisection(r, eps) for r in flat])
        np.testing.assert_allclose(p1.reshape(30, -1), ref, atol=1e-9)
        p2 = bw.ops.project(v, "l2", eps).reshape(30, -1)
        n = np.linalg.norm(flat, axis=1, keepdims=True)
        np.testing.assert_allclose(p2, flat * np.minimum(1, eps / np.maximum(n, 1e-12)), atol=1e-12)
        pinf = bw.ops.project(v, "linf", eps)
        np.testing.assert_array_equal(pinf, np.clip(v, -eps, eps))


def test_per_sample_eps_and_norms():
    v = torch.randn(4, 7, dtype=torch.float64) * 3
    eps = torch.tensor([0.1, 0.5, 1.0, 50.0], dtype=torch.float64)
    for norm in ("linf", "l2", "l1"):
        p = bw.ops.project(v, norm, eps)
        assert (bw.ops.per_sample_norm(p, norm) <= eps + 1e-12).all()
    np.testing.assert_allclose(bw.ops.per_sample_norm(v, "l2"), v.norm(dim=1))


def test_random_in_ball_seeded_and_inside():
    like = torch.zeros(500, 3, 4)
    for norm in ("linf", "l2", "l1"):
        a = bw.ops.random_in_ball(like, norm, 0.3, seed=1)
        b = bw.ops.random_in_ball(like, norm, 0.3, seed=1)
        c = bw.ops.random_in_ball(like, norm, 0.3, seed=2)
        assert torch.equal(a, b) and not torch.equal(a, c)
        assert (bw.ops.per_sample_norm(a, norm) <= 0.3 + 1e-6).all()


def test_default_seed_is_used_when_none_given():
    like = torch.zeros(3, 5)
    old = bw.get_seed()
    try:
        bw.seed(123)
        a = bw.ops.random_in_ball(like, "l2", 1.0)
        assert torch.equal(a, bw.ops.random_in_ball(like, "l2", 1.0, seed=123))
        assert bw.attacks.FGSM().seed == 123
    finally:
        bw.seed(old)


def test_clip_and_project_perturbation():
    x = torch.rand(8, 10)
    wild = x + torch.randn(8, 10)
    for norm in ("linf", "l2", "l1"):
        r = bw.ops.project_perturbation(wild, x, norm, 0.2)
        assert r.min() >= 0 and r.max() <= 1
        assert (bw.ops.per_sample_norm(r - x, norm) <= 0.2 + 1e-6).all()
    assert torch.equal(bw.ops.clip_to_box(wild, (0, 1)), wild.clamp(0, 1))
