"""Pruned top-k (MaxScore) returns exactly what exhaustive scoring ranks first."""

from __future__ import annotations

import random

import numpy as np
import pytest

import askdoc
from askdoc import scoring
from conftest import synthetic_articles


@pytest.fixture(scope="module")
def index():
    return askdoc.Index.from_articles(synthetic_articles(400, seed=3))


def exhaustive(index, terms, k, allowed=None):
    scores = index.retriever.scores(terms)
    a = index.data.arrays
    ids = np.array(
        sorted({index.retriever.term_ids[t] for t in terms if t in index.retriever.term_ids}), dtype=np.int64
    )
    candidates = scoring.matching(ids, a["t_ptr"], a["post_doc"], index.n_passages)
    rows = scoring.top_k(scores, k, candidates if allowed is None else candidates & allowed)
    return rows, scores[rows]


@pytest.mark.parametrize("spread_below", [0, 8, 10**9], ids=["search", "either", "spread"])
@pytest.mark.parametrize("seed_passages", [4, 64, 2048])
def test_pruned_top_k_equals_exhaustive_on_random_queries(index, monkeypatch, seed_passages, spread_below):
    monkeypatch.setattr(scoring, "EXHAUSTIVE_BELOW", 0)  # prune even on a small index
    monkeypatch.setattr(scoring, "SEED_PASSAGES", seed_passages)
    monkeypatch.setattr(scoring, "SPREAD_BELOW", spread_below)  # binary search, spreading, or by length
    rng = random.Random(seed_passages)
    vocab = [t for t in index.data.vocab if index.data.arrays["df"][index.retriever.term_ids[t]] > 0]
    pruned_some = False
    for _ in range(150):
        terms = [rng.choice(vocab) for _ in range(rng.randint(1, 8))]
        k = rng.choice([1, 3, 10, 50])
        allowed = np.random.default_rng(len(terms)).random(index.n_passages) < 0.3 if rng.random() < 0.3 else None
        rows, scores = index.retriever.best(terms, k, allowed)
        want_rows, want_scores = exhaustive(index, terms, k, allowed)
        assert rows.tolist() == want_rows.tolist()
        assert scores.tolist() == want_scores.tolist()  # bit for bit, not approximately
        assert not index.retriever.scratch.any()  # the shared accumulator is left zeroed for the next search
        pruned_some |= (
            scoring._first_threshold(
                scoring.TermQuery.of(*_query_parts(index, terms)),
                index.data.arrays["post_doc"],
                index.data.arrays["post_impact"],
                np.ones(len(set(terms))),
                k,
                index.retriever.scratch,
            )
            > 0
        )
    assert pruned_some  # the pruning path really ran


def _query_parts(index, terms):
    from collections import Counter

    counts = Counter(index.retriever.term_ids[t] for t in terms)
    ids = np.fromiter(counts.keys(), dtype=np.int64)
    weights = np.fromiter(counts.values(), dtype=np.float64)
    return ids, weights, index.data.arrays["t_ptr"], index.retriever.idf


def test_ties_at_the_kth_score_go_to_the_lower_passage(monkeypatch):
    monkeypatch.setattr(scoring, "EXHAUSTIVE_BELOW", 0)
    articles = [askdoc.Article(id=f"a{i}", title="T", text=f"alpha beta filler{i}") for i in range(30)]
    index = askdoc.Index.from_articles(articles)
    rows, scores = index.retriever.best(["alpha"], 5)
    assert rows.tolist() == [0, 1, 2, 3, 4]
    assert len(set(scores.tolist())) == 1


def test_sorted_unique_equals_numpy_unique():
    rng = np.random.default_rng(5)
    for size in [0, 1, 2, 17, 5000]:
        values = rng.integers(0, max(size // 3, 1), size).astype(np.int32)
        assert scoring.sorted_unique(values).tolist() == np.unique(values).tolist()


def test_term_bounds_cover_every_impact(index):
    a = index.data.arrays
    for term in range(0, len(index.data.vocab), 7):
        lo, hi = a["t_ptr"][term], a["t_ptr"][term + 1]
        assert a["t_max"][term] == a["post_impact"][lo:hi].max()


@pytest.mark.parametrize("size", [0, 1, 2, 7, 1000])
def test_sorted_unique_is_numpys_unique(size):
    from askdoc.scoring import sorted_unique

    values = np.random.default_rng(size).integers(0, max(size // 3, 1), size=size).astype(np.int32)
    got = sorted_unique(values)
    assert got.dtype == values.dtype and np.array_equal(got, np.unique(values))
