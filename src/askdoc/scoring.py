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
