"""Every attack: invariants on a small model, strength on the trained FashionCNN, query
accounting, evaluate(), and bad input."""

import numpy as np
import pytest
import torch

import bulwark as bw


from conftest import SmallNet, accuracy


@pytest.fixture
def net6():
    """6 classes: APGDT and the targeted DLR need K >= 4."""
    torch.manual_seed(0)
    return SmallNet(classes=6, side=8, dropout=0.3)


@pytest.fixture
def batch6():
    g = torch.Generator().manual_seed(3)
    return torch.rand(12, 1, 8, 8, generator=g), torch.arange(12) % 6


EPS = {"linf": 0.1, "l2": 0.6}

# (factory(norm, eps, seed), fixed budget, seeded, norms)
ATTACKS = {
    "FGSM-rs": (lambda n, e, s: bw.attacks.FGSM(e, norm=n, random_start=True, seed=s), True, True,
                ("linf", "l2")),
    "PGD": (lambda n, e, s: bw.attacks.PGD(e, norm=n, steps=5, seed=s), True, True, ("linf", "l2")),
    "MIFGSM": (lambda n, e, s: bw.attacks.MIFGSM(e, norm=n, steps=5), True, False, ("linf", "l2")),
    "APGD": (lambda n, e, s: bw.attacks.APGD(e, norm=n, steps=10, seed=s), True, True,
             ("linf", "l2")),
    "APGD-dlr": (lambda n, e, s: bw.attacks.APGD(e, norm=n, steps=10, loss="dlr", seed=s), True,
                 True, ("linf", "l2")),
    "APGDT": (lambda n, e, s: bw.attacks.APGDT(e, norm=n, steps=6, num_targets=3, seed=s), True,
              True, ("linf", "l2")),
    "FAB": (lambda n, e, s: bw.attacks.FAB(e, norm=n, steps=8, restarts=2, seed=s), False, True,
            ("linf", "l2")),
    "FABT": (lambda n, e, s: bw.attacks.FABT(e, norm=n, steps=8, num_targets=2, restarts=2, seed=s),
             False, True, ("linf", "l2")),
    "Square": (lambda n, e, s: bw.attacks.Square(e, norm=n, queries=60, seed=s), True, True,
               ("linf", "l2")),
    "DeepFool": (lambda n, e, s: bw.attacks.DeepFool(norm=n, steps=10), False, False,
                 ("linf", "l2")),
    "CW": (lambda n, e, s: bw.attacks.CW(c=1.0, steps=20, binary_search_steps=2, lr=0.05), False,
           False, ("l2",)),
    "AutoAttack": (lambda n, e, s: bw.attacks.AutoAttack(e, norm=n, steps=4, square_queries=20,
                                                         seed=s), True, True, ("linf", "l2")),
    "AutoAttack-rand": (lambda n, e, s: bw.attacks.AutoAttack(e, norm=n, version="rand", steps=4,
                                                              eot_samples=2, seed=s),
                        True, True, ("linf",)),
}
CASES = [(name, norm) for name, (_, _, _, norms) in ATTACKS.items() for norm in norms]


def state_of(net):
    return ({k: v.clone() for k, v in net.state_dict().items()}, net.training,
            [p.requires_grad for p in net.parameters()], [p.grad for p in net.parameters()])


@pytest.mark.parametrize("name,norm", CASES)
def test_invariants_for_every_attack_and_norm(net6, batch6, name, norm):
    make, fixed, seeded, _ = ATTACKS[name]
    x, _ = batch6
    y = bw.Classifier(net6).predict(x)  # all correct: every attack has work to do
    net6.train()  # the attack must use eval mode and give train mode back
    before = state_of(net6)
    clf = bw.Classifier(net6)
    atk = make(norm, EPS[norm], 5)
    res = atk.run(clf, x, y)
    assert res.x_adv.shape == x.shape and res.x_adv.dtype == x.dtype
    assert res.x_adv.device == x.device
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    if fixed:
        assert (bw.ops.per_sample_norm(res.x_adv - x, norm) <= EPS[norm] * (1 + 1e-5) + 1e-6).all()
    torch.testing.assert_close(res.norm, bw.ops.per_sample_norm(res.x_adv - x, atk.norm))
    after = state_of(net6)
    assert after[1] == before[1] and after[2] == before[2] and after[3] == before[3]
    assert all(torch.equal(v, before[0][k]) for k, v in after[0].items())
    # Same seed, same bytes.
    assert torch.equal(make(norm, EPS[norm], 5)(clf, x, y), res.x_adv)
    if seeded and name not in ("FAB", "FABT"):  # FAB's first restart starts at x itself
        assert not torch.equal(make(norm, EPS[norm], 6)(clf, x, y), res.x_adv)


@pytest.mark.parametrize("name", ["PGD", "APGD", "FAB", "DeepFool", "Square"])
def test_float64_inputs_stay_float64(net6, batch6, name):
    x, y = batch6
    clf = bw.Classifier(net6.double())
    out = ATTACKS[name][0]("linf", 0.1, 0)(clf, x.double(), y)
    assert out.dtype == torch.float64


def test_numpy_in_numpy_out(net6, batch6):
    x, y = batch6
    out = bw.attacks.APGD(0.1, steps=3)(net6, x.numpy(), y.numpy())
    assert isinstance(out, np.ndarray) and out.shape == tuple(x.shape)


def test_targets_rules(net6, batch6):
    x, y = batch6
    for rule in ("random", "least_likely", "runner_up"):
        t = bw.attacks.targets(net6, x, y, rule=rule, seed=1)
        assert (t != y).all() and t.dtype == torch.int64
    z = bw.Classifier(net6).logits(x).detach()
    runner = z.scatter(1, y[:, None], -1e9).argmax(1)
    assert torch.equal(bw.attacks.targets(net6, x, y, rule="runner_up"), runner)
    with pytest.raises(ValueError, match="rule must be one of"):
        bw.attacks.targets(net6, x, y, rule="closest")


# -- the trained model --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(fashion):
    clf, x, y = fashion
    return clf, x[:100], y[:100]


def test_strength_ordering_autoattack_apgd_pgd_fgsm_clean(trained):
    clf, x, y = trained
    clean = accuracy(clf, x, y)
    fgsm = accuracy(clf, bw.attacks.FGSM(0.1)(clf, x, y), y)
    pgd = accuracy(clf, bw.attacks.PGD(0.1, steps=40)(clf, x, y), y)
    apgd = accuracy(clf, bw.attacks.APGD(0.1)(clf, x, y), y)
    mifgsm = accuracy(clf, bw.attacks.MIFGSM(0.1)(clf, x, y), y)
    res = bw.attacks.AutoAttack(0.1, square_queries=1000).run(clf, x, y)
    aa = accuracy(clf, res.x_adv, y)
    assert aa <= apgd <= pgd <= fgsm < clean
    for acc in (fgsm, pgd, apgd, mifgsm):
        assert acc < 0.5 * clean
    # The report: robust accuracy only falls, and matches the returned examples.
    steps = [r.robust_accuracy for r in res.report]
    assert [r.name for r in res.report] == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert all(a >= b for a, b in zip(steps, steps[1:]))
    assert steps[-1] == pytest.approx(aa)
    assert res.clean_accuracy == pytest.approx(clean)
    # No query on samples already broken: each attack ran on exactly the ones still robust.
    robust = clean
    for r in res.report:
        assert r.attacked == round(robust * len(y))
        robust = r.robust_accuracy


@pytest.mark.parametrize("make", [
    lambda: bw.attacks.APGD(0.3, steps=50, targeted=True),
    lambda: bw.attacks.MIFGSM(0.3, steps=20, targeted=True),
    lambda: bw.attacks.PGD(0.3, steps=40, targeted=True),
])
def test_targeted_attacks_reach_their_targets(trained, make):
    clf, x, y = trained
    t = bw.attacks.targets(clf, x[:50], y[:50], rule="random", seed=0)
    res = make().run(clf, x[:50], t)
    assert res.success.float().mean() > 0.9
    assert torch.equal(clf.predict(res.x_adv)[res.success], t[res.success])


@pytest.mark.parametrize("make,norm,threshold", [
    (lambda: bw.attacks.FAB(0.1, steps=50), "linf", 0.1),
    (lambda: bw.attacks.DeepFool(norm="linf"), "linf", 0.1),
    (lambda: bw.attacks.FAB(1.5, norm="l2", steps=50), "l2", 1.5),
    (lambda: bw.attacks.DeepFool(norm="l2"), "l2", 1.5),
    (lambda: bw.attacks.CW(c=0.1, steps=100, binary_search_steps=5, lr=0.05), "l2", 1.5),
])
def test_minimal_norm_attacks_flip_with_small_perturbations(trained, make, norm, threshold):
    """The fixed-eps attacks break > 90% of the model at eps = threshold (Linf 0.1, L2 1.5);
    the minimal-norm attacks must find flips of median norm below that."""
    clf, x, y = trained
    x, y = x[:50], y[:50]
    fixed = bw.attacks.APGD(threshold, norm=norm, steps=50).run(clf, x, y)
    assert fixed.success.float().mean() > 0.9
    res = make().run(clf, x, y)
    correct = clf.predict(x) == y
    flipped = res.success & correct
    assert flipped.sum() >= 0.9 * correct.sum()
    assert (clf.predict(res.x_adv)[flipped] != y[flipped]).all()
    assert res.norm[flipped].median() < threshold
    assert torch.allclose(res.norm, bw.ops.per_sample_norm(res.x_adv - x, norm))


def test_fab_beats_deepfool_on_norm(trained):
    clf, x, y = trained
    x, y = x[:40], y[:40]
    fab = bw.attacks.FAB(0.1, steps=50).run(clf, x, y)
    df = bw.attacks.DeepFool(norm="linf").run(clf, x, y)
    both = fab.success & df.success
    assert fab.norm[both].median() <= df.norm[both].median()


# -- query accounting ---------------------------------------------------------------------------

class Counting(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = 0
        self.samples = 0

    def forward(self, x):
        self.calls += 1
        self.samples += x.shape[0]
        return self.inner(x)


@pytest.mark.parametrize("queries", [2, 10, 200])
def test_square_never_exceeds_its_budget_and_counts_match(net6, batch6, queries):
    x, y = batch6
    model = Counting(net6)
    clf = bw.Classifier(model)
    res = bw.attacks.Square(0.02, queries=queries, seed=0).run(clf, x, y)
    # run() adds one final check per sample.
    assert res.queries.forward_samples <= len(x) * (queries + 1)
    assert res.queries.backward_calls == 0
    assert res.queries.forward_calls == model.calls
    assert res.queries.forward_samples == model.samples


@pytest.mark.parametrize("name", ["APGD", "APGDT", "FAB", "DeepFool", "CW", "AutoAttack"])
def test_query_counts_match_a_counting_model(net6, batch6, name):
    x, y = batch6
    model = Counting(net6)
    clf = bw.Classifier(model)
    res = ATTACKS[name][0]("l2", 0.6, 0).run(clf, x, y)
    assert res.queries.forward_calls == model.calls
    assert res.queries.forward_samples == model.samples


# -- evaluate -----------------------------------------------------------------------------------

def test_evaluate_per_attack_worst_case_and_batches(trained):
    clf, x, y = trained
    x, y = x[:60], y[:60]
    attacks = {"fgsm": bw.attacks.FGSM(0.05), "pgd": bw.attacks.PGD(0.05, steps=10, seed=1)}
    ev = bw.attacks.evaluate(clf, (x, y), attacks, batch_size=25, progress=False)
    assert ev.clean_accuracy == pytest.approx(accuracy(clf, x, y))
    fgsm_alone = accuracy(clf, bw.attacks.FGSM(0.05)(clf, x, y), y)
    assert ev.robust_accuracy["fgsm"] == pytest.approx(fgsm_alone)
    assert torch.equal(ev.worst_case, ev.robust["fgsm"] & ev.robust["pgd"])
    assert ev.worst_case_accuracy <= min(ev.robust_accuracy.values())
    # An iterable of batches (as a DataLoader gives) agrees.
    loader = [(x[i:i + 20], y[i:i + 20]) for i in range(0, 60, 20)]
    ev2 = bw.attacks.evaluate(clf, loader, [bw.attacks.FGSM(0.05)], progress=False)
    assert list(ev2.robust_accuracy.values())[0] == pytest.approx(fgsm_alone)
    assert "worst case" in repr(ev)


def test_evaluate_bad_arguments(net6, batch6):
    x, y = batch6
    with pytest.raises(ValueError, match="attacks is empty"):
        bw.attacks.evaluate(net6, (x, y), [])
    with pytest.raises(TypeError, match="attacks must hold bulwark attacks"):
        bw.attacks.evaluate(net6, (x, y), [lambda m, a, b: a])
    with pytest.raises(ValueError, match="targeted"):
        bw.attacks.evaluate(net6, (x, y), [bw.attacks.PGD(targeted=True)], progress=False)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        bw.attacks.evaluate(net6, (x, y), [bw.attacks.FGSM()], batch_size=0)


# -- bad input, for every attack ----------------------------------------------------------------

CONSTRUCTORS = {
    "FGSM": bw.attacks.FGSM, "PGD": bw.attacks.PGD, "MIFGSM": bw.attacks.MIFGSM,
    "APGD": bw.attacks.APGD, "APGDT": bw.attacks.APGDT, "FAB": bw.attacks.FAB,
    "FABT": bw.attacks.FABT, "Square": bw.attacks.Square, "AutoAttack": bw.attacks.AutoAttack,
}


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_bad_options(name):
    cls = CONSTRUCTORS[name]
    with pytest.raises(ValueError, match=f"{name}: eps must be"):
        cls(eps=-0.1)
    with pytest.raises(ValueError, match=f"{'FAB' if name == 'FABT' else name}: norm must be"):
        cls(norm="l7")
    if name not in ("FGSM", "Square"):
        with pytest.raises(ValueError, match=rf"{name}: steps must be in \[1, 1000000\], got 0"):
            cls(steps=0)
        # More can only be a mistake (issue 24, item 6): refused, not run for ever.
        with pytest.raises(bw.InvalidArgumentError, match=r"got 4611686018427387904 \(more can only be a mistake"):
            cls(steps=2**62)


def test_bad_options_of_the_minimal_norm_attacks():
    with pytest.raises(ValueError, match=r"DeepFool: steps must be in \[1, 1000000\]"):
        bw.attacks.DeepFool(steps=0)
    with pytest.raises(ValueError, match="DeepFool: norm must be"):
        bw.attacks.DeepFool(norm="l0")
    with pytest.raises(ValueError, match=r"CW: steps must be in \[1, 1000000\]"):
        bw.attacks.CW(steps=0)
    with pytest.raises(ValueError, match="CW: c must be finite and > 0"):
        bw.attacks.CW(c=0)
    with pytest.raises(ValueError, match="version must be one of"):
        bw.attacks.AutoAttack(version="fast")
    with pytest.raises(ValueError, match="APGD: loss='dlr' is untargeted"):
        bw.attacks.APGD(loss="dlr", targeted=True)


class WrongShape(torch.nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0], 3, 2)


ALL = {**{k: (lambda c=c: c()) for k, c in CONSTRUCTORS.items()},
       "DeepFool": bw.attacks.DeepFool, "CW": bw.attacks.CW}


@pytest.mark.parametrize("name", list(ALL))
def test_bad_input_to_every_attack(net6, batch6, name):
    x, y = batch6
    atk = ALL[name]()
    with pytest.raises(ValueError, match=r"y must have shape \(N,\)"):
        atk(net6, x, y[:5])
    with pytest.raises(ValueError, match="labels < num_classes = 6"):
        bw.Classifier(net6).predict(x)  # K is learnt on the first call
        clf = bw.Classifier(net6, num_classes=6)
        atk(clf, x, y + 6)
    with pytest.raises(ValueError, match="x must lie within the bounds"):
        atk(net6, x + 2, y)
    bad = x.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN"):
        atk(net6, bad, y)
    with pytest.raises(ValueError, match="logits of shape"):
        atk(WrongShape(), x, y)
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        atk(net6, x, y.float())


class Noisy(torch.nn.Module):
    """A randomised defence: Gaussian noise on the input (seeded per call for repeatability)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.g = torch.Generator().manual_seed(0)

    def forward(self, x):
        return self.inner(x + 0.05 * torch.randn(x.shape, generator=self.g))


def test_eot_averages_gradients_over_samples(net6, batch6):
    x, _ = batch6
    y = bw.Classifier(net6).predict(x)
    clf = bw.Classifier(Noisy(net6))
    res = bw.attacks.PGD(0.1, steps=2, eot_samples=3, seed=0).run(clf, x, y)
    assert res.queries.backward_calls == 6
    res = bw.attacks.AutoAttack(0.1, version="rand", steps=3, eot_samples=4).run(clf, x, y)
    assert [r.name for r in res.report] == ["apgd-ce", "apgd-dlr"]
    ce = res.report[0]
    assert ce.queries.backward_calls == 4 * (3 + 1)  # EOT draws x (steps + start)


@pytest.mark.parametrize("name", ["PGD", "MIFGSM", "APGD", "APGDT", "FAB", "FABT", "Square",
                                  "DeepFool", "CW", "AutoAttack"])
def test_tabular_inputs(name):
    """Rows (N, D) work as well as images; unbounded features for the attacks that allow them."""
    torch.manual_seed(1)
    mlp = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 5))
    x = torch.rand(20, 10)
    clf = bw.Classifier(mlp)
    y = clf.predict(x)
    res = ATTACKS[name][0]("linf", 0.2, 0).run(clf, x, y)
    assert res.x_adv.shape == x.shape and res.success.any()
    if name in ("PGD", "APGD", "DeepFool", "CW"):
        free = bw.Classifier(mlp, bounds=(-float("inf"), float("inf")))
        out = ATTACKS[name][0]("linf", 0.2, 0)(free, x * 10 - 5, y)
        assert torch.isfinite(out).all()
