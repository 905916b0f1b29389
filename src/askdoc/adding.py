"""Copy files and folders into a corpus folder: the only code in askdoc that writes into a corpus."""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .formats import FORMAT_NAMES, is_article_file


@dataclass
class Added:
    """What ``add_to_corpus`` did, as paths relative to the corpus."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the same file was there already
    ignored: list[str] = field(default_factory=list)  # files in added folders that are not articles


def add_to_corpus(corpus: Path, paths: Iterable[str | os.PathLike]) -> Added:
    """Copy article files, and the article files of folders (keeping the folder), into ``corpus``.

    Nothing is overwritten: a different file of the same name is copied as ``name-2.ext``.
    Each copy is written under a hidden name and renamed, so an index refreshing at the
    same moment never reads half a file. Everything is checked before anything is copied.
    """
    corpus = Path(corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    real_corpus = corpus.resolve()
    plan: list[tuple[Path, Path]] = []  # (source file, destination relative to the corpus)
    added = Added()
    paths = list(paths)
    others = " (nothing was added: each path is checked before any is copied)" if len(paths) > 1 else ""
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise CorpusError(f"'{path}' does not exist{others}")
        if path.resolve().is_relative_to(real_corpus):
            raise CorpusError(f"'{path}' is already inside the corpus folder '{corpus}'{others}")
        if path.is_dir():
            for file in sorted(_files_under(path, real_corpus)):
                if is_article_file(file.name):
                    plan.append((file, Path(path.resolve().name, file.relative_to(path))))
                else:
                    added.ignored.append(str(file))
        elif is_article_file(path.name):
            plan.append((path, Path(path.name)))
        else:
            raise CorpusError(f"'{path}' is not a format askdoc reads ({FORMAT_NAMES}){others}")
    for source, rel in plan:
        target = corpus / rel
        if target.exists() and filecmp.cmp(source, target, shallow=False):
            added.unchanged.append(rel.as_posix())
            continue
        target = _free_name(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.adding")
        shutil.copy2(source, partial)
        partial.replace(target)
        added.copied.append(target.relative_to(corpus).as_posix())
    return added


def _files_under(folder: Path, corpus: Path) -> Iterable[Path]:
    """The files of ``folder``, leaving out hidden ones, the corpus itself (``askdoc add .`` from the
    folder holding it would copy it into itself) and caches (a folder holding a CACHEDIR.TAG)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and Path(root, d).resolve() != corpus
            and not Path(root, d, "CACHEDIR.TAG").exists()
        ]
        yield from (Path(root, name) for name in files if not name.startswith("."))


def _free_name(target: Path) -> Path:
    number = 2
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
        number += 1
    return candidate
