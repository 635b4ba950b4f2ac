"""Results cross the binding as typed classes with attributes, never as positional tuples or
dicts, and Python computes nothing that C++ returned (issue: one source of truth, item 4)."""

import torch

import bulwark as bw
from bulwark import _core
from conftest import SmallNet


def typed(r):
    assert not isinstance(r, (tuple, list, dict)), type(r)
    assert type(r).__module__.startswith("bulwark._core"), type(r)
    return r


def test_attack_and_classifier_results_are_typed(batch):
    torch.manual_seed(0)
    clf = bw.Classifier(SmallNet(classes=5, dropout=0.0).eval())
    x, y = batch
    c = clf._impl
    typed(c.loss_and_gradient(x, y, "ce"))
    typed(c.jacobian(x, None))
    q = typed(c.queries)
    assert q.forward_calls > 0 and "QueryCounts(forward_calls=" in repr(q)
    r = typed(bw.attacks.PGD(eps=0.1, steps=2)._impl.run(c, x, y))
    typed(r.queries)
    run = typed(bw.attacks.AutoAttack(eps=0.1, steps=2, square_queries=10)._impl.run_with_report(c, x, y))
    for s in run.report.attacks:
        typed(s)
        assert s.name in repr(s)
    ev = bw.attacks.evaluate(clf, [(x[:3], y[:3]), (x[3:], y[3:])], {"pgd": bw.attacks.PGD(eps=0.1, steps=2)},
                             progress=False)
    one = bw.attacks.evaluate(clf, (x, y), {"pgd": bw.attacks.PGD(eps=0.1, steps=2)}, progress=False)
    assert torch.equal(ev.robust["pgd"], one.robust["pgd"]) and ev.robust_accuracy == one.robust_accuracy
    assert isinstance(ev.queries["pgd"], _core.QueryCounts)


def test_metric_conformal_and_defense_results_are_typed(batch, spam, emails):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(40, 3, generator=g)
    y = torch.arange(40) % 3
    typed(_core.metrics.reliability_curve(z, y, True, 5, False))
    typed(_core.calibration.nll_derivatives(z.double(), y, 1.0))
    typed(_core.ood.ood_metrics(torch.rand(20, generator=g), torch.rand(20, generator=g) + 0.5, 0.95, True))
    p = torch.softmax(z.double(), 1)
    typed(_core.conformal.tune_raps(p, y, 0.1, True, [0.01, 0.1], 0))
    losses = (torch.rand(30, 4, generator=g).sort(1, descending=True).values).double()
    typed(_core.conformal.risk_control(losses, torch.linspace(0, 1, 4).double(), 0.9, 1.0))
    x, yb = batch
    net = SmallNet(dropout=0.0)
    rs = bw.defenses.RandomizedSmoothing(sigma=0.25, batch_size=50)
    typed(rs._impl.certify(bw.Classifier(net.eval())._impl, x, 10, 20, 0.01))
    texts, labels = emails
    s = typed(bw.text.PWWS().run(spam, texts[:2], labels[:2], progress=False).summary())
    assert s.as_dict()["examples"] == 2 and "TextAttackSummary(" in repr(s)
    typed(bw.runtime.info())
