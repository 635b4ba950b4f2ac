import pytest
import torch

import bulwark as bw


@pytest.fixture(scope="module")
def test_split():
    return bw.data.spam_assassin("test")


def test_tokenizer_and_vocabulary_round_trip(tmp_path):
    tok = bw.text.Tokenizer()
    docs = [tok("Buy cheap pills NOW!!"), tok("meeting now, bring the pills?")]
    assert docs[0] == ["buy", "cheap", "pills", "now"]
    vocab = bw.text.Vocabulary.build(docs)
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "now", "pills"]
    ids, cut = vocab.encode_batch(docs, max_len=3)
    assert ids.shape == (2, 3) and cut == 2
    assert vocab.decode(vocab.encode(["pills", "zebra"])) == ["pills", "<unk>"]
    vocab.save(tmp_path / "v.txt")
    assert bw.text.Vocabulary.load(tmp_path / "v.txt").tokens == vocab.tokens
    with pytest.raises(TypeError, match="list of str"):
        bw.text.Vocabulary.build(["not", "tokenized"])
    with pytest.raises(ValueError, match="max_len must be >= 1"):
        vocab.encode_batch(docs, max_len=0)


def test_wordnet_from_python():
    wn = bw.text.WordNet()
    assert len(wn) == 117659
    assert "purchase" in wn.synonyms("buy", pos="v")
    assert wn.base_forms("bought", "v") == ["buy"]
    assert "v" in wn.parts_of_speech("buying")
    with pytest.raises(ValueError, match="pos must be one of"):
        wn.synonyms("buy", pos="x")


def test_spam_assassin_counts_and_split(test_split):
    texts, labels, ids = bw.data.spam_assassin("all", deduplicate=False)
    assert len(texts) == 6046 and int(labels.sum()) == 1896
    train = bw.data.spam_assassin("train")
    test_texts, test_labels, test_ids = test_split
    assert len(train[0]) == 4652 and len(test_texts) == 1163
    assert not set(train[2]) & set(test_ids)
    assert all(isinstance(t, str) for t in test_texts)


@pytest.mark.parametrize("arch", ["bag", "cnn"])
def test_spam_filters_reach_95_percent_and_match_cpp(arch, test_split):
    spam = bw.models.spam_filter(arch, progress=False)
    texts, labels, _ = test_split
    acc = (spam.predict(texts) == labels).float().mean().item()
    assert acc >= 0.95, acc
    cpp, tokens, cached = bw._core.models.trained_spam_classifier(
        arch, 5, 32, 2e-3, 64, 256, 2, 20000, 0, True, "", "", None)
    assert cached and tokens == spam.vocabulary.tokens
    ids, _ = spam.encode(texts[:64])
    with torch.no_grad():
        torch.testing.assert_close(spam.model(ids), cpp.forward(ids), rtol=0, atol=1e-5)
    emb = spam.model.embed(ids).detach().requires_grad_(True)  # embeddings are reachable
    spam.model.forward_embedded(emb, ids.ne(0).float()).sum().backward()
    assert emb.grad is not None and emb.grad.abs().sum() > 0
