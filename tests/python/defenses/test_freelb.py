"""FreeLB: the parameter gradients of one backward through freelb_loss equal those the authors'
loop accumulates (K backwards, embeddings recomputed, delta normalised and rescaled), the
random start stays within init_mag, delta within max_norm, padding untouched, seeded."""

import pytest
import torch
import torch.nn.functional as F

import bulwark as bw


def text_model(seed=0):
    torch.manual_seed(seed)
    return bw.models.TextCNN(vocab_size=40, dim=8, filters=4)


def batch():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(1, 40, (5, 9), generator=g)
    ids[1, 6:] = 0  # padding
    ids[3, 4:] = 0
    return ids, torch.randint(0, 2, (5,), generator=g)


def authors_freelb(model, ids, y, K, adv_lr, max_norm):
    """FreeLB's huggingface loop (run_glue_freelb.py), with adv_init_mag = 0."""
    mask = (ids != 0).float()
    embeds_init = model.embed(ids)
    delta = torch.zeros_like(embeds_init)
    total = 0.0
    for astep in range(K):
        delta.requires_grad_()
        loss = F.cross_entropy(model.forward_embedded(delta + embeds_init, mask), y) / K
        total += loss.item()
        loss.backward()
        if astep == K - 1:
            break
        delta_grad = delta.grad.clone().detach()
        denorm = torch.clamp(torch.norm(delta_grad.view(delta_grad.size(0), -1), dim=1).view(-1, 1, 1), min=1e-8)
        delta = (delta + adv_lr * delta_grad / denorm).detach()
        if max_norm > 0:
            delta_norm = torch.norm(delta.view(delta.size(0), -1).float(), p=2, dim=1).detach()
            exceed_mask = (delta_norm > max_norm).to(embeds_init)
            reweights = (max_norm / delta_norm * exceed_mask + (1 - exceed_mask)).view(-1, 1, 1)
            delta = (delta * reweights).detach()
        embeds_init = model.embed(ids)
    return total, delta


@pytest.mark.parametrize("max_norm", [0.0, 0.15])
def test_gradients_equal_the_authors_accumulation(max_norm):
    ids, y = batch()
    ours, theirs = text_model(), text_model()
    loss, delta, _ = bw.defenses.freelb_loss(ours, ids, y, steps=3, step_size=0.1, init_mag=0.0,
                                             max_norm=max_norm, return_adv=True)
    loss.backward()
    total, their_delta = authors_freelb(theirs, ids, y, 3, 0.1, max_norm)
    assert loss.item() == pytest.approx(total, rel=1e-6)
    torch.testing.assert_close(delta, their_delta.detach(), rtol=1e-5, atol=1e-6)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)


def test_start_ball_padding_and_seed():
    ids, y = batch()
    net = text_model()
    _, d1, _ = bw.defenses.freelb_loss(net, ids, y, steps=1, init_mag=0.3, seed=4, return_adv=True)
    _, d2, _ = bw.defenses.freelb_loss(net, ids, y, steps=1, init_mag=0.3, seed=4, return_adv=True)
    assert torch.equal(d1, d2)
    assert (d1.flatten(1).norm(dim=1) <= 0.3 + 1e-6).all() and d1.abs().sum() > 0
    assert d1[1, 6:].abs().sum() == 0 and d1[3, 4:].abs().sum() == 0
    _, d3, _ = bw.defenses.freelb_loss(net, ids, y, steps=4, step_size=1.0, max_norm=0.5, seed=4, return_adv=True)
    assert (d3.flatten(1).norm(dim=1) <= 0.5 + 1e-5).all()
    assert d3[1, 6:].abs().sum() == 0
    assert all(p.grad is None for p in net.parameters())  # no backward yet: the loss only


def test_freelb_errors():
    ids, y = batch()
    net = text_model()
    with pytest.raises(TypeError, match="embed"):
        bw.defenses.freelb_loss(torch.nn.Linear(3, 2), ids, y)
    with pytest.raises(TypeError, match="int64"):
        bw.defenses.freelb_loss(net, ids.int(), y)
    with pytest.raises(ValueError, match="steps"):
        bw.defenses.freelb_loss(net, ids, y, steps=0)
    with pytest.raises(ValueError, match=r"\(N,\)"):
        bw.defenses.freelb_loss(net, ids, y[:3])
