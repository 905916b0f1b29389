"""The engine seam: a Retriever built from bare arrays and statistics searches as Index.search does."""

from __future__ import annotations

import numpy as np

import askdoc
from askdoc import scoring
from askdoc.analysis import Analyzer
from askdoc.retrieval import questions
from askdoc.retrieval.ranked import ranked
from askdoc.retrieval.retriever import Retriever
from askdoc.retrieval.shelf import Shelf
from askdoc.retrieval.table import PASSAGE_ARRAYS, PassageTable, Stats
from askdoc.store.tables import TermList
from conftest import synthetic_articles

QUESTIONS = ["who said the harbour plan would fail?", "rivers and lakes", "what did the minister warn?"]


def engine_from_arrays(index: askdoc.Index, stats: Stats | None = None, **given) -> Retriever:
    """A Retriever over copies of an index's arrays, its statistics passed by name, nothing of Index used."""
    arrays = {name: np.array(index.data.arrays[name], dtype=dtype) for name, dtype in PASSAGE_ARRAYS.items()}
    table = PassageTable(arrays)
    stats = stats or Stats(**index.stats.as_dict())
    articles = [dict(meta) for meta in index.data.articles]
    texts = [article.text.encode() for article in index.articles()]
    shelf = Shelf(table, articles, texts.__getitem__)
    return Retriever(table, stats, TermList(index.data.vocab), Analyzer(), shelf, **given)


def test_an_engine_built_from_arrays_and_statistics_ranks_as_index_search():
    index = askdoc.Index.from_articles(synthetic_articles(60, seed=11))
    engine = engine_from_arrays(index)
    found = 0
    for question in QUESTIONS + [" ".join(index.data.vocab[i] for i in (3, 40, 77))]:
        hits = index.search(question, k=5)
        rows, _, _ = ranked(engine, questions.query_of(engine, questions.read(engine, question)), 5)
        assert [(engine.articles.article(engine.table.article_of(row)).id, score) for row, score in rows] == [
            (h.article.id, h.score) for h in hits
        ]
        assert [engine.table.span(row) for row, _ in rows] == [(h.passage.start, h.passage.end) for h in hits]
        found += len(hits)
    assert found >= 10  # the questions found something to compare


def test_the_collection_statistics_handed_to_an_engine_are_the_ones_it_scores_with():
    index = askdoc.Index.from_articles(synthetic_articles(60, seed=11))
    alone = engine_from_arrays(index)
    df = np.asarray(index.data.arrays["df"]) * 3  # as if two more shards held as many passages of each term
    stats = Stats(**(index.stats.as_dict() | {"n_passages": 3 * index.n_passages}))
    shard = engine_from_arrays(index, stats, df=df)
    assert np.array_equal(shard.idf, scoring.okapi_idf(df, 3 * index.n_passages))
    assert not np.array_equal(shard.idf, alone.idf)
    assert len(shard.scratch) == index.n_passages  # its own passages are scored
