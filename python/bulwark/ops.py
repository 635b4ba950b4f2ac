"""Norms, projections onto Lp balls and boxes, and uniform sampling in balls, per sample.

Each takes a batch ``(N, ...)`` as a torch tensor or numpy array and returns the same type.
Norms are named ``"linf"``, ``"l2"`` or ``"l1"``.
"""

import numpy as np
import torch

from . import _core
from ._convert import as_tensor, back, check_bounds, check_real, check_seed, check_str
from ._random import get_seed

_ops = _core.ops


def per_sample_norm(x, norm):
    """``(N,)`` the ``norm`` of each sample of ``x (N, ...)`` over its other dimensions."""
    t, was_numpy = as_tensor(x, "per_sample_norm", "x")
    return back(_ops.per_sample_norm(t, check_str(norm, "per_sample_norm", "norm")), was_numpy)


def project(delta, norm, eps):
    """Euclidean projection of each sample of ``delta`` onto the ``norm`` ball of radius ``eps``.

    ``eps`` is a number or a per-sample ``(N,)`` tensor/array. L1 uses the sorting algorithm of
    Duchi et al. (2008); L2 rescales; Linf clamps.
    """
    fn = "project"
    t, was_numpy = as_tensor(delta, fn, "delta")
    norm = check_str(norm, fn, "norm")
    if isinstance(eps, (torch.Tensor, np.ndarray)):
        e, _ = as_tensor(eps, fn, "eps")
        return back(_ops.project(t, norm, e.to(t.device)), was_numpy)
    return back(_ops.project(t, norm, check_real(eps, fn, "eps")), was_numpy)


def project_linf(delta, eps):
    return project(delta, "linf", eps)


def project_l2(delta, eps):
    return project(delta, "l2", eps)


def project_l1(delta, eps):
    return project(delta, "l1", eps)


def clip_to_box(x, bounds=(0.0, 1.0)):
    """``x`` clamped into ``bounds = (lower, upper)``."""
    t, was_numpy = as_tensor(x, "clip_to_box", "x")
    lo, hi = check_bounds(bounds, "clip_to_box")
    return back(_ops.clip_to_box(t, lo, hi), was_numpy)


def project_perturbation(x_adv, x, norm, eps, bounds=(0.0, 1.0)):
    """``x + project(x_adv - x, norm, eps)``, clipped to ``bounds``."""
    fn = "project_perturbation"
    a, was_numpy = as_tensor(x_adv, fn, "x_adv")
    b, _ = as_tensor(x, fn, "x")
    lo, hi = check_bounds(bounds, fn)
    return back(_ops.project_perturbation(a, b, check_str(norm, fn, "norm"),
                                          check_real(eps, fn, "eps"), lo, hi), was_numpy)


def random_in_ball(like, norm, eps, seed=None):
    """Samples drawn uniformly from the ``norm`` ball of radius ``eps``, shaped like ``like``.

    L2 and L1 use Barthe et al. (2005); Linf draws each coordinate from U(-eps, eps).
    ``seed`` defaults to :func:`bulwark.get_seed`; the same seed gives the same bytes.
    """
    fn = "random_in_ball"
    t, was_numpy = as_tensor(like, fn, "like")
    s = check_seed(seed, fn, allow_none=True)
    s = get_seed() if s is None else s
    return back(_ops.random_in_ball(t, check_str(norm, fn, "norm"),
                                    check_real(eps, fn, "eps"), s), was_numpy)
