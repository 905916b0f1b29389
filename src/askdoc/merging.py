"""The index of the corpus files now: unchanged articles kept from the stored index, the others read.

A full build inverts the forward index with a sort of every posting. A refresh need not:
the stored postings are already grouped by term and ascending by passage, unchanged
passages keep their order when renumbered, and new passages come after all of them. So
each term's new posting list is its surviving old postings followed by its new ones,
placed by arithmetic on pointers (``merged``, in O(size)); only the BM25 impacts are recomputed
(the average passage length changed), from the stored term frequencies, with the same formula
a build uses, so the scores equal a clean build's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from . import formats, scoring, timing
from .changes import article_files, files_of, kept_and_read
from .corpus import FoundFile
from .formats import SourceFile, article_id_for, read_articles
from .retrieval.table import pointers, term_max
from .store import IndexData, SkippedFile
from .store.checks import check_forward
from .store.tables import ArticleTable, FileList, StemDict, byte_view

Progress = Callable[[int, int], None]  # (articles done, articles to read)
PASSAGE_ARRAYS = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")


def rebuilt(
    data: IndexData | None,
    files: Sequence[FoundFile],
    scanned: FileList,
    progress: Progress | None,
    again: Iterable[str] = frozenset(),
    spill_to: Path | None = None,
    taken: Iterable[str] = (),
) -> IndexData:
    """The index of ``files``: unchanged articles of ``data`` kept, the others (and ``again``) read.
    ``spill_to``: a folder where the texts read wait in a temporary file rather than in memory (see texts.py);
    ``taken``: ids held elsewhere (by another shard's articles), which an article read gets only as ``own_id`` says."""
    from .analysis import Analyzer  # reading and analysing: only when something must be (re)read
    from .build import Builder

    keep, read = kept_and_read(files, data, again)
    analyzer = Analyzer(data.all_stems() if data is not None else None)
    builder = Builder(analyzer, list(data.vocab) if data is not None else None, spill_to)
    ids = data.ids() if data is not None else []
    kept_ids = [ids[number] for number in keep.tolist()]
    skipped = _read(builder, read, set(kept_ids).union(taken), progress)
    with timing.stage("refresh: arrays, postings"):
        fresh = new = builder.finish()
        if data is not None and len(keep):  # unchanged articles keep their rows and postings
            check_forward(data.arrays["f_term"], len(data.vocab))
            fresh = merged(data, keep, new)
            fresh.articles = [_Lines(data.articles)[number] for number in keep.tolist()] + list(new.articles)
    fresh.readers = formats.VERSION
    fresh.stems = StemDict(analyzer.stems)
    present, reread = {f.rel for f in files}, {f.rel for f in read}
    earlier = data.skipped if data is not None else {}
    fresh.skipped = skipped | {rel: s for rel, s in earlier.items() if rel in present and rel not in reread}
    fresh.files = scanned
    added = fresh.articles[len(kept_ids) :]
    fresh.article_ids = kept_ids + [meta["id"] for meta in added]
    fresh.first_read = len(kept_ids)
    file_numbers = {rel: i for i, rel in enumerate(scanned.rels())}
    kept_files: Sequence[int] = []
    if data is not None and len(keep):
        stored = data.files if data.files is not None else files_of(data)
        kept_files = _file_renumbering(stored, file_numbers)[article_files(data, stored)[keep]]
    fresh.article_files = np.concatenate(
        [np.asarray(kept_files, dtype=np.int32), [file_numbers.get(meta.get("rel", ""), -1) for meta in added]]
    ).astype(np.int32)
    fresh.articles = ArticleTable(fresh.articles)
    if data is not None and data.stored_tables is not None:
        fresh.grown_from = data.stored_tables  # saved by appending to them
    return fresh


def _read(builder, read: list[SourceFile], taken: set[str], progress: Progress | None) -> dict[str, SkippedFile]:
    """Read and analyse the files into the builder (by worker processes when there are many); the files
    that gave no article. ``taken``: the ids of the articles kept, and then of those read."""
    from . import workers

    skipped: dict[str, SkippedFile] = {}
    in_this_process = read
    if len(read) >= workers.PARALLEL_FROM and workers.worker_count() > 1:
        done = 0
        for count, part in workers.parts_or_none(read, builder.analyzer.stems):
            for meta in part["articles"]:
                meta["id"] = own_id(meta["id"], meta["rel"], taken)
            builder.merge(part)
            builder.analyzer.stems.update(part["stems"])
            skipped.update(part["skipped"])
            done += count
            if progress:
                progress(done, len(read))
        in_this_process = read[done:]  # all of them when the workers could not start
    for done, file in enumerate(in_this_process, 1):
        for article in workers.articles_in(file, skipped, read_articles):
            article_id = own_id(article.id, file.rel, taken)
            if article_id != article.id:
                article = dataclasses.replace(article, id=article_id)
            builder.add(article, workers.source_of(file))
        if progress:
            progress(done, len(read))
    return skipped


def own_id(article_id: str, rel: str, taken: set[str]) -> str:
    """An article's id, unless another article has it (notes.html beside notes.pdf): the later one is then
    known by its file name. The id is added to ``taken``."""
    if article_id in taken:
        article_id = article_id.replace(article_id_for(rel), rel, 1)
    taken.add(article_id)
    return article_id


class _Lines:
    """Articles' stored metadata lines, carried over unparsed (dicts where the index was not loaded)."""

    def __init__(self, articles) -> None:
        self.articles = articles

    def __getitem__(self, number: int):
        articles = self.articles
        return articles.raw(number) if isinstance(articles, ArticleTable) else articles[number]


def _file_renumbering(stored: FileList, numbers: dict[str, int]) -> np.ndarray:
    """Old file number -> its number in the new file list (-1 when gone); one more slot for -1 itself."""
    return np.array([numbers.get(rel, -1) for rel in stored.rels()] + [-1], dtype=np.int64)


# -- the stored arrays and the new ones, merged ---------------------------------------------


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
        arrays[ptr] = pointers(np.concatenate([counts[rows], np.diff(b[ptr])]))
    passage_number = (np.cumsum(kept) - 1).astype(np.int32)
    arrays.update(_postings(a, b, kept, passage_number, n_kept, len(new.vocab)))
    n = len(arrays["p_article"])
    total_len = int(arrays["p_len"].sum())
    arrays["post_impact"] = _impacts(arrays, total_len / n if n else 1.0, new.stats.params)
    arrays["t_max"] = term_max(arrays["post_impact"], arrays["t_ptr"], arrays["df"])
    texts, starts, ends = _texts(old, keep, new)
    arrays["a_text_start"], arrays["a_text_end"] = starts, ends
    stats = dataclasses.replace(new.stats, n_passages=n, total_len=total_len)
    return IndexData(arrays, texts, new.vocab, StemDict(), [], stats)


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
    places = pointers(kept_counts)[new_term + 1]  # after the term's surviving postings
    if len(dead):
        old_doc, old_tf = passage_number[old_doc[alive]], np.asarray(a["post_tf"])[alive]
    else:
        old_doc, old_tf = passage_number[old_doc], np.asarray(a["post_tf"])
    post_doc = np.insert(old_doc, places, (np.asarray(b["post_doc"]) + n_kept).astype(np.int32))
    post_tf = np.insert(old_tf, places, np.asarray(b["post_tf"], dtype=np.uint16))
    df = kept_counts + new_counts
    return {"df": df.astype(np.int32), "t_ptr": pointers(df), "post_doc": post_doc, "post_tf": post_tf}


def _impacts(arrays: dict, avgdl: float, params: scoring.Params, chunk: int = 1 << 22) -> np.ndarray:
    """scoring.impacts for every posting, a few million at a time (its float64 temporaries stay small)."""
    post_tf, post_doc, p_len = arrays["post_tf"], arrays["post_doc"], arrays["p_len"]
    out = np.empty(len(post_doc), dtype=np.float32)
    for lo in range(0, len(post_doc), chunk):
        hi = lo + chunk
        out[lo:hi] = scoring.impacts(post_tf[lo:hi], p_len[post_doc[lo:hi]], avgdl, params)
    return out


def _texts(old: IndexData, keep: np.ndarray, new: IndexData) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The kept articles' texts copied in runs of neighbours (not one slice each), then the new ones."""
    start, end = np.asarray(old.arrays["a_text_start"])[keep], np.asarray(old.arrays["a_text_end"])[keep]
    lengths = np.concatenate([end - start, np.asarray(new.arrays["a_text_end"]) - new.arrays["a_text_start"]])
    run_starts = np.flatnonzero(np.concatenate([[True], start[1:] != end[:-1]])) if len(keep) else np.zeros(0, int)
    run_ends = np.append(run_starts[1:], len(keep))
    source = byte_view(old.texts) if len(old.texts) else memoryview(b"")
    pieces = [source[int(start[s]) : int(end[e - 1])] for s, e in zip(run_starts.tolist(), run_ends.tolist())]
    texts = b"".join([*pieces, byte_view(new.texts)])  # straight from the mapped file: one copy, not two
    offsets = pointers(lengths)
    return texts, offsets[:-1], offsets[1:]
