"""A question's passages, best first: BM25's best reranked, widened by feedback, each text once.

``ranked`` is what a search asks of the engine: the rows to show and their scores, what the
reranker read of each (its sentences, for the quote), and for each row the other articles
whose copies of its text were left out.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from .. import feedback, learned, ranking
from ..ranking import Evidence, Query, Weights

if TYPE_CHECKING:
    from .retriever import Retriever

WIDEN_BY = 4  # when duplicates leave fewer than k hits, BM25 is asked for this many times more passages

Ranked = tuple[list[tuple[int, float]], dict[int, Evidence], dict[int, tuple[str, ...]]]


def ranked(
    retriever: Retriever,
    query: Query,
    k: int,
    max_per_article: int | None = None,
    allowed: np.ndarray | None = None,
    weights: Weights | None = None,
) -> Ranked:
    """(row, score) best first: BM25's best passages reranked, then, if more are needed, BM25's order.

    A passage whose text (spacing and case aside) is that of a passage already taken is left
    out: a news archive holds the same story under two names, and a second copy of a quote
    answers nothing new. The third result names, for a row taken, the other articles whose
    copies of it were left out.
    """
    weights = weights or Weights()
    depth = max(ranking.RERANK_DEPTH, k)
    top, scores, extra = _pool(retriever, query, depth, max_per_article, allowed, weights)
    # ranking articles by a question widened with feedback is topical search, not what the learned
    # model was fitted for (a passage that holds the answer): BM25 with feedback and the bonuses order it
    weights = weights if extra is None else dataclasses.replace(weights, learned=False)
    rows, final, evidence = ranking.rerank(retriever, query, top, scores, weights)
    pending = list(zip(rows, final))
    distinct = _Distinct(retriever, k, max_per_article)
    seen = set(rows)
    want = depth
    while True:
        if distinct.take(pending) or len(top) < want:  # k taken, or no more passages that match
            return distinct.taken, evidence, distinct.copies
        want *= WIDEN_BY
        top, scores = retriever.best(query.terms, want, allowed, extra)
        pending = [(row, score) for row, score in zip(top.tolist(), scores.tolist()) if row not in seen]
        if weights.learned and learned.model() is not None and pending and distinct.taken:
            # BM25's order below the reranked ones, shown below the last of them (the model's scale is not BM25's)
            first, last = max(pending[0][1], 1e-9), distinct.taken[-1][1]
            pending = [(row, last - 1 - (first - score) / first) for row, score in pending]
        seen.update(row for row, _ in pending)


def _pool(
    retriever: Retriever,
    query: Query,
    depth: int,
    max_per_article: int | None,
    allowed: np.ndarray | None,
    weights: Weights,
) -> tuple[np.ndarray, np.ndarray, dict[str, float] | None]:
    """The passages the reranker reads, their BM25 scores, and the feedback terms added (ranking articles)."""
    top, scores = retriever.best(query.terms, depth, allowed)
    extra = None
    if max_per_article == 1 and weights.feedback:  # ranking articles: widen the question
        extra = feedback_terms(retriever, query, top, scores, weights)
        top, scores = retriever.best(query.terms, depth, allowed, extra)
    if query.phrases:  # passages holding every phrase term are reranked even when BM25 puts them lower
        pool = retriever.holding_all({t for phrase in query.phrases for key in phrase for t in key if t[0] != "="})
        pool = pool if allowed is None else pool & allowed
        more, more_scores = retriever.best(query.terms, depth, pool)
        keep = dict.fromkeys(zip(more.tolist() + top.tolist(), more_scores.tolist() + scores.tolist()))
        pairs = list(keep)[:depth]
        top = np.array([row for row, _ in pairs], dtype=np.int64)
        scores = np.array([score for _, score in pairs], dtype=np.float64)
    return top, scores, extra


class _Distinct:
    """The passages taken so far: one per text, per paragraph, and at most ``max_per_article`` per article."""

    def __init__(self, retriever: Retriever, k: int, max_per_article: int | None) -> None:
        self.retriever, self.k, self.max_per_article = retriever, k, max_per_article
        self.taken: list[tuple[int, float]] = []
        self.copies: dict[int, tuple[str, ...]] = {}
        self.per_article: Counter[int] = Counter()
        self.said: dict[str, int] = {}  # the text of each passage taken -> its row
        self.paragraphs: set[tuple[int, int]] = set()  # (article, paragraph) of each passage taken

    def take(self, pending: list[tuple[int, float]]) -> bool:
        """Take what is new of ``pending``, in order; whether k passages are taken."""
        table = self.retriever.table
        for row, score in pending:
            text = " ".join(self.retriever.passage_text(row).split()).casefold()
            article = table.article_of(row)
            if text in self.said:
                self._copy_of(self.said[text], article)
                continue
            if self.max_per_article is not None and self.per_article[article] >= self.max_per_article:
                continue
            paragraph = (article, table.paragraph(row))
            if paragraph in self.paragraphs:
                continue  # another piece of a long paragraph already answers: one citation, one hit
            self.paragraphs.add(paragraph)
            self.said[text] = row
            self.per_article[article] += 1
            self.taken.append((row, score))
            if len(self.taken) == self.k:
                return True
        return False

    def _copy_of(self, first: int, article: int) -> None:
        """Note that ``article`` holds a copy of the text of row ``first`` (another article's)."""
        name = self.retriever.articles.article(article).id
        if article != self.retriever.table.article_of(first) and name not in self.copies.get(first, ()):
            self.copies[first] = (*self.copies.get(first, ()), name)


def feedback_terms(
    retriever: Retriever, query: Query, top: np.ndarray, scores: np.ndarray, weights: Weights
) -> dict[str, float]:
    """The terms pseudo-relevance feedback adds, from the best passage of each of the best articles."""
    rows, final, _ = ranking.rerank(retriever, query, top, scores, dataclasses.replace(weights, learned=False))
    chosen: dict[int, tuple[int, float]] = {}
    for row, score in zip(rows, final):
        chosen.setdefault(retriever.table.article_of(row), (row, score))
        if len(chosen) == feedback.FEEDBACK_DOCS:
            break
    picked = list(chosen.values())
    return feedback.expansion(
        retriever, [row for row, _ in picked], [score for _, score in picked], query.terms, weights.feedback
    )
