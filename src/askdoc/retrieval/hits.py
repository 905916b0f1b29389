"""A question's hits: the engine's ranked passages, each quoted and cited, and whether they answer at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import learned, ranking, timing
from ..analysis import common_stem
from ..answers import answer_span
from ..features import answered_features
from ..model import Hit, Hits
from ..quotes import best_quote
from ..ranking import Evidence, Query, Weights
from .questions import Reading, missing_names, query_of
from .ranked import ranked

if TYPE_CHECKING:
    from .retriever import Retriever


def search(
    retriever: Retriever,
    reading: Reading,
    k: int,
    max_per_article: int | None,
    allowed: np.ndarray | None,
    weights: Weights,
    *,
    question: str,
    scope: str,
) -> Hits:
    """The k best hits of a question read against the corpus (``Index.search`` documents them).

    ``question``: as asked (filter words and all), ``scope``: the filter it searches under, described.
    """
    said: dict[str, Any] = {
        "question": question,
        "missing": reading.missing,
        "scope": scope,
        "borrowed": reading.borrowed,
    }
    if allowed is not None and not allowed.any():
        return Hits([], matched=reading.matched, scope_empty=True, matched_words=reading.found, **said)
    if not reading.matched:
        return Hits([], matched=(), **said)
    query = query_of(retriever, reading)
    with timing.stage("retrieve and rerank"):
        rows, evidence, copies = ranked(retriever, query, k, max_per_article, allowed, weights)
    with timing.stage("quotes and hits"):
        hits = [
            hit(retriever, rank, row, score, query, evidence.get(row), copies.get(row, ()), lead=weights.lead)
            for rank, (row, score) in enumerate(rows, 1)
        ]
    names = missing_names(retriever.analyzer, reading)
    weak = bool(hits) and is_weak(retriever, query, rows[0][0], evidence, names)
    telling = tuple(w for w in reading.missing if w in names or common_stem(w) is None) if weak else ()
    return Hits(hits, matched=reading.matched, weak=weak, weak_words=telling, matched_words=reading.found, **said)


def is_weak(retriever: Retriever, query: Query, top: int, evidence: dict[int, Evidence], names: list[str]) -> bool:
    """Whether the best passage answers only part of the question.

    When names or numbers it asks about are missing and the best passage holds less than
    ``ranking.WEAK_COVERAGE`` of the question's weight (the missing ones weighing as the rarest
    terms), or when the learned check (``learned.answered``) doubts that it answers at all.
    """
    missing_weight = len(names) * retriever.missing_weight
    if names:
        context = retriever.context_weights(top, query.weights)
        if ranking.coverage(evidence[top].terms, context, query.weights, missing_weight) < ranking.WEAK_COVERAGE:
            return True
    checker = learned.answered()
    found = answered_features(retriever, query, top, evidence, missing_weight)
    return checker is not None and found is not None and checker.doubts(found)


def hit(
    retriever: Retriever,
    rank: int,
    row: int,
    score: float,
    query: Query,
    seen: Evidence | None,
    also_in: tuple[str, ...] = (),
    *,
    lead: bool = True,
) -> Hit:
    """One ranked passage as a hit: its quote (``lead``: read with its article's lead), terms and answer."""
    passage = retriever.articles.passage(row)
    article = retriever.articles.article(retriever.table.article_of(row))
    weights = query.weights
    spans = [span for span in retriever.analyzer.spans(article.text, passage.start, passage.end) if span[0] in weights]
    sentences = seen.sentences if seen is not None else ranking.read_passage(retriever, row, weights).sentences
    context = retriever.read_in_article(row, weights) if lead else {}
    quote = best_quote(article.text, sentences, spans, weights, query.answer_type, query.words, context, why=query.why)
    matched = {t for t, _, _ in spans} | set(retriever.context_weights(row, weights))
    places = [(s, e) for _, s, e in spans]
    return Hit(
        rank=rank,
        score=score,
        article=article,
        passage=passage,
        quote=quote,
        matched_terms=tuple(t for t in weights if t in matched),
        highlights=tuple(places),
        also_in=also_in,
        answer=answer_span(
            article.text, quote, query.answer_type, query.words, places, query.names, counting=query.counting
        ),
    )
