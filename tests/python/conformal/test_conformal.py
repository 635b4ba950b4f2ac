"""Conformal prediction: coverage on real FashionCNN outputs over 200 random splits, the
quantile rule, metrics against direct computations, bad input."""

import math

import numpy as np
import pytest
import torch

import bulwark as bw

SCORES = ["lac", "aps", "raps", "saps", "topk"]


@pytest.fixture(scope="module")
def fashion_probs(fashion):
    clf, _, _ = fashion
    x, y = bw.data.fashion_mnist("test")
    with torch.no_grad():
        probs = torch.cat([torch.softmax(clf.logits(x[i:i + 1000]), 1) for i in range(0, len(x), 1000)])
    return probs.double(), y


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2])
@pytest.mark.parametrize("score", SCORES)
def test_coverage_over_200_random_splits(fashion_probs, score, alpha):
    """Mean coverage in [1 - alpha, 1 - alpha + 1/(n + 1)] up to Monte-Carlo error."""
    probs, y = fashion_probs
    n = 5000
    g = torch.Generator().manual_seed(0)
    covs = []
    for split in range(200):
        perm = torch.randperm(len(y), generator=g)
        cal, test = perm[:n], perm[n:]
        cp = bw.conformal.SplitConformal(score, alpha=alpha, lam=0.02, k_reg=2, seed=split)
        sets = cp.fit(probs[cal], y[cal]).predict(probs[test])
        covs.append(bw.conformal.coverage(sets, y[test]))
    covs = np.array(covs)
    mc = 3 * covs.std() / math.sqrt(len(covs))
    assert covs.mean() >= 1 - alpha - mc
    assert covs.mean() <= 1 - alpha + 1 / (n + 1) + mc


def test_the_quantile_index_by_hand():
    # n = 9, alpha = 0.1: ceil(10 * 0.9) = 9 -> the largest of 9 scores.
    assert bw._core.conformal.quantile_rank(9, 0.1) == 9
    assert bw._core.conformal.quantile_rank(19, 0.1) == 18
    assert bw._core.conformal.quantile_rank(99, 0.05) == 95
    # LAC on hand-made probabilities: scores 1 - p_y = 0.1, 0.2, ..., 0.9 -> threshold 0.9 at
    # alpha 0.1, and 0.7 at alpha 0.3 (ceil(10 * 0.7) = 7).
    p_true = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    probs = torch.stack([p_true, 1 - p_true], 1)
    y = torch.zeros(9, dtype=torch.int64)
    assert bw.conformal.SplitConformal("lac", alpha=0.1).fit(probs, y).threshold == pytest.approx(0.9)
    assert bw.conformal.SplitConformal("lac", alpha=0.3).fit(probs, y).threshold == pytest.approx(0.7)
    with pytest.raises(ValueError, match="9 calibration points are too few for alpha = 0.05"):
        bw.conformal.SplitConformal("lac", alpha=0.05).fit(probs, y)


def test_sets_and_metrics_against_direct_computation(fashion_probs):
    probs, y = fashion_probs
    cp = bw.conformal.SplitConformal("aps", alpha=0.1, seed=3).fit(probs[:5000], y[:5000])
    sets = cp.predict(probs[5000:])
    yt = y[5000:]
    assert sets.dtype == torch.bool and sets.shape == (5000, 10)
    assert bw.conformal.coverage(sets, yt) == pytest.approx(sets[torch.arange(5000), yt].double().mean().item())
    mean, hist = bw.conformal.set_size(sets)
    assert mean == pytest.approx(sets.sum(1).double().mean().item())
    assert hist.sum() == 5000 and hist[3] == (sets.sum(1) == 3).sum()
    per, gap = bw.conformal.class_conditional_coverage(sets, yt, alpha=0.1)
    for c in range(10):
        m = yt == c
        assert per[c].item() == pytest.approx(sets[m, c].double().mean().item())
    assert gap == pytest.approx((per - 0.9).abs().mean().item())
    sscv = bw.conformal.size_stratified_coverage(sets, yt, 0.1, edges=[0, 2, 4, 11])
    sizes = sets.sum(1)
    covered = sets[torch.arange(5000), yt].double()
    want = max(abs(covered[(sizes >= a) & (sizes < b)].mean().item() - 0.9)
               for a, b in [(0, 2), (2, 4), (4, 11)] if ((sizes >= a) & (sizes < b)).any())
    assert sscv == pytest.approx(want)
    assert cp.predict_sets(probs[5000:5003]) == [r.nonzero().flatten().tolist() for r in sets[:3]]
    # Same seed, same sets; numpy in, numpy out.
    assert torch.equal(cp.predict(probs[5000:]), sets)
    out = cp.predict(probs[5000:].numpy())
    assert isinstance(out, np.ndarray) and (out == sets.numpy()).all()


def test_logits_input_equals_softmax_probs(fashion_probs):
    probs, y = fashion_probs
    logits = probs.log()
    a = bw.conformal.SplitConformal("raps", seed=1).fit(probs[:2000], y[:2000]).predict(probs[2000:3000])
    b = bw.conformal.SplitConformal("raps", input="logits", seed=1).fit(logits[:2000], y[:2000]) \
        .predict(logits[2000:3000])
    assert (a != b).sum() <= 2  # softmax(log p) equals p up to rounding


def test_class_conditional_covers_every_class(fashion_probs):
    probs, y = fashion_probs
    cp = bw.conformal.ClassConditionalConformal("aps", alpha=0.1, seed=0).fit(probs[:5000], y[:5000])
    per = bw.conformal.class_conditional_coverage(cp.predict(probs[5000:]), y[5000:])
    # Each class has ~500 calibration and ~500 test points: its coverage on one split varies with
    # both (sd of each ~sqrt(0.9 * 0.1 / 500)); the lowest of 10 classes stays above 0.9 - 3.5 sd
    # (Bonferroni over the classes), and the average over classes near 0.9.
    sd = math.sqrt(2 * 0.9 * 0.1 / 500)
    assert per.min() > 0.9 - 3.5 * sd, per
    assert per.mean() > 0.9 - 3.5 * sd / math.sqrt(10), per
    assert cp.thresholds.shape == (10,) and cp.small_classes == []
    small = bw.conformal.ClassConditionalConformal("lac", alpha=0.1).fit(probs[:30], y[:30])
    assert len(small.small_classes) > 0
    assert math.isinf(small.thresholds[small.small_classes[0]])


def test_bad_input():
    p = torch.softmax(torch.randn(20, 4, dtype=torch.float64), 1)
    y = torch.randint(0, 4, (20,))
    with pytest.raises(ValueError, match="alpha must be in"):
        bw.conformal.SplitConformal(alpha=1.5)
    with pytest.raises(ValueError, match="score must be one of"):
        bw.conformal.SplitConformal(score="naive")
    with pytest.raises(ValueError, match="must sum to 1"):
        bw.conformal.SplitConformal(alpha=0.2).fit(p * 0.9, y)
    bad = p.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="contain NaN"):
        bw.conformal.SplitConformal(alpha=0.2).fit(bad, y)
    with pytest.raises(ValueError, match="labels < num_classes = 4"):
        bw.conformal.SplitConformal(alpha=0.2).fit(p, y + 4)
    with pytest.raises(ValueError, match="call fit"):
        bw.conformal.SplitConformal().predict(p)
    with pytest.raises(ValueError, match="input must be"):
        bw.conformal.SplitConformal(input="scores")
    with pytest.raises(TypeError, match="sets must be a bool mask"):
        bw.conformal.coverage(p, y)


def test_save_and_load(tmp_path, fashion_probs):
    probs, y = fashion_probs
    for cls in (bw.conformal.SplitConformal, bw.conformal.ClassConditionalConformal):
        cp = cls("saps", alpha=0.1, lam=0.1, seed=5).fit(probs[:3000], y[:3000])
        cp.save(tmp_path / "cp.json")
        back = bw.conformal.SplitConformal.load(tmp_path / "cp.json")
        assert type(back) is cls and repr(back) == repr(cp)
        assert back.threshold == cp.threshold
        assert torch.equal(back.predict(probs[3000:4000]), cp.predict(probs[3000:4000]))
    (tmp_path / "bad.json").write_text('{"format": "bulwark.conformal", "version": 3}')
    with pytest.raises(ValueError, match="version 3 is not supported"):
        bw.conformal.SplitConformal.load(tmp_path / "bad.json")
    with pytest.raises(OSError):
        bw.conformal.SplitConformal.load(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="call fit"):
        bw.conformal.SplitConformal().save(tmp_path / "x.json")


def test_tune_raps_then_calibrate_on_disjoint_data(fashion_probs):
    probs, y = fashion_probs
    params = bw.conformal.tune_raps(probs[:2000], y[:2000], alpha=0.1, seed=0)
    assert params["k_reg"] >= 1 and params["lam"] in params["mean_sizes"]
    assert params["mean_sizes"][params["lam"]] == min(params["mean_sizes"].values())
    cp = bw.conformal.SplitConformal("raps", alpha=0.1, lam=params["lam"], k_reg=params["k_reg"],
                                     seed=0).fit(probs[2000:6000], y[2000:6000])
    assert bw.conformal.coverage(cp.predict(probs[6000:]), y[6000:]) > 0.88


def test_coverage_under_attack_drops(fashion, fashion_probs):
    clf, x, y = fashion
    probs, yall = fashion_probs
    cp = bw.conformal.SplitConformal("aps", alpha=0.1, seed=0).fit(probs[5000:], yall[5000:])
    out = bw.conformal.coverage_under_attack(cp, clf, x[:200], y[:200], bw.attacks.PGD(0.1, steps=10))
    assert out["clean"]["coverage"] > 0.85
    assert out["attacked"]["coverage"] < out["clean"]["coverage"] - 0.2
    with pytest.raises(TypeError, match="attack must be a bulwark attack"):
        bw.conformal.coverage_under_attack(cp, clf, x[:5], y[:5], lambda m, a, b: a)


def test_conformal_risk_control_bounds_the_false_negative_rate():
    """Multi-label synthetic data: the FNR on fresh points averages <= alpha (Thm. 1)."""
    g = torch.Generator().manual_seed(0)
    lambdas = torch.linspace(0, 1, 201, dtype=torch.float64)
    fnrs = []
    for split in range(100):
        truth = torch.rand(2000, 8, generator=g) < 0.3
        scores = (truth.double() * 0.35 + torch.rand(2000, 8, generator=g, dtype=torch.float64) * 0.65)
        losses = bw.conformal.fnr_losses(scores[:1000], truth[:1000], lambdas)
        crc = bw.conformal.ConformalRiskControl(alpha=0.1).fit(losses, lambdas)
        sets = crc.predict(scores[1000:])
        t = truth[1000:]
        hit = (sets & t).sum(1).double()
        n_true = t.sum(1).double()
        fnr = torch.where(n_true > 0, 1 - hit / n_true.clamp(min=1), torch.zeros_like(hit))
        fnrs.append(fnr.mean().item())
    mean = np.mean(fnrs)
    assert mean <= 0.1 + 3 * np.std(fnrs) / 10
    assert mean > 0.08  # and not wastefully conservative


def test_risk_control_bad_input():
    lam = torch.linspace(0, 1, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="non-increasing in lambda"):
        bw.conformal.ConformalRiskControl().fit(torch.rand(10, 5, dtype=torch.float64).sort(1).values, lam)
    with pytest.raises(ValueError, match=r"must lie in \[0, bound"):
        bw.conformal.ConformalRiskControl().fit(torch.full((10, 5), 2.0, dtype=torch.float64), lam)
    with pytest.raises(ValueError, match="no lambda of the grid"):
        bw.conformal.ConformalRiskControl(alpha=0.01).fit(torch.full((10, 5), 0.5, dtype=torch.float64), lam)
    with pytest.raises(ValueError, match="call fit"):
        bw.conformal.ConformalRiskControl().predict(torch.rand(3, 2))


def test_lac_sets_of_float32_probabilities_follow_the_double_rule_exactly():
    # LAC's sets on float32 input are one vectorised comparison with a float threshold; they must
    # equal the rule 1 - p <= q evaluated in double, also for probabilities next to the threshold.
    g = torch.Generator().manual_seed(3)
    p = torch.softmax(3 * torch.randn(3000, 10, generator=g), 1)
    y = torch.multinomial(p, 1, generator=g).squeeze(1)
    cp = bw.conformal.SplitConformal("lac", alpha=0.1).fit(p[:2000], y[:2000])
    q = cp.threshold
    edge = torch.tensor(1 - q, dtype=torch.float32)
    near = torch.stack([torch.nextafter(edge, torch.tensor(-1.0)), edge, torch.nextafter(edge, torch.tensor(2.0))])
    test = p[2000:].clone()
    test[:3, 0] = near  # rows need not sum to 1 exactly for this check: renormalise the rest
    test[:3, 1:] *= ((1 - near) / test[:3, 1:].sum(1))[:, None]
    sets = torch.as_tensor(cp.predict(test))
    assert torch.equal(sets, (1 - test.double()) <= q)


def test_lam_defaults_to_each_scores_own_value():
    C = bw.conformal.SplitConformal
    assert C("raps").lam == 0.01 and C("saps").lam == 0.2 and C("saps", lam=0.05).lam == 0.05
