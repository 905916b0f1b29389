"""Find the article files of a corpus folder and read them into Articles (formats/ does the reading)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import NamedTuple

from .errors import CorpusError
from .formats import MAX_FILE_BYTES, SUFFIXES, SourceFile, Unreadable, is_article_file, read_articles
from .formats.text import article_from_text, decode
from .model import Article

log = logging.getLogger("askdoc")


class FoundFile(NamedTuple):
    """A file as the walk saw it: cheap to make for 100,000 files (no Path until it is read)."""

    rel: str
    location: str
    size: int
    mtime_ns: int

    def source(self) -> SourceFile:
        return SourceFile(self.rel, Path(self.location), self.size, self.mtime_ns)


def find_files(root: Path) -> list[SourceFile]:
    """Article files under ``root``, recursively, sorted; hidden files and folders are left out."""
    return [found.source() for found in scan_files(root)]


def scan_files(root: Path) -> list[FoundFile]:
    """``find_files`` without a Path per file: what a refresh needs to tell which files changed."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    real_root = root.resolve()
    root_text = str(root)
    absolute_root = str(root.absolute())
    found = []
    append = found.append
    # Directory entries and one lstat per file (symlinks told from it, not by another call): at
    # 100,000 files the stats are most of the time a one-shot query spends before answering.
    for folder, entries in _walk(root):
        rel_folder = folder[len(root_text) + 1 :].replace(os.sep, "/")
        absolute_folder = os.path.join(absolute_root, rel_folder) if rel_folder else absolute_root
        prefix = f"{rel_folder}/" if rel_folder else ""
        for entry in entries:
            name = entry.name
            if name[0] == "." or not is_article_file(name):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
                if S_ISLNK(stat.st_mode):
                    path = os.path.join(folder, name)
                    # realpath, not Path.resolve: on Python 3.11 a symlink loop makes resolve() raise RuntimeError
                    if not Path(os.path.realpath(path)).is_relative_to(real_root):
                        log.warning("skipped %s: a symlink to outside the corpus", path)
                        continue
                    stat = os.stat(path)
            except OSError as err:
                log.warning("skipped %s: %s", os.path.join(folder, name), err.strerror or err)
                continue
            if not S_ISREG(stat.st_mode):  # a named pipe would block the reader forever
                log.warning("skipped %s: not a regular file", os.path.join(folder, name))
                continue
            append(FoundFile(prefix + name, f"{absolute_folder}{os.sep}{name}", stat.st_size, stat.st_mtime_ns))
    return found


def _walk(root: Path) -> Iterator[tuple[str, list[os.DirEntry]]]:
    """(folder, its file entries sorted by name), top-down and depth-first like os.walk, but with a stack
    instead of recursion (os.walk overflows Python's stack on a tree ~1,000 folders deep), never
    descending into hidden folders or following symlinked ones."""
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError as err:
            log.warning("skipped %s: %s", err.filename or folder, err.strerror or err)
            continue
        folders, files = [], []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if not is_folder:
                files.append(entry)
            elif entry.name.startswith("."):
                continue
            elif entry.is_symlink():
                log.warning("skipped %s: a symlinked folder (not followed)", entry.path)
            else:
                folders.append(entry.name)
        files.sort(key=lambda entry: entry.name)
        yield folder, files
        stack.extend(os.path.join(folder, name) for name in sorted(folders, reverse=True))


def read_file(file: SourceFile) -> list[Article]:
    """The articles in ``file``; none, with a warning naming the file and why, when it cannot be used."""
    try:
        return read_articles(file)
    except Unreadable as err:
        log.warning("skipped %s: %s", file.path, err)
        return []


def read_article(file: SourceFile) -> Article | None:
    """The (first) article in ``file``, or None (with a warning naming it) when it cannot be used."""
    articles = read_file(file)
    return articles[0] if articles else None


__all__ = [
    "MAX_FILE_BYTES",
    "SUFFIXES",
    "SourceFile",
    "article_from_text",
    "decode",
    "find_files",
    "read_article",
    "read_file",
]
