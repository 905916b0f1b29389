"""Analysis: one analyzer for passages and questions; stems without downloads."""

from __future__ import annotations

import subprocess
import sys

from askdoc.analysis import Analyzer


def test_question_words_and_stop_words_are_dropped():
    assert Analyzer().terms("What did Volodin warn?") == ["volodin", "warn"]


def test_stems_join_word_forms():
    a = Analyzer()
    assert a.terms("warned warns warning") == ["warn", "warn", "warn"]


def test_possessives_hyphens_and_numbers():
    a = Analyzer()
    assert a.terms("Ukraine's long-range missiles cost $1.13bn, 2,000 units") == [
        "ukrain", "long", "rang", "missil", "cost", "1.13bn", "2000", "unit",
    ]  # fmt: skip


def test_unicode_is_normalised_and_accents_folded():
    a = Analyzer()
    assert a.terms("Café ＣＡＦＥ cafe") == ["cafe", "cafe", "cafe"]


def test_a_letters_combining_marks_are_its_words():
    """Decomposed text (some PDFs, macOS tools) and scripts whose vowels are marks (Hindi) stay whole words."""
    a = Analyzer()
    assert a.terms("Zu\u0308rich cre\u0300me") == a.terms("Zürich crème") == ["zurich", "creme"]
    assert len(a.terms("\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e")) == 2  # two Hindi words


def test_the_shipped_marks_are_unicodes():
    """Every combining mark of the Basic Multilingual Plane, and nothing else."""
    import re
    import unicodedata

    import pytest

    from askdoc import _marks

    if unicodedata.unidata_version != _marks.UNICODE_VERSION:
        pytest.skip(f"this Python has Unicode {unicodedata.unidata_version}, the table {_marks.UNICODE_VERSION}")
    marks = re.compile(f"[{_marks.MARKS}]")
    every = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)).startswith("M")]
    assert marks.findall("".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)) == every


def test_spans_point_at_the_words_in_the_text():
    text = "  Putin warned NATO."
    spans = list(Analyzer().spans(text))
    assert [(t, text[s:e]) for t, s, e in spans] == [("putin", "Putin"), ("warn", "warned"), ("nato", "NATO")]


def test_known_stems_avoid_importing_nltk():
    code = (
        "import sys; from askdoc.analysis import Analyzer; "
        "a = Analyzer({'volodin': 'volodin', 'warn': 'warn'}); a.terms('what did Volodin warn?'); "
        "print('nltk' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_shipped_stems_are_the_stemmers():
    from askdoc.analysis import common_stems, snowball

    table = common_stems()
    assert len(table) > 10_000
    for word in list(table)[::97]:
        assert table[word] == snowball().stemWord(word), word


def test_a_question_of_words_nothing_knows_is_stemmed_without_importing_nltk():
    code = (
        "import sys\n"
        "from askdoc.analysis import Analyzer\n"
        "a = Analyzer({})\n"
        "print(a.terms('Was the zorblaxing of organizations internationally deported?'), 'nltk' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['zorblax', 'organiz', 'internat', 'deport'] False"


def test_the_current_snowball_revision_keeps_apart_what_the_old_one_conflated():
    a = Analyzer()
    for left, right in [
        ("organ", "organization"),
        ("intern", "international"),
        ("ad", "added"),
        ("emerge", "emergency"),
    ]:
        assert a.terms(left) != a.terms(right), (left, right)


def test_a_question_finds_its_stems_in_the_shipped_tables_text_as_the_parsed_table_has_them():
    from askdoc.analysis import _stem_text, common_stem, common_stems

    common_stems.cache_clear()
    entries = [line.partition("\t")[0] for line in _stem_text().splitlines() if line and line[0] != "#"]
    words = [*entries[::37], entries[0], entries[-1], "volodinesque", "zzzq", "", "#", "a\tb"]
    Analyzer().terms("What did the minister warn about the running costs?")
    found = {word: common_stem(word) for word in words}
    assert common_stems.cache_info().currsize == 0  # a question never parsed the whole table
    table = common_stems()
    assert found == {word: table.get(word) for word in words}
    assert found["volodinesque"] is None and found[entries[-1]] is not None


def test_a_question_of_common_words_never_imports_nltk():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from askdoc.analysis import Analyzer\n"
        "a = Analyzer({'volodin': 'volodin'})\n"
        "assert a.terms('what did Volodin warn about the parliament?') == ['volodin', 'warn', 'parliament']\n"
        "print('nltk' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_short_letters_joined_by_an_ampersand_are_one_term():
    a = Analyzer()
    assert a.terms("AT&T's R&D, M&S and B&Q") == ["at&t", "r&d", "m&s", "b&q"]
    assert a.terms("rock&roll") == ["rock", "roll"]  # words, not initials
    text = "Who runs M&S?"
    assert [(t, text[s:e]) for t, s, e in a.spans(text)] == [("run", "runs"), ("m&s", "M&S")]


def test_a_question_about_initials_finds_them():
    import askdoc

    index = askdoc.Index.from_articles(
        [
            askdoc.Article(id="shops", title="Retail", text="Stuart Rose is the head of M&S, the retailer said."),
            askdoc.Article(id="dept", title="Schools", text="The head of the school and the head of maths spoke."),
        ]
    )
    hits = index.search("Who is the head of M&S?")
    assert hits[0].article.id == "shops" and hits.matched == ("head", "m&s")
    assert "M&S" in hits[0].quote.text


def test_won_and_don_are_words_and_their_negations_stop_words():
    a = Analyzer()
    assert a.terms("Who won the Grammy? Don King said he won't and don't.") == ["win", "grammi", "don", "king", "say"]
    assert a.terms("We shan’t, they won’t") == []


def test_irregular_verb_forms_are_their_verbs_so_say_finds_said_and_pay_finds_paid():
    a = Analyzer()
    assert a.terms("what did she say, how much did they pay, who won") == ["say", "pay", "win"]
    assert a.terms("she said they paid, and we won; sales rose and shares fell") == a.terms(
        "she says they pay, and we win; sales rise and shares fall"
    )
    assert a.terms("he left the room") == ["left", "room"]  # as often an adjective: not taken for leave
