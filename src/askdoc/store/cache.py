"""The index cache as only this user may touch it: private folders, the write lock and who holds it,
files created and opened without following symlinks or waiting on a pipe.

Another user who may write in a cache folder could plant a symlink named like askdoc's temporary
files (making this user overwrite what it points to) or a crafted index; a FIFO or /dev/zero in
place of an index file would hang a reader or fill its memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
from pathlib import Path

from .checks import CorruptIndex


def make_private(folder: Path) -> None:
    """Create the index folder (and the folder of indexes) readable and writable by this user only."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)


def unsafe(folder: Path) -> str | None:
    """Why the folder of indexes or this index folder must not be used, or None.

    As ssh (StrictModes) and git (safe.directory) refuse: a folder another user owns or may write
    in lets that user plant files (a symlink named like askdoc's temporary files would make this
    user overwrite what it points to) or a crafted index. A folder of this user's that others may
    write in (an older askdoc, a umask of 002) is made private instead, and what it held is removed
    (``made_private``): it is rebuilt once.
    """
    root = folder.parent.parent  # the cache folder: another user who may rename in it may swap ours
    with contextlib.suppress(OSError):  # (missing, or not a folder: creating the index folder then fails)
        info = os.stat(root)
        if info.st_uid not in (os.geteuid(), 0):
            return f"{root} belongs to another user (uid {info.st_uid})"
        if info.st_mode & 0o002 and not info.st_mode & stat.S_ISVTX:  # (a sticky /tmp is fine)
            return f"{root} may be written by other users (mode {stat.S_IMODE(info.st_mode):o})"
    for path in (folder.parent, folder):
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):  # (creating it fails, and says so)
            continue
        except OSError as err:
            return f"{path} cannot be examined ({err.strerror or err})"
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            return f"{path} is not a folder (a symlink?)"
        if info.st_uid != os.geteuid():
            return f"{path} belongs to another user (uid {info.st_uid})"
    return None


def made_private(folder: Path) -> str | None:
    """Close the folder of indexes and this index folder to other users when they were open to their
    writes, and empty this index folder (what another user may have planted in it is not read).
    Returns what was done, for a warning, or None when they were private already."""
    opened = []
    for path in (folder.parent, folder):
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if mode & 0o022:
                os.chmod(path, 0o700)
                opened.append(f"{path} (mode {mode:o})")
    if not opened:
        return None
    with contextlib.suppress(OSError):
        for child in folder.iterdir():
            remove(child)
    return f"{', '.join(opened)} could be written by other users: made private, and its index is rebuilt"


@contextlib.contextmanager
def write_lock(folder: Path, wait: bool = True):
    """Serialise writers; the kernel drops the lock if its holder dies. The holder writes its pid in
    the lock file, so that a process that finds the lock taken can say whom it waits for.

    With ``wait=False`` it raises BlockingIOError at once when another writer holds it.
    """
    make_private(folder)
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{folder / 'lock'} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_holder(folder: Path) -> str:
    """Who holds the write lock, as far as the lock file and /proc tell: "pid 123, askdoc index (stopped)"."""
    try:
        fd = open_regular(folder / "lock", 64)
        try:
            pid = int(os.pread(fd, 32, 0).split()[0])
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError, CorruptIndex):
        return "another process"
    described = f"pid {pid}"
    with contextlib.suppress(OSError):
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        shown = " ".join(
            "…" if len(w.split()) > 1 else os.path.basename(w.decode(errors="replace")) for w in words[:4] if w
        )
        described += f", {shown[:60]}" if shown else ""
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        described += " (stopped)" if state in ("T", "t") else ""
    return described


def open_regular(path: Path, limit: int) -> int:
    """A descriptor of ``path`` when it is a regular file of at most ``limit`` bytes: never a symlink
    followed, never a wait on a FIFO, never /dev/zero read (CorruptIndex otherwise)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        kind = "larger than it may be" if stat.S_ISREG(info.st_mode) else "not a regular file"
        raise CorruptIndex(f"{path.name} is {kind}")
    return fd


def read_regular(path: Path, limit: int) -> bytes:
    fd = open_regular(path, limit)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit + 1)


def create(path: Path) -> int:
    """A new file of ours: O_EXCL|O_NOFOLLOW, so that a symlink planted under its name is never followed."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def remove(path: Path) -> None:
    """Remove a file, a symlink (never what it points to) or a folder, if there."""
    if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)
