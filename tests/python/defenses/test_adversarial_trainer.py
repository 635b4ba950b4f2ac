"""bw.defenses.AdversarialTrainer: a run is a function of its seed, resuming from a checkpoint
equals never stopping (model, optimizer, scheduler, Free AT's perturbation, the shuffle of a
loader with its own generator), torch's global generator is never touched, per-batch schedulers see every optimizer step, adversarial training
beats standard training under attack, and bad arguments are named."""

import math

import pytest
import torch

import bulwark as bw
from conftest import SmallNet

METHODS = ["standard", "pgd", "fast", "free", "trades", "mart"]


def blobs(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = (0.2 + 0.3 * y.float().view(n, 1, 1, 1) + 0.1 * torch.randn(n, 1, 6, 6, generator=g)).clamp(0, 1)
    return torch.utils.data.TensorDataset(x, y)


def loaders(generator=True):
    # Every DataLoader iterator draws its base seed from its generator, or from torch's global one
    # when it has none (even without shuffle): with generators, fit() leaves the global one alone.
    g, h = (torch.Generator().manual_seed(0), torch.Generator()) if generator else (None, None)
    return (torch.utils.data.DataLoader(blobs(64, 1), batch_size=16, shuffle=True, generator=g),
            torch.utils.data.DataLoader(blobs(24, 2), batch_size=12, generator=h))


def run(method, epochs, checkpoint=None, scheduler=True, generator=True):
    torch.manual_seed(5)
    net = SmallNet(dropout=0.0).train()  # dropout would draw from torch's global generator
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5) if scheduler else None
    t = bw.defenses.AdversarialTrainer(net, opt, method=method, eps=0.1, steps=3, replays=2, epochs=epochs,
                                       scheduler=sched, seed=7, val_steps=3, checkpoint=checkpoint, progress=False)
    train, val = loaders(generator)
    t.fit(train, val)
    return net, t


def params(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()] +
                     [b.detach().float().flatten() for b in net.buffers()])


@pytest.mark.parametrize("method", METHODS)
def test_seeded_and_resumed_runs_equal_the_uninterrupted_one(method, tmp_path):
    straight, t1 = run(method, 2)
    again, _ = run(method, 2)
    assert torch.equal(params(straight), params(again))
    path = str(tmp_path / "run.pt")
    run(method, 1, checkpoint=path)          # stops after epoch 1, checkpoint written
    resumed, t2 = run(method, 2, checkpoint=path)  # a fresh process would do exactly this
    assert t2.epoch == 2
    assert torch.equal(params(straight), params(resumed))
    untimed = [[{k: v for k, v in r.items() if k != "seconds"} for r in t.history] for t in (t1, t2)]
    assert untimed[0] == untimed[1]
    h = t1.history
    assert [r["epoch"] for r in h] == [1, 2]
    assert h[1]["lr"] == pytest.approx(0.05 * 0.25)
    for r in h:
        assert 0 <= r["robust_accuracy"] <= r["clean_accuracy"] <= 1
        assert math.isfinite(r["train_loss"]) and r["seconds"] > 0
    assert straight.training  # the caller's mode is kept


def test_fit_leaves_the_global_generator_alone_and_warns_about_a_loader_without_one(tmp_path):
    torch.manual_seed(5)
    net = SmallNet(dropout=0.0).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    train, val = loaders()
    t = bw.defenses.AdversarialTrainer(net, opt, method="fast", eps=0.1, epochs=2, progress=False)
    state = torch.get_rng_state()
    t.fit(train, val)
    assert torch.equal(torch.get_rng_state(), state)
    plain, _ = loaders(generator=False)
    t = bw.defenses.AdversarialTrainer(net, opt, method="fast", eps=0.1, epochs=1, progress=False,
                                       checkpoint=str(tmp_path / "c.pt"))
    with pytest.warns(UserWarning, match="global generator"):
        t.fit(plain)


def test_history_without_validation_and_mode_kept():
    torch.manual_seed(0)
    net = SmallNet().eval()
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    t = bw.defenses.AdversarialTrainer(net, opt, method="pgd", eps=0.1, steps=2, epochs=1, progress=False)
    h = t.fit(loaders()[0])
    assert len(h) == 1 and math.isnan(h[0]["clean_accuracy"]) and math.isnan(h[0]["robust_accuracy"])
    assert not net.training and not net.bn.training
    assert [r["train_loss"] for r in t.fit(loaders()[0])] == [h[0]["train_loss"]]  # nothing left to train


def test_per_batch_scheduler_sees_every_optimizer_step():
    # OneCycleLR raises if stepped more than total_steps times: Free AT makes m steps per batch.
    torch.manual_seed(0)
    net = SmallNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    train, _ = loaders()
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2 * len(train) * 3)
    t = bw.defenses.AdversarialTrainer(net, opt, method="free", eps=0.1, replays=3, epochs=2, scheduler=sched,
                                       scheduler_step="batch", progress=False)
    t.fit(train)
    assert sched.last_epoch == 2 * len(train) * 3


def test_adversarial_training_beats_standard_training_under_attack():
    x, y = bw.data.fashion_mnist("train")
    xt, yt = bw.data.fashion_mnist("test")
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt[:300], yt[:300]), batch_size=300)
    robust = {}
    for method in ("standard", "pgd"):
        torch.manual_seed(0)
        net = bw.models.fashion_cnn(pretrained=False).train()
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:2048], y[:2048]), batch_size=128,
                                            shuffle=True)
        t = bw.defenses.AdversarialTrainer(net, opt, method=method, eps=0.1, steps=5, epochs=2, val_steps=10,
                                           progress=False)
        robust[method] = t.fit(train, val)[-1]["robust_accuracy"]
    assert robust["pgd"] > robust["standard"] + 0.05, robust


def test_checkpoint_of_another_run_is_refused(tmp_path):
    path = str(tmp_path / "pgd.pt")
    run("pgd", 1, checkpoint=path)
    with pytest.raises(bw.FormatError, match="checkpoint is of method 'pgd', this trainer runs 'trades'"):
        run("trades", 1, checkpoint=path)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    torch.manual_seed(0)
    net = SmallNet()
    t = bw.defenses.AdversarialTrainer(net, torch.optim.SGD(net.parameters(), 0.1), progress=False)
    with pytest.raises(bw.FormatError, match="not a bulwark training checkpoint"):
        t.load_checkpoint(str(tmp_path / "junk.pt"))
    with pytest.raises(bw.FileError, match="is not a file"):
        t.load_checkpoint(str(tmp_path / "missing.pt"))


def test_bad_arguments_are_named():
    net = SmallNet()
    opt = torch.optim.SGD(net.parameters(), 0.1)
    T = bw.defenses.AdversarialTrainer
    with pytest.raises(ValueError, match="method must be one of"):
        T(net, opt, method="madry")
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        T(net, "adam")
    with pytest.raises(ValueError, match="eps"):
        T(net, opt, eps=0)
    with pytest.raises(ValueError, match="scheduler_step"):
        T(net, opt, scheduler_step="step")
    with pytest.raises(ValueError, match="L-inf only"):
        T(net, opt, method="trades", norm="l2")
    with pytest.raises(TypeError, match="model must be the nn.Module"):
        T(bw.Classifier(net), opt)
    t = T(net, opt, epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"train_loader must yield \(inputs, labels\) pairs"):
        t.fit([torch.zeros(2, 1, 6, 6)])
    with pytest.raises(TypeError, match="train_loader labels"):
        t.fit([(torch.zeros(2, 1, 6, 6), torch.zeros(2))])
    with pytest.raises(ValueError, match="outside|bounds|box"):
        t.fit([(torch.full((2, 1, 6, 6), 2.0), torch.zeros(2, dtype=torch.long))])


class Diverges(torch.nn.Module):
    """SmallNet whose logits turn NaN from the `bad_call`-th forward on (a diverged model)."""

    def __init__(self, bad_call):
        super().__init__()
        torch.manual_seed(5)
        self.net = SmallNet(dropout=0.0)
        self.calls, self.bad_call = 0, bad_call

    def forward(self, x):
        self.calls += 1
        z = self.net(x)
        return z * math.nan if self.calls >= self.bad_call else z


@pytest.mark.parametrize("method", ["standard", "fast", "free", "pgd"])
def test_a_non_finite_loss_stops_training_naming_the_epoch_and_batch(method, tmp_path):
    def trainer(net, epochs, checkpoint=None):
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        return bw.defenses.AdversarialTrainer(net, opt, method=method, eps=0.1, steps=3, replays=2, epochs=epochs,
                                              seed=7, checkpoint=checkpoint, progress=False)

    counting = Diverges(bad_call=math.inf)
    trainer(counting, 1).fit(loaders()[0])
    per_batch = counting.calls // 4  # 4 batches per epoch, the same forward calls in each
    net = Diverges(bad_call=5 * per_batch + 1)  # the first call of batch 6 = epoch 2, batch 2
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    path = str(tmp_path / "run.pt")
    t = bw.defenses.AdversarialTrainer(net, opt, method=method, eps=0.1, steps=3, replays=2, epochs=3, seed=7,
                                       checkpoint=path, progress=False)
    train, _ = loaders()
    with pytest.raises(bw.NonFiniteError, match=r"epoch 2, batch 2\): training stopped before this step"):
        t.fit(train)
    assert all(torch.isfinite(p).all() for p in net.parameters())  # no NaN step was taken
    assert t.epoch == 1 and len(t.history) == 1
    assert len(bw._core.models.read_training_checkpoint(path).trainer.history) == 1  # the last good one: epoch 1


def test_a_checkpoint_in_a_missing_directory_is_an_error_not_a_new_directory(tmp_path):
    net = SmallNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    missing = tmp_path / "no" / "such" / "dir" / "c.pt"
    with pytest.raises(bw.FileError, match="does not exist"):
        bw.defenses.AdversarialTrainer(net, opt, checkpoint=str(missing), progress=False)
    assert not (tmp_path / "no").exists()
