"""Pseudo-relevance feedback when ranking articles (one hit per article), never for passage answers."""

from __future__ import annotations

import pytest

import askdoc
from askdoc import feedback
from askdoc.ranking import Weights

ARTICLES = [
    askdoc.Article(
        id="heated",
        title="Heated wings",
        text="Heated aircraft wings: thermal stresses in the skin, skin temperature and thermal buckling.",
    ),
    askdoc.Article(
        id="buckling",
        title="Panels",
        text="Thermal stresses and thermal buckling of skin panels at a high skin temperature.",
    ),
    askdoc.Article(id="gear", title="Gear", text="Aircraft landing gear makes noise on the runway."),
    askdoc.Article(id="cabin", title="Cabin", text="Aircraft cabin seats were made wider for comfort."),
    askdoc.Article(id="fuel", title="Fuel", text="Aircraft fuel prices rose again this spring."),
    askdoc.Article(id="bread", title="Bread", text="Bread is baked in an oven at dawn."),
    askdoc.Article(id="river", title="River", text="The river flooded the valley in spring."),
]


def ranking(index: askdoc.Index, question: str, **kwargs) -> list[str]:
    return [hit.article.id for hit in index.search(question, k=5, max_per_article=1, **kwargs)]


@pytest.mark.parametrize("engine", ["askdoc", "rank-bm25"])
def test_article_ranking_finds_an_article_in_the_vocabulary_of_the_best_ones(engine):
    index = askdoc.Index.from_articles(ARTICLES, engine=engine)
    no_feedback = Weights(learned=False, feedback=0.0)
    assert "buckling" not in ranking(index, "heated aircraft", weights=no_feedback)  # it holds neither word
    assert ranking(index, "heated aircraft", weights=Weights(learned=False))[:2] == ["heated", "buckling"]


def test_passage_answers_are_not_widened():
    index = askdoc.Index.from_articles(ARTICLES)
    assert "buckling" not in [hit.article.id for hit in index.search("heated aircraft", k=5)]
    assert "buckling" not in [hit.article.id for hit in index.search("heated aircraft", k=5, max_per_article=2)]


def test_quotes_and_matched_terms_stay_those_of_the_question():
    index = askdoc.Index.from_articles(ARTICLES)
    hits = index.search("heated aircraft", k=5, max_per_article=1)
    assert hits.matched == ("heat", "aircraft")
    widened = next(hit for hit in hits if hit.article.id == "buckling")
    assert widened.matched_terms == ()
    assert widened.article.text[widened.quote.start : widened.quote.end] == widened.quote.text


def test_expansion_is_rm3_half_and_half():
    index = askdoc.Index.from_articles(ARTICLES)
    rows = [0, 1]  # one passage each: "heated", "buckling"
    added = feedback.expansion(index.retriever, rows, [5.0, 5.0], ["heat", "aircraft"], weight=1.0)
    assert len(added) == feedback.FEEDBACK_TERMS
    assert sum(added.values()) == pytest.approx(2.0)  # |q| * sum of P(w|R) over the kept words
    assert added["thermal"] == max(added.values())  # twice in each passage
    assert feedback.expansion(index.retriever, rows, [5.0, 5.0], ["heat"], weight=0.0) == {}
    assert feedback.expansion(index.retriever, [], [], ["heat"]) == {}


def test_a_passage_that_scores_far_lower_hardly_counts():
    index = askdoc.Index.from_articles(ARTICLES)
    added = feedback.expansion(index.retriever, [0, 5], [10.0, 0.5], ["heat"], weight=1.0)
    assert added.get("bread", 0.0) < added["thermal"] / 1000  # exp(0.5 - 10): P(q|d) from the score
