"""bw.defenses.attack_augmentation: successes only, under their true labels, as the ids the model
saw; the model left as it was; a seeded draw; the examples are learnable; bad input refused."""

import copy

import pytest
import torch
import torch.nn.functional as F

import bulwark as bw


def greedy_hotflip():
    return bw.text.HotFlip(beam_width=1, flips_per_state=1)


def test_examples_fool_the_model_and_training_on_them_fixes_them(spam, emails):
    texts, labels = emails
    model = copy.deepcopy(spam.model).train()
    victim = bw.text.Victim(model, spam.vocabulary, spam.tokenizer, spam.max_len)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    aug = bw.defenses.attack_augmentation(victim, greedy_hotflip(), texts, labels, progress=False)

    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None and p.requires_grad for p in model.parameters())

    assert len(aug.results) == len(texts)
    successes = [i for i, r in enumerate(aug.results) if r.status == "success"]
    assert len(aug) == len(successes) >= 8
    assert aug.indices.tolist() == successes
    assert aug.labels.tolist() == [labels[i] for i in successes]
    assert aug.texts == [aug.results[i].adversarial_text for i in successes]
    assert aug.ids.dtype == torch.int64 and aug.ids.shape[0] == len(aug) and aug.ids.shape[1] <= spam.max_len
    # The ids are the adversarial texts as the model reads them, and it gets every one wrong.
    ids, _ = spam.vocabulary.encode_batch(spam.tokenizer.batch(aug.texts), max_len=spam.max_len)
    assert torch.equal(ids, aug.ids)
    with torch.no_grad():
        assert (model.eval()(aug.ids).argmax(1) != aug.labels).all()

    # A few steps on clean + adversarial examples: the model learns the adversarial ones.
    clean, _ = spam.vocabulary.encode_batch(spam.tokenizer.batch(texts), max_len=spam.max_len)
    width = max(clean.shape[1], aug.ids.shape[1])
    x = torch.cat([F.pad(clean, (0, width - clean.shape[1])), F.pad(aug.ids, (0, width - aug.ids.shape[1]))])
    y = torch.cat([torch.tensor(labels), aug.labels])
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    with torch.no_grad():
        model.eval()
        assert (model(aug.ids).argmax(1) == aug.labels).float().mean() >= 0.9
        assert (model(clean).argmax(1) == torch.tensor(labels)).float().mean() >= 0.9


def test_a_seeded_draw(spam, emails):
    texts, labels = emails
    attack = bw.text.PWWS(query_budget=20)

    def drawn(seed):
        aug = bw.defenses.attack_augmentation(spam, attack, texts, labels, examples=4, seed=seed, progress=False)
        return [r.original_text for r in aug.results]

    a = drawn(5)
    assert len(a) == 4 and a == drawn(5) and a != drawn(6)
    assert [texts.index(t) for t in a] == sorted(texts.index(t) for t in a)
    torch.manual_seed(0)
    b = drawn(None)
    torch.manual_seed(0)
    assert drawn(None) == b


def test_bad_input(spam, emails):
    texts, labels = emails
    fn = bw.defenses.attack_augmentation
    with pytest.raises(TypeError, match="attack must be a bw.text attack"):
        fn(spam, bw.attacks.PGD(eps=0.1), texts, labels)
    with pytest.raises(ValueError, match=r"examples must be in \[1, 16\]"):
        fn(spam, greedy_hotflip(), texts, labels, examples=0)
    with pytest.raises(bw.InvalidArgumentError, match=r"examples must be in \[1, 16\] \(the number of texts\)"):
        fn(spam, greedy_hotflip(), texts, labels, examples=17)
    with pytest.raises(ValueError, match="untargeted"):
        fn(spam, bw.text.PWWS(targeted=True), texts, labels)
    with pytest.raises(ValueError, match="16 texts but 2 labels"):
        fn(spam, greedy_hotflip(), texts, [0, 1])
    with pytest.raises(TypeError, match="victim must be"):
        fn(spam.model, greedy_hotflip(), texts, labels)
