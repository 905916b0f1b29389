"""Read article files of every format askdoc knows: a registry from file suffix to reader module.

Each reader module has ``read(file, data) -> list[Article]`` and raises ``Unreadable`` with a
reason a user can act on. Reader modules import their heavy libraries (trafilatura, pypdf)
themselves, so a corpus of plain text never loads them.
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..model import Article

log = logging.getLogger("askdoc")

# suffix -> reader module in this package
READERS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "records",
    ".ndjson": "records",
    ".csv": "records",
    ".tsv": "records",
}
SUFFIXES = tuple(READERS)
VERSION = 12  # 12: stems by snowballstemmer; bump when a reader's output changes: stored indexes are then rebuilt, not trusted
FORMAT_NAMES = ".txt, .md, .html, .pdf, .jsonl, .csv"  # what messages tell a user askdoc reads
MAX_FILE_BYTES = 200 * 1024 * 1024  # larger files are skipped: memory stays bounded


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A candidate article file, with what is needed to tell whether it changed."""

    rel: str  # path relative to the corpus root, with "/" separators
    path: Path
    size: int
    mtime_ns: int
    # A JSON Lines file that grew by whole lines is read from where its known records end (``start``,
    # the byte after them; ``first_line``, the number of the line there), its records' ids beside
    # those already taken (``known_ids``): see datasets.appended.
    start: int = 0
    first_line: int = 1
    known_ids: tuple[str, ...] = ()
    ino: int = 0  # the inode the walk listed (0: not known): a file swapped in since is not read


class Unreadable(Exception):
    """A file askdoc cannot take articles from; the message says why (one short clause).

    ``unopened``: the file could not be opened at all (its permissions): it is tried again once
    it can be, though its size and time stay the same (``chmod`` changes neither).
    """

    def __init__(self, message: str, *, unopened: bool = False) -> None:
        super().__init__(message)
        self.unopened = unopened


def is_article_file(name: str) -> bool:
    return suffix_of(name) in READERS


def suffix_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def article_id_for(rel: str) -> str:
    """A file's article id: its path in the corpus without the suffix."""
    suffix = suffix_of(rel)
    return rel[: -len(suffix)] if suffix else rel


def read_regular(path: Path, limit: int = MAX_FILE_BYTES, start: int = 0, ino: int = 0) -> bytes:
    """The bytes of a regular file, at most ``limit`` + 1 (the file may have grown since it was listed).

    Opened without blocking and checked on the open descriptor (``fstat``), as the walk checks
    what it lists: a named pipe or a device swapped in since is refused, never waited on or read
    without end, and so is another file put in its place (``ino``: the inode the walk listed; a
    symlink to a file outside the corpus, say, swapped in after the walk looked).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise Unreadable(str(err.strerror or err), unopened=True) from None
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise Unreadable("not a regular file (a named pipe or a device?)")
        if ino and opened.st_ino != ino:
            raise Unreadable("replaced by another file while it was being indexed (read at the next refresh)")
        try:
            if start:
                handle.seek(start)
            return handle.read(limit + 1)
        except OSError as err:
            raise Unreadable(str(err.strerror or err)) from None


def read_articles(file: SourceFile) -> list[Article]:
    """The articles in ``file`` (one for most formats, many for JSON Lines and CSV).

    Raises ``Unreadable`` when the file yields none: too large, unreadable, empty, a PDF
    without text, a malformed file.
    """
    name = READERS.get(suffix_of(file.rel))
    if name is None:
        raise Unreadable("not a format askdoc reads")
    if file.size > MAX_FILE_BYTES:
        raise Unreadable(f"larger than {MAX_FILE_BYTES >> 20} MB")
    data = read_regular(file.path, start=file.start, ino=file.ino)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"larger than {MAX_FILE_BYTES >> 20} MB")
    reader = importlib.import_module(f"{__name__}.{name}")
    try:
        articles = reader.read(file, data)
    except Unreadable:
        raise
    except Exception as err:  # a parser library failing on a damaged file must not stop indexing
        raise Unreadable(f"could not be read as {name} ({type(err).__name__}: {err})") from None
    if not articles and not file.start:  # (the lines appended to a dataset may hold no article)
        raise Unreadable("no article text in it")
    return articles


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


__all__ = ["FORMAT_NAMES", "READERS", "SUFFIXES", "SourceFile", "Unreadable", "article_id_for", "read_article",
           "read_articles", "read_file"]  # fmt: skip
