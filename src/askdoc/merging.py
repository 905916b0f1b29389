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
from .store.files import crc_of_texts
from .store.tables import ArticleTable, FileList, StemDict, TextParts, byte_view

Progress = Callable[[int, int], None]  # (articles done, articles to read)
PASSAGE_ARRAYS = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")


def rebuilt(
    data: IndexData | None,
    files: Sequence[FoundFile],
    scanned: FileList,
    progress: Progress | None,
    again: Iterable[str] = frozenset(),
    spill_to: Path | None = None,
    keep_impacts: bool = False,
    taken: Iterable[str] = (),
) -> IndexData:
    """The index of ``files``: unchanged articles of ``data`` kept, the others (and ``again``) read.
    ``spill_to``: a folder where the texts read wait in a temporary file rather than in memory (see texts.py).
    ``keep_impacts``: the stored impacts are never scored with (a shard's: a sharded search computes them
    from ``post_tf`` with the whole collection's average length), so the kept postings keep theirs and the
    new ones get theirs with the same average length (``impact_avgdl``), rather than all recomputed.
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
            impact_avgdl = data.impacts_avgdl() if keep_impacts else None
            fresh = merged(data, keep, new, impact_avgdl)
            fresh.impact_avgdl = impact_avgdl
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


def merged(old: IndexData, keep: np.ndarray, new: IndexData, impact_avgdl: float | None = None) -> IndexData:
    """``old``'s articles numbered in ``keep`` (ascending), then every article of ``new``.

    ``new`` was built with a vocabulary that extends ``old``'s (its first term ids are old's).
    Articles' metadata, ids and files are left to the caller. ``impact_avgdl``: the average length
    ``old``'s impacts were computed with, kept for its surviving postings and used for the new ones
    (a shard's, see ``rebuilt``); None: every impact computed again with the new average length.
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
    postings, alive, places = _postings(a, b, kept, passage_number, n_kept, len(new.vocab))
    arrays.update(postings)
    n = len(arrays["p_article"])
    total_len = int(arrays["p_len"].sum())
    if impact_avgdl is None:
        arrays["post_impact"] = _impacts(arrays, total_len / n if n else 1.0, new.stats.params)
    else:
        old_impact = np.asarray(a["post_impact"])
        added = scoring.impacts(np.asarray(b["post_tf"]), np.asarray(b["p_len"])[np.asarray(b["post_doc"])],
                                impact_avgdl, new.stats.params).astype(np.float32)  # fmt: skip
        arrays["post_impact"] = np.insert(old_impact if alive is None else old_impact[alive], places, added)
    arrays["t_max"] = term_max(arrays["post_impact"], arrays["t_ptr"], arrays["df"])
    texts, starts, ends = _texts(old, keep, new)
    arrays["a_text_start"], arrays["a_text_end"] = starts, ends
    stats = dataclasses.replace(new.stats, n_passages=n, total_len=total_len)
    merged = IndexData(arrays, texts, new.vocab, StemDict(), [], stats)
    if old.text_sums is not None:  # the kept texts' sums come with them (checked when the index was verified)
        added = crc_of_texts(new.texts, new.arrays["a_text_start"], new.arrays["a_text_end"])
        merged.text_sums = np.concatenate([np.asarray(old.text_sums)[keep], added]).astype(np.uint32)
    return merged


def _postings(a, b, kept: np.ndarray, passage_number: np.ndarray, n_kept: int, n_terms: int):
    """Each term's surviving old postings (renumbered), then its postings in the new passages; and which old
    postings survive (None: all) and where the new ones went in among them, for other columns of postings.

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
    arrays = {"df": df.astype(np.int32), "t_ptr": pointers(df), "post_doc": post_doc, "post_tf": post_tf}
    return arrays, (alive if len(dead) else None), places


def _impacts(arrays: dict, avgdl: float, params: scoring.Params, chunk: int = 1 << 22) -> np.ndarray:
    """scoring.impacts for every posting, a few million at a time (its float64 temporaries stay small)."""
    post_tf, post_doc, p_len = arrays["post_tf"], arrays["post_doc"], arrays["p_len"]
    out = np.empty(len(post_doc), dtype=np.float32)
    for lo in range(0, len(post_doc), chunk):
        hi = lo + chunk
        out[lo:hi] = scoring.impacts(post_tf[lo:hi], p_len[post_doc[lo:hi]], avgdl, params)
    return out


def _texts(old: IndexData, keep: np.ndarray, new: IndexData):
    """The kept articles' texts and the new ones, and each article's offsets.

    Where most of the stored texts.bin is still alive and the texts read since are few, texts.bin is
    kept as it is (``TextParts``: the new generation links the file) and only the tail is new: the kept
    articles of texts.bin keep their offsets, the others follow it. Otherwise all are copied into one,
    in runs of neighbours (not one slice each).
    """
    start, end = np.asarray(old.arrays["a_text_start"])[keep], np.asarray(old.arrays["a_text_end"])[keep]
    new_lengths = np.asarray(new.arrays["a_text_end"]) - np.asarray(new.arrays["a_text_start"])
    if isinstance(old.texts, TextParts) and old.texts.source is not None:
        split = old.texts.split
        in_base = end <= split
        alive, moved = int((end - start)[in_base].sum()), int((end - start)[~in_base].sum())
        if split - alive <= split * KEPT_GARBAGE and moved + len(new.texts) <= split * KEPT_TAIL:
            tail_starts, tail_ends = start[~in_base], end[~in_base]
            pieces = _runs(old.texts, tail_starts, tail_ends)
            tail = b"".join([*pieces, byte_view(new.texts)]) if len(new.texts) or pieces else b""
            offsets = split + pointers(np.concatenate([tail_ends - tail_starts, new_lengths]))
            moved_count = len(tail_starts)
            starts, ends = start.astype(np.int64), end.astype(np.int64)  # (copies)
            starts[~in_base], ends[~in_base] = offsets[:moved_count], offsets[1 : moved_count + 1]
            starts = np.concatenate([starts, offsets[moved_count:-1]])
            ends = np.concatenate([ends, offsets[moved_count + 1 :]])
            return TextParts(old.texts.base, tail, old.texts.source), starts, ends
    lengths = np.concatenate([end - start, new_lengths])
    texts = b"".join([*_runs(old.texts, start, end), byte_view(new.texts)])  # from the mapped file: one copy
    offsets = pointers(lengths)
    return texts, offsets[:-1], offsets[1:]


KEPT_GARBAGE = 0.25  # texts.bin is kept while at most this share of it is texts no article has any more
KEPT_TAIL = 0.25  # ... and the texts after it are at most this share of it


def _runs(texts, start: np.ndarray, end: np.ndarray) -> list:
    """The texts at these offsets (ascending), a slice per run of neighbours."""
    if not len(start):
        return []
    run_starts = np.flatnonzero(np.concatenate([[True], start[1:] != end[:-1]]))
    run_ends = np.append(run_starts[1:], len(start))
    if isinstance(texts, TextParts):
        return [texts[int(start[s]) : int(end[e - 1])] for s, e in zip(run_starts.tolist(), run_ends.tolist())]
    source = byte_view(texts) if len(texts) else memoryview(b"")
    return [source[int(start[s]) : int(end[e - 1])] for s, e in zip(run_starts.tolist(), run_ends.tolist())]
