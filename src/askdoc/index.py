"""Index: the library's face. Open or build an index, search it, read its articles and passages.

The search itself is the engine's (``retrieval``: BM25 over a typed table of the index's
arrays, reranked, duplicates left out); ``Index`` reads a caller's arguments, turns filters into
the passages they allow, and hands back ``Hits``. Opening a corpus folder is ``opening``'s.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import cast

import numpy as np

from . import ENGINES, asking, ranking
from .analysis import Analyzer
from .changes import Changes, changes_since
from .errors import ArticleNotFound
from .filters import Filter, as_filter, split_question
from .model import Article, Hits, Passage, Quote
from .ranking import Weights
from .retrieval import hits, questions
from .retrieval.ranked import ranked
from .retrieval.retriever import Retriever, check_engine
from .retrieval.shelf import Shelf
from .retrieval.table import PassageTable, Stats
from .store import IndexData

FILTER_MASKS_KEPT = 8  # passage masks of the most recent filters kept (a chat repeats its filter)


class Index:
    """A searchable set of articles: BM25 over their passages, hits quoted verbatim."""

    def __init__(
        self,
        data: IndexData,
        analyzer: Analyzer | None = None,
        *,
        engine: str = "askdoc",
        corpus: Path | None = None,
        location: Path | None = None,
        reopen: Callable[..., Index] | None = None,
    ) -> None:
        """``reopen``: how to open the corpus folder again when it changed (``opening`` hands it over)."""
        self.data = data
        if analyzer is None:  # a stored stem table is looked up word by word, not copied
            analyzer = Analyzer()
            analyzer.stems = data.stems.working_copy()
        self.analyzer = analyzer
        self.engine = check_engine(engine)
        self.corpus = corpus
        self.location = location  # the folder the index is stored in, if any
        self.table = PassageTable(data.arrays)
        self.shelf = Shelf(self.table, data.articles, data.article_text)
        self.retriever = Retriever(self.table, data.stats, data.vocab, analyzer, self.shelf, engine=engine)
        self._filter_masks: dict[Filter, np.ndarray] = {}
        self._reopen = reopen

    @classmethod
    def from_articles(cls, articles: Iterable[Article], *, engine: str = "askdoc") -> Index:
        """An in-memory index of the given articles (nothing is written to disk)."""
        from .build import build

        check_engine(engine)
        analyzer = Analyzer()
        data = build(_unique_ids(articles), analyzer)
        return cls(data, analyzer, engine=engine)

    # -- what the index holds -------------------------------------------------------------

    @property
    def n_passages(self) -> int:
        """How many passages the index holds (a long paragraph may give several)."""
        return self.data.n_passages

    @property
    def n_articles(self) -> int:
        """How many articles the index holds."""
        return len(self.data.articles)

    @property
    def stats(self) -> Stats:
        """The collection's statistics (passages, their total length in terms, BM25's parameters)."""
        return self.data.stats

    @property
    def saved(self) -> bool:
        """Whether the index is stored as it is (False: answering from memory, its folder unwritable)."""
        return self.data.saved

    def __len__(self) -> int:
        return self.n_articles

    def articles(self) -> Iterator[Article]:
        """Every article of the index, in the order it was built (each read when reached)."""
        for number in range(self.n_articles):
            yield self.shelf.article(number)

    def article(self, article_id: str) -> Article:
        """The article with this id (``"business/114"``); ``ArticleNotFound`` when there is none."""
        return self.shelf.article(self._number(article_id))

    def paragraph(self, article_id: str, number: int) -> Passage:
        """The whole of a paragraph of an article: a long one is cut into several passages, joined here."""
        return asking.paragraph(self.passages(article_id), article_id, number, lambda: self.article(article_id).text)

    def passages(self, article_id: str) -> list[Passage]:
        """The article's passages in order, each with its paragraph number and span in its text."""
        return [self.shelf.passage(int(row)) for row in self.table.rows_of(self._number(article_id))]

    def catalog(self, where: Filter | str | None = None) -> list[dict]:
        """One row per article (id, title, date, source, url, author, file, passages), without reading texts."""
        where = as_filter(where)
        where = asking.inside_corpus(where, self.corpus) if where else None
        counts = np.bincount(np.asarray(self.table.article), minlength=self.n_articles).tolist()
        keys = ("id", "title", "date", "source", "url", "author")
        return [
            {**{key: meta.get(key) for key in keys}, "file": meta.get("rel"), "passages": counts[number]}
            for number, meta in enumerate(self.data.articles)
            if where is None or where.allows(meta)
        ]

    def skipped(self) -> dict[str, str]:
        """Files of the corpus that gave no article, with the reason (a scanned PDF, an empty file, ...)."""
        return {rel: skipped.reason for rel, skipped in self.data.skipped.items()}

    def _number(self, article_id: str) -> int:
        number = self._article_numbers.get(article_id)
        if number is None:
            raise ArticleNotFound(f"no article '{article_id}' in this corpus")
        return number

    @cached_property
    def _article_numbers(self) -> dict[str, int]:
        return {article_id: number for number, article_id in enumerate(self.data.ids())}

    # -- keeping up with the corpus folder ---------------------------------------------------

    def changes(self, paths: Iterable[str | os.PathLike] | None = None) -> Changes:
        """Files added, changed or removed in the corpus folder since this index was built (cheap: stat only).

        ``paths``: only these files or folders can have changed (file events): each is looked at, not the
        folder (absolute, or relative to the current folder as any path).
        """
        return changes_since(self, None if paths is None else [os.path.abspath(path) for path in paths])

    def refresh(self, progress=None, paths: Iterable[str | os.PathLike] | None = None) -> Index:
        """This index when the corpus is unchanged, else a new one refreshed incrementally (``paths``: see changes).

        An index that could not be saved is refreshed from a walk: what is stored lacks its earlier refreshes.
        """
        changes = self.changes(paths if self.saved else None)
        if not changes or self._reopen is None or self.corpus is None:
            return self
        looked = [os.path.join(self.corpus, rel) for rel in changes.rels()] if self.saved else None  # no second walk
        return self._reopen(progress=progress, changed=looked)

    def watch(self, **options) -> Iterator[Index]:
        """The index refreshed each time its corpus folder changes, as the OS tells (see askdoc.watch)."""
        from .watch import watch

        return watch(self, **options)

    # -- search -------------------------------------------------------------------------------

    def search(
        self,
        question: str,
        k: int = 5,
        max_per_article: int | None = None,
        context: Sequence[str] = (),
        where: Filter | str | None = None,
        weights: Weights | None = None,
    ) -> Hits:
        """The k best passages for a question, each with its quote and citation.

        ``max_per_article`` caps how many hits one article may give; a passage that repeats an
        earlier hit's text word for word (an article saved twice) is left out. ``context`` holds the
        earlier questions of a conversation, newest last: a follow-up such as "what did he
        warn?" or "and Putin?" borrows their names or words (see ``question.borrowed_text``).
        When none of the question's terms occurs in the corpus the result is empty and
        ``missing`` says why; when names or numbers it asks about are missing and the best
        passage holds less than half of the question's weight (the missing ones weighing as
        the rarest terms), the hits are kept but ``weak`` is set: they match only its common
        part (see ``ranking.coverage``), and ``weak_words`` are the missing words worth naming
        (names, numbers, and words outside the ~19,000 common English words askdoc knows). With ``max_per_article=1``
        the search ranks articles and widens the question by pseudo-relevance feedback
        (see ``feedback``); the quotes still answer the question's own words. ``where`` (a ``Filter``, or filter words as a string) and filter words in the
        question (``site:bbc.co.uk after:2024-09-01 in:folder``) limit the articles answers
        may come from. ``weights``: the reranker's settings (``ranking.Weights``; benchmarks turn levers off).
        """
        k, max_per_article = asking.counts(k, max_per_article)
        asked, scope = split_question(question)
        where = as_filter(where)
        scope = asking.inside_corpus(scope & where if where else scope, self.corpus)
        if isinstance(context, str):  # one earlier question, not its letters
            context = [context]
        reading = questions.read(self.retriever, asked, context)
        allowed = self._allowed_passages(scope) if scope else None  # the filter applies before top-k
        return hits.search(self.retriever, reading, k, max_per_article, allowed, weights or Weights(),
                           question=question, scope=scope.describe())  # fmt: skip

    def candidates(self, question: str, depth: int = ranking.RERANK_DEPTH, weights: Weights | None = None):
        """What the reranker reads for a question: its query, BM25's best rows and their features (for training)."""
        read = questions.alone(self.retriever, question)
        if read is None:
            return None
        query, _ = read
        top, scores = self.retriever.best(query.terms, depth)
        learning = dataclasses.replace(weights or Weights(), learned=True)
        _, _, evidence = ranking.rerank(self.retriever, query, top, scores, learning)
        rows = top.tolist()
        features = [evidence[row].features for row in rows]  # (set whenever the learned order is asked for)
        return query, rows, scores.tolist(), np.vstack(cast(list[np.ndarray], features))

    def answered_features(self, question: str, exclude: Sequence[str] = ()) -> np.ndarray | None:
        """What the answered check reads for a question, with some articles left out (for training)."""
        from .features import answered_features

        allowed, unknown = None, frozenset[str]()
        if exclude:  # as if the archive lacked those articles: terms only they hold are unknown too
            numbers = [self._article_numbers[i] for i in exclude if i in self._article_numbers]
            allowed = ~np.isin(np.asarray(self.table.article), numbers)
            terms = self.retriever.analyzer.terms(question)
            unknown = frozenset(t for t in terms if not self.retriever.holding_all({t})[allowed].any())
        read = questions.alone(self.retriever, question, unknown)
        if read is None:
            return None
        query, missing_weight = read
        rows, evidence, _ = ranked(self.retriever, query, 1, None, allowed)
        return answered_features(self.retriever, query, rows[0][0], evidence, missing_weight) if rows else None

    def passage_text(self, row: int) -> str:
        """A passage's text, by its row (what training labels)."""
        return self.retriever.passage_text(row)

    def _allowed_passages(self, scope: Filter) -> np.ndarray:
        """One bool per passage: whether its article passes the filter (kept for the last few filters)."""
        mask = self._filter_masks.get(scope)
        if mask is None:
            if len(self._filter_masks) >= FILTER_MASKS_KEPT:
                self._filter_masks.clear()
            allowed = scope.article_mask(self.data.articles)
            mask = self._filter_masks[scope] = allowed[np.asarray(self.table.article)]
        return mask


def _unique_ids(articles: Iterable[Article]) -> Iterator[Article]:
    """The articles, or a ValueError at the second of two with one id (a citation must name one article)."""
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise ValueError(f"two articles have the id {article.id!r}: each needs its own")
        seen.add(article.id)
        yield article


__all__ = ["Index", "ENGINES", "Quote"]
