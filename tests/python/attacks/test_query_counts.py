"""Each result counts its own queries (issue 24, item 12): attacks run from several threads on one
shared classifier report exactly the queries of a run alone, while the classifier's totals count
every thread's calls."""

import threading

import pytest
import torch

import bulwark as bw
from conftest import SmallNet

THREADS = 4


def shared_model():
    torch.manual_seed(0)
    return bw.Classifier(SmallNet(dropout=0.0).eval(), bounds=(0.0, 1.0))


def data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(16, 1, 6, 6, generator=g), torch.randint(0, 3, (16,), generator=g)


def in_threads(fn):
    out = [None] * THREADS
    barrier = threading.Barrier(THREADS)
    errors = []

    def work(i):
        try:
            barrier.wait()
            out[i] = fn()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    return out


@pytest.mark.parametrize("make", [
    lambda: bw.attacks.PGD(eps=0.1, steps=10, seed=0),
    lambda: bw.attacks.FGSM(eps=0.1),
    lambda: bw.attacks.Square(eps=0.1, queries=50, seed=0),
], ids=["pgd", "fgsm", "square"])
def test_attack_results_count_their_own_queries_under_threads(make):
    model = shared_model()
    x, y = data()
    alone = make().run(model, x, y)
    before = model.queries
    results = in_threads(lambda: make().run(model, x, y))
    for r in results:
        assert r.queries == alone.queries
        assert torch.equal(r.x_adv, alone.x_adv)
    # The classifier's own totals are every thread's calls together.
    total = model.queries
    assert total.forward_calls - before.forward_calls == THREADS * alone.queries.forward_calls
    assert total.backward_samples - before.backward_samples == THREADS * alone.queries.backward_samples


def test_evaluate_counts_its_own_queries_under_threads():
    model = shared_model()
    x, y = data()
    attacks = lambda: {"fgsm": bw.attacks.FGSM(eps=0.1), "pgd": bw.attacks.PGD(eps=0.1, steps=5, seed=0)}
    alone = bw.attacks.evaluate(model, (x, y), attacks(), batch_size=8, progress=False)
    for ev in in_threads(lambda: bw.attacks.evaluate(model, (x, y), attacks(), batch_size=8, progress=False)):
        assert ev.queries == alone.queries
