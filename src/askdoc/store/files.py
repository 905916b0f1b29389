"""The files of a stored generation: memory-mapped arrays and blobs checked before use, written with their CRC-32.

Files are opened without following symlinks and without blocking (a FIFO planted in the cache must
not hang a reader), and must be regular files of the size meta.json gives before they are mapped.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .cache import create, open_regular
from .checks import CorruptIndex
from .data import IndexData
from .tables import TextParts, byte_view

WRITE_PIECE = 1 << 24  # bytes of a memory-mapped blob written at a time


def verify_mapped(name: str, mapped, meta: dict) -> None:
    """Compare a mapped file's CRC-32 with meta.json's, a window at a time, each window's pages let go
    once summed: checking a large index whole does not make it resident."""
    base = mapping(mapped)
    if base is None:
        crc = zlib.crc32(bytes(mapped))
    else:
        crc, view = 0, memoryview(base)
        for start in range(0, len(view), WRITE_PIECE):
            crc = zlib.crc32(view[start : start + WRITE_PIECE], crc)
            if hasattr(mmap, "MADV_DONTNEED"):
                with contextlib.suppress(OSError, ValueError):
                    base.madvise(mmap.MADV_DONTNEED, start, min(WRITE_PIECE, len(view) - start))
        view.release()
    if meta["sums"].get(name) != crc:
        raise CorruptIndex(f"{name} fails its checksum")


def mapped_blob(gen: Path, name: str, size: int):
    fd = open_regular(gen / name, size)
    try:
        if os.fstat(fd).st_size != size:
            raise CorruptIndex(f"{name} has the wrong size")
        return np.frombuffer(mmap.mmap(fd, 0, access=mmap.ACCESS_READ), dtype=np.uint8) if size else b""
    finally:
        os.close(fd)


def write_blob(handle, blob) -> None:
    """Write bytes; a memory-mapped blob (a build's texts, see texts.py) a piece at a time, each piece's
    pages let go once written, so that its ~0.5 GB at 1M passages never become resident together."""
    if mapping(blob) is None:
        handle.write(blob)
        return
    view = memoryview(blob)
    for start in range(0, len(view), WRITE_PIECE):
        handle.write(view[start : start + WRITE_PIECE])
        release(blob)


def mapping(array) -> mmap.mmap | None:
    """The memory map under an array, if any."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return base


def release(array: np.ndarray | bytes) -> None:
    """Let go of the pages the checks read (they stay in the page cache): a loaded index stays small in
    memory, and a query brings back only the pages it reads, as tantivy's memory maps do. (Where the
    page cache holds large folios, as ext4 does on Linux 6.x, one byte read maps up to 2 MB.)"""
    base = mapping(array)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            base.madvise(mmap.MADV_DONTNEED)


_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def mapped_array(gen: Path, name: str, dtype: str, meta: dict) -> np.ndarray:
    """A .npy file mapped from a descriptor checked first (regular, the size meta.json gives)."""
    try:
        size = meta["sizes"][name]
        fd = open_regular(gen / f"{name}.npy", size)
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                if os.fstat(fd).st_size != size:
                    raise CorruptIndex(f"{name}.npy has the wrong size")
                shape, _, stored = _HEADERS[np.lib.format.read_magic(handle)](handle)
                offset = handle.tell()
            if stored != np.dtype(dtype) or len(shape) != 1:
                raise CorruptIndex(f"{name}.npy has the wrong type")
            if offset + shape[0] * stored.itemsize != size:
                raise CorruptIndex(f"{name}.npy has the wrong size")
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
    except (OSError, ValueError, KeyError) as err:
        raise CorruptIndex(f"{name}.npy: {err}") from err
    return np.frombuffer(mapped, dtype=stored, count=shape[0], offset=offset)


class Summed:
    """A file being written, with the CRC-32 of what went into it."""

    def __init__(self, path: Path) -> None:
        self.handle = os.fdopen(create(path), "wb")
        self.crc = 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.handle.write(data)

    def __enter__(self) -> Summed:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def text_sums(data: IndexData) -> np.ndarray:
    """Each article's text's CRC-32 (those a refresh kept come with the index: ``data.text_sums``)."""
    n = len(data.arrays["a_text_start"])
    if data.text_sums is not None and len(data.text_sums) == n:
        return np.asarray(data.text_sums, dtype=np.uint32)
    return crc_of_texts(data.texts, data.arrays["a_text_start"], data.arrays["a_text_end"])


def crc_of_texts(texts, starts, ends) -> np.ndarray:
    """The CRC-32 of each text, at these offsets in ``texts`` (bytes, a mapped blob or TextParts)."""
    if isinstance(texts, TextParts):
        view = lambda start, end: texts[start:end]  # noqa: E731
    else:
        whole = byte_view(texts) if len(texts) else memoryview(b"")
        view = lambda start, end: whole[start:end]  # noqa: E731
    crc = zlib.crc32
    return np.array(
        [crc(view(start, end)) for start, end in zip(np.asarray(starts).tolist(), np.asarray(ends).tolist())],
        dtype=np.uint32,
    )


def line_sums(blob: bytes, ptr: np.ndarray) -> np.ndarray:
    """Each packed item's CRC-32 (without its separator)."""
    view, bounds, crc = memoryview(blob), np.asarray(ptr).tolist(), zlib.crc32
    return np.array([crc(view[start : end - 1]) for start, end in zip(bounds, bounds[1:])], dtype=np.uint32)


def write_json(path: Path, value: Any) -> None:
    with os.fdopen(create(path), "w", encoding="utf-8") as handle:
        # ASCII escapes keep file names that are not valid UTF-8 (surrogates) storable and exact
        # dumps, not dump: only the one-shot encoder is C (dump was ~10 s of a 100k-passage refresh)
        handle.write(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
