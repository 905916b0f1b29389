"""The engine over the candidates a question drew from every shard: the reranker and the quotes, run as in one index.

A ``CandidateView`` is a ``Retriever`` over a small table of the articles the shards' best
passages belong to (whole articles, fetched once), numbered in the order one index over the
corpus would hold them, with the whole collection's statistics: the reranker, the features that
compare candidates (rank, bm25 over the best, article_top, support, handset rank), duplicates
and ``also_in``, quotes and weak flags are the unchanged code of one index, over the merged set.
Its ``best`` asks every shard (``Shard.best`` with the global idf) and merges their answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import scoring
from ..analysis import Analyzer
from ..build import postings
from ..filters import Filter
from ..retrieval.retriever import Retriever, article_bm25
from ..retrieval.shelf import Shelf
from ..retrieval.table import PassageTable, Stats, pointers
from ..store.tables import TermList
from .shard import MASKS_KEPT
from .values import PASSAGE_COLUMNS, ArticleBundle, BestRequest, BundleRequest, Candidate, TermStatistics

STATISTICS_KEPT = 100_000  # terms whose collection statistics a sharded index keeps between searches
_CACHED = ("idf", "scratch", "_article_lengths", "missing_weight", "_okapi")


class Holding:
    """What ``holding_all`` gives here: the terms a passage must hold, for the shards to apply (see ``best``)."""

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms

    def __and__(self, other):
        return self  # the filter is the view's own, applied by the shards


class Collection:
    """The shards of one index and what they hold together: passages, length, articles, the mean idf."""

    def __init__(self, shards: Sequence, n_passages: int, total_len: int, n_articles: int,
                 idf_average: Callable[[], float], params: scoring.Params, analyzer: Analyzer) -> None:  # fmt: skip
        """``idf_average``: the mean idf over the whole vocabulary, asked for only when a term's idf is negative
        (df over half the passages): it reads every shard's vocabulary."""
        self.shards, self.params, self.analyzer = list(shards), params, analyzer
        self.stats = Stats(n_passages, total_len, params.k1, params.b, params.epsilon)
        self.n_articles, self._idf_average = n_articles, idf_average
        self._average: float | None = None
        # what every shard answered of a term (passages, articles holding it) and of a filter (passages it
        # allows), summed: the collection's, as long as these shards are (a refresh opens new ones)
        self.term_statistics: dict[str, tuple[int, int]] = {}
        self.allowed: dict[Filter, int] = {}

    @property
    def idf_average(self) -> float:
        if self._average is None:
            self._average = self._idf_average()
        return self._average

    def idf(self, df: int) -> float:
        """rank-bm25's idf of a term over the whole collection (``scoring.okapi_idf``)."""
        if df <= 0:
            return 0.0
        n = self.stats.n_passages
        value = float(np.log(n - df + 0.5) - np.log(df + 0.5))
        return self.params.epsilon * self.idf_average if value < 0 else value


class CandidateView(Retriever):
    """A retriever over the candidates' articles, asking the shards for more (``best``) as a search needs."""

    def __init__(self, collection: Collection, where: Filter | None, call: Callable, *, whole: bool = False) -> None:
        """``call(method, args_by_shard)``: each shard's answer, None for a shard that is unavailable. ``whole``:
        the candidates' forward rows with every term (feedback reads them), else with the question's only."""
        self.collection, self.where, self.call, self.whole = collection, where, call, whole
        self.bundles: list[ArticleBundle] = []
        self.row_of: dict[tuple[int, int], int] = {}  # (shard, its row) -> row here
        self.key_of: dict[tuple[int, int], tuple] = {}  # (shard, its row) -> where one index holds it (Candidate.key)
        self.terms: list[str] = []
        self.global_df: dict[str, int] = {}
        self.article_df: dict[str, int] = {}
        self.allowed: int | None = None
        self._rebuild()

    # -- the collection's statistics (DFS: summed over the shards) ------------------------------

    def fetch_statistics(self, terms: Sequence[str]) -> None:
        """The collection's statistics of these terms (and of the filter), asked of the shards unless known."""
        new = [t for t in dict.fromkeys(terms) if t not in self.global_df]
        if not new and (self.where is None or self.allowed is not None):
            return
        known, kept = self.collection.term_statistics, self.collection.allowed
        cached = {t: value for t in new if (value := known.get(t)) is not None}  # (one read each: another search
        ask = [t for t in new if t not in cached]  # may clear the dict meanwhile)
        allowed = kept.get(self.where) if self.where is not None else None
        if ask or (self.where is not None and allowed is None):
            answers: list[TermStatistics | None] = self.call("statistics", lambda shard: (ask, self.where))
            found = {
                term: (sum(a.df.get(term, 0) for a in answers if a is not None),
                       sum(a.article_df.get(term, 0) for a in answers if a is not None))
                for term in ask
            }  # fmt: skip
            allowed = sum((a.allowed or 0) for a in answers if a is not None) if self.where is not None else None
            if all(a is not None for a in answers):  # (a shard left out: these sums are not the collection's)
                if len(known) + len(found) > STATISTICS_KEPT:
                    known.clear()
                known.update(found)
                if allowed is not None:
                    if len(kept) >= MASKS_KEPT:
                        kept.clear()
                    kept[self.where] = allowed  # type: ignore[index]
        else:
            found = {}
        for term in new:
            self.global_df[term], self.article_df[term] = found[term] if term in found else cached[term]
        self.allowed = allowed if self.where is not None else None
        self.terms.extend(new)
        self._rebuild()

    def known(self, terms: Sequence[str]) -> set[str]:
        self.fetch_statistics(terms)
        return super().known(terms)

    def term_weights(self, terms):
        terms = list(terms)
        self.fetch_statistics(terms)
        return super().term_weights(terms)

    # -- BM25 over every shard ------------------------------------------------------------------

    def holding_all(self, terms: set[str]):  # type: ignore[override]
        return Holding(frozenset(terms))

    def best(self, terms: list[str], k: int, allowed=None, extra: dict[str, float] | None = None):
        extra = extra or {}
        self.fetch_statistics([*terms, *extra])
        wanted = dict.fromkeys([*terms, *extra])
        request = BestRequest(
            tuple(terms), tuple(extra.items()),
            tuple((t, self.collection.idf(self.global_df[t])) for t in wanted),
            self.collection.stats.total_len / self.collection.stats.n_passages if self.collection.stats.n_passages else 1.0,
            k, self.where, allowed.terms if isinstance(allowed, Holding) else frozenset(), keys=False,
        )  # fmt: skip
        answers: list[list[Candidate] | None] = self.call("best", lambda shard: (request,))
        merged = sorted((c for sent in answers if sent for c in sent), key=lambda c: -c.score)  # (stable)
        taken = _with_ties(merged, k)
        self._take([c for c in taken if (c.shard, c.row) not in self.row_of])
        taken = [c for c in taken if (c.shard, c.row) in self.row_of]  # (a shard lost since: named, left out)
        if len(taken) > k or len({c.score for c in taken}) < len(taken):  # equal scores: as one index orders them
            taken = sorted(taken, key=lambda c: (-c.score, self.key_of[(c.shard, c.row)]))[:k]
        rows = np.array([self.row_of[(c.shard, c.row)] for c in taken], dtype=np.int64)
        return rows, np.array([c.score for c in taken], dtype=np.float64)

    def _take(self, candidates: list[Candidate]) -> None:
        """Fetch the candidates' articles, appended in the order one index holds them."""
        if not candidates:
            return
        by_shard: dict[int, list[int]] = {}
        for c in candidates:
            by_shard.setdefault(c.shard, []).append(c.row)
        terms = None if self.whole else tuple(t for t in self.terms if self.global_df[t] > 0)
        answers = self.call(
            "bundles", lambda shard: (BundleRequest(tuple(by_shard[shard]), terms),), only=set(by_shard)
        )
        new = sorted((b for found in answers if found for b in found), key=lambda b: b.key)
        for bundle in new:
            base = sum(len(b.rows) for b in self.bundles)
            self.bundles.append(bundle)
            for i, row in enumerate(bundle.rows):
                self.row_of[(bundle.shard, row)] = base + i
                self.key_of[(bundle.shard, row)] = (*bundle.key, row)
        self._rebuild()

    def article_scores(self, terms: Sequence[str], articles: Sequence[int]) -> dict[int, float]:
        """``Retriever.article_scores`` with the whole collection's article count, mean length and df."""
        t = self.table
        lengths = np.bincount(np.asarray(t.article), weights=np.asarray(t.lengths), minlength=len(self.bundles))
        n = self.collection.n_articles
        avg = max(float(self.collection.stats.total_len) / n if n else 0.0, 1.0)
        held = lambda term, tf: self.article_df.get(term, 0)  # noqa: E731 (counted over every shard)
        return article_bm25(t, self.term_ids, self.params, terms, articles, lengths, avg, n, held)

    # -- the table over the candidates' articles ------------------------------------------------

    def _rebuild(self) -> None:
        vocab = TermList(t for t in self.terms if self.global_df[t] > 0)  # as one index's vocabulary: terms it holds
        ids = vocab.ids
        for bundle in self.bundles:
            for term in bundle.terms:
                if term not in ids:
                    ids[term] = len(vocab)
                    vocab.append(term)
        arrays = _arrays(self.bundles, ids, len(vocab), self.collection)
        df = np.array([self.global_df.get(term, 0) for term in vocab], dtype=np.int64)
        metadata = [b.meta for b in self.bundles]
        texts = [b.text for b in self.bundles]
        table = PassageTable(arrays)
        shelf = Shelf(table, metadata, lambda number: texts[number].encode("utf-8", "surrogatepass"))
        for name in _CACHED:
            self.__dict__.pop(name, None)
        Retriever.__init__(self, table, self.collection.stats, vocab, self.collection.analyzer, shelf, df=df)


def _with_ties(found: list[Candidate], k: int) -> list[Candidate]:
    """The first k candidates (best first), and any that score as much as one of them: the shards send no keys
    (each one's article metadata read), so equal scores are put in order once their articles are fetched."""
    end = k
    while 0 < end < len(found) and found[end].score == found[end - 1].score:
        end += 1
    return found[:end]


def _arrays(bundles: list[ArticleBundle], ids: dict[str, int], n_terms: int, collection: Collection) -> dict:
    def joined(name: str, dtype) -> np.ndarray:
        parts = [b.columns[name] for b in bundles]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    arrays = {name: joined(name, np.int64) for name in PASSAGE_COLUMNS}
    arrays["p_paragraph"] = arrays["p_paragraph"].astype(np.int32)
    arrays["p_len"] = arrays["p_len"].astype(np.int32)
    arrays["p_article"] = np.concatenate(
        [np.full(len(b.rows), number, dtype=np.int32) for number, b in enumerate(bundles)] or [np.zeros(0, np.int32)]
    )
    arrays["s_ptr"] = pointers(joined("s_count", np.int64))
    arrays["s_start"], arrays["s_end"] = joined("s_start", np.int64), joined("s_end", np.int64)
    arrays["f_ptr"] = pointers(joined("f_count", np.int64))
    forward = [np.array([ids[t] for t in b.terms], dtype=np.int32)[b.columns["f_term"]] for b in bundles]
    arrays["f_term"] = np.concatenate(forward) if forward else np.zeros(0, dtype=np.int32)
    arrays["f_tf"] = joined("f_tf", np.uint16)
    stats = collection.stats
    avgdl = stats.total_len / stats.n_passages if stats.n_passages else 1.0
    arrays.update(postings(arrays["f_ptr"], arrays["f_term"], arrays["f_tf"], arrays["p_len"], n_terms, avgdl,
                           collection.params))  # fmt: skip
    return arrays
