"""Each option's name, default and check live once, in C++: the Python signatures' defaults equal
the default-constructed C++ Options, every field of the Options class is a parameter, a bad value
is a bw.InvalidArgumentError and a wrong type a bw.ArgumentTypeError, both naming the option."""

import inspect

import pytest
import torch

import bulwark as bw
from bulwark import _core

ATTACKS = {cls: getattr(_core.attacks, cls._options_cls or f"{cls._core_cls or cls.__name__}Options")
           for cls in (bw.attacks.FGSM, bw.attacks.PGD, bw.attacks.MIFGSM, bw.attacks.APGD, bw.attacks.APGDT,
                       bw.attacks.FAB, bw.attacks.FABT, bw.attacks.Square, bw.attacks.CW, bw.attacks.DeepFool,
                       bw.attacks.AutoAttack)}


@pytest.mark.parametrize("cls", list(ATTACKS), ids=lambda c: c.__name__)
def test_python_defaults_are_the_cpp_defaults(cls):
    options = ATTACKS[cls]()
    params = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    assert set(params) == set(type(options).fields)
    for name, default in params.items():
        assert getattr(options, name) == default, (cls.__name__, name)
    atk = cls()
    for name in type(options).fields:  # the options read back, the seed resolved
        if name not in ("seed", "step_size"):
            assert getattr(atk, name) == params[name]
    assert repr(atk).startswith(f"{cls.__name__}(")


# Python classes whose C++ options are only part of their signature: (options class, the
# parameters that are Python's own — objects C++ cannot hold, or how Python drives the loop).
OTHERS = {
    bw.conformal.SplitConformal: (_core.conformal.ConformalOptions, ()),
    bw.conformal.ClassConditionalConformal: (_core.conformal.ConformalOptions, ()),
    bw.defenses.AdversarialTrainer: (_core.defenses.AdversarialTrainingOptions,
                                     ("model", "optimizer", "scheduler", "scheduler_step", "bounds",
                                      "eval_while_crafting", "checkpoint", "progress")),
}


@pytest.mark.parametrize("cls", list(OTHERS), ids=lambda c: c.__name__)
def test_python_defaults_are_the_cpp_defaults_beyond_attacks(cls):
    options_cls, own = OTHERS[cls]
    options = options_cls()
    params = {k: p.default for k, p in inspect.signature(cls).parameters.items() if k not in own}
    assert set(params) == set(options_cls.fields)
    for name, default in params.items():
        assert getattr(options, name) == default, (cls.__name__, name)


def test_values_and_types_beyond_attacks_are_checked_once_in_cpp():
    C = bw.conformal.SplitConformal
    with pytest.raises(bw.InvalidArgumentError, match="SplitConformal: alpha must be in"):
        C(alpha=1.5)
    with pytest.raises(bw.InvalidArgumentError, match="SplitConformal: input must be 'probs' or 'logits'"):
        C(input="scores")
    with pytest.raises(bw.ArgumentTypeError, match="SplitConformal: k_reg must be an integer, got float"):
        C(k_reg=1.5)
    with pytest.raises(bw.InvalidArgumentError, match="SplitConformal: lam must be"):
        C(lam=-1)
    assert C(score="raps", lam=0.5).lam == 0.5 and C(seed=4).seed == 4
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), 0.1)
    T = bw.defenses.AdversarialTrainer
    with pytest.raises(bw.InvalidArgumentError, match="AdversarialTrainer: method must be one of"):
        T(net, opt, method="madry")
    with pytest.raises(bw.ArgumentTypeError, match="AdversarialTrainer: epochs must be an integer, got float"):
        T(net, opt, epochs=2.0)
    with pytest.raises(bw.InvalidArgumentError, match=r"AdversarialTrainer: replays must be in \[1, 1000000\]"):
        T(net, opt, replays=0)


@pytest.mark.parametrize("cls", list(ATTACKS), ids=lambda c: c.__name__)
def test_wrong_types_and_values_are_named(cls):
    name = cls.__name__
    owner = "FAB" if name == "FABT" else name
    fields = type(ATTACKS[cls]()).fields
    some_int = next(f for f in ("steps", "queries", "candidates", "eot_samples") if f in fields)
    with pytest.raises(bw.ArgumentTypeError, match=f"{owner}: {some_int} must be an integer, got float"):
        cls(**{some_int: 2.5})
    with pytest.raises(bw.ArgumentTypeError, match=f"{owner}: {some_int} must be an integer, got bool"):
        cls(**{some_int: True})
    with pytest.raises(bw.InvalidArgumentError, match=f"{name}: {some_int} must be"):
        cls(**{some_int: 0})
    if "eps" in fields:
        with pytest.raises(bw.ArgumentTypeError, match=f"{owner}: eps must be a real number, got str"):
            cls(eps="0.1")
        with pytest.raises(bw.InvalidArgumentError, match=f"{name}: eps must be"):
            cls(eps=-1)
    if "norm" in fields:
        with pytest.raises(bw.InvalidArgumentError, match=f"{owner}: norm must be one of"):
            cls(norm="l7")
    if "seed" in fields:
        with pytest.raises(bw.InvalidArgumentError, match=f"{owner}: seed must be >= 0"):
            cls(seed=-1)
        with pytest.raises(bw.ArgumentTypeError, match=f"{owner}: seed must be an integer or None, got str"):
            cls(seed="0")
    if "targeted" in fields:
        with pytest.raises(bw.ArgumentTypeError, match=f"{owner}: targeted must be a bool, got int"):
            cls(targeted=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'stpes'"):
        cls(stpes=3)
    with pytest.raises(AttributeError):
        ATTACKS[cls]().stpes = 3


TEXT = (bw.text.PWWS, bw.text.TextFooler, bw.text.HotFlip, bw.text.DeepWordBug)


@pytest.mark.parametrize("cls", TEXT, ids=lambda c: c.__name__)
def test_text_attack_defaults_are_the_cpp_defaults(cls):
    options = getattr(_core.text, f"{cls._NAME}Options")()
    base = {k: p.default for k, p in inspect.signature(bw.text._TextAttack).parameters.items() if k != "extra"}
    own = {k: p.default for k, p in inspect.signature(cls).parameters.items()
           if k != "kwargs" and k not in cls._PYTHON_ONLY}
    params = {**base, **own}
    assert set(params) == set(type(options).fields)
    for name, default in params.items():
        expected = list(default) if isinstance(default, tuple) else default
        assert getattr(options, name) == expected, (cls.__name__, name)
    atk = cls()
    assert atk.seed == bw.get_seed() and atk.options.seed == atk.seed


def test_text_attack_values_and_types_are_checked_in_cpp():
    with pytest.raises(bw.InvalidArgumentError, match="PWWS: max_change_fraction must be in"):
        bw.text.PWWS(max_change_fraction=1.5)
    with pytest.raises(bw.ArgumentTypeError, match="PWWS: query_budget must be an integer or None, got float"):
        bw.text.PWWS(query_budget=2.5)
    with pytest.raises(bw.InvalidArgumentError, match="query_budget must be >= 1"):
        bw.text.PWWS(query_budget=0)
    with pytest.raises(bw.ArgumentTypeError, match="HotFlip: stopwords must be a list of str or None, got str"):
        bw.text.HotFlip(stopwords="the")
    with pytest.raises(bw.InvalidArgumentError, match="HotFlip: candidates must be"):
        bw.text.HotFlip(candidates="thesaurus")
    with pytest.raises(bw.InvalidArgumentError, match="DeepWordBug: scoring must be"):
        bw.text.DeepWordBug(scoring="tail2")
    with pytest.raises(bw.InvalidArgumentError, match="DeepWordBug: lambda_ must be >= 0"):
        bw.text.DeepWordBug(lambda_=-1)
    with pytest.raises(bw.InvalidArgumentError, match="TextFooler: candidate_cosine must be in"):
        bw.text.TextFooler(candidate_cosine=2)
    with pytest.raises(bw.InvalidArgumentError, match="candidates must be 'wordnet'"):
        bw.text.PWWS(candidates="thesaurus")
    a = bw.text.PWWS(min_cosine=None, query_budget=None, stopwords=None)
    assert a.min_cosine is None and a.query_budget is None and a.stopwords is None
    b = bw.text.PWWS(min_cosine=0.5, query_budget=100, stopwords=["a", "b"], seed=3)
    assert (b.min_cosine, b.query_budget, b.stopwords, b.seed) == (0.5, 100, ["a", "b"], 3)


# The calibrators, detectors and randomized smoothing take their settings as constructor
# arguments: each C++ class is also constructible from its required arguments alone, with C++'s
# defaults, and the Python signature's defaults must equal what that object reports.
W, B = torch.randn(3, 4), torch.randn(3)
CPP_DEFAULTS = {
    bw.calibration.TemperatureScaling: lambda: _core.calibration.TemperatureScaling(),
    bw.calibration.VectorScaling: lambda: _core.calibration.VectorScaling(),
    bw.calibration.MatrixScaling: lambda: _core.calibration.MatrixScaling(),
    bw.calibration.DirichletCalibration: lambda: _core.calibration.DirichletCalibration(),
    bw.calibration.HistogramBinning: lambda: _core.calibration.HistogramBinning(),
    bw.calibration.IsotonicCalibration: lambda: _core.calibration.IsotonicCalibration(),
    bw.calibration.PlattScaling: lambda: _core.calibration.PlattScaling(),
    bw.calibration.BetaCalibration: lambda: _core.calibration.BetaCalibration(),
    bw.ood.MSP: lambda: _core.ood.MSP(),
    bw.ood.MaxLogit: lambda: _core.ood.MaxLogit(),
    bw.ood.Energy: lambda: _core.ood.Energy(),
    bw.ood.Entropy: lambda: _core.ood.Entropy(),
    bw.ood.ODIN: lambda: _core.ood.ODIN(),
    bw.ood.Mahalanobis: lambda: _core.ood.Mahalanobis(),
    bw.ood.KNN: lambda: _core.ood.KNN(),
    bw.ood.ViM: lambda: _core.ood.ViM(W, B),
    bw.ood.ReAct: lambda: _core.ood.ReAct(W, B),
    bw.ood.GradNorm: lambda: _core.ood.GradNorm(W, B),
    bw.defenses.RandomizedSmoothing: lambda: _core.defenses.RandomizedSmoothing(0.25),
}
# Python spellings of a C++ sentinel: ViM's principal_dim=None is C++'s default 0, "chosen from
# the dimension" (the object reports the dimension chosen); a seed of None is the library default
# seed (test_seeding.py checks that policy).
SENTINELS = {("ViM", "principal_dim"): None}
NOT_COMPARED = {("RandomizedSmoothing", "seed")}


def python_object(cls):
    if cls in (bw.ood.ViM, bw.ood.ReAct, bw.ood.GradNorm):
        return cls(W, B)
    return cls(0.25) if cls is bw.defenses.RandomizedSmoothing else cls()


@pytest.mark.parametrize("cls", list(CPP_DEFAULTS), ids=lambda c: c.__name__)
def test_defaults_of_calibrators_detectors_and_smoothing_are_cpp_defaults(cls):
    cpp, py_obj = CPP_DEFAULTS[cls](), python_object(cls)
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()
                if p.default is not inspect.Parameter.empty and (cls.__name__, name) not in NOT_COMPARED}
    for name, default in defaults.items():
        if (cls.__name__, name) in SENTINELS:
            assert default is SENTINELS[(cls.__name__, name)], (cls.__name__, name)
            assert getattr(cpp, name) == getattr(py_obj._impl, name), (cls.__name__, name)
        else:
            assert getattr(cpp, name) == default, (cls.__name__, name, getattr(cpp, name), default)
            assert getattr(py_obj._impl, name) == default, (cls.__name__, name)


def test_value_checks_are_cpp_errors_naming_the_argument():
    # the Python layer checks types only; these values reach C++ and come back as its errors
    for call, match in [
        (lambda: bw.defenses.RandomizedSmoothing(0.0), "RandomizedSmoothing: sigma must be > 0"),
        (lambda: bw.defenses.RandomizedSmoothing(0.25, batch_size=0), "batch_size must be >= 1"),
        (lambda: bw.metrics.clopper_pearson(6, 5), "need 0 <= k <= n"),
        (lambda: bw.metrics.ece(torch.eye(3), torch.arange(3), bins=0), r"ece: bins must lie in \[1, 1000000\]"),
        (lambda: bw.metrics.mce(torch.eye(3), torch.arange(3), bins=0), r"mce: bins must lie in"),
        (lambda: bw.metrics.ece(torch.eye(3), torch.arange(3), p=0.5), "ece: p must be >= 1"),
        (lambda: bw.conformal.ConformalRiskControl(alpha=1.5), r"ConformalRiskControl: alpha must be in \(0, 1\)"),
        (lambda: bw.conformal.tune_raps(torch.eye(3), torch.arange(3), lams=[-1.0]), "tune_raps: lams must be >= 0"),
        (lambda: bw.text.Vocabulary.build([["a"]], min_freq=0), "Vocabulary.build: min_freq must be >= 1"),
        (lambda: bw.metrics.clopper_pearson(1, 5, alpha=0), "alpha must be in"),
        (lambda: bw.data.Batches(torch.rand(4, 2), torch.zeros(4, dtype=torch.long), batch_size=0),
         "TensorBatches: batch_size must be >= 1"),
        (lambda: bw.data.uniform_noise(-1), "uniform_noise: n must be >= 0"),
        (lambda: bw.models.fashion_cnn(epochs=0), "trained_fashion_cnn: epochs must be >= 1"),
        (lambda: bw.models.fashion_cnn(lr=-1.0), "trained_fashion_cnn: lr must be > 0"),
        (lambda: bw.models.spam_filter(arch="lstm"), "arch must be 'bag' or 'cnn'"),
        (lambda: bw.models.spam_filter(dim=0), "trained_spam_classifier: dim must be >= 1"),
        (lambda: bw.models.spam_filter(max_vocab=1), "trained_spam_classifier: max_vocab must be"),
    ]:
        with pytest.raises(bw.InvalidArgumentError, match=match):
            call()
