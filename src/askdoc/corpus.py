"""Find the article files of a corpus folder and read them into Articles (formats/ does the reading)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import CorpusError
from .formats import MAX_FILE_BYTES, SUFFIXES, SourceFile, Unreadable, is_article_file, read_articles
from .formats.text import article_from_text, decode
from .model import Article

log = logging.getLogger("askdoc")


def find_files(root: Path) -> list[SourceFile]:
    """Article files under ``root``, recursively, sorted; hidden files and folders are left out."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    real_root = root.resolve()
    found = []
    for folder, dirs, files in os.walk(root, onerror=_warn_walk_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not is_article_file(name):
                continue
            path = Path(folder, name)
            try:
                if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                    log.warning("skipped %s: a symlink to outside the corpus", path)
                    continue
                stat = path.stat()
            except OSError as err:
                log.warning("skipped %s: %s", path, err.strerror or err)
                continue
            rel = path.relative_to(root).as_posix()
            found.append(SourceFile(rel, path.absolute(), stat.st_size, stat.st_mtime_ns))
    return found


def _warn_walk_error(err: OSError) -> None:
    log.warning("skipped %s: %s", err.filename, err.strerror or err)


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
