"""Walk a corpus folder: its article files with their size, times and inode, packed (``Scan``), each folder
listed or, where it is stamped as when last listed, taken from that listing (listing.py)."""

from __future__ import annotations

import logging
import os
import time
from array import array
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import NamedTuple

from . import listing
from .errors import CorpusError
from .formats import SUFFIXES, SourceFile, Unreadable, read_regular
from .listing import Folder, Listing, settled

log = logging.getLogger("askdoc")


class FoundFile(NamedTuple):
    """A file as the walk saw it: cheap to make for 100,000 files (no Path until it is read)."""

    rel: str
    location: str
    size: int
    mtime_ns: int
    ino: int = 0
    ctime_ns: int = 0

    def source(self) -> SourceFile:
        return SourceFile(self.rel, Path(self.location), self.size, self.mtime_ns, ino=self.ino)


class Scan:
    """The article files of a corpus as one walk saw them, packed: their paths relative to the corpus
    (UTF-8, NUL between them), sizes, modification times, inodes and change times (native int64
    bytes), and when the walk started (``walked_ns``: files changed within a tick before it are
    "racy", see ``collection``). At 100,000 files,
    telling whether anything changed is then a comparison of three buffers, with no object per file;
    the columns are unpacked into lists only when something did change."""

    def __init__(
        self, root: str, blob: bytes = b"", sizes: bytes = b"", mtimes: bytes = b"", inos: bytes = b"",
        ctimes: bytes = b"", walked_ns: int = 0,
    ) -> None:  # fmt: skip
        self.root = root  # absolute
        self.blob = blob  # what tables.FileList stores: the same bytes, compared as they are
        self.size_bytes = sizes
        self.mtime_bytes = mtimes
        self.ino_bytes = inos
        self.ctime_bytes = ctimes
        self.walked_ns = walked_ns
        self.listing: Listing = {}  # what the walk listed in each folder, where it can be trusted (listing.py)

    @classmethod
    def of_columns(cls, root: str, rels: list[str], *columns: list[int], walked_ns: int = 0) -> Scan:
        """From names and the columns sizes, mtimes, inodes, ctimes."""
        blob = SEPARATOR_TEXT.join(rels).encode("utf-8", "surrogatepass")  # surrogatepass: odd names round-trip
        packed = [array("q", column).tobytes() for column in columns] + [b""] * (len(COLUMNS) - len(columns))
        return cls(root, blob, packed[0], packed[1], packed[2], packed[3], walked_ns=walked_ns)

    @classmethod
    def joined(cls, root: str, parts: list[Scan]) -> Scan:
        """The parts of a walk (``scan(root, (i, n))``), in order, as one."""
        blob = SEPARATOR_TEXT.encode().join(part.blob for part in parts if len(part))
        sizes, mtimes, inos, ctimes = (b"".join(getattr(p, name) for p in parts) for name in COLUMNS)
        joined = cls(root, blob, sizes, mtimes, inos, ctimes, walked_ns=min((p.walked_ns for p in parts), default=0))
        for part in parts:
            joined.listing.update(part.listing)
        return joined

    def column(self, name: str) -> list[int]:
        return array("q", getattr(self, name)).tolist()

    def __len__(self) -> int:
        return len(self.size_bytes) // 8

    @property
    def rels(self) -> list[str]:
        return self.blob.decode("utf-8", "surrogatepass").split(SEPARATOR_TEXT) if len(self) else []

    @property
    def sizes(self) -> list[int]:
        return array("q", self.size_bytes).tolist()

    @property
    def mtimes(self) -> list[int]:
        return array("q", self.mtime_bytes).tolist()

    def files(self) -> list[FoundFile]:
        rels = self.rels
        locations = [os.path.join(self.root, rel) for rel in rels]
        inos, ctimes = self.column("ino_bytes"), self.column("ctime_bytes")
        return list(map(FoundFile, rels, locations, self.sizes, self.mtimes, inos, ctimes))


COLUMNS = ("size_bytes", "mtime_bytes", "ino_bytes", "ctime_bytes")


def scan(root: Path, part: tuple[int, int] = (0, 1), known: Listing | None = None) -> Scan:
    """Walk ``root``: each article file's path relative to it, size and modification time.

    ``part=(i, n)`` walks the i-th of n slices of the top-level folders (the first also takes
    the files at the top): the n parts, joined in order, are the whole walk. ``known``: what an
    earlier walk listed in each folder (see listing.py): a folder stamped as it was then is not
    listed again, its files are stat'ed by name. What this walk listed is ``Scan.listing``.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    real_root = root.resolve()
    root_text = str(root)
    walked_ns = time.time_ns()
    columns: tuple[list, ...] = ([], [], [], [], [])  # names, sizes, mtimes, inodes, ctimes
    listed: Listing = {}
    # Directory entries and one lstat per file: at 100,000 files the stats are most of the time a
    # one-shot query spends before answering, so each folder's files go through comprehensions
    # (about half the Python cost of a loop) and only an odd file (a symlink, a pipe) is looked at apart.
    for folder, entries, descriptor in _walk(root, part, known or {}, listed):
        rel_folder = folder[len(root_text) + 1 :].replace(os.sep, "/")
        prefix = f"{rel_folder}/" if rel_folder else ""
        if isinstance(entries, tuple):  # names of a folder stamped as when it was listed: stat'ed by name
            stats = _stats_by_name(folder, entries, descriptor)
            if stats is not None:
                _extend(columns, [prefix + name for name in entries], stats)
                continue
            listed.pop(rel_folder, None)  # a file of it is gone or odd now: listed below, and again next time
            entries = _listed_files(folder, descriptor)
        entries = [e for e in entries if e.name.lower().endswith(SUFFIXES) and e.name[0] != "."]
        try:
            stats = [entry.stat(follow_symlinks=False) for entry in entries]
            regular = all(map(S_ISREG, [stat.st_mode for stat in stats]))
        except OSError:  # a file vanished or cannot be read: one by one, to name it
            stats, regular = [_stat_or_none(folder, entry) for entry in entries], False  # type: ignore[misc]
        if regular:
            _extend(columns, [prefix + entry.name for entry in entries], stats)
            if rel_folder in listed:
                listed[rel_folder] = listed[rel_folder]._replace(files=tuple(entry.name for entry in entries))
            continue
        listed.pop(rel_folder, None)  # an odd file: this folder is listed at every walk, as before
        for entry, found in zip(entries, stats):
            kept = _regular(folder, entry, found, real_root)
            if kept is not None:
                _extend(columns, [prefix + entry.name], [kept])
    walked = Scan.of_columns(str(root.absolute()), *columns, walked_ns=walked_ns)
    walked.listing = listed
    return walked


def _extend(columns: tuple[list, ...], rels: list[str], stats: list[os.stat_result]) -> None:
    """Add files' names and stamps to the walk's columns (a comprehension a column)."""
    names, sizes, mtimes, inos, ctimes = columns
    names.extend(rels)
    sizes.extend([stat.st_size for stat in stats])
    mtimes.extend([stat.st_mtime_ns for stat in stats])
    inos.extend([stat.st_ino for stat in stats])
    ctimes.extend([stat.st_ctime_ns for stat in stats])


def _stats_by_name(folder: str, names: tuple[str, ...], descriptor: int | None) -> list[os.stat_result] | None:
    """The stats of a known folder's files, or None when one is gone or not a regular file now."""
    try:
        if descriptor is not None:
            stats = [os.stat(name, dir_fd=descriptor, follow_symlinks=False) for name in names]
        else:
            stats = [os.lstat(os.path.join(folder, name)) for name in names]
    except OSError:
        return None
    return stats if all(map(S_ISREG, [stat.st_mode for stat in stats])) else None


def _listed_files(folder: str, descriptor: int | None) -> list[os.DirEntry]:
    """A folder's entries other than subfolders, sorted, listed now."""
    with os.scandir(folder if descriptor is None else descriptor) as found:
        entries = list(found)
    return _split(folder, entries)[1]


def rescan(root: Path) -> Scan:
    """``scan(root)`` with the listing the last walk kept (listing.py), and this one's kept for the next."""
    where = listing.location(root)
    known = listing.load(where)
    found = scan(root, known=known)
    listing.save(where, found.listing, known)
    return found


SEPARATOR_TEXT = "\0"  # file names never hold NUL


def _stat_or_none(folder: str, entry: os.DirEntry) -> os.stat_result | None:
    try:
        return entry.stat(follow_symlinks=False)
    except OSError as err:
        log.warning("skipped %s: %s", os.path.join(folder, entry.name), err.strerror or err)
        return None


def _regular(folder: str, entry: os.DirEntry, stat: os.stat_result | None, real_root: Path) -> os.stat_result | None:
    """The stat of a regular file (a symlink's inside the corpus followed), or None with a warning."""
    if stat is None:
        return None
    path = os.path.join(folder, entry.name)
    try:
        if S_ISLNK(stat.st_mode):
            # realpath, not Path.resolve: on Python 3.11 a symlink loop makes resolve() raise RuntimeError
            if not Path(os.path.realpath(path)).is_relative_to(real_root):
                log.warning("skipped %s: a symlink to outside the corpus", path)
                return None
            stat = os.stat(path)
    except OSError as err:
        log.warning("skipped %s: %s", path, err.strerror or err)
        return None
    if not S_ISREG(stat.st_mode):  # a named pipe would block the reader forever
        log.warning("skipped %s: not a regular file", path)
        return None
    return stat


# Each folder is opened once and its files are stat'ed relative to it (fstatat): the kernel then
# looks up one name per file rather than the whole path, ~1 µs less of the ~5 µs a stat costs.
_BY_DESCRIPTOR = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd


def _walk(
    root: Path, part: tuple[int, int] = (0, 1), known: Listing | None = None, listed: Listing | None = None
) -> Iterator[tuple[str, list[os.DirEntry] | tuple[str, ...], int | None]]:
    """(folder, its file entries sorted by name, its descriptor), top-down and depth-first like os.walk, but
    with a stack instead of recursion (os.walk overflows Python's stack on a tree ~1,000 folders deep), never
    descending into hidden folders or following symlinked ones. The entries' ``stat()`` works until
    the walk moves on to the next folder.

    ``known``: a folder stamped as ``known`` has it is not listed: its article files' names come instead
    (a tuple), and its subfolders from there too. ``listed``: what each folder listed here held, where
    it can be trusted next time (see listing.py); the caller fills in the files.
    """
    known = known or {}
    listed = {} if listed is None else listed
    top = str(root)
    stack = [top]
    while stack:
        folder = stack.pop()
        rel = folder[len(top) + 1 :].replace(os.sep, "/")
        descriptor = None
        try:
            if _BY_DESCRIPTOR:
                descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            listed_ns = time.time_ns()
            info = os.fstat(descriptor) if descriptor is not None else os.stat(folder)
            stamp = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
            was = known.get(rel)
            files: list[os.DirEntry] | tuple[str, ...]
            if was is not None and was[:3] == stamp:
                files, folders = was.files, list(was.folders)
                if folder is not top or part[0] == 0:
                    listed[rel] = was
            else:
                with os.scandir(folder if descriptor is None else descriptor) as scan:
                    entries = list(scan)
                if any(entry.name == CACHE_TAG for entry in entries):
                    if _is_cache(os.path.join(folder, CACHE_TAG)):
                        continue  # askdoc's own indexes (a cache folder set inside the corpus), or another tool's cache
                    odd = True  # a tag file that could be made one in place (no folder stamp would change)
                else:
                    odd = False
                folders, files, symlinked = _split(folder, entries)
                if not (odd or symlinked) and settled(info, listed_ns) and (folder is not top or part[0] == 0):
                    listed[rel] = Folder(*stamp, (), tuple(folders))  # its files: the caller's, if all regular
            if folder is top and part != (0, 1):
                number, count = part
                files = files if number == 0 else ([] if isinstance(files, list) else ())
                folders = folders[len(folders) * number // count : len(folders) * (number + 1) // count]
            yield folder, files, descriptor
        except OSError as err:
            log.warning("skipped %s: %s", err.filename or folder, err.strerror or err)
            listed.pop(rel, None)
            continue
        finally:
            if descriptor is not None:
                os.close(descriptor)
        stack.extend(os.path.join(folder, name) for name in reversed(folders))


CACHE_TAG = "CACHEDIR.TAG"  # https://bford.info/cachedir/: backup tools skip such folders, and so does the walk
CACHE_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"


def _is_cache(path: str) -> bool:
    try:
        return read_regular(Path(path), len(CACHE_SIGNATURE)).startswith(CACHE_SIGNATURE)
    except Unreadable:  # a named pipe of that name is no tag, and is never waited on
        return False


def _split(folder: str, entries: list[os.DirEntry]) -> tuple[list[str], list[os.DirEntry], bool]:
    """A folder's entries: the names of its subfolders to walk, and its other entries, both sorted; and
    whether it holds a symlinked folder (not followed, with a warning)."""
    try:
        folders = [
            entry for entry in entries if entry.is_dir()
        ]  # the kind the listing gave (a stat only for a symlink)
    except OSError:
        folders = [entry for entry in entries if _is_dir(entry)]
    if folders:
        chosen = {id(entry) for entry in folders}
        entries = [entry for entry in entries if id(entry) not in chosen]
    entries.sort(key=attrgetter("name"))
    names, symlinked = [], False
    for entry in folders:
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            log.warning("skipped %s: a symlinked folder (not followed)", os.path.join(folder, entry.name))
            symlinked = True
        else:
            names.append(entry.name)
    return sorted(names), entries, symlinked


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
