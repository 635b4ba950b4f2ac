"""Token attacks from Python: agreement with a one-text-per-call reference PWWS, HotFlip's exact
gain, constraints on every output, the model left as it was, bad input."""

import os
import sys

import pytest
import torch

import bulwark as bw

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
from reference_pwws import ReferencePWWS  # noqa: E402


def check_outputs(spam, results, max_change_fraction=0.2):
    for r in results:
        if r.status != "success":
            assert r.adversarial_text == r.original_text and not r.modified
            continue
        assert len(r.modified) <= max(1, int(max_change_fraction * r.num_words + 1e-9))
        assert len(set(r.modified)) == len(r.modified)
        for i, (a, b) in enumerate(zip(r.original_words, r.adversarial_words)):
            assert (a != b) == (i in r.modified)
            if i in r.modified:
                assert a not in bw.text.STOPWORDS
        words = spam.tokenizer(r.adversarial_text)[: r.num_words]
        assert words == list(r.adversarial_words)
        pred = int(spam.predict([r.adversarial_text])[0])
        assert pred == r.adversarial_prediction != r.label


def test_pwws_agrees_with_a_one_text_per_call_reference(spam, emails):
    texts, labels = emails
    ref = ReferencePWWS(spam, bw.text.WordNet(), bw.text.STOPWORDS)
    results = bw.text.PWWS().run(spam, texts, labels, progress=False)
    for (t, y), r in zip(zip(texts, labels), results):
        status, words = ref.attack(t, y)
        assert status == r.status
        if status == "success":
            # The same substitutions. Where a word occurs twice, its two positions tie exactly up
            # to rounding (the embedding bag does not see positions), and which one a float
            # ordering puts first differs between machines: compare what was replaced by what.
            def edits(adv):
                return sorted((a, b) for a, b in zip(r.original_words, adv) if a != b)
            assert edits(words) == edits(r.adversarial_words)
    # The batched attack asks for fewer texts: identical candidates are scored once.
    assert sum(r.queries for r in results) <= ref.queries
    check_outputs(spam, results)


def test_hotflip_gain_is_exact_on_the_embedding_bag(spam):
    torch.manual_seed(0)
    ids, _ = spam.encode(["win a free prize now, click the link to claim your money"])
    gains = bw.text.HotFlip.gains(spam, ids, label=1)
    assert gains.shape == (ids.shape[1], len(spam.vocabulary))

    def margin(x):
        with torch.no_grad():
            z = spam.model(x)[0]
        return (z[0] - z[1]).item()

    m0 = margin(ids)
    for _ in range(30):
        i = int(torch.randint(ids.shape[1], ()))
        b = int(torch.randint(2, len(spam.vocabulary), ()))
        flipped = ids.clone()
        flipped[0, i] = b
        assert gains[i, b].item() == pytest.approx(margin(flipped) - m0, abs=1e-4)


@pytest.mark.parametrize("attack", [
    bw.text.TextFooler(),
    bw.text.HotFlip(beam_width=2, flips_per_state=3),
    bw.text.DeepWordBug(max_edit_distance=15),
    bw.text.PWWS(candidates="embedding", max_candidates=20, min_cosine=0.2),
], ids=lambda a: type(a).__name__)
def test_attacks_respect_constraints_and_leave_the_model_alone(spam, emails, attack):
    texts, labels = emails
    model = spam.model
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad for p in model.parameters()]
    results = attack.run(spam, texts, labels, progress=False)
    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [p.grad for p in model.parameters()] == grads
    assert all(p.requires_grad for p in model.parameters())
    model.eval()
    assert sum(r.status == "success" for r in results) > 0
    check_outputs(spam, results)
    if isinstance(attack, bw.text.DeepWordBug):
        assert all(r.edit_distance <= 15 for r in results)
    again = attack.run(spam, texts, labels, progress=False)
    assert [r.adversarial_text for r in again] == [r.adversarial_text for r in results]


def test_targeted_spam_to_ham_and_summary(spam, emails):
    texts, labels = emails
    spam_texts = [t for t, y in zip(texts, labels) if y == 1]
    results = bw.text.PWWS(targeted=True).run(spam, spam_texts, [0] * len(spam_texts), progress=False)
    for r in results:
        if r.status == "success":
            assert r.adversarial_prediction == 0
    s = results.summary(budgets=[10, 100, 10 ** 6])
    assert s.successes + s.failures + s.skipped == len(spam_texts)
    assert s.success_curve[-1] == pytest.approx(s.success_rate)
    assert s.accuracy_under_attack == pytest.approx(s.failures / s.examples)
    per = bw.text.TextAttackResults(bw.text.PWWS().run(spam, texts, labels, progress=False)).by_label()
    assert set(per) == {0, 1}
    html = results._repr_html_()
    assert "success rate" in html


def test_candidate_function_and_rendering(spam):
    calls = []

    def candidates(word):
        calls.append(word)
        return ["hello", "meeting"] if word == "money" else []

    attack = bw.text.PWWS(candidates=candidates, max_change_fraction=1.0)
    r = attack.run(spam, ["Money money money for you"], [1], progress=False)[0]
    assert "money" in calls
    if r.status == "success":
        assert "[[" in r.render("plain") and "<del" in r.render("html")
        assert r.adversarial_text.split()[0] in ("Hello", "Meeting")  # capitalization kept


def test_victims_black_box_torchscript_and_errors(spam, emails, tmp_path):
    texts, labels = emails
    scripted = torch.jit.script(spam.model)
    path = tmp_path / "bag.pt"
    torch.jit.save(scripted, str(path))
    v = bw.text.Victim.from_torchscript(path, spam.vocabulary, spam.tokenizer, spam.max_len)
    assert v.white_box  # scripting kept forward_embedded and the embedding
    a = bw.text.PWWS().run(v, texts[:4], labels[:4], progress=False)
    b = bw.text.PWWS().run(spam, texts[:4], labels[:4], progress=False)
    assert [r.adversarial_text for r in a] == [r.adversarial_text for r in b]
    assert v.queries().forward_samples == sum(r.queries for r in a)
    a = bw.text.HotFlip(beam_width=1, flips_per_state=2).run(v, texts[8:10], labels[8:10], progress=False)
    b = bw.text.HotFlip(beam_width=1, flips_per_state=2).run(spam, texts[8:10], labels[8:10], progress=False)
    assert [r.adversarial_text for r in a] == [r.adversarial_text for r in b]

    black = bw.text.Victim(lambda ids: spam.model(ids), spam.vocabulary, spam.tokenizer)
    with pytest.raises(ValueError, match="white-box"):
        bw.text.HotFlip().run(black, texts[:1], labels[:1], progress=False)
    with pytest.raises(ValueError, match="min_cosine"):
        bw.text.PWWS(min_cosine=0.5).run(black, texts[:1], labels[:1], progress=False)
    wrong = bw.text.Victim(lambda ids: torch.zeros(ids.shape[0], 1), spam.vocabulary)
    with pytest.raises(ValueError, match=r"shape \(N, K\)"):
        bw.text.PWWS().run(wrong, texts[:1], labels[:1], progress=False)
    nan = bw.text.Victim(lambda ids: torch.full((ids.shape[0], 2), float("nan")), spam.vocabulary)
    for attack in (bw.text.PWWS(), bw.text.DeepWordBug()):  # a NaN is never a successful edit
        with pytest.raises(bw.NonFiniteError, match="the model's logits contain NaN"):
            attack.run(nan, texts[:2], labels[:2], progress=False)
    not_tensor = bw.text.Victim(lambda ids: [0.0], spam.vocabulary)
    with pytest.raises(TypeError, match="torch.Tensor"):
        bw.text.PWWS().run(not_tensor, texts[:1], labels[:1], progress=False)
    with pytest.raises(ValueError, match="query_budget"):
        bw.text.PWWS(query_budget=0)
    with pytest.raises(ValueError, match="candidates"):
        bw.text.PWWS(candidates="thesaurus")
    with pytest.raises(ValueError, match="scoring"):
        bw.text.DeepWordBug(scoring="middle")
    with pytest.raises(ValueError, match="2 labels"):
        bw.text.PWWS().run(spam, texts[:1], [0, 1], progress=False)
    with pytest.raises(TypeError, match="victim"):
        bw.text.PWWS().run(spam.model, texts[:1], labels[:1], progress=False)
    with pytest.raises(TypeError, match="texts"):
        bw.text.PWWS().run(spam, [1, 2], [0, 1], progress=False)
    r = bw.text.PWWS().run(spam, ["", "!!!"], [0, 1], progress=False)
    assert [x.status for x in r] == ["skipped", "skipped"] and r[0].note == "no tokens"
    r = bw.text.PWWS(query_budget=3).run(spam, texts[:4], labels[:4], progress=False)
    assert all(x.queries <= 3 for x in r)


def test_long_texts_are_truncated_with_a_warning(spam):
    long = "Buy cheap money now " * 80 + "see you at the meeting tomorrow"
    with pytest.warns(UserWarning, match="max_len = 256"):
        r = bw.text.PWWS().run(spam, [long], [1], progress=False)[0]
    assert r.truncated and r.num_words == spam.max_len
    assert r.adversarial_text.endswith("see you at the meeting tomorrow")
