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
