import pytest
import torch

import bulwark as bw

bw.runtime.tune()  # one thread per core and malloc for large batches, as a user's script would


class SmallNet(torch.nn.Module):
    """Conv + batch norm + dropout: modes matter, so state handling is exercised.
    Inputs (N, 1, side, side), `classes` logits."""

    def __init__(self, classes=3, side=6, dropout=0.5):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.drop = torch.nn.Dropout(dropout)
        self.fc = torch.nn.Linear(4 * (side - 2) ** 2, classes)

    def forward(self, x):
        return self.fc(self.drop(torch.relu(self.bn(self.conv(x)))).flatten(1))


@pytest.fixture
def net():
    torch.manual_seed(0)
    return SmallNet()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 1, 6, 6, generator=g)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    return x, y


@pytest.fixture(scope="session")
def fashion():
    """The reference FashionCNN (trained once, then cached) and the first 300 test images."""
    net = bw.models.fashion_cnn(progress=False)
    x, y = bw.data.fashion_mnist("test")
    return bw.Classifier(net), x[:300], y[:300]


@pytest.fixture(scope="session")
def fashion_logits(fashion):
    """The FashionCNN's logits on all 10,000 test images, and the labels."""
    clf, _, _ = fashion
    x, y = bw.data.fashion_mnist("test")
    with torch.no_grad():
        z = torch.cat([clf.logits(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    return z, y


def accuracy(clf, x, y):
    return (clf.predict(x) == y).float().mean().item()


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spam():
    """The reference embedding-bag spam filter (trained in seconds, then cached)."""
    return bw.models.spam_filter("bag", progress=False)


@pytest.fixture(scope="session")
def emails():
    """16 SpamAssassin test e-mails, 8 ham then 8 spam, and their labels."""
    texts, labels, _ = bw.data.spam_assassin("test")
    ham = [i for i, y in enumerate(labels.tolist()) if y == 0][:8]
    spam_ = [i for i, y in enumerate(labels.tolist()) if y == 1][:8]
    pick = ham + spam_
    return [texts[i] for i in pick], [int(labels[i]) for i in pick]
