"""The search engine: BM25 retrieval over a ``PassageTable``, read again by the reranker, duplicates left out.

The seam for an index split into shards: a ``Retriever`` needs only one set of arrays (a
``PassageTable``), their vocabulary, the articles they point into, and the statistics of the
whole collection (``Stats``, and with ``df`` the whole collection's document frequencies), so
that a shard scores its passages exactly as the whole index would::

    table = PassageTable(arrays)                     # one shard's arrays
    retriever = Retriever(table, stats, vocabulary, analyzer, shelf, df=global_df)
    rows_and_scores, evidence, copies = retriever.ranked(query, k=5)

A shard's postings carry impacts computed with the collection's average passage length (as
``build.postings`` takes it), so that its BM25 scores are bit for bit the whole index's: the best
passages of each shard, merged by score, are the whole index's (``tests/test_retrieval.py`` shows
both: an engine built from bare arrays gets ``Index.search``'s hits, and two shards its top k).
Article-level evidence the reranker reads (``article_scores``) is a shard's own.
Ranking settings (``ranking.Weights``) are passed to each call, never set on a shared object.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

import numpy as np

from .. import ENGINES, scoring
from ..analysis import Analyzer
from ..store.checks import check_forward
from ..store.tables import TermLookup, TermTable
from .shelf import ArticleSource
from .table import PassageTable, Stats


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    return engine


class Retriever:
    """BM25 over one set of passages (a whole index or a shard), and what the reranker reads of them."""

    def __init__(
        self,
        table: PassageTable,
        stats: Stats,
        vocabulary: TermTable,
        analyzer: Analyzer,
        articles: ArticleSource,
        *,
        engine: str = "askdoc",
        df: np.ndarray | None = None,
    ) -> None:
        self.table = table
        self.stats = stats
        self.vocabulary = vocabulary
        self.term_ids = vocabulary.ids  # term -> id
        self.analyzer = analyzer
        self.articles = articles
        self.engine = check_engine(engine)
        self.df = table.df if df is None else df  # the whole collection's, for a shard
        self.params = stats.params
        self._scratch_lock = threading.Lock()  # searches from worker threads share one accumulator
        self._title_terms: dict[int, frozenset[str]] = {}

    @property
    def n_passages(self) -> int:
        """The passages of this table (a shard's own; ``stats.n_passages`` counts the collection's)."""
        return len(self.table)

    # -- BM25 ---------------------------------------------------------------------------------

    @cached_property
    def idf(self) -> np.ndarray:
        """BM25Okapi's idf of every term, by term id (rank-bm25's, with its epsilon floor)."""
        return scoring.okapi_idf(self.df, self.stats.n_passages, self.params.epsilon)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for a list of query terms (repeats count), by the engine."""
        if self.engine == "rank-bm25":
            return self._okapi.get_scores(terms) if self.n_passages else np.zeros(0)
        counts = Counter(self.term_ids[t] for t in terms if t in self.term_ids)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        t = self.table
        return scoring.scores(ids, weights, t.term_ptr, t.post_doc, t.post_impact, self.idf, self.n_passages)

    @cached_property
    def _okapi(self):
        from rank_bm25 import BM25Okapi

        return BM25Okapi(self.term_lists(), k1=self.params.k1, b=self.params.b, epsilon=self.params.epsilon)

    def term_lists(self) -> list[list[str]]:
        """Each passage's terms as a list (order lost, repeats kept): what rank-bm25 is given."""
        t = self.table
        check_forward(t.forward_terms, len(self.vocabulary))
        vocab = list(self.vocabulary)
        f_ptr, f_term, f_tf = np.asarray(t.forward_ptr), np.asarray(t.forward_terms), np.asarray(t.forward_tfs)
        return [
            [vocab[term] for term, tf in zip(f_term[lo:hi].tolist(), f_tf[lo:hi].tolist()) for _ in range(tf)]
            for lo, hi in zip(f_ptr[:-1].tolist(), f_ptr[1:].tolist())
        ]

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """How much each term tells, always positive (Lucene's idf, see ``scoring.lucene_idf``)."""
        return {t: scoring.lucene_idf(self.df[self.term_ids[t]], self.stats.n_passages) for t in terms}

    def known(self, terms: Sequence[str]) -> set[str]:
        """The terms some passage of the collection holds."""
        return {t for t in terms if t in self.term_ids and self.df[self.term_ids[t]] > 0}

    @cached_property
    def missing_weight(self) -> float:
        """What a word the corpus lacks would weigh (the idf of df = 0)."""
        return scoring.lucene_idf(0, self.stats.n_passages)

    def best(
        self, terms: list[str], k: int, allowed: np.ndarray | None = None, extra: dict[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages (rows) holding a query term, and their BM25 scores, best first.

        ``allowed`` (one bool per passage) keeps the others out. The askdoc engine prunes
        (MaxScore, see ``scoring.pruned_top_k``): only passages that can reach the top k are scored,
        with exactly the scores ``scores()`` gives them. ``extra`` adds weight to terms, as if
        they were repeated that often in the query (pseudo-relevance feedback, see ``feedback``).
        """
        counts: Counter[int] = Counter(self.term_ids[t] for t in terms if t in self.term_ids)
        for term, weight in (extra or {}).items():
            if term in self.term_ids:
                counts[self.term_ids[term]] += weight  # type: ignore[assignment]
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        t = self.table
        if self.engine == "rank-bm25":
            scores = self.scores(terms)
            for term, weight in (extra or {}).items():
                scores = scores + weight * self.scores([term])
            candidates = scoring.matching(ids, t.term_ptr, t.post_doc, self.n_passages)
            rows = scoring.top_k(scores, k, candidates if allowed is None else candidates & allowed)
            return rows, scores[rows]
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        query = scoring.TermQuery.of(ids, weights, t.term_ptr, self.idf)
        with self._scratch_lock:
            return scoring.pruned_top_k(query, t.post_doc, t.post_impact, t.term_max, k, self.scratch, allowed)

    @cached_property
    def scratch(self) -> np.ndarray:
        """n_passages zeros that ``scoring.pruned_top_k`` accumulates in and leaves zeroed."""
        return np.zeros(self.n_passages, dtype=np.float64)

    def holding_all(self, terms: set[str]) -> np.ndarray:
        """One bool per passage: whether it holds every one of the terms."""
        t = self.table
        out = np.ones(self.n_passages, dtype=bool)
        for term in terms:
            ids = np.array([self.term_ids.get(term, -1)], dtype=np.int64)
            out &= scoring.matching(ids, t.term_ptr, t.post_doc, self.n_passages) if ids[0] >= 0 else False
        return out

    @cached_property
    def _article_lengths(self) -> np.ndarray:
        t = self.table
        return np.bincount(np.asarray(t.article), weights=np.asarray(t.lengths), minlength=self._n_articles)

    @property
    def _n_articles(self) -> int:
        return len(self.articles)

    def article_scores(self, terms: Sequence[str], articles: Sequence[int]) -> dict[int, float]:
        """BM25 of whole articles (all their passages as one text) for the query terms, for the given articles."""
        lengths = self._article_lengths
        n = self._n_articles
        avg = max(float(lengths.mean()), 1.0) if len(articles) else 1.0
        held = lambda term, tf: int(np.count_nonzero(tf))  # noqa: E731 (this index's articles are the collection's)
        return article_bm25(self.table, self.term_ids, self.params, terms, articles, lengths, avg, n, held)

    # -- what a passage holds, and reads in its article ------------------------------------------

    def text(self, article: int) -> str:
        """The whole text of an article, by its number."""
        return self.articles.article(article).text

    def passage_text(self, row: int, whole: bool = False) -> str:
        """A passage's text (``whole``: its article's whole text, which evidence offsets point into)."""
        text = self.text(self.table.article_of(row))
        start, end = self.table.span(row)
        return text if whole else text[start:end]

    def lead_row(self, row: int) -> int:
        """The first passage of a passage's article."""
        return self.table.lead_row(row)

    def passage_terms(self, row: int, weights: Mapping[str, float]) -> frozenset[str]:
        """The given terms a passage holds, from its forward index (no text read)."""
        ids = {self.term_ids[t]: t for t in weights if t in self.term_ids}
        held = self.table.forward(row)[0].tolist()
        return frozenset(ids[t] for t in held if t in ids)

    def context_terms(self, article: int, row: int) -> frozenset[str]:
        """The terms of a passage's article title and section heading: the context it is read in."""
        terms = self._title_terms.get(article)
        if terms is None:
            title = self.articles.article(article).title
            terms = self._title_terms[article] = frozenset(self.analyzer.terms(title or ""))
        heading = self.table.heading(row)
        if heading is not None:
            terms = terms | frozenset(self.analyzer.terms(self.text(article)[heading[0] : heading[1]]))
        return terms

    def context_weights(self, row: int, weights: Mapping[str, float]) -> dict[str, float]:
        """The question terms (with their weights) its title and heading give a passage."""
        context = self.context_terms(self.table.article_of(row), row)
        return {t: w for t, w in weights.items() if t in context}

    def read_in_article(self, row: int, weights: Mapping[str, float]) -> dict[str, float]:
        """The question terms a passage's article gives it as context, each with its share.

        Its title and section heading count fully; its article's lead (first passage), for a later
        passage, fades with the distance: 1/d for the passage d rows after it.
        """
        context = dict.fromkeys(self.context_weights(row, dict(weights)), 1.0)
        lead = self.lead_row(row)
        if lead != row:
            ids = {self.term_ids[t]: t for t in weights if t in self.term_ids}
            for term_id in self.table.forward(lead)[0].tolist():
                if term_id in ids:
                    context.setdefault(ids[term_id], 1.0 / (row - lead))
        return context


def article_bm25(
    table: PassageTable,
    term_ids: TermLookup,
    params: scoring.Params,
    terms: Sequence[str],
    articles: Sequence[int],
    lengths: np.ndarray,
    avg: float,
    n: int,
    df_of: Callable[[str, np.ndarray], int],
) -> dict[int, float]:
    """BM25 of whole articles of ``table`` for the query terms, for the given article numbers (one index's,
    or a sharded search's candidate articles scored with the collection's figures).

    ``lengths``: each article's length in terms; ``avg`` and ``n``: the collection's mean article length
    and article count; ``df_of(term, tf)``: how many of the collection's articles hold the term (``tf``:
    its count in each article of the table).
    """
    wanted = np.asarray(articles, dtype=np.int64)
    if not len(wanted):
        return {}
    k1, b = params.k1, params.b
    norm = k1 * (1 - b + b * lengths[wanted] / avg)
    p_article = np.asarray(table.article)
    total = np.zeros(len(wanted))
    for term, count in Counter(term for term in terms if term in term_ids).items():
        lo, hi = table.posting_range(term_ids[term])
        docs = np.asarray(table.post_doc[lo:hi])
        tf = np.bincount(p_article[docs], weights=np.asarray(table.post_tf[lo:hi]), minlength=len(lengths))
        idf = scoring.lucene_idf(df_of(term, tf), n)
        here = tf[wanted]
        total += count * idf * here * (k1 + 1) / (here + norm)
    return dict(zip(wanted.tolist(), total.tolist()))
