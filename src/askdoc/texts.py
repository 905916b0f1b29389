"""The articles' texts as a build collects them: end to end in one buffer, or in a temporary file off the heap."""

from __future__ import annotations

import tempfile
from array import array
from pathlib import Path

import numpy as np


class TextBuffer:
    """UTF-8 texts end to end, with each one's length.

    Given a folder (``spill_to``), the texts go to an unnamed temporary file there (gone when
    closed, or when the process dies) and ``finished()`` maps it read-only: a 1M-passage build
    then holds none of its ~0.5 GB of texts in memory, only in the page cache, which the kernel
    writes out and reclaims as it needs. Should the file fail (a full disk), what it holds is
    read back and the texts carry on in memory.
    """

    def __init__(self, spill_to: Path | None = None) -> None:
        self.lengths = array("q")
        self._memory = bytearray()
        self._file = None
        self._spilled = 0  # bytes written to the file
        if spill_to is not None:
            try:
                self._file = tempfile.TemporaryFile(dir=spill_to, buffering=0)  # noqa: SIM115 - closed in finished()
            except OSError:
                self._file = None

    def add(self, text) -> None:
        """One text (bytes, or any buffer of bytes)."""
        self.lengths.append(len(text))
        self._write(text)

    def add_many(self, texts, lengths) -> None:
        """Texts end to end, with their lengths (another buffer's ``joined()``)."""
        self.lengths.extend(np.asarray(lengths, dtype=np.int64).tolist())
        self._write(texts)

    def joined(self) -> tuple[bytes | bytearray | np.ndarray, np.ndarray]:
        """(the texts end to end, their lengths): what a worker process sends its parent."""
        return self.finished(), np.frombuffer(self.lengths, dtype=np.int64).copy()

    def finished(self) -> bytes | bytearray | np.ndarray:
        """The texts end to end: in memory, or the temporary file mapped read-only."""
        if self._file is None:
            return self._memory
        file, self._file = self._file, None
        with file:
            return np.memmap(file, dtype=np.uint8, mode="r").view(np.ndarray) if self._spilled else b""

    def _write(self, data) -> None:
        if self._file is not None:
            view = memoryview(data).cast("B")
            try:
                while len(view):
                    written = self._file.write(view)
                    self._spilled += written
                    view = view[written:]
                return
            except OSError:  # e.g. no space left: carry on in memory with what was written
                self._back_to_memory()
                data = view
        self._memory += data

    def _back_to_memory(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        with file:
            file.seek(0)
            self._memory = bytearray(memoryview(file.readall())[: self._spilled])
