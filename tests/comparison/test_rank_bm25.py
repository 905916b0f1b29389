"""askdoc's BM25 equals rank-bm25's BM25Okapi on the same term lists (rank-bm25 is the oracle)."""

from __future__ import annotations

import numpy as np
from rank_bm25 import BM25Okapi

import askdoc
from askdoc.build import title_outside_body
from conftest import synthetic_articles


def test_scores_equal_bm25okapi_on_a_few_hundred_passages():
    index = askdoc.Index.from_articles(synthetic_articles(120))
    assert index.n_passages >= 300
    oracle = BM25Okapi(index.retriever.term_lists())
    for question in ["minister election", "oil prices oil", "film award festival actor", "virus", "zzz unknown"]:
        terms = index.analyzer.terms(question)
        expected = oracle.get_scores(terms)
        np.testing.assert_allclose(index.retriever.scores(terms), expected, rtol=1e-6, atol=1e-9)


def test_term_lists_match_the_analyzer_on_each_passage():
    articles = synthetic_articles(5)
    index = askdoc.Index.from_articles(articles)
    expected = []
    for article in articles:  # a title the body does not hold is counted with the article's first passage
        for number, passage in enumerate(index.passages(article.id)):
            title = title_outside_body(article) if number == 0 else ""
            expected.append(index.analyzer.terms(title) + index.analyzer.terms(passage.text))
    for want, terms in zip(expected, index.retriever.term_lists(), strict=True):
        assert sorted(terms) == sorted(want)


def test_both_engines_return_the_same_hits_and_quotes():
    articles = synthetic_articles(80, seed=11)
    ours = askdoc.Index.from_articles(articles)
    reference = askdoc.Index.from_articles(articles, engine="rank-bm25")
    for question in ["What did the minister say about the budget?", "oil prices", "coach season player", "museum"]:
        a, b = ours.search(question, k=10), reference.search(question, k=10)
        assert [(h.article.id, h.passage.start, h.quote.start) for h in a] == [
            (h.article.id, h.passage.start, h.quote.start) for h in b
        ]
        np.testing.assert_allclose([h.score for h in a], [h.score for h in b], rtol=1e-6)
