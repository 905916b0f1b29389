"""The index's string tables as packed blobs read lazily: vocabulary, word stems, article metadata, scanned files.

Each table is one blob of items joined by a separator that no item holds (NUL for terms,
words and file names; a newline for JSON Lines, whose strings escape their newlines), with
an int64 array of where each item starts (``ptr[i]``; the item ends one byte before
``ptr[i + 1]``). A query decodes only the few items it needs: a term is found by binary
search over a permutation sorted by the term's bytes, a stem by binary search over words
stored in sorted order, an article's metadata by its line. Loading a 1M-passage index then
costs a few memory maps, not parsing 30 MB of JSON into 300,000 Python objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

SEPARATOR = b"\0"
Blob = Any  # bytes in memory, a memory-mapped uint8 array, or TextParts (a stored index's texts)


def byte_view(blob: Any) -> memoryview:
    """A blob's bytes as a memoryview (numpy's arrays export their buffer; its stubs do not say so)."""
    return memoryview(blob)


class TextParts:
    """An index's texts in two files end to end: ``base`` (texts.bin) and ``tail`` (texts-tail.bin, the texts
    read since texts.bin was written). Each article's text lies whole in one of them; its offsets count
    from the start of ``base``. A refresh that keeps most of ``base`` keeps the file itself (``source``:
    the texts.bin it is mapped from, and its CRC-32): the new generation links it, and writes only the tail.
    """

    def __init__(self, base: Any, tail: Any = b"", source: tuple[Any, int] | None = None) -> None:
        self.base, self.tail, self.source = base, tail, source
        self.split = len(base)

    def __len__(self) -> int:
        return self.split + len(self.tail)

    def __bytes__(self) -> bytes:
        return bytes(self.base) + bytes(self.tail)

    def __getitem__(self, key: slice) -> Any:
        if not isinstance(key, slice):  # one byte
            return self[key : key + 1][0]
        start, stop = key.start or 0, len(self) if key.stop is None else key.stop
        if start >= self.split:
            return self.tail[start - self.split : stop - self.split]
        if stop <= self.split:
            return self.base[start:stop]
        return bytes(self.base[start:]) + bytes(self.tail[: stop - self.split])  # (texts side by side, copied)


def pack(items: Iterable[bytes], separator: bytes = SEPARATOR) -> tuple[bytes, np.ndarray]:
    """(blob, ptr) of byte strings: item i is ``blob[ptr[i] : ptr[i + 1] - 1]``."""
    items = list(items)
    ptr = np.zeros(len(items) + 1, dtype=np.int64)
    if items:
        np.cumsum(np.fromiter((len(item) + 1 for item in items), dtype=np.int64, count=len(items)), out=ptr[1:])
    return separator.join(items), ptr


def encoded(text: str) -> bytes:
    # surrogatepass: file names that are not valid UTF-8 (surrogate escapes) round-trip exactly
    return text.encode("utf-8", "surrogatepass")


def decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # a damaged blob shows U+FFFD, never raises
        return raw.decode("utf-8", "replace")


class TermLookup(Protocol):
    """term -> id, as a dict gives it (a built vocabulary) or a binary search does (a stored one)."""

    def get(self, term: str, default: Any = None) -> Any: ...

    def __contains__(self, term: object) -> bool: ...

    def __getitem__(self, term: str) -> int: ...


class TermTable(Protocol):
    """A vocabulary, built or stored: terms by id, and ``ids`` to find a term's id."""

    @property
    def ids(self) -> TermLookup: ...

    def __len__(self) -> int: ...

    def __getitem__(self, term_id: int) -> str: ...

    def __iter__(self) -> Iterator[str]: ...


class TermList(list[str]):
    """A vocabulary a build made: terms in id order, with the dict of their ids it numbered them by."""

    def __init__(self, terms: Iterable[str] = (), ids: dict[str, int] | None = None) -> None:
        super().__init__(terms)
        self._ids = ids

    @property
    def ids(self) -> dict[str, int]:
        if self._ids is None or len(self._ids) != len(self):
            self._ids = {term: i for i, term in enumerate(self)}
        return self._ids


class StemLookup(Protocol):
    """word -> stem, built (a dict) or stored (a ``StemTable``)."""

    def get(self, word: str, default: Any = None) -> Any: ...

    def __contains__(self, word: object) -> bool: ...

    def all(self) -> dict[str, str]: ...

    def working_copy(self) -> dict[str, str]: ...


class StemDict(dict[str, str]):
    """The stems a build learned: a plain dict."""

    def all(self) -> dict[str, str]:
        return dict(self)

    def working_copy(self) -> dict[str, str]:
        """What an analyzer searching the index starts from: a copy (what it learns stays its own)."""
        return dict(self)


class Packed(Sequence[str]):
    """Strings in a blob with start offsets; item i decoded on demand."""

    def __init__(self, blob, ptr: np.ndarray) -> None:
        self.blob = blob  # bytes, or a memory-mapped uint8 array
        self.ptr = ptr
        # memoryviews: indexing gives Python ints and slices without a numpy object each (~7x faster)
        self._bytes = byte_view(blob)
        self._starts = byte_view(np.ascontiguousarray(ptr))

    def __len__(self) -> int:
        return max(len(self.ptr) - 1, 0)

    def raw(self, number: int) -> bytes:
        return bytes(self._bytes[self._starts[number] : self._starts[number + 1] - 1])

    def __getitem__(self, number):  # type: ignore[override]
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        if not 0 <= number < len(self):
            raise IndexError(number)
        return decoded(self.raw(number))

    def __iter__(self) -> Iterator[str]:
        if not len(self):
            return iter(())
        items = decoded(bytes(self._bytes[: self._starts[len(self)] - 1])).split(SEPARATOR.decode())
        if len(items) != len(self):  # an item holds the separator (an id from a JSON record may)
            items = [self[i] for i in range(len(self))]
        return iter(items)


class Vocabulary(Packed):
    """Terms in term-id order; ``ids`` finds a term's id by binary search over ``order``."""

    def __init__(self, blob, ptr: np.ndarray, order: np.ndarray) -> None:
        super().__init__(blob, ptr)
        self.order = order  # term ids sorted by their UTF-8 bytes
        self.ids = TermIds(self)

    def __iter__(self) -> Iterator[str]:
        return iter(list(super().__iter__()))

    def find(self, term: str) -> int | None:
        key, order = encoded(term), self.order
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(int(order[mid])) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(order) and self.raw(int(order[lo])) == key:
            return int(order[lo])
        return None


class TermIds:
    """term -> id, read from a Vocabulary on first use (the part of a dict that Index uses)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.known: dict[str, int | None] = {}

    def get(self, term: str, default: Any = None) -> Any:
        found = self.known.get(term, -1)
        if found == -1:
            found = self.known[term] = self.vocabulary.find(term)
        return default if found is None else found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found


class StemTable(dict):
    """word -> stem: a dict (the Analyzer's cache) that looks a missing word up in the stored table.

    Words and stems alternate in a Packed table sorted by word. ``all()`` decodes every entry,
    as a refresh needs them to stem new articles the same way.
    """

    def __init__(self, pairs: Packed) -> None:
        super().__init__()
        self.pairs = pairs

    def _stored(self, word: str) -> str | None:
        pairs, key = self.pairs, encoded(word)
        lo, hi = 0, len(pairs) // 2
        while lo < hi:
            mid = (lo + hi) // 2
            if pairs.raw(2 * mid) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(pairs) // 2 and pairs.raw(2 * lo) == key:
            stem = pairs[2 * lo + 1]
            self[word] = stem
            return stem
        return None

    def get(self, word, default=None):
        stem = dict.get(self, word)
        if stem is None and isinstance(word, str):
            stem = self._stored(word)
        return default if stem is None else stem

    def __missing__(self, word):
        stem = self._stored(word) if isinstance(word, str) else None
        if stem is None:
            raise KeyError(word)
        return stem

    def __contains__(self, word: object) -> bool:
        return self.get(word) is not None

    def __bool__(self) -> bool:
        return bool(len(self.pairs)) or dict.__len__(self) > 0

    def all(self) -> dict[str, str]:
        items = list(self.pairs)
        return dict(zip(items[0::2], items[1::2])) | dict(self.items())

    def working_copy(self) -> StemTable:
        """What an analyzer searching the index starts from: the table itself, looked up word by word, not copied."""
        return self


def pack_stems(stems: dict[str, str]) -> tuple[bytes, np.ndarray]:
    pairs = sorted((encoded(word), encoded(stem)) for word, stem in stems.items())
    return pack(part for pair in pairs for part in pair)


class ArticleTable(Sequence[dict]):
    """Article metadata as JSON Lines, one parsed (and remembered) only when asked for.

    ``lines`` is a Packed table (a stored index) or a list of dicts and raw lines (a refresh
    carries unchanged articles' lines over without parsing them).
    """

    def __init__(self, lines: Packed | Sequence[dict | bytes], check=None) -> None:
        self.lines = lines
        self.parsed: dict[int, dict[str, Any]] = {}
        self.check = check  # check(number, line, meta): raises when a stored line is not what was written

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, number):  # type: ignore[override]
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        meta = self.parsed.get(number)
        if meta is None:
            line = self.raw(number)
            meta = line if isinstance(line, dict) else _article_meta(line, number)
            if self.check is not None and not isinstance(line, dict):
                self.check(number, line, meta)
            self.parsed[number] = meta
        return meta

    def __iter__(self) -> Iterator[dict]:
        for number in range(len(self)):
            yield self[number]

    def raw(self, number: int) -> bytes | dict:
        """The stored line (a dict for an article added since the index was loaded)."""
        lines = self.lines
        return lines.raw(number) if isinstance(lines, Packed) else lines[number]


def _article_meta(raw: bytes, number: int) -> dict[str, Any]:
    """One article's metadata; a damaged line gives a placeholder rather than an exception mid-search."""
    try:
        meta = json.loads(raw)
    except ValueError:
        meta = None
    if isinstance(meta, dict) and isinstance(meta.get("id"), str) and isinstance(meta.get("title"), str):
        return meta
    return {"id": f"damaged-{number}", "title": ""}


def pack_articles(articles: Sequence[dict]) -> tuple[bytes, np.ndarray]:
    """JSON Lines (ASCII escapes keep file names that are not valid UTF-8 exact); stored lines pass as they are."""
    dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    lines = (articles.raw(i) for i in range(len(articles))) if isinstance(articles, ArticleTable) else articles
    return pack((line if isinstance(line, bytes) else dumps(line).encode("ascii") for line in lines), b"\n")


class FileList:
    """The corpus files as a refresh saw them, in scan order: names, sizes, modification times, inodes and
    change times (a file swapped in by rename, or rewritten with its time put back, has another)."""

    def __init__(self, blob, sizes: np.ndarray, mtimes: np.ndarray, inos=None, ctimes=None) -> None:
        self.blob = blob
        self.sizes = sizes
        self.mtimes = mtimes
        self.inos = inos if inos is not None else np.zeros(len(sizes), dtype=np.int64)
        self.ctimes = ctimes if ctimes is not None else np.zeros(len(sizes), dtype=np.int64)

    @classmethod
    def of(cls, files: Sequence) -> FileList:
        """From scanned files (anything with rel, size and mtime_ns, and ino and ctime_ns where known)."""
        return cls.of_columns(
            [f.rel for f in files],
            [f.size for f in files],
            [f.mtime_ns for f in files],
            [getattr(f, "ino", 0) for f in files],
            [getattr(f, "ctime_ns", 0) for f in files],
        )

    @classmethod
    def of_columns(cls, rels: list[str], sizes: list[int], mtimes: list[int], inos=(), ctimes=()) -> FileList:
        blob = encoded(SEPARATOR.decode().join(rels))
        columns = [np.array(c or [0] * len(sizes), dtype=np.int64) for c in (sizes, mtimes, list(inos), list(ctimes))]
        return cls(blob, *columns)

    def __len__(self) -> int:
        return len(self.sizes)

    def rels(self) -> list[str]:
        return decoded(bytes(self.blob)).split(SEPARATOR.decode()) if len(self) else []

    def stamps(self) -> list[tuple[int, int, int, int]]:
        """(size, mtime, inode, ctime) of each file."""
        return list(zip(*(c.tolist() for c in (self.sizes, self.mtimes, self.inos, self.ctimes))))

    def same_as(self, other: FileList) -> bool:
        """Whether the two scans saw exactly the same files, sizes, times and inodes: nothing to refresh."""
        return (
            len(self) == len(other)
            and bytes(self.blob) == bytes(other.blob)
            and np.array_equal(self.sizes, other.sizes)
            and np.array_equal(self.mtimes, other.mtimes)
            and np.array_equal(self.inos, other.inos)
            and np.array_equal(self.ctimes, other.ctimes)
        )
