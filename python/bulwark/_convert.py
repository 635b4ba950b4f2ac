"""Input checking and conversion at the Python boundary: torch tensors and numpy arrays in,
results back in the type given. Every message names the function and the argument."""

import numbers
import os

import numpy as np
import torch

from . import _core


def _type_name(x):
    return type(x).__module__ + "." + type(x).__qualname__ if type(x).__module__ != "builtins" \
        else type(x).__name__


def as_tensor(x, fn, name):
    """(tensor, was_numpy). Accepts torch.Tensor and numpy.ndarray, nothing else."""
    if isinstance(x, torch.Tensor):
        return x, False
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            raise _core.ArgumentTypeError(f"{fn}: {name} must be a numeric array, got dtype object")
        return torch.from_numpy(np.ascontiguousarray(x)), True
    raise _core.ArgumentTypeError(f"{fn}: {name} must be a torch.Tensor or numpy.ndarray, got {_type_name(x)}")


def as_labels(y, fn, name="y", device=None):
    """Integer class labels as an int64 tensor (any integer dtype is accepted)."""
    t, _ = as_tensor(y, fn, name)
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise _core.ArgumentTypeError(f"{fn}: {name} must hold integer class labels, got dtype {t.dtype}")
    if t.dtype != torch.int64:
        t = t.to(torch.int64)
    if device is not None and t.device != device:
        t = t.to(device)
    return t


def back(t, was_numpy):
    """Returns t as the caller gave its input: numpy in, numpy out."""
    if was_numpy:
        return t.detach().cpu().numpy()
    return t


def check_real(v, fn, name, *, low=None, low_inclusive=True, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be a real number, got {_type_name(v)}")
    v = float(v)
    if v != v:
        raise _core.InvalidArgumentError(f"{fn}: {name} must not be NaN")
    if low is not None and (v < low or (v == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise _core.InvalidArgumentError(f"{fn}: {name} must be {op} {low}, got {v}")
    return v


def check_int(v, fn, name, *, low=None, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be an integer, got {_type_name(v)}")
    v = int(v)
    if low is not None and v < low:
        raise _core.InvalidArgumentError(f"{fn}: {name} must be >= {low}, got {v}")
    return v


def check_bool(v, fn, name):
    if not isinstance(v, (bool, np.bool_)):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be True or False, got {_type_name(v)}")
    return bool(v)


def check_str(v, fn, name):
    if not isinstance(v, str):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be a string, got {_type_name(v)}")
    return v


def check_seed(v, fn, name="seed", allow_none=False):
    v = check_int(v, fn, name, low=0, allow_none=allow_none)
    if v is not None and v >= 2**64:
        raise _core.InvalidArgumentError(f"{fn}: {name} must be < 2**64, got {v}")
    return v


def check_bounds(bounds, fn, name="bounds"):
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise _core.ArgumentTypeError(f"{fn}: {name} must be a (lower, upper) pair, got {bounds!r}")
    lo = check_real(bounds[0], fn, f"{name}[0]")
    hi = check_real(bounds[1], fn, f"{name}[1]")
    if not lo < hi:
        raise _core.InvalidArgumentError(f"{fn}: {name} must satisfy lower < upper, got ({lo}, {hi})")
    return lo, hi


def kwargs_repr(obj, names):
    args = ", ".join(f"{n}={getattr(obj, n)!r}" for n in names)
    return f"{type(obj).__name__}({args})"


def check_path(p, fn, name="path"):
    """A str or os.PathLike, as a str."""
    if not isinstance(p, (str, os.PathLike)):
        raise _core.ArgumentTypeError(f"{fn}: {name} must be a str or os.PathLike, got {_type_name(p)}")
    return os.fspath(p)
