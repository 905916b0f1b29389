"""The learned reranker and answered check on small articles: what they read, and what they prefer."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import askdoc
from askdoc import features, learned, render
from askdoc.ranking import Weights


def news(article_id: str, title: str, *paragraphs: str) -> askdoc.Article:
    return askdoc.article_from_text(article_id, title + "\n\n" + "\n\n".join(paragraphs) + "\n")


FILLER = [
    news("f1", "Rail fares rise again", "Rail fares rose by 3% on Monday, the rail operators said."),
    news("f2", "Council tax freeze", "The council said it would freeze council tax for a second year."),
    news("f3", "Cup final tickets", "Tickets for the cup final sold out within an hour, the club said."),
    news("f4", "Film festival opens", "The film festival opened with a premiere attended by its director."),
]


def test_the_shipped_weights_read_the_features_askdoc_computes():
    model = learned.model()
    assert model is not None and model.names == features.NAMES
    data = json.loads(learned.WEIGHTS_FILE.read_text("utf-8"))
    assert len(data["coef"]) == len(features.NAMES) == len(data["mean"]) == len(data["scale"])
    checker = learned.answered()
    assert checker is not None and len(checker.coef) == len(features.ANSWERED_NAMES)


def test_a_passage_score_is_the_sum_of_what_each_feature_added():
    index = askdoc.Index.from_articles(FILLER)
    found = index.candidates("rail fares")
    assert found is not None
    _, rows, _, x = found
    model = learned.model()
    for row in x:
        assert sum(model.explain(row).values()) + model.intercept == pytest.approx(model.scores(row[None])[0])


def test_hit_scores_are_the_scores_that_ordered_them():
    index = askdoc.Index.from_articles(FILLER)
    scores = [hit.score for hit in index.search("said the rail operators and the club", k=4)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_features_are_ratios_even_where_bm25_scores_are_not_positive():
    """On a corpus of one article rank-bm25's idf is at its floor; the features stay bounded."""
    one = askdoc.Index.from_articles([news("a", "Doherty in fight", "Pete Doherty was in a fight.", "He left.")])
    found = one.candidates("Who did Pete Doherty fight?")
    assert found is not None and np.all(np.abs(found[3]) < 100)


SPEAKERS = news(
    "court/1",
    "Ebbers trial hears from Sullivan",
    "Former finance chief Scott Sullivan said Bernard Ebbers had ordered him to hit the targets, "
    "and told the jury Ebbers knew of the fraud.",
    "Bernard Ebbers said Scott Sullivan was a liar who had cooked the books alone, "
    "and insisted he never knew of the accounting fraud.",
)


@pytest.mark.parametrize(
    ("text", "speaking"),
    [
        ("Bernard Ebbers said Scott Sullivan was a liar.", True),
        ('"I never knew," Ebbers told the jury.', True),
        ("Sullivan told Ebbers the targets would be hit.", False),  # Ebbers is spoken to
        ("Sullivan said the fraud was ordered by others.", False),
        ("Ebbers founded the firm in 1983.", False),  # no reporting verb
    ],
)
def test_the_speaker_feature_tells_who_speaks_from_who_is_spoken_of(text, speaking):
    assert features.speaks(text, frozenset({"ebbers"})) is speaking


def test_the_answered_check_flags_hits_below_its_threshold(monkeypatch):
    index = askdoc.Index.from_articles([SPEAKERS, *FILLER])
    question = "What did Ebbers say about the cup final?"
    checker = learned.answered()
    probability = checker.probability(index.answered_features(question))
    assert 0 < probability < 1
    for threshold, weak in ((probability + 1e-6, True), (probability - 1e-6, False)):
        monkeypatch.setattr(learned, "answered", lambda threshold=threshold: replace(checker, threshold=threshold))
        hits = index.search(question)
        assert hits.weak is weak
        if weak:  # no name of the question is missing: the caveat names none
            assert not hits.weak_words and render.weak_message(hits).startswith(
                "these passages match the question only"
            )


def test_the_answered_check_reads_a_question_as_asked_and_with_its_article_left_out():
    index = askdoc.Index.from_articles([SPEAKERS, *FILLER])
    asked = index.answered_features("What did Ebbers say about Sullivan?")
    left_out = index.answered_features("What did Ebbers say about Sullivan?", exclude=["court/1"])
    held = features.ANSWERED_NAMES.index("article_held")
    assert asked[held] == pytest.approx(1.0) and (left_out is None or left_out[held] < 0.5)


def test_an_article_left_out_takes_the_words_only_it_holds_with_it():
    # training's stand-in for a question about a story the archive lacks: its names are then missing
    # from the archive too, as they are when a reader asks about a later year's event
    index = askdoc.Index.from_articles([SPEAKERS, *FILLER])
    question = "What did Ebbers say about the rail fares?"
    asked = index.answered_features(question)
    left_out = index.answered_features(question, exclude=["court/1"])
    missing = features.ANSWERED_NAMES.index("missing")
    assert asked[missing] == 0.0 and left_out is not None and left_out[missing] > 0.0


def test_the_hand_set_reranker_is_still_there_when_asked_for():
    index = askdoc.Index.from_articles([SPEAKERS, *FILLER])
    weights = Weights(learned=False)
    hits = index.search("What did Ebbers say about Sullivan?", k=3, weights=weights)
    assert hits and all(hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text for hit in hits)


def test_the_caveat_speaks_of_one_passage_when_one_is_shown():
    index = askdoc.Index.from_articles([SPEAKERS, *FILLER])
    one, three = (
        index.search("What did Macron say about Ebbers?", k=1),
        index.search("What did Macron say about the fraud or the club?", k=3),
    )
    assert render.weak_message(one).startswith("no passage mentions macron; this passage matches only")
    assert len(three) > 1 and "these passages match only" in render.weak_message(three)
