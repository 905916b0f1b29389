"""Find the article files of a corpus folder and read them into Articles (formats/ does the reading)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

from . import listing
from .formats import MAX_FILE_BYTES, SUFFIXES, SourceFile, read_article, read_file
from .formats.text import article_from_text, decode
from .listing import Listing
from .scanning import CACHE_SIGNATURE, CACHE_TAG, COLUMNS, SEPARATOR_TEXT, FoundFile, Scan, rescan, scan

log = logging.getLogger("askdoc")


def sample_corpus() -> Path:
    """The seed article shipped inside the package (a folder beside this file: askdoc is not run from a zip)."""
    return Path(__file__).parent / "data" / "sample"


def default_corpus() -> Path:
    """$ASKDOC_CORPUS, else ./corpus when it exists, else the sample shipped with askdoc."""
    if env := os.environ.get("ASKDOC_CORPUS"):
        return Path(env)
    if Path("corpus").is_dir():
        return Path("corpus")
    return sample_corpus()


def find_files(root: Path) -> list[SourceFile]:
    """Article files under ``root``, recursively, sorted; hidden files and folders are left out."""
    return [found.source() for found in scan_files(root)]


def scan_files(root: Path) -> list[FoundFile]:
    """``find_files`` without a Path per file: what a refresh needs to tell which files changed."""
    return scan(root).files()


class PendingScan:
    """A ``scan`` running in a forked child process while this one imports, loads and searches.

    At 100,000 files the walk is most of a one-shot query, and both it (a stat per file) and
    the imports are single-threaded: on a second core they overlap. The child sends its
    columns through a pipe and exits; ``result()`` is None when it could not (the caller then
    walks itself, so that warnings about odd files are printed once, by the caller).
    """

    def __init__(self, root: Path, parts: int = 2) -> None:
        self.root = str(Path(root).absolute())
        self.where = listing.location(Path(root))
        self.known = listing.load(self.where)  # read once, here: the children inherit it
        self.children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
        for number in range(parts):  # two walkers: each stat waits on the kernel, and there are two cores
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # a child: walk, send, exit without running the parent's exit handlers
                status = 1
                try:
                    os.close(read_end)
                    status = _send_scan(root, (number, parts), write_end, self.known)
                finally:
                    os._exit(status)
            os.close(write_end)
            self.children.append((pid, read_end))

    def result(self) -> Scan | None:
        walked = [_received(pid, fd, self.root) for pid, fd in self.children]
        self.children = []
        parts = [part for part in walked if part is not None]
        if len(parts) != len(walked):
            return None
        found = Scan.joined(self.root, parts)
        listing.save(self.where, found.listing, self.known)
        return found

    def close(self) -> None:
        """End the walkers whose result nobody will ask for (a caller that failed first): a child blocked
        writing to a pipe nobody reads would stay."""
        for pid, fd in self.children:
            os.close(fd)  # its write fails, and it exits
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children = []


def _received(pid: int, fd: int, root: str) -> Scan | None:
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    if status != 0 or len(data) < 24:
        return None
    count, size = int.from_bytes(data[:8], "little"), int.from_bytes(data[8:16], "little")
    walked_ns, listed = int.from_bytes(data[16:24], "little"), int.from_bytes(data[24:32], "little")
    if len(data) != 32 + size + 8 * len(COLUMNS) * count + listed:
        return None
    stamps = 32 + size
    sizes, mtimes, inos, ctimes = (data[stamps + 8 * count * i : stamps + 8 * count * (i + 1)] for i in range(4))
    part = Scan(root, data[32:stamps], sizes, mtimes, inos, ctimes, walked_ns=walked_ns)
    try:
        part.listing = listing.decode(data[len(data) - listed :]) if listed else {}
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return part if not count or part.blob.count(0) == count - 1 else None


FORK_FROM = 256  # a flat folder of fewer files is walked in this process sooner than a child is forked


def scan_in_background(root: Path) -> PendingScan | None:
    """Start walking ``root`` in child processes, where forking is safe (one thread, POSIX) and pays.

    Two walkers split the top-level folders; a flat folder gets one, and none when it holds fewer
    than FORK_FROM entries (the bundled sample: forking would cost more than the walk).
    """
    if not hasattr(os, "fork") or threading.active_count() > 1 or os.environ.get("ASKDOC_NO_FORK"):
        return None
    try:
        walkers = _walkers_for(root)
        return PendingScan(root, walkers) if walkers else None
    except OSError:
        return None


def _walkers_for(root: Path) -> int:
    """2 when ``root`` has a subfolder, 1 when it is a flat folder of FORK_FROM entries or more, else 0."""
    with os.scandir(root) as entries:
        for count, entry in enumerate(entries, 1):
            if entry.is_dir() and not entry.name.startswith("."):
                return 2
            if count >= FORK_FROM:
                return 1
    return 0


def _send_scan(root: Path, part: tuple[int, int], fd: int, known: Listing) -> int:
    logger = logging.getLogger("askdoc")
    warned: list[logging.LogRecord] = []
    logger.handlers, logger.propagate = [], False  # in the child only: the caller warns, once

    class Note(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warned.append(record)

    logger.addHandler(Note())
    found = scan(root, part, known)
    if warned:
        return 1
    listed = listing.encode(found.listing) if found.listing else b""
    header = b"".join(n.to_bytes(8, "little") for n in (len(found), len(found.blob), found.walked_ns, len(listed)))
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join([header, found.blob, *(getattr(found, name) for name in COLUMNS), listed]))
    return 0


__all__ = [
    "CACHE_SIGNATURE",
    "CACHE_TAG",
    "MAX_FILE_BYTES",
    "SEPARATOR_TEXT",
    "SUFFIXES",
    "FoundFile",
    "Scan",
    "SourceFile",
    "rescan",
    "scan",
    "article_from_text",
    "decode",
    "find_files",
    "read_article",
    "read_file",
]
