"""What changed in a corpus folder since its index was built: files added, changed, removed, and which
stored articles a refresh keeps (a stat per file, nothing read)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from . import datasets
from .changed_paths import look_at
from .corpus import FoundFile, Scan, rescan
from .store import IndexData
from .store.tables import FileList

if TYPE_CHECKING:
    from pathlib import Path

    from .index import Index


@dataclass(frozen=True, slots=True)
class Changes:
    """Files of a corpus added, changed or removed since its index was built (paths relative to it)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def rels(self) -> list[str]:
        """Every file named, relative to the corpus."""
        return [*self.added, *self.changed, *self.removed]

    def summary(self) -> str:
        """``2 added, 1 changed`` — for a status line."""
        parts = [(len(self.added), "added"), (len(self.changed), "changed"), (len(self.removed), "removed")]
        return ", ".join(f"{n} {what}" for n, what in parts if n) or "no changes"


def changes_since(index: Index, paths: Iterable[str] | None = None) -> Changes:
    """What changed in the index's corpus folder since it was built: a walk and a stat per file, nothing read.

    ``paths``: only these (files or folders, as file events name them) can have changed: a stat
    of each instead of a walk. An in-memory index (``Index.from_articles``) never changes.
    """
    if index.corpus is None:
        return Changes()
    data = index.data
    stored = data.files if data.files is not None else files_of(data)
    if not index.corpus.is_dir():  # the folder is gone: so are its files (a refresh then says so)
        return Changes(removed=tuple(sorted(stored.rels())))
    again = openable_again(index.corpus, data)
    if paths is not None:
        columns = (stored.sizes, stored.mtimes, stored.inos, stored.ctimes)
        looked = look_at(index.corpus, stored.rels(), *(column.tolist() for column in columns), paths=paths)
        reopened = tuple(rel for rel in again if rel not in looked.changed and rel not in looked.removed)
        return Changes(looked.added, looked.changed + reopened, looked.removed)
    walk = rescan(index.corpus)
    if stored.same_as(file_list(walk)) and not again:
        return Changes()
    found = stored_changes(data, walk)
    changed = found.changed + tuple(rel for rel in again if rel not in found.changed and rel not in found.added)
    return Changes(found.added, changed, found.removed)


def kept_and_read(files: Sequence[FoundFile], data: IndexData | None, again: Iterable[str] = frozenset()):
    """Which stored articles are unchanged, and which files must be (re)read.

    A file may hold several articles (JSON Lines, CSV): they are kept or re-read together. A
    file that gave no article (skipped) is not read again until it changes, or, when it could
    not be opened, until it can be (``again``, see ``_openable_again``).
    """
    if data is None:
        return np.zeros(0, dtype=np.int64), [file.source() for file in files]
    stored = data.files if data.files is not None else files_of(data)
    number = {rel: i for i, rel in enumerate(stored.rels())}
    stamps = stored.stamps()
    same = np.zeros(len(stored) + 1, dtype=bool)  # the last slot stands for "no file" (-1)
    read = []
    file_of_article = article_files(data, stored)
    records = data.records
    for file in files:
        i = number.get(file.rel)
        if i is not None and stamps[i] == file[2:] and file.rel not in again:
            same[i] = True
        elif i is not None and file.rel in records and (grown := datasets.appended(file, stamps[i], records[file.rel])):
            same[i] = True  # its known records are kept; only the lines added are read
            ids = data.ids()
            read.append(replace(grown, known_ids=tuple(ids[n] for n in np.flatnonzero(file_of_article == i).tolist())))
        else:
            read.append(file.source())
    return np.flatnonzero(same[file_of_article]), read


def openable_again(root: Path, data: IndexData | None) -> set[str]:
    """Files of ``root`` skipped because they could not be opened (permissions) that now can be:
    read them again, though unchanged (``chmod`` changes no size or time). A stat or two, seldom any."""
    if data is None:
        return set()
    return {
        rel for rel, skipped in data.skipped.items() if skipped.unopened and os.access(os.path.join(root, rel), os.R_OK)
    }


def article_files(data: IndexData, files: FileList) -> np.ndarray:
    """Each article's file number in ``files`` (-1 when none)."""
    if data.article_files is not None and data.files is files:
        return np.asarray(data.article_files)
    number = {rel: i for i, rel in enumerate(files.rels())}
    return np.array([number.get(meta.get("rel", ""), -1) for meta in data.articles], dtype=np.int64)


def files_of(data: IndexData) -> FileList:
    """The files an index was built from, as far as its articles and skipped files tell (a fresh index)."""
    stamps = {meta["rel"]: (meta["size"], meta["mtime_ns"]) for meta in data.articles if "rel" in meta}
    stamps |= {rel: (skipped.size, skipped.mtime_ns) for rel, skipped in data.skipped.items()}
    return FileList.of([FoundFile(rel, "", size, mtime) for rel, (size, mtime) in stamps.items()])


def stored_changes(data: IndexData, walk: Scan) -> Changes:
    """What changed between the files an index saw and a walk."""
    stored = data.files if data.files is not None else files_of(data)
    files = walk.files()
    known = dict(zip(stored.rels(), stored.stamps()))
    added = [file.rel for file in files if file.rel not in known]
    changed = [file.rel for file in files if file.rel in known and known[file.rel] != file[2:]]
    present = {file.rel for file in files}
    return Changes(tuple(added), tuple(changed), tuple(sorted(rel for rel in known if rel not in present)))


def file_list(walk: Scan) -> FileList:
    """The walk's columns as they came (no list of 100,000 names and numbers made only to compare them)."""
    columns = (walk.size_bytes, walk.mtime_bytes, walk.ino_bytes, walk.ctime_bytes)
    return FileList(walk.blob, *(np.frombuffer(column, np.int64) for column in columns))
