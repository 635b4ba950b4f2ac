"""The README's Python snippets run as written (issue 24, item 17), in order, in one namespace.
The names a snippet takes from the reader's own code (net, x, y, opt, loaders, probabilities)
are given small real values first: FashionCNN on 8 test images."""

import pathlib
import re

import torch

import bulwark as bw

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_python_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the trainer's checkpoint "pgd.pt" lands here
    net = bw.models.fashion_cnn(progress=False)
    x, y = bw.data.fashion_mnist("test")
    with torch.no_grad():
        probs = torch.softmax(net(x[:600]), 1)
    ns = {
        "net": net, "x": x[:8], "y": y[:8], "step": 0,
        "opt": torch.optim.Adam(net.parameters(), 1e-3),
        "train_loader": bw.data.Batches(x[:8], y[:8], batch_size=4),
        "val_loader": bw.data.Batches(x[8:16], y[8:16], batch_size=8, shuffle=False),
        "probs_cal": probs[:500], "y_cal": y[:500], "probs_test": probs[500:600],
    }
    found = blocks()
    assert len(found) >= 5, "the README's python blocks were not found"
    for i, code in enumerate(found):
        exec(compile(code, f"README.md python block {i + 1}", "exec"), ns)
    # What the snippets say they give.
    assert ns["x_adv"].shape == (8, 1, 28, 28) and ns["res"] is not None
    assert ns["sets"].shape == (100, 10)
    assert len(ns["history"]) == 5 and (tmp_path / "pgd.pt").is_file()
