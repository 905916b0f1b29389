"""What a sharded search asks of its shards: only what reranking reads, each collection statistic once."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import askdoc
from askdoc.shards import BestRequest, BundleRequest, open_sharded
from shard_corpus import write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("calls") / "news"
    return root, write_corpus(root, n_articles=120)


class Counting:
    """A shard whose calls are counted (by method) and whose requests for articles are kept."""

    def __init__(self, shard) -> None:
        self.shard, self.number = shard, shard.number
        self.calls: Counter[str] = Counter()
        self.requests: list = []

    def bundles(self, request):
        self.calls["bundles"] += 1
        self.requests.append(request)
        return self.shard.bundles(request)

    def __getattr__(self, name):
        self.calls[name] += 1
        return getattr(self.shard, name)


def _forward(bundle) -> list[dict[str, int]]:
    """Each passage's forward rows as {term: tf}."""
    columns, out, at = bundle.columns, [], 0
    for count in columns["f_count"].tolist():
        terms, tfs = columns["f_term"][at : at + count].tolist(), columns["f_tf"][at : at + count].tolist()
        out.append({bundle.terms[t]: tf for t, tf in zip(terms, tfs)})
        at += count
    return out


def test_an_article_asked_for_with_the_question_terms_carries_their_forward_rows_only(corpus):
    root, _ = corpus
    shard = open_sharded(root, 3).shards[0]
    rows = tuple(range(0, len(shard.table), 7))
    whole = shard.bundles(list(rows))
    asked = ("profit", "market", "not-a-term")
    only = shard.bundles(BundleRequest(rows, asked))
    assert [b.key for b in only] == [b.key for b in whole] and len(whole) > 3
    kept = 0
    for a, b in zip(whole, only):
        assert (a.rows, a.meta, a.text) == (b.rows, b.meta, b.text)
        for name in ("p_start", "p_end", "p_paragraph", "p_len", "s_count", "s_start", "s_end"):
            assert b.columns[name].tolist() == a.columns[name].tolist()
        expected = [{t: tf for t, tf in held.items() if t in asked} for held in _forward(a)]
        assert _forward(b) == expected
        kept += sum(map(len, expected))
    assert kept  # (some passage held an asked term)
    assert sum(len(b.columns["f_tf"]) for b in only) < sum(len(b.columns["f_tf"]) for b in whole) / 10


def test_an_article_sent_between_processes_arrives_whole(corpus):
    root, _ = corpus
    shard = open_sharded(root, 3).shards[1]
    for sent in shard.bundles(list(range(0, 40, 9))):
        got = pickle.loads(pickle.dumps(sent))
        assert (got.shard, got.key, got.rows, got.meta, got.text, got.terms) == (
            sent.shard, sent.key, sent.rows, sent.meta, sent.text, sent.terms
        )  # fmt: skip
        assert list(got.columns) == list(sent.columns)
        for name, column in sent.columns.items():
            assert got.columns[name].dtype == column.dtype and np.array_equal(got.columns[name], column)


def test_a_term_s_collection_statistics_are_asked_of_the_shards_once(corpus):
    root, questions = corpus
    one, local = askdoc.open(root), open_sharded(root, 3)
    counting = [Counting(s) for s in local.shards]
    index = type(local)(
        counting, corpus=root, idf_average=local.collection.idf_average, analyzer=local.collection.analyzer
    )
    question = questions[0]
    first = index.search(question)
    asked = sum(c.calls["statistics"] for c in counting)
    assert asked == 3  # each shard once, for every term of the question
    again = index.search(question)
    assert sum(c.calls["statistics"] for c in counting) == asked  # known: not asked again
    where = "in:sport"
    index.search(question, where=where), index.search(question, where=where)
    assert sum(c.calls["statistics"] for c in counting) == asked + 3  # the filter's passages counted once
    expected = one.search(question)
    for hits in (first, again):
        assert [(h.article.id, h.passage.paragraph, round(h.score, 9)) for h in hits] == [
            (h.article.id, h.passage.paragraph, round(h.score, 9)) for h in expected
        ]


def test_articles_are_fetched_with_the_question_terms_and_whole_only_where_feedback_reads_them(corpus):
    root, questions = corpus
    local = open_sharded(root, 3)
    counting = [Counting(s) for s in local.shards]
    index = type(local)(
        counting, corpus=root, idf_average=local.collection.idf_average, analyzer=local.collection.analyzer
    )
    index.search(questions[1])
    requests = [r for c in counting for r in c.requests]
    assert requests and all(isinstance(r, BundleRequest) and r.terms for r in requests)
    for c in counting:
        c.requests.clear()
    index.search(questions[1], max_per_article=1)  # ranking articles: feedback reads whole forward rows
    requests = [r for c in counting for r in c.requests]
    assert requests and all(r.terms is None for r in requests)


def test_a_shard_scores_with_the_average_length_it_is_given_whatever_it_scored_with_before(corpus):
    root, _ = corpus
    shard = open_sharded(root, 3).shards[2]
    terms = ("profit", "market", "match")
    idf = tuple((t, 1.0 + i) for i, t in enumerate(terms))

    def best(on, avgdl: float):
        return [(c.row, c.score) for c in on.best(BestRequest(terms, (), idf, avgdl, 20))]

    fresh = open_sharded(root, 3).shards[2]
    first, again = best(shard, 30.0), best(shard, 30.0)
    assert first == again and first
    assert best(shard, 45.0) == best(fresh, 45.0) != first  # (impacts kept for 30.0 are not used for 45.0)
    assert best(shard, 30.0) == first


def test_what_a_shard_is_asked_and_answers_pickles_to_an_equal_value(corpus):
    root, _ = corpus
    shard = open_sharded(root, 3).shards[0]
    request = BestRequest(("profit", "market"), (("bank", 0.5),), (("profit", 1.5), ("market", 2.0)), 31.5, 10)
    values = [
        request,
        BundleRequest((1, 2, 3), ("profit",)),
        shard.summary(),
        shard.statistics(["profit", "market"], None),
        *shard.best(request),
        *shard.best(BestRequest(("profit",), (), (("profit", 1.5),), 31.5, 5, keys=False)),
    ]
    assert len(values) > 8
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value


def test_a_shard_keeps_no_article_it_sends(corpus):
    root, _ = corpus
    shard = open_sharded(root, 3).shards[1]
    sent = shard.bundles(BundleRequest(tuple(range(0, len(shard.table), 5)), ("profit",)))
    assert sent and all(b.text == shard.article(b.meta["id"]).text for b in sent)  # (the text one index reads)
    shard = open_sharded(root, 3).shards[1]
    shard.bundles(BundleRequest(tuple(range(0, len(shard.table), 5)), ("profit",)))
    assert not shard.index.shelf._kept  # (a served shard would keep every article a search fetched)
