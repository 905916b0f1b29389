"""Datasets that grow by lines appended (JSON Lines): which of their bytes are new since they were read.

A refresh keeps the records of a file that only grew by whole lines and reads just the lines added;
the proof is the file's inode and the CRC-32 of the bytes that were read before (``record_sums``,
kept in the index's statistics). Re-reading 300,000 records for one appended took minutes.
"""

from __future__ import annotations

import os
import stat
import zlib
from pathlib import Path

from .corpus import FoundFile, Scan
from .formats import SourceFile

APPENDABLE = (".jsonl", ".ndjson")  # datasets that grow by lines appended: read incrementally
READ_PIECE = 1 << 24


def appended(file: FoundFile, stamp: tuple, known: list) -> SourceFile | None:
    """The part of a JSON Lines file added since it was read, when it only grew by whole lines.

    ``known``: [size, CRC-32] of the file as its records were read (see ``record_sums``). The file
    is the same one (inode), longer, and its first ``size`` bytes still have that CRC and end with a
    line break: then its known records stand, and only the bytes after them are read (300,000
    records re-read and re-analysed for one appended took minutes). Otherwise None: read it whole.
    """
    size, crc = known
    if not file.rel.lower().endswith(APPENDABLE) or not 0 < size < file.size or file.ino != stamp[2]:
        return None
    lines, sum_ = 0, 0
    try:
        with _regular_file(file.location) as handle:
            last = b""
            for done in range(0, size, READ_PIECE):
                piece = handle.read(min(READ_PIECE, size - done))
                if not done and piece.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
                    return None  # UTF-16 or UTF-32: its appended part alone has no byte order mark to say so
                lines, sum_, last = lines + piece.count(b"\n"), zlib.crc32(piece, sum_), piece[-1:] or last
    except OSError:
        return None
    if sum_ != crc or last != b"\n":
        return None
    return SourceFile(
        file.rel, Path(file.location), file.size, file.mtime_ns, start=size, first_line=lines + 1, ino=file.ino
    )


def _regular_file(location: str):
    """A file opened unbuffered without waiting on a pipe swapped in since the walk (OSError if not regular)."""
    handle = open(os.open(location, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb", buffering=0)  # noqa: SIM115
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise OSError(f"{location} is not a regular file")
    return handle


def record_sums(walk: Scan) -> dict[str, list[int]]:
    """[size, CRC-32] of each JSON Lines file whose stamp is still the walk's: what ``appended`` checks.
    (A file changed since the walk has another stamp; it is read whole at the next refresh.)"""
    sums: dict[str, list[int]] = {}
    if not any(rel.lower().endswith(APPENDABLE) for rel in walk.rels):
        return sums  # (no FoundFile made for each of 100,000 other files)
    for file in walk.files():
        if not file.rel.lower().endswith(APPENDABLE):
            continue
        try:
            with _regular_file(file.location) as handle:
                crc = 0
                while piece := handle.read(READ_PIECE):
                    crc = zlib.crc32(piece, crc)
                now = os.fstat(handle.fileno())
        except OSError:
            continue
        if (now.st_size, now.st_mtime_ns, now.st_ino, now.st_ctime_ns) == file[2:]:
            sums[file.rel] = [file.size, crc]
    return sums
