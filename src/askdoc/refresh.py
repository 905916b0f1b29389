"""Refresh an index in O(size): unchanged articles keep their rows and postings, new ones are appended.

A full build inverts the forward index with a sort of every posting. A refresh need not:
the stored postings are already grouped by term and ascending by passage, unchanged
passages keep their order when renumbered, and new passages come after all of them. So
each term's new posting list is its surviving old postings followed by its new ones,
placed by arithmetic on pointers; only the BM25 impacts are recomputed (the average
passage length changed), from the stored term frequencies, with the same formula a build
uses, so the scores equal a clean build's.
"""

from __future__ import annotations

import numpy as np

from . import scoring
from .store import IndexData

PASSAGE_ARRAYS = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")


def merged(old: IndexData, keep: np.ndarray, new: IndexData) -> IndexData:
    """``old``'s articles numbered in ``keep`` (ascending), then every article of ``new``.

    ``new`` was built with a vocabulary that extends ``old``'s (its first term ids are old's).
    Articles' metadata, ids and files are left to the caller.
    """
    a, b = old.arrays, new.arrays
    kept_article = np.zeros(len(old.articles), dtype=bool)
    kept_article[keep] = True
    article_number = np.cumsum(kept_article) - 1  # old article -> new number (where kept)
    p_article = np.asarray(a["p_article"])
    kept = kept_article[p_article]
    rows = np.flatnonzero(kept)
    n_kept = len(rows)
    arrays = {name: np.concatenate([np.asarray(a[name])[rows], b[name]]) for name in PASSAGE_ARRAYS}
    arrays["p_article"] = np.concatenate([article_number[p_article[rows]], b["p_article"] + len(keep)]).astype(np.int32)
    for ptr, columns in (("s_ptr", ("s_start", "s_end")), ("f_ptr", ("f_term", "f_tf"))):
        counts = np.diff(np.asarray(a[ptr]))
        alive = np.repeat(kept, counts)  # one bool per row: compress, not gather (no int64 index per row)
        for name in columns:
            arrays[name] = np.concatenate([np.asarray(a[name])[alive], b[name]])
        arrays[ptr] = _pointers(np.concatenate([counts[rows], np.diff(b[ptr])]))
    passage_number = (np.cumsum(kept) - 1).astype(np.int32)
    arrays.update(_postings(a, b, kept, passage_number, n_kept, len(new.vocab)))
    n = len(arrays["p_article"])
    total_len = int(arrays["p_len"].sum())
    params = scoring.Params(new.stats["k1"], new.stats["b"], new.stats["epsilon"])
    arrays["post_impact"] = _impacts(arrays, total_len / n if n else 1.0, params)
    arrays["t_max"] = _term_max(arrays["post_impact"], arrays["t_ptr"], arrays["df"])
    texts, starts, ends = _texts(old, keep, new)
    arrays["a_text_start"], arrays["a_text_end"] = starts, ends
    stats = dict(new.stats, n_passages=n, total_len=total_len)
    return IndexData(arrays, texts, new.vocab, {}, [], stats)


def _postings(a, b, kept: np.ndarray, passage_number: np.ndarray, n_kept: int, n_terms: int) -> dict:
    """Each term's surviving old postings (renumbered), then its postings in the new passages.

    The surviving postings are the old arrays compressed (they stay grouped by term, ascending);
    the new ones, few, are inserted after each term's run in one pass (np.insert).
    """
    old_doc = np.asarray(a["post_doc"])
    alive = kept[old_doc]
    dead = np.flatnonzero(~alive)  # postings of removed passages: few (an edited article's)
    old_t_ptr = np.asarray(a["t_ptr"])
    dead_terms = np.searchsorted(old_t_ptr, dead, side="right") - 1
    kept_counts = np.zeros(n_terms, dtype=np.int64)
    kept_counts[: len(old_t_ptr) - 1] = np.asarray(a["df"]) - np.bincount(dead_terms, minlength=len(old_t_ptr) - 1)
    new_counts = np.asarray(b["df"], dtype=np.int64)
    new_term = np.repeat(np.arange(n_terms, dtype=np.int64), new_counts)
    places = _pointers(kept_counts)[new_term + 1]  # after the term's surviving postings
    if len(dead):
        old_doc, old_tf = passage_number[old_doc[alive]], np.asarray(a["post_tf"])[alive]
    else:
        old_doc, old_tf = passage_number[old_doc], np.asarray(a["post_tf"])
    post_doc = np.insert(old_doc, places, (np.asarray(b["post_doc"]) + n_kept).astype(np.int32))
    post_tf = np.insert(old_tf, places, np.asarray(b["post_tf"], dtype=np.uint16))
    df = kept_counts + new_counts
    return {"df": df.astype(np.int32), "t_ptr": _pointers(df), "post_doc": post_doc, "post_tf": post_tf}


def _impacts(arrays: dict, avgdl: float, params: scoring.Params, chunk: int = 1 << 22) -> np.ndarray:
    """scoring.impacts for every posting, a few million at a time (its float64 temporaries stay small)."""
    post_tf, post_doc, p_len = arrays["post_tf"], arrays["post_doc"], arrays["p_len"]
    out = np.empty(len(post_doc), dtype=np.float32)
    for lo in range(0, len(post_doc), chunk):
        hi = lo + chunk
        out[lo:hi] = scoring.impacts(post_tf[lo:hi], p_len[post_doc[lo:hi]], avgdl, params)
    return out


def _term_max(impact: np.ndarray, t_ptr: np.ndarray, df: np.ndarray) -> np.ndarray:
    term_max = np.zeros(len(df), dtype=np.float32)
    present = df > 0
    if present.any():
        term_max[present] = np.maximum.reduceat(impact, t_ptr[:-1][present])
    return term_max


def _texts(old: IndexData, keep: np.ndarray, new: IndexData) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The kept articles' texts copied in runs of neighbours (not one slice each), then the new ones."""
    start, end = np.asarray(old.arrays["a_text_start"])[keep], np.asarray(old.arrays["a_text_end"])[keep]
    lengths = np.concatenate([end - start, np.asarray(new.arrays["a_text_end"]) - new.arrays["a_text_start"]])
    run_starts = np.flatnonzero(np.concatenate([[True], start[1:] != end[:-1]])) if len(keep) else np.zeros(0, int)
    run_ends = np.append(run_starts[1:], len(keep))
    source = memoryview(old.texts) if len(old.texts) else memoryview(b"")
    pieces = [source[int(start[s]) : int(end[e - 1])] for s, e in zip(run_starts.tolist(), run_ends.tolist())]
    texts = b"".join([*pieces, new.texts])  # straight from the mapped file: one copy, not two
    offsets = _pointers(lengths)
    return texts, offsets[:-1], offsets[1:]


def _pointers(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out
