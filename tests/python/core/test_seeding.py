"""One seeding policy (docs/architecture.md, "Reproducibility"): every stochastic object and
function takes ``seed`` (default: the library default seed, bw.seed) and draws from a generator of
its own; nothing in bulwark seeds or draws from torch's global generator; importing bulwark changes
nothing in the process, bw.runtime.tune() does, and bw.runtime.info() says so."""

import os
import pathlib
import re
import subprocess
import sys

import pytest
import torch

import bulwark as bw
from conftest import SmallNet

ROOT = pathlib.Path(__file__).resolve().parents[3]

PY_GLOBAL = re.compile(r"torch\.(manual_seed|seed|initial_seed|set_rng_state|random\.manual_seed|random\.seed)\(")
PY_DRAW = re.compile(r"torch\.(rand|randn|randint|randperm|bernoulli|multinomial|normal|rand_like|randn_like)\(")
CPP_GLOBAL = re.compile(r"manual_seed\(|getDefaultCPUGenerator|defaultGenerator\(")
CPP_DRAW = re.compile(r"(at|torch)::(rand|randn|randint|randperm|bernoulli|normal|multinomial|rand_like|randn_like)\("
                      r"|\.(uniform_|normal_|bernoulli_|random_|exponential_)\(")


def _lines(paths):
    for p in paths:
        for i, line in enumerate(p.read_text().splitlines(), 1):
            yield p.relative_to(ROOT), i, line.split("#")[0] if p.suffix == ".py" else line.split("//")[0]


def test_no_source_seeds_or_draws_from_the_global_generator():
    py = sorted((ROOT / "python" / "bulwark").glob("*.py"))
    bad = [(p, i, l) for p, i, l in _lines(py)
           if PY_GLOBAL.search(l) or (PY_DRAW.search(l) and "generator=" not in l)]
    assert not bad, bad
    cpp = [p for d in ("src", "attacks", "defenses", "python/src", "experiments", "include")
           for p in sorted((ROOT / d).rglob("*")) if p.suffix in (".cpp", ".h")]
    allowed = {pathlib.Path("src/core/random.cpp")}  # make_generator, GlobalRngGuard
    bad = [(p, i, l) for p, i, l in _lines(cpp) if p not in allowed and CPP_GLOBAL.search(l)]
    assert not bad, bad
    # Every C++ draw names its generator (gen, g, generator) in the call.
    bad = [(p, i, l) for p, i, l in _lines(cpp)
           if CPP_DRAW.search(l) and not re.search(r"\b(gen|g|generator)\b", l)]
    assert not bad, bad


@pytest.fixture
def state():
    torch.manual_seed(1234)
    return torch.get_rng_state()


def unchanged(state):
    return torch.equal(torch.get_rng_state(), state)


def test_attacks_leave_the_global_generator_alone(batch):
    torch.manual_seed(0)
    net = SmallNet(classes=5, dropout=0.0).eval()  # APGD-T's DLR loss needs K >= 4
    clf = bw.Classifier(net)
    x, y = batch
    attacks = [bw.attacks.FGSM(eps=0.1, random_start=True), bw.attacks.PGD(eps=0.1, steps=2),
               bw.attacks.APGD(eps=0.1, steps=3), bw.attacks.APGDT(eps=0.1, steps=3, num_targets=2),
               bw.attacks.FAB(eps=0.1, steps=3), bw.attacks.FABT(eps=0.1, steps=3, num_targets=2),
               bw.attacks.Square(eps=0.1, queries=20), bw.attacks.MIFGSM(eps=0.1, steps=2),
               bw.attacks.AutoAttack(eps=0.1, steps=3, square_queries=20, version="rand", eot_samples=2)]
    s = torch.get_rng_state()
    for a in attacks:
        a.run(clf, x, y)
        assert unchanged(s), a
    bw.attacks.targets(clf, x, y, rule="random")
    bw.attacks.evaluate(clf, (x, y), [attacks[1]], progress=False)
    assert unchanged(s)


def test_losses_smoothing_data_and_ops_leave_it_alone(batch, spam):
    torch.manual_seed(0)
    net = SmallNet(dropout=0.0).train()
    x, y = batch
    s = torch.get_rng_state()
    D = bw.defenses
    for loss in (D.pgd_at_loss(net, x, y, eps=0.1, steps=2), D.fast_at_loss(net, x, y, eps=0.1),
                 D.trades_loss(net, x, y, eps=0.1, steps=2), D.mart_loss(net, x, y, eps=0.1, steps=2)):
        loss.backward()
    ids, _ = spam.encode(["win money now", "meeting at noon"])
    D.freelb_loss(spam.model, ids, torch.tensor([1, 0]))
    rs = D.RandomizedSmoothing(sigma=0.25, batch_size=50)
    rs.predict(bw.Classifier(net.eval()), x, n=20)
    rs.certify(bw.Classifier(net), x, n0=10, n=50)
    D.gaussian_augmentation(x, 0.25)
    bw.data.uniform_noise(4, (1, 6, 6))
    bw.data.gaussian_noise(4, (1, 6, 6))
    bw.data.rotated(x)
    bw.ops.random_in_ball(x, "l2", 0.5)
    probs = torch.softmax(torch.randn(50, 3, generator=torch.Generator().manual_seed(0)), 1)
    labels = torch.arange(50) % 3
    bw.conformal.SplitConformal(score="aps", randomized=True).fit(probs, labels).predict(probs)
    bw.models.fashion_cnn(pretrained=False)
    assert unchanged(s)


def test_text_attacks_and_augmentation_leave_it_alone(spam, emails):
    texts, labels = emails
    s = torch.get_rng_state()
    bw.text.DeepWordBug().run(spam, texts[:4], labels[:4], progress=False)
    bw.defenses.attack_augmentation(spam, bw.text.HotFlip(beam_width=1, flips_per_state=1), texts, labels,
                                    examples=4, progress=False)
    assert unchanged(s)


def test_seed_none_means_the_library_default_and_a_seed_repeats(batch):
    torch.manual_seed(0)
    clf = bw.Classifier(SmallNet(dropout=0.0).eval())
    x, y = batch
    old = bw.get_seed()
    try:
        bw.seed(11)
        assert bw.attacks.PGD(eps=0.1).seed == 11
        a = bw.attacks.PGD(eps=0.1, steps=2)(clf, x, y)
        b = bw.attacks.PGD(eps=0.1, steps=2, seed=11)(clf, x, y)
        assert torch.equal(a, b)
        net = SmallNet(dropout=0.0).eval()  # batch norm's statistics stay, so calls compare
        l1 = bw.defenses.fast_at_loss(net, x, y, eps=0.1, return_adv=True)[1]
        l2 = bw.defenses.fast_at_loss(net, x, y, eps=0.1, seed=11, return_adv=True)[1]
        l3 = bw.defenses.fast_at_loss(net, x, y, eps=0.1, seed=bw.derive_seed(11, 1), return_adv=True)[1]
        assert torch.equal(l1, l2) and not torch.equal(l1, l3)
        opt = torch.optim.SGD(net.parameters(), 0.1)
        assert bw.defenses.AdversarialTrainer(net, opt, progress=False).seed == 11
    finally:
        bw.seed(old)


def test_import_changes_nothing_and_tune_is_explicit():
    code = ("import torch; before = torch.get_num_threads(); import bulwark as bw; i = bw.runtime.info(); "
            "assert torch.get_num_threads() == before and not i.threads_tuned and not i.malloc_tuned, i; "
            "t = bw.runtime.tune(); assert t.malloc_tuned and t.threads == torch.get_num_threads(), t; "
            "assert bw.runtime.tune(threads=1).threads == 1; print(repr(bw.runtime.info()))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "RuntimeInfo(version=" in out.stdout and "threads=1" in out.stdout and "malloc_tuned=True" in out.stdout
    with pytest.raises(bw.InvalidArgumentError, match="threads must be >= 1"):
        bw.runtime.tune(threads=0)
