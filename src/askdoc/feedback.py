"""Widen a question that ranks articles with the words its best articles share (pseudo-relevance feedback).

When a search asks for one hit per article it ranks articles, which is topical search: the
relevant articles share a vocabulary the question only partly names ("heated high speed
aircraft" and "thermal stresses", "skin temperatures"). RM3 (Lavrenko and Croft, "Relevance-based
language models", SIGIR 2001; Abdul-Jaleel et al., UMass at TREC 2004) takes the best
``FEEDBACK_DOCS`` passages as if relevant, estimates a relevance model
P(w|R) = sum_d P(w|d) P(d|q), keeps its ``FEEDBACK_TERMS`` most likely words and mixes them
with the question, half and half (Anserini's defaults: 10 passages, 10 terms, weight 0.5).

Passage answers are not widened: feedback pulls towards what an article is about in general,
away from the one paragraph that holds the answer (see README, "Answer quality").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .retrieval.retriever import Retriever

FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 10


def expansion(
    retriever: Retriever, rows: list[int], scores: list[float], terms: list[str], weight: float = 1.0
) -> dict[str, float]:
    """What feedback adds to each term's weight, in units of one occurrence in the question.

    ``rows`` are the feedback passages, best first, and ``scores`` their scores for the
    question: read as log-likelihoods, exp(score) weighs each passage as P(q|d). RM3's query is
    lambda * c(w)/|q| + (1 - lambda) * P(w|R); scaled by |q|/lambda it is
    c(w) + weight * |q| * P(w|R) with ``weight`` = (1 - lambda)/lambda, so the question's own
    counts stay as BM25 has them and the returned values are added to them.
    """
    table = retriever.table
    pairs = [(row, score) for row, score in zip(rows[:FEEDBACK_DOCS], scores) if score > 0]
    size = sum(1 for t in terms if t in retriever.term_ids)
    if not pairs or weight <= 0 or not size:
        return {}
    model: dict[int, float] = {}
    best = max(score for _, score in pairs)
    for row, score in pairs:
        likelihood = float(np.exp(score - best))  # P(q|d), the score read as a log-likelihood
        held, counts = table.forward(row)
        length = max(table.length(row), 1)
        for term, tf in zip(held.tolist(), counts.tolist()):
            model[term] = model.get(term, 0.0) + likelihood * tf / length
    vocab = retriever.vocabulary
    # equal weights (common: the words of one passage, each once) in the order of the words themselves, not of
    # their ids: ids depend on the order a build met the words, and differ between shards and one index
    kept = sorted(model.items(), key=lambda item: (-item[1], vocab[item[0]]))[:FEEDBACK_TERMS]
    total = sum(value for _, value in kept)
    return {vocab[term]: weight * size * value / total for term, value in kept}
