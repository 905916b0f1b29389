"""The checks a stored index passes at load time, so that a damaged or tampered one is rebuilt, never trusted.

They read the memory-mapped arrays a chunk of rows at a time: the temporaries stay a few
hundred KB, which the C heap hands back, instead of tens of MB that it keeps (a loaded index
would stay that much larger). What they read is released afterwards (``files.release``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..errors import AskdocError

if TYPE_CHECKING:
    from .data import IndexData
    from .tables import ArticleTable, FileList, Packed, StemTable, Vocabulary

SAMPLED_ARTICLES = 64  # metadata lines parsed at load time to tell a damaged table (all: ~0.3 s at 1M)
CHECK_ROWS = 1 << 15  # rows checked at a time


class CorruptIndex(Exception):
    """The stored index cannot be trusted; the caller rebuilds it."""


class OlderIndex(CorruptIndex):
    """The stored index was written by an older askdoc (an earlier index format): rebuilt, not a fault."""


class IndexDamaged(AskdocError):
    """A loaded index found damage while answering (an article's text failing its checksum): the answer
    is refused rather than quote what no file says, and the next run rebuilds the index."""


# BM25's parameters as askdoc writes them (scoring.K1, B, EPSILON), with room for tuning; anything else
# (k1 = -50, an impact of 1e30) is damage. An impact is BM25's tf part, tf (k1 + 1) / (tf + K) < k1 + 1.
PARAMETER_RANGES = {"k1": (0.0, 10.0), "b": (0.0, 1.0), "epsilon": (0.0, 1.0)}


def check_pointers(ptr: np.ndarray, blob_size: int, name: str) -> None:
    if not len(ptr) or ptr[0] != 0 or int(ptr[-1]) != blob_size + (1 if len(ptr) > 1 else 0) or not _grows(ptr, 1):
        raise CorruptIndex(f"the offsets into {name} do not fit it")


def _chunks(n: int) -> Iterator[slice]:
    return (slice(lo, min(lo + CHECK_ROWS, n)) for lo in range(0, n, CHECK_ROWS))


def _grows(ptr: np.ndarray, by_at_least: int = 0) -> bool:
    """Whether each pointer is at least ``by_at_least`` past the one before (chunks overlap by one)."""
    return not any((np.diff(ptr[rows.start : rows.stop + 1]) < by_at_least).any() for rows in _chunks(len(ptr) - 1))


def _any(n: int, bad: Callable[[slice], np.ndarray]) -> bool:
    """Whether ``bad(rows)`` holds for any row, asked a chunk of rows at a time."""
    return any(bad(rows).any() for rows in _chunks(n))


def check_shapes(data: IndexData) -> None:
    """Cheap structural checks, so that a tampered index is rebuilt rather than trusted."""
    a = data.arrays
    n, v, n_articles = len(a["p_article"]), len(data.vocab), len(data.articles)
    same_length = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")
    checks = [
        all(len(a[name]) == n for name in same_length),
        len(a["s_ptr"]) == n + 1 and len(a["f_ptr"]) == n + 1,
        len(a["t_ptr"]) == v + 1 and len(a["df"]) == v == len(a["t_max"]),
        len(a["a_text_start"]) == n_articles == len(a["a_text_end"]),
        int(a["t_ptr"][-1]) == len(a["post_doc"]) == len(a["post_impact"]) == len(a["post_tf"]) if v else True,
        int(a["f_ptr"][-1]) == len(a["f_term"]) == len(a["f_tf"]) if n else True,
        int(a["s_ptr"][-1]) == len(a["s_start"]) == len(a["s_end"]) if n else True,
        data.stats.n_passages == n,
    ]
    if n:
        checks.append(int(a["p_article"].min()) >= 0 and int(a["p_article"].max()) < n_articles)
    if len(a["post_doc"]):
        checks.append(int(a["post_doc"].min()) >= 0 and int(a["post_doc"].max()) < n)
    if n_articles:
        checks.append(int(a["a_text_end"].max()) <= len(data.texts))
    if not all(checks):
        raise CorruptIndex("its arrays do not fit together")


def check_tables(
    vocabulary: Vocabulary,
    stems: StemTable,
    articles: ArticleTable,
    article_ids: Packed,
    files: FileList,
    article_files: np.ndarray,
) -> None:
    """The tables fit the arrays: a term order that is a permutation, files that exist, sampled metadata."""
    v, n_articles = len(vocabulary), len(articles)
    order = np.asarray(vocabulary.order)
    if len(order) != v or (v and (order.min() < 0 or order.max() >= v)):
        raise CorruptIndex("its term order is not a permutation of the vocabulary")
    seen = np.zeros(v, dtype=bool)
    for rows in _chunks(v):
        seen[order[rows]] = True
    if not seen.all():  # v ids in range, each seen: a permutation
        raise CorruptIndex("its term order is not a permutation of the vocabulary")
    if len(stems.pairs) % 2:
        raise CorruptIndex("its stem table does not pair words with stems")
    article_files = np.asarray(article_files)
    blob = np.frombuffer(files.blob, dtype=np.uint8)
    separators = sum(int(np.count_nonzero(blob[rows] == 0)) for rows in _chunks(len(blob)))
    if len(files.mtimes) != len(files) or (len(files) and separators != len(files) - 1):
        raise CorruptIndex("its file list does not fit together")
    if len(article_ids) != n_articles:
        raise CorruptIndex("its article ids do not fit its articles")
    if len(article_files) != n_articles or (
        n_articles and (article_files.min() < -1 or article_files.max() >= len(files))
    ):
        raise CorruptIndex("its articles name files it does not list")
    for number in {*range(0, n_articles, max(1, n_articles // SAMPLED_ARTICLES)), n_articles - 1} - {-1}:
        try:
            raw = articles.raw(number)
            meta = json.loads(raw) if isinstance(raw, bytes) else raw
        except ValueError:
            meta = None
        if not (
            isinstance(meta, dict) and meta.get("id") == article_ids[number] and isinstance(meta.get("title"), str)
        ):
            raise CorruptIndex("an article's metadata is damaged")


def check_values(data: IndexData, impacts: bool = True) -> None:
    """Spans inside their texts, pointers that only grow, impacts in range (O(passages), a chunk of
    rows at a time; every posting's impact only with ``impacts``: as many pages as the postings)."""
    a, n_articles = data.arrays, len(data.articles)
    text_start, text_end = a["a_text_start"], a["a_text_end"]  # bytes: never fewer than the characters spans count
    if _any(n_articles, lambda rows: (text_start[rows] < 0) | (text_end[rows] < text_start[rows])):
        raise CorruptIndex("its article texts overlap or run backwards")
    for name in ("s_ptr", "f_ptr", "t_ptr"):
        if a[name][0] != 0 or not _grows(a[name]):
            raise CorruptIndex(f"{name} runs backwards")
    t_ptr, df = a["t_ptr"], a["df"]
    if _any(len(df), lambda rows: np.diff(t_ptr[rows.start : rows.stop + 1]) != df[rows]):
        raise CorruptIndex("document frequencies do not match the postings")
    if _any(len(a["p_article"]), lambda rows: _outside(a, rows)):
        raise CorruptIndex("a passage span lies outside its article")
    s_start, s_end = a["s_start"], a["s_end"]
    if _any(len(s_start), lambda rows: (s_start[rows] < 0) | (s_start[rows] > s_end[rows])):
        raise CorruptIndex("a sentence span runs backwards")
    bound = float(data.stats.k1) + 1.0
    t_max = a["t_max"]
    if _any(len(t_max), lambda rows: ~((t_max[rows] >= 0) & (t_max[rows] <= bound))):  # NaN fails both
        raise CorruptIndex("a term's largest impact is out of range")
    impact = a["post_impact"]
    if impacts and _any(len(impact), lambda rows: ~((impact[rows] >= 0) & (impact[rows] <= bound))):
        raise CorruptIndex("an impact is out of range")


def check_parameters(stats: dict) -> None:
    """BM25's parameters and the collection's counts are numbers in their ranges."""
    for key, (low, high) in PARAMETER_RANGES.items():
        value = stats.get(key, low)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise CorruptIndex(f"its BM25 parameter {key} = {value!r} is out of range")
    found = stats.get("impact_avgdl", 1.0)  # a shard's, when its impacts were kept through a refresh
    if isinstance(found, bool) or not isinstance(found, (int, float)) or not 0 < found < float("inf"):
        raise CorruptIndex(f"its impact_avgdl = {found!r} is not a length")
    for key in ("n_passages", "total_len"):
        value = stats.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CorruptIndex(f"its {key} = {value!r} is not a count")


def _outside(a: dict[str, np.ndarray], rows: slice) -> np.ndarray:
    """Which of these passages (or their headings) lie outside their article's text."""
    article = a["p_article"][rows]
    limit = a["a_text_end"][article] - a["a_text_start"][article]
    start, end = a["p_start"][rows], a["p_end"][rows]
    h_start, h_end = a["p_heading_start"][rows], a["p_heading_end"][rows]
    no_heading = (h_start == -1) & (h_end == -1)
    heading_ok = no_heading | ((h_start >= 0) & (h_start <= h_end) & (h_end <= limit))
    return (start < 0) | (start > end) | (end > limit) | ~heading_ok


def check_forward(f_term: np.ndarray, n_terms: int) -> None:
    """The forward index's term ids lie in the vocabulary: checked where it is read (a refresh, rank-bm25),
    not at load time, where it would touch as many pages as the postings for nothing."""
    f_term = np.asarray(f_term)
    if len(f_term) and (int(f_term.min()) < 0 or int(f_term.max()) >= n_terms):
        raise CorruptIndex("its forward index names terms it does not have")
