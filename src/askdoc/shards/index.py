"""``ShardedIndex``: the library's face over shards (local ``Shard`` objects, or proxies of remote ones).

A search asks every shard for the collection's statistics of the question's terms (summed: the
DFS phase of Elasticsearch's query-then-fetch), then for its best passages scored with them,
merges those into the global best, fetches their articles, and reranks and quotes them exactly as
one index over the whole corpus would (``view``). A shard that raises ``ShardUnavailable`` is left
out and named in ``Hits.missing_shards``: never a silent partial answer.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import asking, scoring
from ..analysis import Analyzer
from ..errors import ArticleNotFound
from ..filters import Filter, as_filter, split_question
from ..model import Article, Hits, Passage
from ..ranking import Weights
from ..retrieval import hits, questions
from .assign import ShardUnavailable, walk_key
from .view import CandidateView, Collection

log = logging.getLogger("askdoc")


def idf_average(vocabularies: Sequence[tuple[list[str], np.ndarray]], n_passages: int) -> float:
    """The mean rank-bm25 idf over every term of the collection (its epsilon floor), from each shard's df."""
    total: Counter[str] = Counter()
    for terms, df in vocabularies:
        total.update(dict(zip(terms, np.asarray(df).tolist())))
    df_all = np.fromiter((v for v in total.values() if v > 0), dtype=np.float64)
    if not len(df_all):
        return 0.0
    idf = np.log(n_passages - df_all + 0.5) - np.log(df_all + 0.5)
    return float(idf.sum() / len(idf))


class ShardedIndex:
    """A corpus searched over shards, with the answers one index over it gives (see ``Index``)."""

    def __init__(self, shards: Sequence, *, corpus: Path | None = None, idf_average: float | None = None,
                 analyzer: Analyzer | None = None, reopen: Callable[..., ShardedIndex] | None = None,
                 keep_average: Callable[[float], None] | None = None) -> None:  # fmt: skip
        """``idf_average``: the collection's mean idf when known (else read from the shards' vocabularies when
        first needed, and handed to ``keep_average`` to be stored)."""
        self.shards = list(shards)
        self.corpus = corpus
        self._reopen = reopen
        self.unavailable: set[int] = set()
        summaries = [s for s in self.fan_out("summary", {i: () for i in range(len(self.shards))}).values() if s]
        params = scoring.Params()
        n_passages = sum(s.n_passages for s in summaries)

        def average() -> float:
            if idf_average is not None:
                return idf_average
            found = self.fan_out("vocabulary", {i: () for i in range(len(self.shards))})
            value = globals()["idf_average"]([v for v in found.values() if v is not None], n_passages)
            if keep_average is not None:
                keep_average(value)
            return value

        self.collection = Collection(self.shards, n_passages, sum(s.total_len for s in summaries),
                                     sum(s.n_articles for s in summaries), average, params,
                                     analyzer or Analyzer())  # fmt: skip
        self._missing_at_open = frozenset(self.unavailable)

    # -- calling the shards -----------------------------------------------------------------------

    def fan_out(self, method: str, arguments: dict[int, tuple]) -> dict[int, Any]:
        """Each named shard's answer to ``method(*arguments[i])``; None (and the shard noted) when unavailable.

        One after another here; a face over remote shards may override this to call them in parallel.
        """
        out: dict[int, Any] = {}
        for i, args in arguments.items():
            try:
                out[i] = getattr(self.shards[i], method)(*args)
            except ShardUnavailable as err:
                log.debug("shard %d unavailable: %s", i, err)
                self.unavailable.add(i)
                out[i] = None
        return out

    def _call(self, method: str, arguments_of: Callable[[int], tuple], only: set[int] | None = None) -> list:
        wanted = range(len(self.shards)) if only is None else sorted(only)
        answers = self.fan_out(method, {i: arguments_of(i) for i in wanted})
        return [answers.get(i) for i in range(len(self.shards))]

    # -- what the index holds ---------------------------------------------------------------------

    @property
    def saved(self) -> bool:
        """Whether every shard is stored as it is (a shard hosted elsewhere is)."""
        return all(getattr(getattr(shard, "data", None), "saved", True) for shard in self.shards)

    @property
    def location(self) -> Path | None:
        """The folder the shards are stored in (each in a numbered folder), when they are local."""
        folder = getattr(self.shards[0], "folder", None) if self.shards else None
        return folder.parent if folder is not None else None

    @property
    def n_passages(self) -> int:
        return self.collection.stats.n_passages

    @property
    def n_articles(self) -> int:
        return self.collection.n_articles

    def __len__(self) -> int:
        return self.n_articles

    def catalog(self, where: Filter | str | None = None) -> list[dict]:
        """One row per article, in the order one index over the corpus lists them (see ``Index.catalog``)."""
        where = as_filter(where)
        where = asking.inside_corpus(where, self.corpus) if where else None
        rows = [row for found in self._call("catalog", lambda i: (where,)) if found for row in found]
        return sorted(rows, key=lambda row: walk_key(row.get("file") or ""))

    def articles(self) -> Iterator[Article]:
        for row in self.catalog():
            yield self.article(row["id"])

    def _owner(self, article_id: str):
        for i, has in enumerate(self._call("has", lambda i: (article_id,))):
            if has:
                return self.shards[i]
        raise ArticleNotFound(f"no article '{article_id}' in this corpus")

    def article(self, article_id: str) -> Article:
        return self._owner(article_id).article(article_id)

    def passages(self, article_id: str) -> list[Passage]:
        return self._owner(article_id).passages(article_id)

    def paragraph(self, article_id: str, number: int) -> Passage:
        return asking.paragraph(self.passages(article_id), article_id, number, lambda: self.article(article_id).text)

    def skipped(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for found in self._call("skipped", lambda i: ()):
            out.update(found or {})
        return out

    # -- search -----------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, max_per_article: int | None = None, context: Sequence[str] = (),
               where: Filter | str | None = None, weights: Weights | None = None) -> Hits:  # fmt: skip
        """``Index.search`` over the shards: the same hits; ``missing_shards`` names shards that could not answer."""
        k, max_per_article = asking.counts(k, max_per_article)
        asked, scope = split_question(question)
        where = as_filter(where)
        scope = asking.inside_corpus(scope & where if where else scope, self.corpus)
        if isinstance(context, str):
            context = [context]
        self.unavailable = set(self._missing_at_open)
        whole = max_per_article == 1 and bool((weights or Weights()).feedback)  # feedback reads whole forward rows
        view = CandidateView(self.collection, scope if scope else None, self._call, whole=whole)
        reading = questions.read(view, asked, context)
        allowed = None
        if scope:
            view.fetch_statistics(reading.terms)
            allowed = np.zeros(1, dtype=bool) if not view.allowed else None
        found = hits.search(view, reading, k, max_per_article, allowed, weights or Weights(),
                            question=question, scope=scope.describe())  # fmt: skip
        found.missing_shards = tuple(sorted(self.unavailable))
        if found.missing_shards:
            log.warning("shard%s %s could not be searched: these hits come from the others",
                        "s" if len(found.missing_shards) > 1 else "", ", ".join(map(str, found.missing_shards)))  # fmt: skip
        return found

    # -- keeping up with the corpus folder ----------------------------------------------------------

    def changes(self, paths=None):
        """Files added, changed or removed since the shards were built (one walk, each shard its part;
        ``paths``: only these can have changed, as file events name them: nothing is walked)."""
        from ..changes import Changes
        from ..corpus import scan

        if paths is not None:
            looked = [os.path.abspath(path) for path in paths]
            found = [c for c in self._call("changes", lambda i: (None, looked)) if c is not None]
        else:
            walk = scan(self.corpus) if self.corpus is not None else None
            found = [c for c in self._call("changes", lambda i: (walk,)) if c is not None]
        names = ("added", "changed", "removed")
        return Changes(*(tuple(sorted(x for c in found for x in getattr(c, name))) for name in names))

    def refresh(self, progress=None, paths=None) -> ShardedIndex:
        """This index when the corpus is unchanged, else the shards refreshed (only those whose files changed;
        ``paths``: see ``changes``)."""
        if self._reopen is None or not self.changes(paths):
            return self
        return self._reopen(progress=progress, changed=None if paths is None else list(paths))
