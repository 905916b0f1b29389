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
        index, counts = _ragged_rows(a[ptr], rows)
        for name in columns:
            arrays[name] = np.concatenate([np.asarray(a[name])[index], b[name]])
        arrays[ptr] = _pointers(np.concatenate([counts, np.diff(b[ptr])]))
    n_terms = len(new.vocab)
    passage_number = np.cumsum(kept) - 1
    arrays.update(_postings(a, b, kept, passage_number, n_kept, n_terms))
    n = len(arrays["p_article"])
    total_len = int(arrays["p_len"].sum())
    params = scoring.Params(new.stats["k1"], new.stats["b"], new.stats["epsilon"])
    avgdl = total_len / n if n else 1.0
    impact = scoring.impacts(arrays["post_tf"], arrays["p_len"][arrays["post_doc"]], avgdl, params)
    arrays["post_impact"] = impact.astype(np.float32)
    arrays["t_max"] = _term_max(arrays["post_impact"], arrays["t_ptr"], arrays["df"])
    texts, starts, ends = _texts(old, keep, new)
    arrays["a_text_start"], arrays["a_text_end"] = starts, ends
    stats = dict(new.stats, n_passages=n, total_len=total_len)
    return IndexData(arrays, texts, new.vocab, {}, [], stats)


def _postings(a, b, kept: np.ndarray, passage_number: np.ndarray, n_kept: int, n_terms: int) -> dict:
    """Each term's surviving old postings (renumbered), then its postings in the new passages."""
    old_df = np.asarray(a["df"])
    old_doc = np.asarray(a["post_doc"])
    alive = kept[old_doc]
    old_term = np.repeat(np.arange(len(old_df), dtype=np.int32), old_df)[alive]
    old_doc = passage_number[old_doc[alive]].astype(np.int32)
    old_tf = np.asarray(a["post_tf"])[alive]
    old_counts = np.bincount(old_term, minlength=n_terms)
    new_counts = np.asarray(b["df"], dtype=np.int64)
    df = old_counts + new_counts
    t_ptr = _pointers(df)
    post_doc = np.empty(int(t_ptr[-1]), dtype=np.int32)
    post_tf = np.empty(int(t_ptr[-1]), dtype=np.uint16)
    # old postings are grouped by term already: each keeps its rank within its term
    where = t_ptr[old_term] + np.arange(len(old_term)) - _pointers(old_counts)[old_term]
    post_doc[where], post_tf[where] = old_doc, old_tf
    new_term = np.repeat(np.arange(n_terms, dtype=np.int64), new_counts)
    where = t_ptr[new_term] + old_counts[new_term] + np.arange(len(new_term)) - np.asarray(b["t_ptr"])[new_term]
    post_doc[where], post_tf[where] = np.asarray(b["post_doc"]) + n_kept, b["post_tf"]
    return {"df": df.astype(np.int32), "t_ptr": t_ptr, "post_doc": post_doc, "post_tf": post_tf}


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
    pieces = [old.texts[int(start[s]) : int(end[e - 1])] for s, e in zip(run_starts.tolist(), run_ends.tolist())]
    texts = b"".join([*(bytes(piece) for piece in pieces), bytes(new.texts)])
    offsets = _pointers(lengths)
    return texts, offsets[:-1], offsets[1:]


def _ragged_rows(ptr, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices of the given passages' rows in a CSR-style column, and their counts."""
    ptr = np.asarray(ptr)
    starts, counts = ptr[rows], ptr[rows + 1] - ptr[rows]
    index = np.repeat(starts - _pointers(counts)[:-1], counts) + np.arange(int(counts.sum()))
    return index, counts


def _pointers(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out
