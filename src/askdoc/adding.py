"""Copy files and folders into a corpus folder: the only code in askdoc that writes into a corpus."""

from __future__ import annotations

import errno
import filecmp
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError
from .formats import FORMAT_NAMES, MAX_FILE_BYTES, is_article_file

# Where each added file came from (corpus-relative name -> absolute source path), so that adding an
# edited file again updates its copy. Hidden: the corpus walk leaves it out, as it does the copies
# in progress (".NAME.adding-PID"), which a later add removes when their process is gone.
ORIGINS = ".askdoc-added.json"
_PARTIAL = re.compile(r"^\..+\.adding(?:-(\d+))?$")
_CHUNK = 1 << 20


@dataclass
class Added:
    """What ``add_to_corpus`` did, as paths relative to the corpus."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the same content was there already
    ignored: list[str] = field(default_factory=list)  # files in added folders that are not articles
    updated: list[str] = field(default_factory=list)  # copies replaced by a newer version of their file
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (file, why): links, pipes, devices, too large


def add_to_corpus(corpus: Path, paths: Iterable[str | os.PathLike], *, replace: bool = False) -> Added:
    """Copy article files, and the article files of folders (keeping the folder), into ``corpus``.

    Content already in the corpus (under any name) is not copied again. A file added before and
    changed since replaces its earlier copy; a different file of the same name is copied as
    ``name-2.ext``, or replaces it with ``replace=True``. Only regular files are copied: in a
    folder, symbolic links, named pipes, devices and files over 200 MB are left out (``left_out``
    says why); given by name, they are an error. Each copy is written under a hidden name and
    renamed, so an index refreshing at the same moment never reads half a file, and a copy that
    fails (a full disk) is removed. Everything is checked before anything is written, and the
    corpus folder is made only then.
    """
    corpus = Path(corpus)
    real_corpus = corpus.resolve()
    added = Added()
    plan = _plan(corpus, real_corpus, list(paths), added)
    if not plan:
        return added
    created = not corpus.exists()
    try:
        corpus.mkdir(parents=True, exist_ok=True)
        origins = _read_origins(corpus)
        _copy_all(corpus, plan, origins, added, replace)
    except OSError as err:
        raise CorpusError(f"could not add to '{corpus}': {err.strerror or err}{_so_far(added)}") from None
    finally:
        if created and corpus.is_dir() and not any(corpus.iterdir()):
            corpus.rmdir()  # nothing came of it: leave no empty folder behind
    return added


def _plan(corpus: Path, real_corpus: Path, paths: list, added: Added) -> list[tuple[Path, Path, bool]]:
    """(source file, destination relative to the corpus, given by name) for every file to add; the
    errors come before any copy."""
    plan: list[tuple[Path, Path, bool]] = []
    others = " (nothing was added: each path is checked before any is copied)" if len(paths) > 1 else ""
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise CorpusError(f"'{path}' does not exist{others}")
        if path.resolve().is_relative_to(real_corpus):
            raise CorpusError(f"'{path}' is already inside the corpus folder '{corpus}'{others}")
        if path.is_dir():
            for file in sorted(_files_under(path, real_corpus)):
                why = _not_addable(file, follow=False)
                if why:
                    added.left_out.append((str(file), why))
                elif is_article_file(file.name):
                    plan.append((file, Path(path.resolve().name, file.relative_to(path)), False))
                else:
                    added.ignored.append(str(file))
        elif not is_article_file(path.name):
            raise CorpusError(f"'{path}' is not a format askdoc reads ({FORMAT_NAMES}){others}")
        elif why := _not_addable(path, follow=True):
            raise CorpusError(f"'{path}' is {why}{others}")
        else:
            plan.append((path, Path(path.name), True))
    return plan


def _not_addable(path: Path, follow: bool) -> str:
    """Why ``path`` is not copied ("" when it is): askdoc adds regular files of at most 200 MB."""
    try:
        info = path.stat() if follow else path.lstat()
    except OSError as err:
        return f"unreadable ({err.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link (askdoc adds only regular files; add its target by name)"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a named pipe, device or socket)"
    if info.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES >> 20} MB"
    return ""


def _copy_all(corpus: Path, plan: list[tuple[Path, Path, bool]], origins: dict[str, str], added: Added, replace: bool):
    _remove_stale_partials(corpus)
    filecmp.clear_cache()  # it remembers files by size and time, which a copy keeps
    by_size = _files_by_size(corpus)
    placed = {origin: rel for rel, origin in origins.items()}
    try:
        for source, rel, given in plan:
            origin = os.path.abspath(source)
            size = source.stat().st_size
            same = next((f for f in by_size.get(size, ()) if filecmp.cmp(source, f, shallow=False)), None)
            if same is not None:
                added.unchanged.append(same.relative_to(corpus).as_posix())
                continue
            earlier = placed.get(origin)
            target = corpus / rel
            if earlier is not None and (corpus / earlier).is_file():
                target, kind = corpus / earlier, added.updated  # the same file, changed since it was added
            elif target.exists() and replace:
                kind = added.updated
            else:
                target, kind = _free_name(target), added.copied
            _copy(source, target, follow=given)  # a link named on the command line is followed, as cp does
            name = target.relative_to(corpus).as_posix()
            kind.append(name)
            origins[name] = placed[origin] = origin
            by_size.setdefault(size, []).append(target)
    finally:
        if added.copied or added.updated:
            _write_origins(corpus, origins)


def _copy(source: Path, target: Path, follow: bool) -> None:
    """Copy a regular file through a hidden partial file, renamed into place once whole.

    The source is opened without blocking and checked again once open (it may have been swapped
    for a pipe or a link since it was looked at), and at most 200 MB are read from it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.adding-{os.getpid()}")
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        source_fd = os.open(source, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise CorpusError(f"'{source}' became a symbolic link while it was being added") from None
        raise
    try:
        info = os.fstat(source_fd)
        if not stat.S_ISREG(info.st_mode):
            raise CorpusError(f"'{source}' is not a regular file (a named pipe, device or socket)")
        out_fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            copied = 0
            while chunk := os.read(source_fd, _CHUNK):
                copied += len(chunk)
                if copied > MAX_FILE_BYTES:
                    raise CorpusError(f"'{source}' is larger than {MAX_FILE_BYTES >> 20} MB")
                view = memoryview(chunk)
                while view:  # a write may take only part (near a size limit): the rest, or its error, follows
                    view = view[os.write(out_fd, view) :]
            os.utime(out_fd, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(out_fd)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        os.close(source_fd)


def _files_under(folder: Path, corpus: Path) -> Iterable[Path]:
    """The files of ``folder``, leaving out hidden ones, the corpus itself (``askdoc add .`` from the
    folder holding it would copy it into itself) and caches (a folder holding a CACHEDIR.TAG).
    Linked folders are not followed; linked files are listed (and then left out, saying why)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and Path(root, d).resolve() != corpus
            and not Path(root, d, "CACHEDIR.TAG").exists()
        ]
        yield from (Path(root, name) for name in files if not name.startswith("."))
        yield from (Path(root, d) for d in dirs if Path(root, d).is_symlink())


def _files_by_size(corpus: Path) -> dict[int, list[Path]]:
    """The corpus's visible regular files by size: the candidates for "this content is already there"."""
    by_size: dict[int, list[Path]] = {}
    for root, dirs, files in os.walk(corpus):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(root, name)
            if name.startswith(".") or not is_article_file(name):
                continue
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                by_size.setdefault(info.st_size, []).append(path)
    return by_size


def _remove_stale_partials(corpus: Path) -> None:
    """Copies left half-written by an add that was killed (its process is gone) are removed."""
    for root, dirs, files in os.walk(corpus):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            match = _PARTIAL.match(name)
            if match and not (match.group(1) and _alive(int(match.group(1)))):
                Path(root, name).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_origins(corpus: Path) -> dict[str, str]:
    try:
        origins = json.loads((corpus / ORIGINS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(origins, dict):
        return {}
    return {rel: origin for rel, origin in origins.items() if isinstance(origin, str)}


def _write_origins(corpus: Path, origins: dict[str, str]) -> None:
    path = corpus / ORIGINS
    partial = corpus / f"{ORIGINS}.adding-{os.getpid()}"
    try:
        partial.write_text(json.dumps(origins, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)  # the copies stand; only their origins are not remembered


def _so_far(added: Added) -> str:
    done = len(added.copied) + len(added.updated)
    return f" ({done} file(s) were added before it)" if done else " (nothing was added)"


def _free_name(target: Path) -> Path:
    number = 2
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
        number += 1
    return candidate
