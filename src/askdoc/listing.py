"""What the last walk of a corpus saw in each folder, kept so that a walk lists only the folders that changed.

The kernel stamps a folder (its modification and change times) whenever an entry is added to it,
removed from it or renamed in it. A folder whose inode and both times are what they were when it
was last listed therefore holds the same entries, and the walk (``corpus.scan``) takes its article
files and subfolders from here instead of listing and sorting it, as git's untracked cache does.
Every file is still stat'ed: a file edited in place changes no folder. Nothing of a file is kept
here but its name.

Kept only where it is exact:
- a folder whose stamp is within a timestamp tick of its listing ("racy", as in opening._settled:
  an entry added later in the same tick would leave the stamp as it was) is listed again next time;
- so is a folder holding anything odd (a symlink, a pipe, an unreadable entry, a symlinked folder,
  a CACHEDIR.TAG whose content could change in place): the walk treats those as it always did;
- the file lives in the corpus's index folder, only when that folder is this user's alone, and has
  its CRC-32 (a damaged or foreign file is ignored: the walk lists every folder).

``ASKDOC_LIST_EVERY_FOLDER=1`` turns it off, for file systems that do not stamp a folder when its
entries change (some network and FUSE mounts). Numpy-free: the askdoc command's walkers read it
before numpy loads.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zlib
from array import array
from pathlib import Path
from typing import NamedTuple

FILE_NAME = "folders.bin"
MAGIC = b"askdoc folders 1\n"
LIMIT = 1 << 30  # a larger file is not read (a planted /dev/zero must not fill memory)
RACY_TICK_NS = 20_000_000  # as opening.RACY_TICK_NS
COARSE_TICK_NS = 2_000_000_000


class Folder(NamedTuple):
    """A folder as a walk listed it: its stamp, then its article files and subfolders to walk (sorted)."""

    ino: int
    mtime_ns: int
    ctime_ns: int
    files: tuple[str, ...]
    folders: tuple[str, ...]


Listing = dict[str, Folder]  # folder path relative to the corpus ("" for itself) -> what it held


def settled(info: os.stat_result, listed_ns: int) -> bool:
    """Whether a folder stamped so, listed at ``listed_ns``, can be trusted to be stamped again when it
    changes: both its times are a tick older than the listing (whole-second times: two seconds)."""
    for moment in (info.st_mtime_ns, info.st_ctime_ns):
        tick = COARSE_TICK_NS if moment % 1_000_000_000 == 0 else RACY_TICK_NS
        if moment > listed_ns - tick:
            return False
    return True


def cache_root() -> Path:
    """Where indexes live: $ASKDOC_CACHE_DIR, else the user cache directory."""
    if env := os.environ.get("ASKDOC_CACHE_DIR"):
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("askdoc", appauthor=False))


def index_dir_for(corpus: Path, cache_root: Path) -> Path:
    """The index folder of a corpus folder (one index there; its shards in ``shards/``)."""
    corpus = corpus.resolve()
    digest = sha1(str(corpus).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    slug = "".join(c if c.isalnum() else "-" for c in corpus.name)[:40] or "root"
    return cache_root / "indexes" / f"{slug}-{digest}"


def sha1(data: bytes):
    """CPython's own SHA-1 (``import hashlib`` loads OpenSSL too: ~3 ms of every one-shot query)."""
    try:
        from _sha1 import sha1
    except ImportError:  # a Python built without it
        from hashlib import sha1
    return sha1(data)


def location(root: Path) -> Path | None:
    """Where the listing of ``root`` is kept, or None when it is not to be used."""
    if os.environ.get("ASKDOC_LIST_EVERY_FOLDER"):
        return None
    try:
        return index_dir_for(Path(root), cache_root()) / FILE_NAME
    except (OSError, RuntimeError, ValueError):
        return None


def _private(folder: Path) -> bool:
    """This user's folder, which nobody else may write in (see store.cache.unsafe)."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def load(path: Path | None) -> Listing:
    """The listing kept at ``path``; empty when there is none or it cannot be trusted."""
    if path is None or not _private(path.parent):
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return {}
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > LIMIT:
            return {}
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read()
    except OSError:
        return {}
    finally:
        os.close(fd)
    with contextlib.suppress(ValueError, IndexError, UnicodeDecodeError, OverflowError):
        return decode(raw)
    return {}


def save(path: Path | None, listing: Listing, known: Listing) -> None:
    """Keep the listing (replacing the file whole) when it differs from what was read; quietly not when the
    index folder is missing or not this user's alone (a walk before the first build)."""
    if path is None or listing == known or not _private(path.parent):
        return
    temporary = path.with_name(f"{FILE_NAME}.tmp-{os.getpid()}")
    with contextlib.suppress(OSError):
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(encode(listing))
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def encode(listing: Listing) -> bytes:
    """MAGIC, the CRC-32 of the rest, its length; five numbers a folder; then its path, files and folders,
    each followed by NUL."""
    numbers = array("q")
    names: list[str] = []
    for rel, folder in listing.items():
        numbers.extend((folder.ino, folder.mtime_ns, folder.ctime_ns, len(folder.files), len(folder.folders)))
        names += [rel, *folder.files, *folder.folders, ""]
    body = len(listing).to_bytes(8, "little") + numbers.tobytes() + "\0".join(names).encode("utf-8", "surrogatepass")
    return MAGIC + zlib.crc32(body).to_bytes(4, "little") + len(body).to_bytes(8, "little") + body


def decode(raw: bytes) -> Listing:
    """The listing ``encode`` wrote; ValueError when the bytes are not one."""
    head = len(MAGIC)
    if raw[:head] != MAGIC:
        raise ValueError("not a listing")
    crc, size = int.from_bytes(raw[head : head + 4], "little"), int.from_bytes(raw[head + 4 : head + 12], "little")
    body = raw[head + 12 :]
    if len(body) != size or zlib.crc32(body) != crc:
        raise ValueError("a damaged listing")
    count = int.from_bytes(body[:8], "little")
    numbers = array("q")
    numbers.frombytes(body[8 : 8 + 40 * count])
    names = body[8 + 40 * count :].decode("utf-8", "surrogatepass").split("\0")
    listing: Listing = {}
    at = 0
    for i in range(count):
        ino, mtime, ctime, n_files, n_folders = numbers[5 * i : 5 * i + 5]
        rel = names[at]
        files = tuple(names[at + 1 : at + 1 + n_files])
        folders = tuple(names[at + 1 + n_files : at + 1 + n_files + n_folders])
        if len(folders) != n_folders or names[at + 1 + n_files + n_folders] != "":
            raise ValueError("a damaged listing")
        listing[rel] = Folder(ino, mtime, ctime, files, folders)
        at += 2 + n_files + n_folders
    return listing
