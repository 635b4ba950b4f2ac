"""One training checkpoint for both languages (bulwark/models/training_checkpoint.h): a run
checkpointed from Python resumes in C++ and one checkpointed in C++ resumes in Python, each ending
with the weights and history of the run that never stopped; the scheduler's state round-trips;
malformed files are bw.FormatErrors."""

import os
import pathlib
import subprocess

import pytest
import torch

import bulwark as bw

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("BULWARK_BUILD_DIR", ROOT / "build"))
EXAMPLE = BUILD / "examples" / "cpp" / "bulwark-adversarial-training"
N, BATCH, LR, SEED, VAL = 256, 64, 1e-3, 3, 50


def cpp(epochs, checkpoint):
    """The C++ side: examples/cpp/adversarial_training.cpp's AdversarialTrainer, FashionCNN(seed),
    Adam, data::TensorBatches over the first N training images."""
    assert EXAMPLE.is_file(), f"{EXAMPLE} is missing: build the project first (make build)"
    args = [EXAMPLE, "--trainer", "--method", "standard", "--epochs", epochs, "--train-samples", N,
            "--test-samples", VAL, "--batch-size", BATCH, "--lr", LR, "--seed", SEED, "--checkpoint", checkpoint]
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def python(epochs, checkpoint=None):
    """The same run from Python: the twin of C++'s FashionCNN(seed), torch's Adam, bw.data.Batches."""
    net = bw.models.fashion_cnn(pretrained=False, seed=SEED).train()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    x, y = bw.data.fashion_mnist("train")
    tx, ty = bw.data.fashion_mnist("test")
    t = bw.defenses.AdversarialTrainer(net, opt, method="standard", eps=0.1, epochs=epochs, seed=SEED,
                                       checkpoint=None if checkpoint is None else str(checkpoint), progress=False)
    t.fit(bw.data.Batches(x[:N], y[:N], batch_size=BATCH),
          bw.data.Batches(tx[:VAL], ty[:VAL], batch_size=500, shuffle=False))
    return net, t


def weights(state):
    return torch.cat([t.detach().flatten() for _, t in sorted(state.items())])


def saved(path):
    c = bw._core.models.read_training_checkpoint(str(path))
    return dict(c.model), c


def untimed(history):
    return [(r.epoch, r.train_loss, r.train_accuracy, r.clean_accuracy, r.robust_accuracy) for r in history]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """Two epochs in each language without stopping."""
    d = tmp_path_factory.mktemp("straight")
    cpp(2, d / "cpp.pt")
    net, t = python(2, d / "py.pt")
    return saved(d / "cpp.pt"), saved(d / "py.pt"), net


def test_both_languages_train_the_same_run(straight):
    (cpp_w, cpp_c), (py_w, py_c), _ = straight
    assert cpp_c.trainer.method == py_c.trainer.method == "standard" and cpp_c.trainer.seed == SEED
    torch.testing.assert_close(weights(cpp_w), weights(py_w), rtol=0, atol=1e-6)
    for a, b in zip(untimed(cpp_c.trainer.history), untimed(py_c.trainer.history)):
        assert a[0] == b[0]
        assert a[1:] == pytest.approx(b[1:], abs=1e-5)


def test_python_checkpoint_resumes_in_cpp(straight, tmp_path):
    (_, _), (py_w, py_c), _ = straight
    path = tmp_path / "run.pt"
    python(1, path)                       # Python stops after epoch 1
    out = cpp(2, path)                    # C++ picks it up
    assert "resumed from" in out and "after epoch 1" in out
    w, c = saved(path)
    assert c.optimizer.kind == "adam" and len(c.trainer.history) == 2
    torch.testing.assert_close(weights(w), weights(py_w), rtol=0, atol=1e-6)
    assert untimed(c.trainer.history)[1][1:] == pytest.approx(untimed(py_c.trainer.history)[1][1:], abs=1e-5)


def test_cpp_checkpoint_resumes_in_python(straight, tmp_path):
    (cpp_w, cpp_c), _, _ = straight
    path = tmp_path / "run.pt"
    cpp(1, path)                          # C++ stops after epoch 1
    net, t = python(2, path)              # Python picks it up
    assert t.epoch == 2
    torch.testing.assert_close(weights(net.state_dict()), weights(cpp_w), rtol=0, atol=1e-6)
    assert t.history[0]["train_loss"] == cpp_c.trainer.history[0].train_loss  # epoch 1 came from the file


def test_a_scheduler_round_trips_exactly(tmp_path):
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.5)  # a Counter inside
    t = bw.defenses.AdversarialTrainer(net, opt, method="standard", epochs=3, scheduler=sched, progress=False)
    x = torch.rand(8, 3)
    t.fit(bw.data.Batches(x, torch.randint(0, 2, (8,)), batch_size=4), None)
    t.save_checkpoint(str(tmp_path / "c.pt"))
    net2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.SGD(net2.parameters(), lr=0.1, momentum=0.9)
    sched2 = torch.optim.lr_scheduler.MultiStepLR(opt2, milestones=[7], gamma=0.1)
    t2 = bw.defenses.AdversarialTrainer(net2, opt2, method="standard", epochs=3, scheduler=sched2, progress=False)
    t2.load_checkpoint(str(tmp_path / "c.pt"))
    assert sched2.state_dict() == sched.state_dict()
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    for a, b in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values()):
        assert torch.equal(a["momentum_buffer"], b["momentum_buffer"])


def test_mismatched_checkpoints_are_format_errors(tmp_path):
    net = torch.nn.Linear(3, 2)
    t = bw.defenses.AdversarialTrainer(net, torch.optim.SGD(net.parameters(), lr=0.1), method="standard",
                                       epochs=1, progress=False)
    t.save_checkpoint(str(tmp_path / "sgd.pt"))
    other = torch.nn.Linear(3, 2)
    adam = bw.defenses.AdversarialTrainer(other, torch.optim.Adam(other.parameters()), method="standard",
                                          epochs=1, progress=False)
    with pytest.raises(bw.FormatError, match="'sgd' optimizer; this one is 'adam'"):
        adam.load_checkpoint(str(tmp_path / "sgd.pt"))
    wide = torch.nn.Linear(3, 4)
    w = bw.defenses.AdversarialTrainer(wide, torch.optim.SGD(wide.parameters(), lr=0.1), method="standard",
                                       epochs=1, progress=False)
    with pytest.raises(bw.FormatError, match="does not hold this model's weights"):
        w.load_checkpoint(str(tmp_path / "sgd.pt"))
    later = bw.defenses.AdversarialTrainer(net, torch.optim.SGD(net.parameters(), lr=0.1), method="standard",
                                           epochs=1, seed=1, progress=False)
    with pytest.raises(bw.FormatError, match="seed"):
        later.load_checkpoint(str(tmp_path / "sgd.pt"))
