"""What the learned reranker reads of each candidate passage: a few explainable numbers, the same in training.

Every feature is a share or a ratio, so that one set of weights serves a corpus of any size:
how much of the question's weight (idf of its terms) a passage holds, alone and with its
title, heading and neighbouring paragraphs; how BM25 ranks it and its article; whether it
holds the kind of answer the question wants; where it stands in its article. ``learned``
weighs them with a linear model fitted with cross-validation (``benchmarks/train_reranker.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .ranking import Evidence, Query
    from .retrieval.retriever import Retriever


def weight_of(weights: Mapping[str, float], terms: Collection[str]) -> float:
    """The question weight of a set of terms, summed in the question's order.

    Summed in the set's own order, the float total would depend on string hashing, which
    changes with every process: two sentences holding the same weight could then tie one way
    in one run and the other way in the next, and the same question get another quote.
    """
    return sum(w for t, w in weights.items() if t in terms)


NAMES = (
    "bm25",  # the passage's BM25 over the best candidate's
    "rank",  # 1 / (1 + its BM25 rank): the top of the list counts most
    "held",  # share of the question's weight the passage holds
    "held_in_context",  # ... with its article title and section heading
    "title",  # share held by the title alone
    "article_bm25",  # its article's BM25 (all its passages as one text) over the best candidate article's
    "article_top",  # 1 when its article has the best article score
    "best_of_article",  # 1 when it is its article's best BM25 candidate
    "support",  # the share of all candidates' BM25 that the other candidates of its article hold
    "proximity",  # BM25TP's pair bonus, as a share of the question's weight
    "answer",  # share held by its best sentence that also holds the wanted kind of answer
    "lead",  # 1 for its article's first passage
    "depth",  # log(1 + paragraphs after the lead)
    "before",  # share of the question's weight the paragraph before holds that this one lacks
    "after",  # the same for the paragraph after
    "speaker",  # "what did X say": X next to a reporting verb in the passage
    "reason",  # "why": a causal word (because, after, due to ...) in the passage
    "money",  # "how much": a sum of money in the passage
    "phrases",  # holds every "quoted phrase" of the question
    "length",  # log of its length in terms
    "handset",  # the hand-set reranker's score (BM25 plus its bonuses, see ``ranking``) over the best one's
    "handset_rank",  # 1 / (1 + its rank by that score)
)

_REPORTING = re.compile(
    r"\b(?:said|says|say|told|tells|warned|warns|added|adds|claimed|claims|insisted|insists|argued|argues|admitted|"
    r"explained|stated|described|urged|predicted|accused|denied|according to|believes|believed|thinks|thought|"
    r"insisted|revealed|responded|replied|stressed|commented|announced|promised|vowed|suggested)\b",
    re.IGNORECASE,
)
CAUSAL = re.compile(
    r"\b(?:because|due to|owing to|as a result|following|amid|in order to|so that|after|since|blamed|caused|reason|"
    r"led to|thanks to|driven by|prompted|result of|in response to|fears? (?:of|that|over)|concerns? (?:about|over|that))\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[£$€¥]\s?\d|\d(?:[.,]\d+)?\s?(?:bn|m|billion|million|trillion)\b|\b\d+\s?(?:pence|p|cents)\b", re.I
)
SPEAKER_WINDOW = 60  # characters between a name and its reporting verb


def passage_features(
    index: Retriever,
    query: Query,
    rows: Sequence[int],
    bm25: Sequence[float],
    evidence: dict[int, Evidence],
    answer: dict[int, float],
    proximity: dict[int, float],
    handset: dict[int, float],
) -> np.ndarray:
    """One row of ``NAMES`` per candidate, in the candidates' order."""
    weights = query.weights
    total = sum(weights.values()) or 1.0
    # (on a corpus of a few passages rank-bm25's idf, and so a score, can be zero or below)
    top = max(max((abs(score) for score in bm25), default=0.0), 1e-9)
    articles = [index.table.article_of(row) for row in rows]
    article_scores = index.article_scores(query.terms, sorted(set(articles)))
    best_article = max(article_scores.values(), default=0.0) or 1e-9
    best_handset = max(max((abs(v) for v in handset.values()), default=0.0), 1e-9)
    by_handset = {row: n for n, row in enumerate(sorted(rows, key=lambda r: -handset.get(r, 0.0)))}
    best_row: dict[int, int] = {}
    per_article: dict[int, float] = {}
    for row, article, score in zip(rows, articles, bm25):
        best_row.setdefault(article, row)
        per_article[article] = per_article.get(article, 0.0) + score
    out = np.zeros((len(rows), len(NAMES)), dtype=np.float64)
    for i, (row, article, score) in enumerate(zip(rows, articles, bm25)):
        seen = evidence[row]
        held = seen.terms
        title = index.context_terms(article, row)
        lead = index.lead_row(row)
        text = index.passage_text(row)
        before = _neighbour_terms(index, row - 1, article, weights)
        after = _neighbour_terms(index, row + 1, article, weights)
        out[i] = (
            score / top,
            1.0 / (1 + i),
            weight_of(weights, held) / total,
            weight_of(weights, held | title) / total,
            weight_of(weights, title) / total,
            article_scores.get(article, 0.0) / best_article,
            float(article_scores.get(article, 0.0) >= best_article),
            float(best_row[article] == row),
            (per_article[article] - score) / max(sum(abs(b) for b in bm25), 1e-9),
            proximity.get(row, 0.0) / total,
            answer.get(row, 0.0) / total,
            float(lead == row),
            math.log1p(row - lead),
            weight_of(weights, before - held) / total,
            weight_of(weights, after - held) / total,
            float(query.answer_type == "speech" and speaks(text, query.names)),
            float(query.why and bool(CAUSAL.search(text))),
            float(query.how_much and bool(_MONEY.search(text))),
            float(seen.has_phrases and bool(query.phrases)),
            math.log1p(index.table.length(row)),
            handset.get(row, score) / best_handset,
            1.0 / (1 + by_handset[row]),
        )
    return out


def _neighbour_terms(index: Retriever, row: int, article: int, weights: dict[str, float]) -> frozenset[str]:
    """The question's terms a paragraph of the same article holds (none past the article's ends)."""
    if row < 0 or row >= index.n_passages or index.table.article_of(row) != article:
        return frozenset()
    return index.passage_terms(row, weights)


def speaks(text: str, names: frozenset[str]) -> bool:
    """Whether one of the question's names is the one speaking: "Ebbers said", "said Ebbers", "Ebbers, 63, told
    the jury" — not "Sullivan told Ebbers" or "Sullivan said of Ebbers"."""
    if not names:
        return False
    for match in _REPORTING.finditer(text):
        before = _WORDS.findall(text[max(0, match.start() - SPEAKER_WINDOW) : match.start()])[-6:]
        after = _WORDS.findall(text[match.end() : match.end() + SPEAKER_WINDOW // 2])[:2]
        if any(w.casefold() in names for w in before) and (not before or before[-1].casefold() not in _OBJECT_OF):
            return True
        if match.group().casefold() not in _TAKES_OBJECT and any(w.casefold() in names for w in after):
            return True  # "said Mr Ebbers"
    return False


_WORDS = re.compile(r"[\w'’-]+")
_OBJECT_OF = frozenset("to about of against at with".split())  # "said of Ebbers", "talking to Ebbers"
_TAKES_OBJECT = frozenset("told tells urged accused denied described".split())  # "told Ebbers": Ebbers listens


ANSWERED_NAMES = (
    "log_odds",  # the reranker's score of the best passage
    "held_in_context",  # share of the question's weight the best passage holds with its title and heading
    "article_held",  # share its whole article holds (words the corpus lacks counted against both)
    "title",  # share its title holds
    "missing",  # share of the question's weight in names, numbers and rare words no article has
    "gap",  # the best passage's log-odds over the best of another article
    "terms",  # log of the number of the question's distinct known terms
    "rarest_absent",  # idf of the rarest question term its article lacks, over the rarest term's idf
    "number_absent",  # the question has a number (a year, a score) its article does not
)


def answered_features(
    index: Retriever, query: Query, top: int, evidence: dict[int, Evidence], missing_weight: float
) -> np.ndarray | None:
    """What tells whether the best hit answers the question at all, or None without the learned scores."""
    if evidence.get(top) is None or evidence[top].log_odds is None:
        return None
    seen = evidence[top]
    weights = query.weights
    total = sum(weights.values()) + missing_weight
    p_article = index.table.article
    article = int(p_article[top])
    row = index.lead_row(top)
    held: frozenset[str] = frozenset()
    while row < index.n_passages and int(p_article[row]) == article:
        held |= index.passage_terms(row, weights)
        row += 1
    title = index.context_terms(article, top)
    other_best = max(
        (e.log_odds for r, e in evidence.items() if e.log_odds is not None and int(p_article[r]) != article),
        default=None,
    )
    assert seen.features is not None and seen.log_odds is not None
    absent = [w for t, w in weights.items() if t not in held and t not in title]
    numbers = [t for t in weights if t[:1].isdigit()]
    return np.array(
        [
            seen.log_odds,
            weight_of(weights, seen.terms | title) / total,
            weight_of(weights, held | title) / total,
            weight_of(weights, title) / total,
            missing_weight / total,
            seen.log_odds - other_best if other_best is not None else 5.0,
            math.log1p(len(weights)),
            max(absent, default=0.0) / max(weights.values()),
            float(any(t not in held and t not in title for t in numbers)),
        ]
    )
