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


def shard_of(index: askdoc.Index, first: int, last: int) -> dict[str, np.ndarray]:
    """The arrays of articles [first, last) as a shard holds them: its passages renumbered from 0, each term's
    postings those of its passages (impacts as the whole collection computed them), and its texts."""
    a = {name: np.asarray(index.data.arrays[name]) for name in PASSAGE_ARRAYS}
    rows = np.flatnonzero((a["p_article"] >= first) & (a["p_article"] < last))
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    out = {name: a[name][lo:hi].copy() for name in ("p_start", "p_end", "p_paragraph", "p_heading_start",
                                                     "p_heading_end", "p_len")}  # fmt: skip
    out["p_article"] = a["p_article"][lo:hi] - first
    for ptr, columns in (("s_ptr", ("s_start", "s_end")), ("f_ptr", ("f_term", "f_tf"))):
        out[ptr] = a[ptr][lo : hi + 1] - a[ptr][lo]
        for name in columns:
            out[name] = a[name][a[ptr][lo] : a[ptr][hi]].copy()
    inside = (a["post_doc"] >= lo) & (a["post_doc"] < hi)
    term_of = np.repeat(np.arange(len(a["df"])), np.diff(a["t_ptr"]))
    out["df"] = np.bincount(term_of[inside], minlength=len(a["df"])).astype(np.int32)
    out["t_ptr"] = np.concatenate([[0], np.cumsum(out["df"])])
    out["post_doc"] = (a["post_doc"][inside] - lo).astype(np.int32)
    out["post_tf"], out["post_impact"] = a["post_tf"][inside], a["post_impact"][inside]
    out["t_max"] = np.zeros(len(a["df"]), dtype=np.float32)
    present = out["df"] > 0
    out["t_max"][present] = np.maximum.reduceat(out["post_impact"], out["t_ptr"][:-1][present])
    out["a_text_start"], out["a_text_end"] = a["a_text_start"][first:last], a["a_text_end"][first:last]
    return out


def test_shards_scored_with_the_collections_statistics_give_the_whole_indexs_best_passages():
    index = askdoc.Index.from_articles(synthetic_articles(80, seed=5))
    cut = index.n_articles // 2
    shards = []
    for first, last in ((0, cut), (cut, index.n_articles)):
        table = PassageTable(shard_of(index, first, last))
        metadata = [dict(meta) for meta in index.data.articles][first:last]
        texts = [article.text.encode() for article in index.articles()][first:last]
        shelf = Shelf(table, metadata, texts.__getitem__)
        engine = Retriever(
            table, index.stats, TermList(index.data.vocab), Analyzer(), shelf, df=index.data.arrays["df"]
        )
        shards.append((engine, int(np.flatnonzero(np.asarray(index.data.arrays["p_article"]) >= first)[0])))
    vocab = [t for i, t in enumerate(index.data.vocab) if index.data.arrays["df"][i] > 1]
    for n in range(40):
        terms = [vocab[(n * 7 + j * 13) % len(vocab)] for j in range(1 + n % 4)]
        rows, scores = index.retriever.best(terms, 10)
        merged = sorted(
            (
                (score, offset + row)
                for engine, offset in shards
                for row, score in zip(*(x.tolist() for x in engine.best(terms, 10)))
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )[:10]
        assert [row for _, row in merged] == rows.tolist()
        assert [score for score, _ in merged] == scores.tolist()  # bit for bit: the same idf, impacts and order
