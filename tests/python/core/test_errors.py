"""Bad input from Python: a ValueError or TypeError that names the argument, never a crash."""

import numpy as np
import pytest
import torch

import bulwark as bw


@pytest.fixture
def clf(net):
    return bw.Classifier(net)


CASES = [
    # (description, callable(clf, x, y), exception, text the message must contain)
    ("x of the wrong dtype", lambda c, x, y: c.logits(x.double()), TypeError, "dtype Double"),
    ("integer x", lambda c, x, y: c.logits(x.long()), TypeError, "floating-point"),
    ("x without a batch dim", lambda c, x, y: c.logits(x[0, 0, 0]), ValueError, "(N, ...)"),
    ("x outside the bounds", lambda c, x, y: c.logits(x + 5), ValueError, "bounds (0, 1)"),
    ("x with NaN", lambda c, x, y: c.logits(x.masked_fill(x > 0.5, float("nan"))), ValueError, "NaN"),
    ("x a list", lambda c, x, y: c.logits(x.tolist()), TypeError, "x must be a torch.Tensor"),
    ("empty batch", lambda c, x, y: c.logits(x[:0]), ValueError, "empty batch"),
    ("y of the wrong length", lambda c, x, y: c.gradient(x, y[:2]), ValueError, "shape (N,)"),
    ("y float", lambda c, x, y: c.gradient(x, y.float()), TypeError, "integer class labels"),
    ("y out of range", lambda c, x, y: c.gradient(x, y + 3), ValueError, "num_classes = 3"),
    ("unknown loss", lambda c, x, y: c.gradient(x, y, loss="hinge"), ValueError, "loss must be one of"),
    ("negative eps", lambda c, x, y: bw.attacks.FGSM(eps=-1), bw.InvalidArgumentError, "FGSM: eps must be finite and >= 0"),
    ("eps a string", lambda c, x, y: bw.attacks.FGSM(eps="0.1"), TypeError, "eps must be a real number"),
    ("unknown norm", lambda c, x, y: bw.attacks.FGSM(norm="l3"), ValueError, "FGSM: norm must be one of"),
    ("l1 FGSM", lambda c, x, y: bw.attacks.FGSM(norm="l1"), ValueError, "'linf' or 'l2'"),
    ("negative seed", lambda c, x, y: bw.attacks.FGSM(seed=-1), ValueError, "seed must be >= 0"),
    ("attack y mismatch", lambda c, x, y: bw.attacks.FGSM()(c, x, y[:1]), ValueError, "y must have shape"),
    ("bounds reversed", lambda c, x, y: bw.Classifier(lambda t: t, bounds=(1, 0)), ValueError, "lower < upper"),
    ("bounds not a pair", lambda c, x, y: bw.Classifier(lambda t: t, bounds=1.0), TypeError, "(lower, upper)"),
    ("model not callable", lambda c, x, y: bw.Classifier(42), TypeError, "callable"),
    ("num_classes 1", lambda c, x, y: bw.Classifier(lambda t: t, num_classes=1), ValueError, "num_classes must be >= 2"),
    ("model returns a tuple", lambda c, x, y: bw.Classifier(lambda t: (t, t)).logits(x), TypeError, "torch.Tensor of logits"),
    ("model returns wrong shape", lambda c, x, y: bw.Classifier(lambda t: t).logits(x), ValueError, "shape (N, K)"),
    ("bad device", lambda c, x, y: bw.Classifier.load("m.pt", device="gpu7"), ValueError, "is not a device"),
    ("missing TorchScript file", lambda c, x, y: bw.Classifier.load("/nonexistent.pt"), OSError, "/nonexistent.pt"),
    ("project eps negative", lambda c, x, y: bw.ops.project(x, "l2", -0.1), ValueError, "project_l2: eps must be finite and >= 0"),
    ("project eps shape", lambda c, x, y: bw.ops.project(x, "l1", torch.ones(2)), ValueError, "shape (N,)"),
    ("fashion_mnist split", lambda c, x, y: bw.data.fashion_mnist("valid"), ValueError, "'train' or 'test'"),
    ("fashion_mnist dir", lambda c, x, y: bw.data.fashion_mnist("test", dir="/nonexistent"), OSError, "dataset-fashion-mnist"),
]


@pytest.mark.parametrize("what,call,exc,text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(clf, batch, what, call, exc, text):
    x, y = batch
    with pytest.raises(exc) as info:
        call(clf, x, y)
    assert text in str(info.value), str(info.value)
    assert isinstance(info.value, bw.Error) or type(info.value) in (TypeError, ValueError)


def test_error_hierarchy():
    assert issubclass(bw.InvalidArgumentError, ValueError)
    assert issubclass(bw.ShapeError, bw.InvalidArgumentError)
    assert issubclass(bw.NotFittedError, ValueError)
    assert issubclass(bw.ArgumentTypeError, TypeError)
    assert issubclass(bw.FileError, OSError)
    for e in (bw.InvalidArgumentError, bw.ArgumentTypeError, bw.FileError, bw.InternalError):
        assert issubclass(e, bw.Error)


def test_num_classes_unknown_before_first_call(net):
    with pytest.raises(bw.NotFittedError, match="num_classes"):
        bw.Classifier(net).num_classes


def test_numpy_object_array_rejected(clf):
    with pytest.raises(TypeError, match="dtype object"):
        clf.logits(np.array([[1, "a"]], dtype=object))
