"""Property tests (hypothesis): any bytes, text or question goes through askdoc without raising, verbatim.

Run with ``--hypothesis-show-statistics`` to see how many examples each property tried;
ASKDOC_FUZZ_SCALE=20 multiplies them for a long campaign.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import askdoc
from askdoc import render, store
from askdoc.analysis import Analyzer
from askdoc.formats import SourceFile, Unreadable
from askdoc.formats import markdown as markdown_format
from askdoc.formats import text as text_format
from askdoc.passages import MAX_PASSAGE_CHARS, blocks, heading_text, passages_for, pieces_for

# Text that exercises the edges: line breaks of every kind, Unicode spaces, marks, RTL,
# controls and escapes, emoji, lone surrogates, punctuation that ends sentences and headings.
ALPHABET = st.sampled_from(
    list("aAbBzZ09 .,;:!?'\"-#()[]*_/\\\n\n\n\r\t")
    + ["\u00a0", "\u2028", "\u2029", "\u0301", "é", "ß", "İ", "ﬁ", "ש", "م", "\u202e", "\u200b", "\x1b", "\x85"]
    + ["\x00", "\x07", "\x9b", "🚀", "\ufeff", "\udcff", "Mr.", "U.S.", "---\n", "# ", "\n\n", "  \n"]
)
TEXT = st.lists(ALPHABET, max_size=400).map("".join) | st.text(max_size=300)
WORDS = st.lists(st.sampled_from(["minister", "budget", "oil", "Mr.", "said", "the", "—", "\n\n", ". "]), max_size=60)
SCALE = int(os.environ.get("ASKDOC_FUZZ_SCALE", "1"))
FAST = settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def source(name: str) -> SourceFile:
    return SourceFile(name, Path("/nonexistent") / name, 0, 0)


def assert_passages_verbatim(article: askdoc.Article) -> None:
    text = article.text
    covered = [False] * len(text)
    previous_end = 0
    for passage, piece in zip(passages_for(article), pieces_for(article), strict=True):
        assert text[passage.start : passage.end] == passage.text
        assert article.body_start <= passage.start < passage.end <= len(text)
        assert passage.start >= previous_end and passage.paragraph >= 1
        assert passage.end - passage.start <= MAX_PASSAGE_CHARS
        previous_end = passage.end
        for i in [*range(passage.start, passage.end), *range(piece.heading_start, piece.heading_end)]:
            covered[i] = True
        if passage.heading is not None:
            assert text[piece.heading_start : piece.heading_end] == passage.heading
    for start, end in blocks(text, article.body_start):  # a heading repeating the title is the title's
        if heading_text(text[start:end]) == article.title:
            covered[start:end] = [True] * (end - start)
    lost = [c for i, c in enumerate(text) if i >= article.body_start and not covered[i] and c.isalnum()]
    assert not lost  # no words of the article are lost between passages (heading marks like # may be)


@FAST
@given(st.binary(max_size=600) | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_read_as_text_or_markdown_give_an_article_or_unreadable(data):
    for reader, name in ((text_format, "x.txt"), (markdown_format, "x.md")):
        try:
            articles = reader.read(source(name), data)
        except Unreadable:
            continue
        for article in articles:
            assert article.title and isinstance(article.title, str)
            assert 0 <= article.body_start <= len(article.text)
            assert_passages_verbatim(article)
            json.dumps(article.to_json())


@FAST
@given(TEXT, st.integers(0, 5))
def test_passages_of_any_text_are_verbatim_ordered_bounded_and_lose_nothing(text, cut):
    article = askdoc.article_from_text("fuzz", text)
    assert_passages_verbatim(article)


@FAST
@given(st.lists(WORDS.map(" ".join), min_size=1, max_size=8).map("\n\n".join))
def test_long_prose_splits_into_verbatim_passages(text):
    assert_passages_verbatim(askdoc.article_from_text("prose", text * 20))


@FAST
@given(TEXT)
def test_analysis_of_any_text_never_raises_and_spans_point_at_their_words(text):
    analyzer = Analyzer()
    terms = analyzer.terms(text)
    spans = list(analyzer.spans(text))
    assert [t for t, _, _ in spans] == terms
    for term, start, end in spans:
        assert 0 <= start < end <= len(text) and term
    analyzer.terms(text.upper())  # upper case (ß becomes SS, a dotted İ two code points) never raises either


@cache
def small_index() -> askdoc.Index:
    articles = [
        askdoc.article_from_text("a", "Budget day\n\nThe minister presented the budget. Oil prices rose.\n"),
        askdoc.article_from_text("b", "Mr. Smith said the U.S. oil deal was done.\n\nNo comment — “none”.\n"),
    ]
    return askdoc.Index.from_articles(articles)


@FAST
@given(TEXT, st.integers(1, 20), st.none() | st.integers(1, 3), st.lists(TEXT, max_size=2))
def test_any_question_is_answered_verbatim_or_empty(question, k, per_article, context):
    hits = small_index().search(question, k=k, max_per_article=per_article, context=context)
    assert len(hits) <= k
    for hit in hits:
        assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
        assert hit.passage.start <= hit.quote.start <= hit.quote.end <= hit.passage.end
    json.loads(render.hits_json(hits))


@SLOW
@given(st.lists(TEXT, min_size=1, max_size=4), WORDS.map(" ".join))
def test_index_of_any_articles_quotes_verbatim_with_both_engines(texts, question):
    articles = [askdoc.article_from_text(f"t{i}", t) for i, t in enumerate(texts)]
    for engine in askdoc.ENGINES:
        index = askdoc.Index.from_articles(articles, engine=engine)
        for probe in (question, texts[0][:80]):
            for hit in index.search(probe, k=5):
                assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text


@SLOW
@given(st.text(min_size=1, max_size=30), TEXT)
@pytest.mark.slow
def test_any_ids_and_texts_survive_a_save_and_load(tmp_path_factory, article_id, text):
    article = askdoc.article_from_text(article_id, text + "\n\nThe minister spoke.")
    built = askdoc.Index.from_articles([article])
    folder = tmp_path_factory.mktemp("store")
    store.save(folder, built.data)
    loaded = askdoc.Index(store.load(folder))
    assert [(a.id, a.title, a.text) for a in loaded.articles()] == [(article.id, article.title, article.text)]


UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@FAST
@given(TEXT)
def test_inert_text_has_no_control_bidi_or_surrogate_left(text):
    shown = render.inert(text)
    assert not UNSAFE.search(shown)
    shown.encode("utf-8")  # always printable on a UTF-8 terminal
    assert render.inert(shown) == shown  # and it is stable
