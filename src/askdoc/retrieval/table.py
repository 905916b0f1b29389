"""The index's passages as a typed table over its arrays, and the collection statistics BM25 needs.

An index is a set of flat numpy arrays (``PASSAGE_ARRAYS`` names each with its dtype: the one
place they are declared; the store saves them, a build grows them). ``PassageTable`` reads them
by meaning (``article_of(row)``, ``span(row)``, ``forward(row)``, ``postings(term)``) rather than
by string key, for one whole index or for one shard of it. ``Stats`` are the numbers of the
collection BM25 reads beside the arrays: a shard is handed the whole collection's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from ..scoring import EPSILON, K1, B, Params

# name -> dtype; every array an index holds (its tables' own arrays are the store's, see store/tables.py)
PASSAGE_ARRAYS: dict[str, str] = {
    "p_article": "int32",  # passage -> article number
    "p_start": "int64",  # passage span in the article text
    "p_end": "int64",
    "p_paragraph": "int32",
    "p_heading_start": "int64",  # span of the section heading, -1 when none
    "p_heading_end": "int64",
    "p_len": "int32",  # passage length in terms (BM25's dl)
    "s_ptr": "int64",  # passage -> its sentences in s_start/s_end
    "s_start": "int64",
    "s_end": "int64",
    "f_ptr": "int64",  # forward index: passage -> (term, tf) rows
    "f_term": "int32",
    "f_tf": "uint16",
    "df": "int32",  # collection statistics, apart from the postings
    "t_ptr": "int64",  # postings: term -> passages sorted by passage number
    "post_doc": "int32",
    "post_tf": "uint16",  # each posting's term frequency: a refresh recomputes impacts from it
    "post_impact": "float32",
    "t_max": "float32",  # each term's largest impact: an upper bound for pruning
    "a_text_start": "int64",  # article -> its UTF-8 text in texts.bin
    "a_text_end": "int64",
}


@dataclass(frozen=True, slots=True)
class Stats:
    """What BM25 reads of the whole collection besides the postings: its size and parameters (stored by name)."""

    n_passages: int = 0
    total_len: int = 0  # the passages' lengths in terms, summed (avgdl = total_len / n_passages)
    k1: float = K1
    b: float = B
    epsilon: float = EPSILON

    @property
    def params(self) -> Params:
        return Params(self.k1, self.b, self.epsilon)

    @property
    def avgdl(self) -> float:
        """The average passage length, at least 1 (what the reranker normalises lengths by)."""
        return max(float(self.total_len) / max(self.n_passages, 1), 1.0)

    def as_dict(self) -> dict[str, int | float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def of(cls, stored: Mapping[str, object]) -> Stats:
        """The statistics a dict holds by name (a field it lacks takes its default)."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in stored.items() if key in names})  # type: ignore[arg-type]


class PassageTable:
    """The passages of an index (or of one shard) and their postings, read by meaning."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.article = arrays["p_article"]  # passage -> article number
        self.starts, self.ends = arrays["p_start"], arrays["p_end"]
        self.paragraphs = arrays["p_paragraph"]
        self.heading_starts, self.heading_ends = arrays["p_heading_start"], arrays["p_heading_end"]
        self.lengths = arrays["p_len"]
        self.sentence_ptr, self.sentence_starts, self.sentence_ends = (
            arrays["s_ptr"],
            arrays["s_start"],
            arrays["s_end"],
        )
        self.forward_ptr, self.forward_terms, self.forward_tfs = arrays["f_ptr"], arrays["f_term"], arrays["f_tf"]
        self.df, self.term_ptr, self.term_max = arrays["df"], arrays["t_ptr"], arrays["t_max"]
        self.post_doc, self.post_tf, self.post_impact = arrays["post_doc"], arrays["post_tf"], arrays["post_impact"]

    def __len__(self) -> int:
        return len(self.article)

    def article_of(self, row: int) -> int:
        return int(self.article[row])

    def span(self, row: int) -> tuple[int, int]:
        """Where a passage is in its article's text."""
        return int(self.starts[row]), int(self.ends[row])

    def heading(self, row: int) -> tuple[int, int] | None:
        """Where its section heading is in its article's text, if it has one."""
        start = int(self.heading_starts[row])
        return (start, int(self.heading_ends[row])) if start >= 0 else None

    def paragraph(self, row: int) -> int:
        return int(self.paragraphs[row])

    def length(self, row: int) -> int:
        """Its length in terms (BM25's dl)."""
        return int(self.lengths[row])

    def sentences(self, row: int) -> list[tuple[int, int]]:
        """Its sentences' spans; the passage itself when it has none stored."""
        lo, hi = int(self.sentence_ptr[row]), int(self.sentence_ptr[row + 1])
        spans = list(zip(self.sentence_starts[lo:hi].tolist(), self.sentence_ends[lo:hi].tolist()))
        return spans or [self.span(row)]

    def forward(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The term ids a passage holds and how often each occurs (its forward index rows)."""
        lo, hi = int(self.forward_ptr[row]), int(self.forward_ptr[row + 1])
        return np.asarray(self.forward_terms[lo:hi]), np.asarray(self.forward_tfs[lo:hi])

    def posting_range(self, term_id: int) -> tuple[int, int]:
        return int(self.term_ptr[term_id]), int(self.term_ptr[term_id + 1])

    def postings(self, term_id: int) -> np.ndarray:
        """The passages (ascending) that hold a term."""
        lo, hi = self.posting_range(term_id)
        return np.asarray(self.post_doc[lo:hi])

    def lead_row(self, row: int) -> int:
        """The first passage of a passage's article (an article's passages are consecutive rows)."""
        article = self.article[row]
        while row > 0 and self.article[row - 1] == article:
            row -= 1
        return row

    def rows_of(self, article: int) -> np.ndarray:
        """The passages of an article, in order."""
        return np.flatnonzero(np.asarray(self.article) == article)


def pointers(counts: np.ndarray) -> np.ndarray:
    """Where each run starts, and where the last ends, for runs of these lengths (``ptr`` arrays)."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def term_max(impact: np.ndarray, t_ptr: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Each term's largest impact: its upper bound for pruning (0 for a term no passage holds)."""
    out = np.zeros(len(df), dtype=np.float32)
    present = df > 0
    if present.any():
        out[present] = np.maximum.reduceat(impact, t_ptr[:-1][present])
    return out
