"""What a shard is asked and answers: small values, each picklable (a Ray actor sends them between processes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..filters import Filter


def _by_fields(self):
    """Pickled as a call with its fields: a frozen dataclass's own way costs several times more (50 candidates
    from each of 4 shards took 2 ms more a search over Ray)."""
    return (type(self), tuple(getattr(self, name) for name in self.__slots__))


@dataclass(frozen=True, slots=True)
class ShardSummary:
    number: int
    n_passages: int
    total_len: int
    n_articles: int

    __reduce__ = _by_fields


@dataclass(frozen=True, slots=True)
class TermStatistics:
    """Of each term: the passages and the articles of the shard holding it; the passages ``where`` allows."""

    df: dict[str, int]
    article_df: dict[str, int]
    allowed: int | None = None

    __reduce__ = _by_fields


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
    keys: bool = True  # False: candidates come without their keys (None), which read each one's article metadata

    __reduce__ = _by_fields


@dataclass(frozen=True, slots=True)
class Candidate:
    score: float
    key: tuple | None  # orders equal scores as one index over the corpus would (None: not asked for)
    shard: int
    row: int

    __reduce__ = _by_fields


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
    terms: tuple[str, ...]  # the distinct terms of its passages (or those asked for: ``BundleRequest.terms``)

    def __reduce__(self):
        """Pickled with its columns in one buffer: a dozen small arrays each pickled (as Ray sends an answer)
        cost more than their bytes, ~1 ms for a shard's dozen articles."""
        layout = tuple((name, column.dtype.str, len(column)) for name, column in self.columns.items())
        packed = b"".join(np.ascontiguousarray(column).tobytes() for column in self.columns.values())
        return (_unpacked, (self.shard, self.key, self.rows, self.meta, self.text, layout, packed, self.terms))


def _unpacked(shard: int, key: tuple, rows: tuple, meta: dict, text: str, layout: tuple, packed: bytes,
              terms: tuple) -> ArticleBundle:  # fmt: skip
    """An ``ArticleBundle`` from what its ``__reduce__`` gave (its columns read-only views of one buffer)."""
    columns, at = {}, 0
    for name, dtype, length in layout:
        column = np.frombuffer(packed, dtype=dtype, count=length, offset=at)
        columns[name] = column
        at += column.nbytes
    return ArticleBundle(shard, key, rows, meta, text, columns, terms)


@dataclass(frozen=True, slots=True)
class BundleRequest:
    """Which articles to fetch whole (those of ``rows``), and which terms their forward rows keep.

    ``terms`` None: every term (feedback reads whole forward rows); else only these (the question's:
    all the reranker, the features and the quotes ask a forward row about), numbered into ``terms``:
    no term of the shard's vocabulary is decoded, and a bundle is a fraction of its whole size.
    """

    rows: tuple[int, ...]
    terms: tuple[str, ...] | None = None

    __reduce__ = _by_fields


PASSAGE_COLUMNS = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")
