"""Edits travel as spans: an attack's result, its excerpt, the runner's results.json and the report
all carry (begin, end, before, after), and every renderer reads those spans — so e-mails that hold
"[[", "]]", "->", HTML and ANSI sequences are marked right and cannot inject markup or colours."""

import pytest

import bulwark as bw
from bulwark.report import _markdown_edits

HOSTILE = "[[the -> and]] <b>bold</b> <script>alert(1)</script> \x1b[31mred\x1b[0m a -> b ]] "


@pytest.fixture(scope="module")
def hostile_results(spam, emails):
    texts, labels = emails
    texts = [HOSTILE + t + " " + HOSTILE for t in texts]
    attack = bw.text.HotFlip(beam_width=1, flips_per_state=1, seed=0)
    results = attack.run(spam, texts, labels, progress=False)
    wins = results.successes()
    assert len(wins) >= 4
    return wins


def test_edits_are_spans_into_the_original_bytes(hostile_results):
    for r in hostile_results:
        raw = r.original_text.encode()
        edits = r.edits
        assert [e.word for e in edits] == list(r.modified)
        for e in edits:
            assert raw[e.begin:e.end].decode() == e.before
            assert e.after == r.adversarial_words[e.word]
        assert all(a.end <= b.begin for a, b in zip(edits, edits[1:]))


def test_renderers_escape_the_text_and_mark_only_the_edits(hostile_results):
    for r in hostile_results:
        html = r.render("html")
        assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
        assert html.count("<del") == html.count("<ins") == len(r.edits)
        term = r.render("terminal")
        assert "\x1b[31m" not in term and "\\x1b[31m" in term
        assert term.count("\x1b[9;31m") == len(r.edits)
        md = r.render("markdown")
        assert "[[" not in md and "\\[\\[the \\-\\> and\\]\\]" in md and "<script>" not in md
        assert md.count("~~") == 2 * len(r.edits) and "\n" not in md
        plain = r.render("plain")
        assert plain.count(" -> ") == len(r.edits) + 2 * HOSTILE.count(" -> ")


def test_excerpt_keeps_edits_whole_and_characters_intact(hostile_results):
    for r in hostile_results:
        x = r.excerpt(context=30, length=120)
        assert x.text.encode() == r.original_text.encode()[x.offset:x.offset + len(x.text.encode())]
        assert x.cut_start == (x.offset > 0)
        first = r.edits[0]
        assert x.edits and x.edits[0].begin == first.begin - x.offset and x.edits[0].before == first.before
        for e in x.edits:
            assert x.text.encode()[e.begin:e.end].decode() == e.before
        assert x.render("plain") == bw.text.render_edits(x.text, x.edits, "plain")


def test_excerpt_never_splits_a_character():
    # A hand-made span: "grüße 中文 🙂" with the last word edited; cuts land inside multibyte chars.
    text = "grüße 中文 " * 40 + "🙂 target"
    raw = text.encode()
    begin = len(raw) - len("target")
    edit = bw.text.TextEdit(0, begin, len(raw), "target", "goal")
    assert bw.text.render_edits(text, [edit], "plain").endswith("[[target -> goal]]")
    for fmt in ("plain", "terminal", "html", "markdown"):
        bw.text.render_edits(text, [edit], fmt).encode()  # valid UTF-8


def test_the_report_renders_results_json_spans():
    text = "Dear [[friend -> foe]] <i>x</i> \x1b[1m win money now"
    raw = text.encode()
    b = raw.index(b"win")
    excerpt = {"text": text, "offset": 0, "cut_start": False, "cut_end": True,
               "edits": [{"word": 5, "begin": b, "end": b + 3, "from": "win", "to": "earn"}]}
    md = _markdown_edits(excerpt)
    assert md.count("~~") == 2 and "~~win~~ **earn**" in md
    assert "\\[\\[friend \\-\\> foe\\]\\]" in md and "<i>" not in md and md.endswith(" …")


def test_bad_edits_are_named():
    with pytest.raises(bw.InvalidArgumentError, match="render_edits: format"):
        bw.text.render_edits("abc", [], "latex")
    with pytest.raises(bw.InvalidArgumentError, match="inside the text"):
        bw.text.render_edits("abc", [bw.text.TextEdit(0, 2, 9, "c", "d")])
    with pytest.raises(TypeError, match="missing 'to'"):
        bw.text.render_edits("abc", [{"word": 0, "begin": 0, "end": 1, "from": "a"}])
