"""One shard: a complete store of the corpus files that hash to it, and what a search asks of it.

A ``Shard`` is what a Ray actor hosts: each method takes and returns small picklable values
(``values``: ``ShardSummary``, ``TermStatistics``, ``BestRequest``, ``Candidate``, ``BundleRequest``,
``ArticleBundle``). BM25
is scored with the whole collection's statistics handed in (``BestRequest.idf`` and ``avgdl``), so
that a passage scores here exactly as in one index over the whole corpus.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
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
from ..store.tables import decoded
from .assign import select, shard_of, walk_key
from .values import PASSAGE_COLUMNS, ArticleBundle, BestRequest, BundleRequest, Candidate, ShardSummary, TermStatistics

MASKS_KEPT = 8
IMPACTS_KEPT = 8_000_000  # postings whose impacts a shard keeps between searches (32 MB)
KEYS_KEPT = 100_000  # articles whose walk keys a shard keeps (a candidate's key is read on every search)


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
        self._keys: dict[int, tuple] = {}  # article -> its key (walk order of its file): read once
        self._impacts: dict[int, tuple[np.ndarray, float]] = {}  # term id -> impacts for _impacts_avgdl, largest
        self._impacts_avgdl, self._impacts_size = 0.0, 0  # (the postings kept)

    @classmethod
    def open(cls, corpus, number: int, count: int, *, refresh: bool = True, rebuild: bool = False,
             progress=None, wait: bool = True, walk: Scan | None = None, changed=None,
             loaded: tuple[Any] | None = None, reread=(), taken=()) -> Shard:  # fmt: skip
        """Build, refresh or load the shard (``walk``: a walk of the whole corpus already made; ``loaded``:
        its stored index as ``opening.preload`` gave it; ``reread``: files read again, with ``taken`` the ids
        other shards hold, see ``folder.unique_ids``)."""
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
            reread=reread, taken=taken,
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
        docs, impacts, ptr, term_max = self._postings([vocab_ids[t] for t in counts], request.avgdl)
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        multipliers = weights * np.array([idf.get(t, 0.0) for t in counts], dtype=np.float64)
        query = scoring.TermQuery(np.arange(len(counts)), multipliers, ptr[:-1], ptr[1:])
        allowed = self._allowed(request.where, request.holding)
        with self._lock:
            if self._scratch is None:
                self._scratch = np.zeros(len(self.table), dtype=np.float64)
            rows, scores = scoring.pruned_top_k(query, docs, impacts, term_max, request.k, self._scratch, allowed)
        return [
            Candidate(score, self._key(row) if request.keys else None, self.number, row)
            for row, score in zip(rows.tolist(), scores.tolist())
        ]

    def _postings(self, term_ids: list[int], avgdl: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The terms' postings one after another, with impacts for the collection's avgdl (as one index stores
        them), where each term's begin and end, and each term's largest impact.

        A term's impacts are kept for the next searches (up to ``IMPACTS_KEPT`` postings, for one avgdl):
        computing them reads every posting of the term, where the search itself prunes most.
        """
        t = self.table
        if avgdl != self._impacts_avgdl:
            self._impacts, self._impacts_avgdl, self._impacts_size = {}, avgdl, 0
        docs, impacts, largest = [], [], []
        for term_id in term_ids:
            lo, hi = t.posting_range(term_id)
            found = np.asarray(t.post_doc[lo:hi])
            docs.append(found)
            kept, most = self._impacts_of(term_id, lo, hi, found, avgdl)
            impacts.append(kept)
            largest.append(most)
        ptr = np.zeros(len(term_ids) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=ptr[1:])
        term_max = np.array(largest, dtype=np.float32)
        return np.concatenate(docs).astype(np.int32, copy=False), np.concatenate(impacts), ptr, term_max

    def _impacts_of(self, term_id: int, lo: int, hi: int, docs: np.ndarray, avgdl: float) -> tuple[np.ndarray, float]:
        kept = self._impacts.get(term_id)
        if kept is None:
            params = self.data.stats.params
            lengths = np.asarray(self.table.lengths)[docs]
            found = scoring.impacts(np.asarray(self.table.post_tf[lo:hi]), lengths, avgdl, params).astype(np.float32)
            self._impacts_size += len(found)
            if self._impacts_size > IMPACTS_KEPT:
                self._impacts, self._impacts_size = {}, len(found)
            kept = self._impacts[term_id] = (found, float(found.max()) if len(found) else 0.0)
        return kept

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
        key = self._keys.get(article)
        if key is None:
            if len(self._keys) >= KEYS_KEPT:
                self._keys.clear()
            key = self._keys[article] = (walk_key(self.data.articles[article].get("rel") or ""), article)
        return key

    def bundles(self, request: BundleRequest | Sequence[int]) -> list[ArticleBundle]:
        """The articles of the request's rows (or of these rows: every term kept), whole, each once."""
        if not isinstance(request, BundleRequest):
            request = BundleRequest(tuple(int(row) for row in request))
        rows = request.rows
        wanted = None if request.terms is None else self._wanted(request.terms)
        articles = dict.fromkeys(self.table.article_of(int(row)) for row in rows)
        return [
            self._bundle(article, int(row), request.terms, wanted)
            for article, row in zip(articles, _first_rows(self.table, rows))
        ]

    def _wanted(self, terms: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The shard's ids of those of ``terms`` it holds, ascending, and each one's place in ``terms``."""
        ids = self.data.vocab.ids
        held = sorted((ids[term], place) for place, term in enumerate(terms) if term in ids)
        return np.array([i for i, _ in held], dtype=np.int64), np.array([p for _, p in held], dtype=np.int32)

    def _bundle(self, article: int, row: int, only: tuple[str, ...] | None = None,
                wanted: tuple[np.ndarray, np.ndarray] | None = None) -> ArticleBundle:  # fmt: skip
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
        counts = np.diff(f_ptr[first : last + 2])
        tfs = np.asarray(t.forward_tfs[f_ptr[first] : f_ptr[last + 1]])
        held = np.asarray(t.forward_terms[f_ptr[first] : f_ptr[last + 1]])
        if only is not None and wanted is not None:  # the rows of the asked terms only, numbered into them
            ids, places = wanted
            at = np.minimum(np.searchsorted(ids, held), max(len(ids) - 1, 0))
            keep = ids[at] == held if len(ids) else np.zeros(len(held), dtype=bool)
            passage = np.repeat(np.arange(len(counts)), counts)
            columns["f_count"] = np.bincount(passage[keep], minlength=len(counts))
            columns["f_tf"], columns["f_term"], terms = tfs[keep], places[at[keep]], only
        else:
            columns["f_count"], columns["f_tf"] = counts, tfs
            distinct, inverse = np.unique(held, return_inverse=True)
            columns["f_term"], terms = inverse.astype(np.int32), tuple(map(self._term, distinct.tolist()))
        return ArticleBundle(self.number, self._article_key(article), tuple(range(first, last + 1)),
                             dict(self.data.articles[article]), self._text(article), columns, terms)  # fmt: skip

    def _text(self, article: int) -> str:
        """An article's text, decoded as ``Shelf.article`` decodes it, but not kept: a served shard would otherwise
        keep every article a search ever fetched."""
        return decoded(self.index.shelf.raw_text(article))

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
