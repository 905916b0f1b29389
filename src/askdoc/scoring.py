"""BM25 as small numpy functions over posting lists: idf, per-posting impacts, scores and top-k.

The formula is rank-bm25's ``BM25Okapi`` (Trotman et al., "Improvements to BM25 and
Language Models Examined", 2014): idf = ln((N - df + 0.5) / (df + 0.5)), with negative
idfs floored to ``epsilon * mean(idf)``; tf part = tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)).
A query term counts once per occurrence in the question, as in rank-bm25.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25


@dataclass(frozen=True, slots=True)
class Params:
    k1: float = K1
    b: float = B
    epsilon: float = EPSILON


def okapi_idf(df: np.ndarray, n_passages: int, epsilon: float = EPSILON) -> np.ndarray:
    """rank-bm25's idf for every term; terms with df == 0 (deleted) get 0 and do not count."""
    df = np.asarray(df, dtype=np.float64)
    present = df > 0
    idf = np.zeros(len(df))
    idf[present] = np.log(n_passages - df[present] + 0.5) - np.log(df[present] + 0.5)
    if present.any():
        average = idf[present].sum() / present.sum()
        idf[present & (idf < 0)] = epsilon * average
    return idf


def lucene_idf(df, n_passages: int) -> float:
    """How much a term tells, always positive (Lucene's idf): ln(1 + (N - df + 0.5) / (df + 0.5))."""
    return float(np.log1p((n_passages - df + 0.5) / (df + 0.5)))


def impacts(tf: np.ndarray, doc_len_of_posting: np.ndarray, avgdl: float, p: Params) -> np.ndarray:
    """The tf part of BM25 for each posting; score = sum over query terms of idf * impact."""
    tf = tf.astype(np.float64)
    norm = p.k1 * (1.0 - p.b + p.b * doc_len_of_posting / avgdl)
    return tf * (p.k1 + 1.0) / (tf + norm)


def scores(
    term_ids: np.ndarray,
    weights: np.ndarray,
    term_ptr: np.ndarray,
    post_doc: np.ndarray,
    post_impact: np.ndarray,
    idf: np.ndarray,
    n_passages: int,
) -> np.ndarray:
    """Scores of all passages for the given query terms (each with its repeat count as weight).

    Each term's postings hold distinct passages, so a fancy-indexed ``+=`` is exact.
    """
    out = np.zeros(n_passages, dtype=np.float64)
    for term, weight in zip(term_ids.tolist(), weights.tolist()):
        lo, hi = term_ptr[term], term_ptr[term + 1]
        if hi > lo:
            out[post_doc[lo:hi]] += (weight * idf[term]) * post_impact[lo:hi]
    return out


def matching(term_ids: np.ndarray, term_ptr: np.ndarray, post_doc: np.ndarray, n_passages: int) -> np.ndarray:
    """The passages that hold at least one of the terms (their BM25 score may be <= 0 in tiny corpora)."""
    out = np.zeros(n_passages, dtype=bool)
    for term in term_ids.tolist():
        out[post_doc[term_ptr[term] : term_ptr[term + 1]]] = True
    return out


def top_k(values: np.ndarray, k: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k largest values among candidates (default: positive values), best first.

    Ties are broken by the lower index, so that every engine ranks alike.
    """
    pool = np.flatnonzero(values > 0 if candidates is None else candidates)
    if len(pool) > k:
        part = np.argpartition(-values[pool], k - 1)[:k]
        kth = values[pool[part]].min()
        pool = pool[values[pool] >= kth]  # keep every tie of the k-th value
    order = np.lexsort((pool, -values[pool]))
    return pool[order][:k]


# -- top-k with dynamic pruning -------------------------------------------------------------
#
# MaxScore (Turtle & Flood, "Query evaluation: strategies and optimizations", 1995), as Lucene's
# MaxScoreBulkScorer does it, vectorised: a first threshold comes from the exact scores of a few
# promising passages; query terms whose upper bounds together stay below it are "non-essential"
# (a passage holding only them cannot enter the top k), so candidates are the passages of the
# essential terms only, and the non-essential terms are looked up for the survivors alone.
# Final scores are summed in the same order as ``scores`` does, so they are bit-for-bit equal.

SEED_PASSAGES = 512  # passages scored exactly to set the first threshold
EXHAUSTIVE_BELOW = 20_000  # with fewer postings than this, pruning does not pay
SPREAD_BELOW = 8  # a list shorter than this many times the passages looked up is spread, not searched
_MARGIN = 1e-9  # relative slack on bounds, so rounding never prunes a passage that ties


@dataclass(frozen=True, slots=True)
class TermQuery:
    """The query terms with their multipliers (repeat count x idf) and their posting ranges."""

    ids: np.ndarray  # term ids, in the order their scores are summed
    multipliers: np.ndarray  # weight * idf, float64
    lo: np.ndarray  # each term's postings are post_doc[lo:hi]
    hi: np.ndarray

    @classmethod
    def of(cls, term_ids: np.ndarray, weights: np.ndarray, term_ptr: np.ndarray, idf: np.ndarray) -> TermQuery:
        ids = np.asarray(term_ids, dtype=np.int64)
        return cls(ids, np.asarray(weights, dtype=np.float64) * idf[ids], term_ptr[ids], term_ptr[ids + 1])


def scores_of(
    docs: np.ndarray, query: TermQuery, post_doc: np.ndarray, post_impact: np.ndarray, scratch: np.ndarray | None = None
) -> np.ndarray:
    """Exact scores of the given passages (sorted or not), summed term by term as ``scores`` does.

    With ``scratch`` (n_passages zeros, left zeroed) a long posting list is spread over it and
    read at the passages, instead of binary-searching each passage in it.
    """
    out = np.zeros(len(docs), dtype=np.float64)
    for j in range(len(query.ids)):
        out += _term_scores(docs, query, j, post_doc, post_impact, scratch)
    return out


def _term_scores(docs: np.ndarray, query: TermQuery, j: int, post_doc, post_impact, scratch) -> np.ndarray:
    """Term j's part of the score of each passage (0.0 where the passage lacks it).

    Adding 0.0 leaves a sum unchanged, so the sums equal adding only where the term is found.
    """
    lo, hi = int(query.lo[j]), int(query.hi[j])
    if scratch is not None and hi - lo < SPREAD_BELOW * len(docs):
        plist = post_doc[lo:hi]
        scratch[plist] = query.multipliers[j] * post_impact[lo:hi]
        part = scratch[docs]
        scratch[plist] = 0.0
        return part
    part = np.zeros(len(docs), dtype=np.float64)
    found, where = _lookup(docs, post_doc, lo, hi)
    if found.any():
        part[found] = query.multipliers[j] * post_impact[where[found]]
    return part


def _lookup(docs: np.ndarray, post_doc: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """For each passage: whether the posting list post_doc[lo:hi] holds it, and at which position."""
    if hi <= lo or not len(docs):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    plist = post_doc[lo:hi]
    at = np.minimum(np.searchsorted(plist, docs), hi - lo - 1)
    return plist[at] == docs, at + lo


def pruned_top_k(
    query: TermQuery,
    post_doc: np.ndarray,
    post_impact: np.ndarray,
    term_max: np.ndarray,
    k: int,
    scratch: np.ndarray,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best passages holding at least one query term and their scores, best first.

    The same passages, order and scores as ``top_k(scores(...), k, matching(...))``.
    ``scratch`` is a float64 array of n_passages zeros, used to accumulate and left zeroed
    (one per thread; it saves allocating and clearing n_passages floats per query).
    ``allowed`` (one bool per passage) leaves the other passages out, before top-k.
    """
    lengths = query.hi - query.lo
    bounds = np.maximum(query.multipliers * term_max[query.ids], 0.0)
    theta = 0.0
    if lengths.sum() >= EXHAUSTIVE_BELOW:
        theta = _first_threshold(query, post_doc, post_impact, bounds, k, scratch, allowed)
    if theta <= 0.0:  # few postings, or scores that can be negative: score every match
        pool, values = _accumulate(query, np.arange(len(query.ids)), post_doc, post_impact, scratch)
        if allowed is not None:
            pool, values = pool[allowed[pool]], values[allowed[pool]]
        return _best_of(pool, values, k)
    ascending = np.argsort(bounds, kind="stable")
    reach = np.cumsum(bounds[ascending]) * (1.0 + _MARGIN)
    n_minor = int(np.searchsorted(reach, theta, side="left"))  # their bounds sum below theta
    minor, essential = ascending[:n_minor], ascending[n_minor:]
    docs, partial = _accumulate(query, np.sort(essential), post_doc, post_impact, scratch)
    if allowed is not None:
        docs, partial = docs[allowed[docs]], partial[allowed[docs]]
    for step, j in enumerate(minor[::-1]):  # largest bound first: it prunes most
        rest = bounds[minor[: n_minor - step]].sum()
        keep = (partial + rest) * (1.0 + _MARGIN) >= theta
        docs, partial = docs[keep], partial[keep]
        partial += _term_scores(docs, query, j, post_doc, post_impact, scratch)
    docs = np.sort(docs[partial * (1.0 + _MARGIN) >= theta])
    return _best_of(docs, scores_of(docs, query, post_doc, post_impact, scratch), k)


def _accumulate(query: TermQuery, which: np.ndarray, post_doc, post_impact, scratch: np.ndarray):
    """The passages of the chosen terms, each once, with their scores over those terms (summed in query order)."""
    lists = [(int(query.lo[j]), int(query.hi[j]), query.multipliers[j]) for j in which.tolist()]
    for lo, hi, multiplier in lists:
        scratch[post_doc[lo:hi]] += multiplier * post_impact[lo:hi]
    if len(lists) == 1:
        pool = post_doc[lists[0][0] : lists[0][1]]
        values = scratch[pool]
    else:
        pool = np.concatenate([post_doc[lo:hi] for lo, hi, _ in lists]) if lists else np.zeros(0, np.int32)
        values = scratch[pool]
        positions = np.arange(len(pool), dtype=np.float64)
        scratch[pool] = positions  # one position per passage survives: its occurrence is kept
        once = scratch[pool] == positions
        pool, values = pool[once], values[once]
    scratch[pool] = 0.0
    return pool, values


def _first_threshold(
    query: TermQuery, post_doc, post_impact, bounds: np.ndarray, k: int, scratch, allowed=None
) -> float:
    """A score that at least k passages reach: the k-th best exact score of promising passages."""
    if (query.multipliers <= 0).any():
        return 0.0
    seeds, total = [], 0
    for j in np.argsort(-bounds, kind="stable").tolist():
        lo, hi = int(query.lo[j]), int(query.hi[j])
        if hi - lo > SEED_PASSAGES:  # the passages where this term weighs most
            top = np.argpartition(post_impact[lo:hi], hi - lo - SEED_PASSAGES)[hi - lo - SEED_PASSAGES :]
            seeds.append(post_doc[lo + top])
        else:
            seeds.append(post_doc[lo:hi])
        total += len(seeds[-1])
        if total >= SEED_PASSAGES:
            break
    docs = sorted_unique(np.concatenate(seeds))
    if allowed is not None:
        docs = docs[allowed[docs]]
    if len(docs) < k:
        return 0.0
    exact = scores_of(docs, query, post_doc, post_impact, scratch)
    return float(-np.partition(-exact, k - 1)[k - 1])


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array by sorting: numpy 2's hashing ``unique`` is ~15x slower on a few thousand ids."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _best_of(docs: np.ndarray, values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (score descending, passage ascending on ties) of candidate passages."""
    if len(docs) > k:
        kth = -np.partition(-values, k - 1)[k - 1]
        keep = values >= kth
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:k]
    return docs[order].astype(np.int64), values[order]
