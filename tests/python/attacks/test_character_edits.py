"""DeepWordBug's character edits act on characters as a reader sees them, for any script: never on
bytes (no invalid UTF-8), never splitting a letter from its combining accent or an emoji sequence."""

import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

import bulwark as bw

KINDS = ["swap", "substitute", "delete", "insert"]
WORDS = {
    "German": "für",
    "French, composed": "été",
    "French, combining accents": "e\u0301te\u0301",   # é as e + U+0301
    "Arabic with vowel signs": "كَتَبَ",
    "CJK": "漢字文",
    "emoji with skin tone": "👍🏽ok",
    "emoji ZWJ family": "👨\u200d👩\u200d👧x",
}


def clusters(word):
    """The reference split for these words: a base and the marks, modifiers and ZWJ parts after it."""
    out = []
    joined = False
    for ch in word:
        attach = (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d"
                  or 0x1F3FB <= ord(ch) <= 0x1F3FF or 0xFE00 <= ord(ch) <= 0xFE0F)
        if out and (joined or attach):
            out[-1] += ch
        else:
            out.append(ch)
        joined = ch == "\u200d"
    return out


@pytest.mark.parametrize("name", sorted(WORDS))
def test_edits_keep_characters_whole(name):
    word = WORDS[name]
    chars = clusters(word)
    edits = bw.text.character_edits(word, KINDS)
    assert edits and word not in edits
    one = set(bw.text.character_edits(word, ["substitute", "delete", "insert"]))
    for e in edits:
        e.encode("utf-8")  # a str from valid UTF-8
        # Levenshtein distance in characters: 1 for a substitution, deletion or insertion, 2 for a swap
        assert bw._core.text.levenshtein(word, e) == (1 if e in one else 2), (word, e)
        # every character of the edit is a whole character of the word or a letter inserted
        for c in clusters(e):
            assert c in chars or (len(c) == 1 and "a" <= c <= "z"), (name, e, c)
    swaps = bw.text.character_edits(word, ["swap"])
    n = len(chars)
    expected = {"".join(chars[:i] + [chars[i + 1], chars[i]] + chars[i + 2:]) for i in range(n - 1)} - {word}
    assert set(swaps) == expected
    deletes = bw.text.character_edits(word, ["delete"])
    assert set(deletes) == {"".join(chars[:i] + chars[i + 1:]) for i in range(n)} - {word}


def test_the_reported_case():
    assert bw.text.character_edits("ü", ["swap", "delete"]) == []  # one character: nothing to swap or delete
    assert "u" in bw.text.character_edits("ü", ["substitute"])


def test_ascii_words_are_edited_as_before():
    edits = bw.text.character_edits("free", KINDS)
    assert "fere" in edits and "fee" in edits and "frees" in edits and "fret" in edits
    assert len(edits) == len(set(edits))
    assert all(e.isascii() for e in edits)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=6))
def test_any_text_gives_valid_utf8_edits_at_distance_one(word):
    for e in bw.text.character_edits(word, KINDS):
        e.encode("utf-8")
        assert 1 <= bw._core.text.levenshtein(word, e) <= 2
