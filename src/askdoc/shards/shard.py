"""One shard: a complete store of the corpus files that hash to it, and what a search asks of it.

A ``Shard`` is what a Ray actor hosts: each method takes and returns small picklable values
(``ShardSummary``, ``TermStatistics``, ``BestRequest``, ``Candidate``, ``ArticleBundle``). BM25
is scored with the whole collection's statistics handed in (``BestRequest.idf`` and ``avgdl``), so
that a passage scores here exactly as in one index over the whole corpus.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import scoring, store
from ..changes import Changes
from ..corpus import Scan
from ..errors import CorpusError
from ..filters import Filter
from ..index import Index
from ..model import Article, Passage
from ..opening import cache_root, open_store
from .assign import select, shard_of, walk_key


@dataclass(frozen=True, slots=True)
class ShardSummary:
    number: int
    n_passages: int
    total_len: int
    n_articles: int


@dataclass(frozen=True, slots=True)
class TermStatistics:
    """Of each term: the passages and the articles of the shard holding it; the passages ``where`` allows."""

    df: dict[str, int]
    article_df: dict[str, int]
    allowed: int | None = None


@dataclass(frozen=True, slots=True)
class BestRequest:
    """BM25's best k of a shard, scored with the collection's statistics (see ``Retriever.best``)."""

    terms: tuple[str, ...]  # with repeats, in the question's order
    extra: tuple[tuple[str, float], ...]  # feedback terms and their weights, added after
    idf: tuple[tuple[str, float], ...]  # each term's idf over the whole collection
    avgdl: float  # the collection's total length / its passages (what impacts are computed with)
    k: int
    where: Filter | None = None
    holding: frozenset[str] = frozenset()  # when not empty: only passages holding every one of these


@dataclass(frozen=True, slots=True)
class Candidate:
    score: float
    key: tuple  # orders equal scores as one index over the corpus would
    shard: int
    row: int


@dataclass(frozen=True, slots=True)
class ArticleBundle:
    """A whole article of a shard: what the reranker and the quotes read of it, away from the shard."""

    shard: int
    key: tuple  # walk order of its file, then its number in the shard
    rows: tuple[int, ...]  # its passages' rows in the shard
    meta: dict[str, Any]
    text: str
    columns: dict[str, np.ndarray]  # p_start ... p_len, s_count, s_start, s_end, f_count, f_tf of its passages,
    # and f_term: each forward row's term as a number in ``terms``
    terms: tuple[str, ...]  # the distinct terms of its passages


PASSAGE_COLUMNS = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")
MASKS_KEPT = 8


class _Ready:
    """A walk already made, handed to ``open_store`` as the walk it would have started."""

    def __init__(self, walk: Scan) -> None:
        self.walk = walk

    def result(self) -> Scan:
        return self.walk


def shard_folder(corpus: Path, number: int) -> Path:
    return store.index_dir_for(Path(corpus), cache_root()) / "shards" / str(number)


class Shard:
    """Shard ``number`` of ``count`` of a corpus folder, stored in its own folder (``shard_folder``)."""

    def __init__(self, index: Index, number: int, count: int, folder: Path) -> None:
        self.index = index
        self.data = index.data
        self.table = index.table
        self.number, self.count, self.folder = number, count, folder
        self._masks: dict[Filter, np.ndarray] = {}
        self._lock = threading.Lock()
        self._scratch: np.ndarray | None = None
        self._terms: dict[int, str] = {}

    @classmethod
    def open(cls, corpus, number: int, count: int, *, refresh: bool = True, rebuild: bool = False,
             progress=None, wait: bool = True, walk: Scan | None = None, changed=None,
             loaded: tuple[Any] | None = None) -> Shard:  # fmt: skip
        """Build, refresh or load the shard (``walk``: a walk of the whole corpus already made; ``loaded``:
        its stored index as ``opening.preload`` gave it)."""
        root = Path(corpus).resolve()
        if not root.is_dir():
            raise CorpusError(f"corpus folder '{corpus}' does not exist or is not a folder")
        folder = shard_folder(root, number)
        folder.mkdir(parents=True, exist_ok=True)
        if not refresh and store.current_generation(folder) is None:
            raise CorpusError(f"shard {number} of '{root}' has not been built (askdoc index --shards {count})")
        data = open_store(
            root, folder, refresh=refresh, rebuild=rebuild, progress=progress, wait=wait,
            walk=_Ready(walk) if walk is not None else None, changed=changed,  # type: ignore[arg-type]
            select=lambda scan: select(scan, number, count), share=1 / count, keep_impacts=True, loaded=loaded,
        )  # fmt: skip
        return cls(Index(data, corpus=root, location=folder), number, count, folder)

    # -- the collection's statistics -------------------------------------------------------

    def summary(self) -> ShardSummary:
        stats = self.data.stats
        return ShardSummary(self.number, stats.n_passages, stats.total_len, len(self.data.articles))

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Every term of the shard and the passages holding it (0: a term of deleted passages)."""
        return list(self.data.vocab), np.asarray(self.table.df)

    def statistics(self, terms: Sequence[str], where: Filter | None = None) -> TermStatistics:
        ids = self.data.vocab.ids
        df, article_df = {}, {}
        for term in dict.fromkeys(terms):
            term_id = ids.get(term)
            if term_id is None:
                df[term] = article_df[term] = 0
                continue
            docs = self.table.postings(term_id)
            df[term] = len(docs)
            articles = np.asarray(self.table.article)[docs]
            article_df[term] = int(np.count_nonzero(np.diff(articles))) + 1 if len(articles) else 0
        allowed = None if where is None else int(self._mask(where).sum())
        return TermStatistics(df, article_df, allowed)

    # -- search ------------------------------------------------------------------------------

    def best(self, request: BestRequest) -> list[Candidate]:
        """The shard's k best passages for the request, best first (ties: as ``key`` orders them)."""
        vocab_ids = self.data.vocab.ids
        counts: Counter[str] = Counter(t for t in request.terms if t in vocab_ids)
        for term, weight in request.extra:
            if term in vocab_ids:
                counts[term] += weight  # type: ignore[assignment]
        if not counts or not len(self.table):
            return []
        idf = dict(request.idf)
        docs, impacts, ptr = self._postings([vocab_ids[t] for t in counts], request.avgdl)
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        multipliers = weights * np.array([idf.get(t, 0.0) for t in counts], dtype=np.float64)
        query = scoring.TermQuery(np.arange(len(counts)), multipliers, ptr[:-1], ptr[1:])
        term_max = np.array([impacts[lo:hi].max() if hi > lo else 0.0 for lo, hi in zip(ptr[:-1], ptr[1:])],
                            dtype=np.float32)  # fmt: skip
        allowed = self._allowed(request.where, request.holding)
        with self._lock:
            if self._scratch is None:
                self._scratch = np.zeros(len(self.table), dtype=np.float64)
            rows, scores = scoring.pruned_top_k(query, docs, impacts, term_max, request.k, self._scratch, allowed)
        return [
            Candidate(score, self._key(row), self.number, row) for row, score in zip(rows.tolist(), scores.tolist())
        ]

    def _postings(self, term_ids: list[int], avgdl: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The terms' postings one after another, with impacts for the collection's avgdl (as one index stores them)."""
        t = self.table
        params = self.data.stats.params
        lengths = np.asarray(t.lengths)
        docs, impacts = [], []
        for term_id in term_ids:
            lo, hi = t.posting_range(term_id)
            found = np.asarray(t.post_doc[lo:hi])
            docs.append(found)
            impacts.append(
                scoring.impacts(np.asarray(t.post_tf[lo:hi]), lengths[found], avgdl, params).astype(np.float32)
            )
        ptr = np.zeros(len(term_ids) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=ptr[1:])
        return np.concatenate(docs).astype(np.int32), np.concatenate(impacts), ptr

    def _allowed(self, where: Filter | None, holding: frozenset[str]) -> np.ndarray | None:
        allowed = None if where is None else self._mask(where)
        if holding:
            held = self.index.retriever.holding_all(set(holding))
            allowed = held if allowed is None else held & allowed
        return allowed

    def _mask(self, where: Filter) -> np.ndarray:
        mask = self._masks.get(where)
        if mask is None:
            if len(self._masks) >= MASKS_KEPT:
                self._masks.clear()
            allowed = where.article_mask(self.data.articles)
            mask = self._masks[where] = allowed[np.asarray(self.table.article)]
        return mask

    def _key(self, row: int) -> tuple:
        article = self.table.article_of(row)
        return (*self._article_key(article), row)

    def _article_key(self, article: int) -> tuple:
        return (walk_key(self.data.articles[article].get("rel") or ""), article)

    def bundles(self, rows: Sequence[int]) -> list[ArticleBundle]:
        """The articles of these rows, whole, each once."""
        articles = dict.fromkeys(self.table.article_of(int(row)) for row in rows)
        return [self._bundle(article, int(row)) for article, row in zip(articles, _first_rows(self.table, rows))]

    def _bundle(self, article: int, row: int) -> ArticleBundle:
        t = self.table
        first = t.lead_row(row)
        last = first
        while last + 1 < len(t) and t.article_of(last + 1) == article:
            last += 1
        arrays = self.data.arrays
        columns = {name: np.asarray(arrays[name][first : last + 1]) for name in PASSAGE_COLUMNS}
        s_ptr, f_ptr = np.asarray(t.sentence_ptr), np.asarray(t.forward_ptr)
        columns["s_count"] = np.diff(s_ptr[first : last + 2])
        columns["s_start"] = np.asarray(t.sentence_starts[s_ptr[first] : s_ptr[last + 1]])
        columns["s_end"] = np.asarray(t.sentence_ends[s_ptr[first] : s_ptr[last + 1]])
        columns["f_count"] = np.diff(f_ptr[first : last + 2])
        columns["f_tf"] = np.asarray(t.forward_tfs[f_ptr[first] : f_ptr[last + 1]])
        distinct, columns["f_term"] = np.unique(
            np.asarray(t.forward_terms[f_ptr[first] : f_ptr[last + 1]]), return_inverse=True
        )
        columns["f_term"] = columns["f_term"].astype(np.int32)
        terms = tuple(map(self._term, distinct.tolist()))
        return ArticleBundle(self.number, self._article_key(article), tuple(range(first, last + 1)),
                             dict(self.data.articles[article]), self.index.shelf.article(article).text, columns, terms)  # fmt: skip

    def _term(self, term_id: int) -> str:
        """A term by its id (a stored vocabulary decodes each on look-up: kept once read)."""
        term = self._terms.get(term_id)
        if term is None:
            term = self._terms[term_id] = self.data.vocab[term_id]
        return term

    # -- the articles, as Index gives them --------------------------------------------------

    def changes(self, walk: Scan | None = None, paths: Sequence[str] | None = None) -> Changes:
        """This shard's files added, changed or removed since it was built (``walk``: of the whole corpus;
        ``paths``: only these absolute paths can have changed, looked at beside the shard's files)."""
        from ..changed_paths import look_at
        from ..changes import file_list, stored_changes
        from ..corpus import rescan

        assert self.index.corpus is not None
        if paths is not None:
            stored = self.data.files
            assert stored is not None
            columns = (stored.sizes, stored.mtimes, stored.inos, stored.ctimes)
            looked = look_at(self.index.corpus, stored.rels(), *(c.tolist() for c in columns), paths=paths)
            kinds = (looked.added, looked.changed, looked.removed)
            return Changes(*(tuple(r for r in rels if shard_of(r, self.count) == self.number) for rels in kinds))
        mine_walk = select(walk if walk is not None else rescan(self.index.corpus), self.number, self.count)
        stored = self.data.files
        if stored is not None and stored.same_as(file_list(mine_walk)):
            return Changes()
        return stored_changes(self.data, mine_walk)

    def catalog(self, where: Filter | None = None) -> list[dict]:
        return self.index.catalog(where)

    def has(self, article_id: str) -> bool:
        return article_id in set(self.data.ids())

    def article(self, article_id: str) -> Article:
        return self.index.article(article_id)

    def passages(self, article_id: str) -> list[Passage]:
        return self.index.passages(article_id)

    def skipped(self) -> dict[str, str]:
        return self.index.skipped()


def _first_rows(table, rows: Sequence[int]) -> list[int]:
    """One row of each distinct article, in the order the rows name them."""
    seen: dict[int, int] = {}
    for row in rows:
        seen.setdefault(table.article_of(int(row)), int(row))
    return list(seen.values())
