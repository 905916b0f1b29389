"""The index on disk: one .npy per array plus JSON, versioned, committed atomically by a rename.

Layout of an index folder (one per corpus, in the user cache directory)::

    CURRENT            the name of the committed generation, replaced atomically
    lock               writers hold an exclusive flock on it (released if they die)
    gen-000007/        one generation: *.npy, texts.bin, vocab.bin, stems.bin, articles.jsonl,
                       files.bin, meta.json (sizes of all, format version, BM25 statistics)

The string tables are packed blobs read lazily (see tables.py), so that loading is a few
memory maps whatever the corpus size. A writer builds ``gen-N.tmp-PID`` in full, fsyncs it, renames it to ``gen-N`` and then
replaces CURRENT (as SQLite and Lucene commit: a reader never sees a half-written index).
Nothing is pickled: arrays load with ``allow_pickle=False`` and memory-mapped.

Every file of a generation has a CRC-32 in meta.json (and meta.json one of its own content), as
Lucene's codec footers do: a generation small enough is verified whole at each load, a larger one
file by file where it is cheap and whole by ``askdoc index`` and before a refresh copies from it;
each article's text has its own CRC, checked whenever the text is read (before it is quoted).
Files are opened without following symlinks and without blocking (a FIFO planted in the cache must
not hang a reader), and must be regular files of the size meta.json gives before they are mapped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import mmap
import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cache import (
    create,
    lock_holder,
    made_private,
    make_private,
    open_regular,
    read_regular,
    remove,
    unsafe,
    write_lock,
)
from .checks import (
    CorruptIndex,
    IndexDamaged,
    check_forward,
    check_parameters,
    check_pointers,
    check_shapes,
    check_tables,
    check_values,
)
from .retrieval.table import PASSAGE_ARRAYS, Stats
from .tables import ArticleTable, FileList, Packed, StemLookup, StemTable, TermTable, Vocabulary, pack_tables

__all__ = [
    "CorruptIndex",
    "IndexDamaged",
    "IndexData",
    "SkippedFile",
    "Stats",
    "check_forward",
    "load",
    "lock_holder",
    "made_private",
    "save",
    "unsafe",
    "verify",
    "write_lock",
]

# 3: string tables as packed blobs read lazily, the file list; 4: article ids; 5: post_tf; 6: "M&S" one term;
# 7: "won" and "Don" are words; 8: checksums, files' inodes and change times; 9: statistics and skipped files stored
# by name (an index of format 8 is rebuilt, as a damaged one is, with a warning). A change to the analysis (stop words, the token pattern) changes the
# terms an index holds, so it takes a new version: older indexes are then rebuilt.
FORMAT_VERSION = 9
_GENERATION = re.compile(r"gen-\d{6,12}")  # what CURRENT may name: never a path out of the folder

ARRAYS = PASSAGE_ARRAYS  # name -> dtype; every array an index holds (declared with the table that reads them)
# the tables' arrays: saved and loaded like the others, kept apart from IndexData.arrays
TABLE_ARRAYS: dict[str, str] = {
    "v_ptr": "int64",  # term id -> its bytes in vocab.bin
    "v_order": "int32",  # term ids sorted by their bytes: binary search
    "stem_ptr": "int64",  # word, stem, word, stem... in stems.bin, sorted by word
    "a_meta_ptr": "int64",  # article -> its metadata line in articles.jsonl
    "a_file": "int32",  # article -> the file it came from in the file list (-1: none)
    "a_id_ptr": "int64",  # article -> its id in ids.bin (ids apart: a refresh needs them, not the metadata)
    "file_size": "int64",  # the file list, in scan order (names in files.bin)
    "file_mtime": "int64",
    "file_ino": "int64",  # the file's inode and change time: a file swapped in by rename is noticed (as git does)
    "file_ctime": "int64",
    "a_text_crc": "uint32",  # each article's text's CRC-32: checked whenever the text is read
    "a_meta_crc": "uint32",  # each article's metadata line's CRC-32: checked whenever it is parsed
}
BLOBS = ("texts.bin", "vocab.bin", "stems.bin", "articles.jsonl", "ids.bin", "files.bin")
WRITE_PIECE = 1 << 24  # bytes of a memory-mapped blob written at a time
VERIFY_WHOLE_UP_TO = 48 << 20  # a generation this size is checksummed whole at each load (~30 ms)
VERIFY_FILE_UP_TO = 1 << 20  # in a larger one, each file this size; the rest by verify()
META_LIMIT = 256 << 20  # meta.json larger than this is not read (a planted /dev/zero would fill memory)
DAMAGED = "DAMAGED"  # a generation a reader found damaged (an article's text failing its CRC): rebuilt


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file of the corpus that gave no article: its stamp when it was read, and why (stored by name)."""

    size: int
    mtime_ns: int
    reason: str = "unreadable"
    unopened: bool = False  # it could not be opened at all (permissions): tried again once it can be

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "reason": self.reason, "unopened": self.unopened}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SkippedFile:
        """From its stored fields; a field of the wrong type is damage (TypeError, KeyError)."""
        size, mtime, reason, unopened = stored["size"], stored["mtime_ns"], stored["reason"], stored["unopened"]
        if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(reason, str)):
            raise TypeError("a skipped file's stamp is not numbers and a reason")
        return cls(size, mtime, reason, bool(unopened))


@dataclass
class IndexData:
    """Everything an index holds, as arrays and tables: what the store saves and loads.

    A freshly built index holds a ``TermList`` and a ``StemDict``; a loaded one the lazy tables of
    tables.py (Vocabulary, StemTable, ArticleTable), which read the same way (``TermTable``,
    ``StemLookup``).
    """

    arrays: dict[str, np.ndarray]
    texts: bytes | memoryview | np.ndarray
    vocab: TermTable
    stems: StemLookup
    articles: Sequence[dict[str, Any]]  # metadata, plus the source file's rel, size and mtime_ns
    stats: Stats = field(default_factory=Stats)
    files: FileList | None = None  # the corpus files as the last refresh saw them
    article_files: np.ndarray | None = None  # article -> its file in ``files`` (-1: none)
    article_ids: Sequence[str] | None = None  # the articles' ids, when known apart from their metadata
    grown_from: tuple[Vocabulary, StemTable] | None = None  # the stored tables a refresh extends
    text_sums: np.ndarray | None = None  # article -> CRC-32 of its text (a stored index)
    generation: Path | None = None  # the folder it was loaded from
    verified: bool = False  # every file of it checksummed at load
    readers: int | None = None  # the version of the file readers its articles were read with
    skipped: dict[str, SkippedFile] = field(default_factory=dict)  # rel -> why its file gave no article
    records: dict[str, Any] = field(default_factory=dict)  # record files' sums, to read only lines added
    saved: bool = False  # stored as it is (False: built in memory, or its folder could not be written)
    stored_tables: tuple[Vocabulary, StemTable] | None = None  # a loaded index's own tables

    def article_text(self, number: int) -> bytes:
        """An article's stored text (UTF-8), checked against its CRC-32 when it has one.

        A mismatch (a byte of texts.bin changed: "rose" made "fell") raises IndexDamaged, and the
        generation is marked so that the next run rebuilds it rather than quote a text no file says.
        """
        a = self.arrays
        raw = bytes(self.texts[int(a["a_text_start"][number]) : int(a["a_text_end"][number])])
        if self.text_sums is not None and zlib.crc32(raw) != int(self.text_sums[number]):
            self.damaged(f"the text of article {number} fails its checksum")
        return raw

    def check_meta(self, sums: np.ndarray, number: int, line: bytes, meta: dict) -> None:
        """A stored metadata line is the one written for this article (its CRC-32, its id)."""
        if zlib.crc32(line) != int(sums[number]):
            self.damaged(f"the metadata of article {number} fails its checksum")
        if self.article_ids is not None and meta.get("id") != self.article_ids[number]:
            self.damaged(f"article {number}'s metadata names another article")

    def damaged(self, what: str):
        """Refuse to answer from damage found while answering; mark the generation so that the next run
        rebuilds it rather than read it again."""
        if self.generation is not None:
            with contextlib.suppress(OSError):
                os.close(create(self.generation / DAMAGED))
        raise IndexDamaged(f"the stored index is damaged ({what}); it is rebuilt on the next run")

    def ids(self) -> Sequence[str]:
        return self.article_ids if self.article_ids is not None else [meta["id"] for meta in self.articles]

    @property
    def n_passages(self) -> int:
        return len(self.arrays["p_article"])

    def all_stems(self) -> dict[str, str]:
        return self.stems.all()


def index_dir_for(corpus: Path, cache_root: Path) -> Path:
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


def current_generation(folder: Path) -> Path | None:
    """The committed generation CURRENT names, or None when it is missing or names anything else."""
    try:
        name = read_regular(folder / "CURRENT", 64).decode("ascii").strip()
    except (OSError, UnicodeDecodeError, CorruptIndex):
        return None
    return folder / name if _GENERATION.fullmatch(name) else None


def load(folder: Path, verify_all: bool = False) -> IndexData | None:
    """The committed index in ``folder``; None when there is none; CorruptIndex when damaged.

    ``verify_all``: checksum every file, however large the generation (``askdoc index`` does).
    """
    gen = current_generation(folder)
    if gen is None:
        if os.path.lexists(folder / "CURRENT"):
            raise CorruptIndex("CURRENT does not name a generation of this folder")
        return None
    try:
        return _load_generation(gen, verify_all)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as err:
        # whatever a tampered file makes the checks below trip over, it is not trusted
        raise CorruptIndex(f"{type(err).__name__}: {err}") from err


def _meta(gen: Path) -> dict:
    try:
        meta = json.loads(read_regular(gen / "meta.json", META_LIMIT).decode("utf-8"))
    except (OSError, ValueError) as err:
        raise CorruptIndex(f"unreadable meta.json ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise CorruptIndex(f"index format {meta.get('format') if isinstance(meta, dict) else None!r}, "
                           f"this askdoc reads {FORMAT_VERSION}")  # fmt: skip
    if meta.get("check") != _meta_sum(meta):
        raise CorruptIndex("meta.json fails its checksum")
    if not all(isinstance(meta.get(key), dict) for key in ("stats", "sums", "skipped", "records")):
        raise CorruptIndex("its statistics are not an object")
    if os.path.lexists(gen / DAMAGED):
        raise CorruptIndex("a reader found an article failing its checksum in it")
    return meta


def _meta_sum(meta: dict) -> int:
    content = {key: meta.get(key) for key in ("format", "sizes", "stats", "readers", "skipped", "records", "sums")}
    return zlib.crc32(json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode())


def _load_generation(gen: Path, verify_all: bool = False) -> IndexData:
    meta = _meta(gen)
    arrays = {name: _array(gen, name, dtype, meta) for name, dtype in (ARRAYS | TABLE_ARRAYS).items()}
    blobs = {name: _blob(gen, name, meta["sizes"][name]) for name in BLOBS}
    whole = verify_all or sum(meta["sizes"].values()) <= VERIFY_WHOLE_UP_TO
    for name, mapped in [*((f"{n}.npy", a) for n, a in arrays.items()), *blobs.items()]:
        if whole or meta["sizes"][name.removesuffix(".npy")] <= VERIFY_FILE_UP_TO:
            _verify_mapped(name, mapped, meta)
    table = {name: arrays.pop(name) for name in TABLE_ARRAYS}
    pointers = (
        ("vocab.bin", "v_ptr"),
        ("stems.bin", "stem_ptr"),
        ("articles.jsonl", "a_meta_ptr"),
        ("ids.bin", "a_id_ptr"),
    )
    for name, ptr in pointers:
        check_pointers(table[ptr], len(blobs[name]), name)
    files = FileList(
        blobs["files.bin"], table["file_size"], table["file_mtime"], table["file_ino"], table["file_ctime"]
    )
    check_parameters(meta["stats"])
    vocabulary = Vocabulary(blobs["vocab.bin"], table["v_ptr"], table["v_order"])
    stems = StemTable(Packed(blobs["stems.bin"], table["stem_ptr"]))
    data = IndexData(
        arrays,
        blobs["texts.bin"],
        vocabulary,
        stems,
        ArticleTable(Packed(blobs["articles.jsonl"], table["a_meta_ptr"])),
        Stats.of(meta["stats"]),
        files,
        table["a_file"],
        Packed(blobs["ids.bin"], table["a_id_ptr"]),
        text_sums=table["a_text_crc"],
        generation=gen,
        verified=whole,
        readers=meta.get("readers"),
        skipped={rel: SkippedFile.of(stamp) for rel, stamp in meta["skipped"].items()},
        records=meta["records"],
        saved=True,
        stored_tables=(vocabulary, stems),
    )
    data.articles.check = functools.partial(data.check_meta, table["a_meta_crc"])
    check_shapes(data)
    check_tables(data)
    check_values(data, impacts=whole)
    for array in [*arrays.values(), *table.values(), *blobs.values()]:
        _release(array)
    return data


def verify(data: IndexData) -> None:
    """Checksum every file of the generation ``data`` was loaded from, unless its load did (CorruptIndex
    when one fails): what a refresh does before it copies from it, never carrying damage forward."""
    if data.generation is not None and not data.verified:
        try:
            _load_generation(data.generation, verify_all=True)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as err:
            raise CorruptIndex(f"{type(err).__name__}: {err}") from err
        data.verified = True


def _verify_mapped(name: str, mapped, meta: dict) -> None:
    """Compare a mapped file's CRC-32 with meta.json's, a window at a time, each window's pages let go
    once summed: checking a large index whole does not make it resident."""
    base = _mapping(mapped)
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


def _blob(gen: Path, name: str, size: int):
    fd = open_regular(gen / name, size)
    try:
        if os.fstat(fd).st_size != size:
            raise CorruptIndex(f"{name} has the wrong size")
        return np.frombuffer(mmap.mmap(fd, 0, access=mmap.ACCESS_READ), dtype=np.uint8) if size else b""
    finally:
        os.close(fd)


def _write_blob(handle, blob) -> None:
    """Write bytes; a memory-mapped blob (a build's texts, see texts.py) a piece at a time, each piece's
    pages let go once written, so that its ~0.5 GB at 1M passages never become resident together."""
    if _mapping(blob) is None:
        handle.write(blob)
        return
    view = memoryview(blob)
    for start in range(0, len(view), WRITE_PIECE):
        handle.write(view[start : start + WRITE_PIECE])
        _release(blob)


def _mapping(array) -> mmap.mmap | None:
    """The memory map under an array, if any."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return base


def _release(array: np.ndarray | bytes) -> None:
    """Let go of the pages the checks read (they stay in the page cache): a loaded index stays small in
    memory, and a query brings back only the pages it reads, as tantivy's memory maps do. (Where the
    page cache holds large folios, as ext4 does on Linux 6.x, one byte read maps up to 2 MB.)"""
    base = _mapping(array)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            base.madvise(mmap.MADV_DONTNEED)


_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _array(gen: Path, name: str, dtype: str, meta: dict) -> np.ndarray:
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


class _Summed:
    """A file being written, with the CRC-32 of what went into it."""

    def __init__(self, path: Path) -> None:
        self.handle = os.fdopen(create(path), "wb")
        self.crc = 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.handle.write(data)

    def __enter__(self) -> _Summed:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def text_sums(data: IndexData) -> np.ndarray:
    """Each article's text's CRC-32."""
    view = memoryview(data.texts) if len(data.texts) else memoryview(b"")
    starts, ends = np.asarray(data.arrays["a_text_start"]).tolist(), np.asarray(data.arrays["a_text_end"]).tolist()
    crc = zlib.crc32
    return np.array([crc(view[start:end]) for start, end in zip(starts, ends)], dtype=np.uint32)


def line_sums(blob: bytes, ptr: np.ndarray) -> np.ndarray:
    """Each packed item's CRC-32 (without its separator)."""
    view, bounds, crc = memoryview(blob), np.asarray(ptr).tolist(), zlib.crc32
    return np.array([crc(view[start : end - 1]) for start, end in zip(bounds, bounds[1:])], dtype=np.uint32)


def save(folder: Path, data: IndexData) -> Path:
    """Write ``data`` as a new generation and commit it; older generations are removed."""
    make_private(folder)
    _tag_as_cache(folder.parent)
    previous = current_generation(folder)
    number = int(previous.name[4:]) + 1 if previous and previous.name[4:].isdigit() else 1
    gen = folder / f"gen-{number:06d}"
    tmp = folder / f"{gen.name}.tmp-{os.getpid()}"
    remove(tmp)
    tmp.mkdir(mode=0o700)
    pointer = folder / f"CURRENT.tmp-{os.getpid()}"
    try:
        sizes, sums = {}, {}
        arrays, blobs = pack_tables(data)
        arrays["a_text_crc"] = text_sums(data)
        arrays["a_meta_crc"] = line_sums(blobs["articles.jsonl"], arrays["a_meta_ptr"])
        for name, dtype in (ARRAYS | TABLE_ARRAYS).items():
            path = tmp / f"{name}.npy"
            array = data.arrays[name] if name in ARRAYS else arrays[name]
            with _Summed(path) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
            sizes[name], sums[f"{name}.npy"] = path.stat().st_size, out.crc
        blobs["texts.bin"] = data.texts
        for name in BLOBS:
            with _Summed(tmp / name) as out:
                _write_blob(out, blobs[name])
            sizes[name], sums[name] = (tmp / name).stat().st_size, out.crc
        skipped = {rel: stamp.as_dict() for rel, stamp in data.skipped.items()}
        meta = {"format": FORMAT_VERSION, "sizes": sizes, "stats": data.stats.as_dict(), "readers": data.readers,
                "skipped": skipped, "records": data.records, "sums": sums}  # fmt: skip
        meta["check"] = _meta_sum(json.loads(json.dumps(meta)))  # as it reads back (tuples become lists)
        _write_json(tmp / "meta.json", meta)
        for path in tmp.iterdir():
            _fsync(path)
        _fsync(tmp)
        if gen.exists():
            remove(gen)
        os.rename(tmp, gen)
        remove(pointer)
        with os.fdopen(create(pointer), "w", encoding="ascii") as handle:
            handle.write(gen.name + "\n")
        _fsync(pointer)
        os.replace(pointer, folder / "CURRENT")
        _fsync(folder)
    except BaseException:
        remove(tmp)
        with contextlib.suppress(OSError):
            pointer.unlink(missing_ok=True)
        raise
    remove_stale(folder, keep=gen)
    return gen


def _tag_as_cache(indexes: Path) -> None:
    """Mark the folder of indexes with a CACHEDIR.TAG: corpus walks (ours, if the cache is set inside a
    corpus) and backup tools leave it out."""
    from .corpus import CACHE_SIGNATURE, CACHE_TAG

    tag = indexes / CACHE_TAG
    if not os.path.lexists(tag):
        with contextlib.suppress(OSError), os.fdopen(create(tag), "wb") as handle:
            handle.write(
                CACHE_SIGNATURE + b"\n# This folder holds askdoc's indexes, which it rebuilds when they are missing.\n"
            )


def remove_stale(folder: Path, keep: Path | None) -> None:
    """Remove old generations and leftovers of writers that died (we hold the write lock)."""
    for path in folder.iterdir():
        if path == keep or path.name in ("CURRENT", "lock"):
            continue
        if path.name.startswith("gen-") or path.name.startswith("CURRENT.tmp"):
            remove(path)


def tidy(folder: Path) -> None:
    """Remove what writers that died left behind, unless a writer is at work now (never waits)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    current = current_generation(folder)
    if not any(n.startswith(("gen-", "CURRENT.tmp")) and (current is None or n != current.name) for n in names):
        return
    try:
        with write_lock(folder, wait=False):
            remove_stale(folder, keep=current_generation(folder))
    except OSError:  # BlockingIOError: a writer holds the lock and will tidy up itself
        pass


def _write_json(path: Path, value: Any) -> None:
    with os.fdopen(create(path), "w", encoding="utf-8") as handle:
        # ASCII escapes keep file names that are not valid UTF-8 (surrogates) storable and exact
        # dumps, not dump: only the one-shot encoder is C (dump was ~10 s of a 100k-passage refresh)
        handle.write(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
