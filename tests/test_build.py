"""The builder's arrays: each passage's (term, tf) rows and length are what the analyzer says its text holds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askdoc import build, scoring
from askdoc.analysis import Analyzer
from askdoc.model import Article
from askdoc.passages import pieces_for
from conftest import synthetic_articles

TRICKY = Article(
    id="tricky",
    title="Tricky",
    text=(
        "Long-range missiles: the U.S. army's new long-range plan, Ukraine's reply.\n\n"
        "Markets\n\n"
        "The the the and of: only stop words here? No, 1,000 shares rose 2.5% to 1.13bn.\n\n"
        "Café owners and cafe owners met; CAFÉ prices fell.\n\n"
        "Then markets rallied on Monday as Ukraine's long-range deal held."
    ),
)


def expected_rows(article: Article, analyzer: Analyzer) -> list[Counter]:
    """Each passage's terms counted from its text, its section heading going with the first passage under it,
    and the article's title with its first passage."""
    rows, introduced = [], set()
    title = build.title_outside_body(article)  # a title the body does not hold goes with the first passage
    for number, piece in enumerate(pieces_for(article)):
        terms = analyzer.terms(article.text[piece.start : piece.end])
        if number == 0 and title:
            terms = analyzer.terms(title) + terms
        if piece.heading_start >= 0 and piece.heading_start not in introduced:
            introduced.add(piece.heading_start)
            terms = analyzer.terms(article.text[piece.heading_start : piece.heading_end]) + terms
        rows.append(Counter(terms))
    return rows


def stored_rows(data) -> list[Counter]:
    a = data.arrays
    f_ptr = np.asarray(a["f_ptr"])
    return [
        Counter({data.vocab[t]: tf for t, tf in zip(a["f_term"][lo:hi].tolist(), a["f_tf"][lo:hi].tolist())})
        for lo, hi in zip(f_ptr[:-1].tolist(), f_ptr[1:].tolist())
    ]


@pytest.mark.parametrize("flush_tokens", [build.FLUSH_TOKENS, 7])
def test_forward_rows_and_lengths_match_the_analyzer(monkeypatch, flush_tokens):
    monkeypatch.setattr(build, "FLUSH_TOKENS", flush_tokens)  # 7: a flush after nearly every article
    articles = [TRICKY, *synthetic_articles(12, seed=3)]
    data = build.build(articles, Analyzer())
    expected = [row for article in articles for row in expected_rows(article, Analyzer())]
    assert stored_rows(data) == expected
    assert data.arrays["p_len"].tolist() == [sum(row.values()) for row in expected]
    assert "long" in data.vocab and "rang" in data.vocab  # a hyphenated token gives two terms


# letters, digits, the separators WORD keeps inside a token, other punctuation, and every kind of whitespace
ALPHABET = "aZé9_-'’.,&;:()“”!?" + " \t\n\u00a0\u2003\u3000\x1c\x85"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, min_size=1, max_size=40), min_size=1, max_size=4))
def test_a_build_cutting_text_at_whitespace_finds_the_terms_the_analyzer_finds(paragraphs):
    """The builder looks up pieces between whitespace, not WORD tokens: no token may be split or lost by it."""
    article = Article(id="a", title="A", text="\n\n".join(paragraphs))
    if not pieces_for(article):
        return
    data = build.build([article], Analyzer())
    assert stored_rows(data) == expected_rows(article, Analyzer())


@pytest.mark.parametrize("block", [build.POSTINGS_BLOCK, 5])
def test_postings_invert_the_forward_rows_with_okapi_impacts(monkeypatch, block):
    monkeypatch.setattr(build, "POSTINGS_BLOCK", block)  # 5: inverted a passage or two at a time
    data = build.build(synthetic_articles(20, seed=9), Analyzer())
    a = data.arrays
    n = data.n_passages
    avgdl = a["p_len"].sum() / n
    by_term: dict[int, list[tuple[int, int]]] = {}
    f_ptr = np.asarray(a["f_ptr"])
    for doc in range(n):
        for term, tf in zip(a["f_term"][f_ptr[doc] : f_ptr[doc + 1]].tolist(), a["f_tf"][f_ptr[doc] : f_ptr[doc + 1]]):
            by_term.setdefault(term, []).append((doc, int(tf)))
    for term in range(len(data.vocab)):
        lo, hi = a["t_ptr"][term], a["t_ptr"][term + 1]
        docs = [doc for doc, _ in by_term.get(term, [])]
        assert a["post_doc"][lo:hi].tolist() == docs  # ascending passages
        tfs = np.array([tf for _, tf in by_term.get(term, [])], dtype=np.float64)
        want = scoring.impacts(tfs, a["p_len"][docs].astype(np.float64), avgdl, scoring.Params()).astype(np.float32)
        assert np.array_equal(a["post_impact"][lo:hi], want)
        assert a["post_tf"][lo:hi].tolist() == tfs.astype(int).tolist()
        assert a["df"][term] == len(docs)
        assert a["t_max"][term] == (want.max() if len(want) else 0.0)
    assert bytes(data.texts).decode("utf-8") == "".join(article.text for article in synthetic_articles(20, seed=9))


def test_a_word_only_in_the_title_is_found_and_a_title_the_lead_repeats_is_not_counted_twice():
    import askdoc

    titled = Article(id="t", title="Reboot ordered for EU patent law", text="MEPs asked for a new start on the rules.")
    echoed = Article(id="e", title="Ferry sinks", text="Ferry sinks off the coast, all rescued.")
    index = askdoc.Index.from_articles([titled, echoed])
    assert [hit.article.id for hit in index.search("reboot")] == ["t"]
    assert build.title_outside_body(echoed) == "" and build.title_outside_body(titled) == titled.title
    assert sorted(index.retriever.term_lists()[1]) == sorted(Analyzer().terms(echoed.text))
