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
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import mmap
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checks import CorruptIndex, check_forward, check_pointers, check_shapes, check_tables, check_values
from .tables import ArticleTable, FileList, Packed, StemTable, Vocabulary, pack_tables

__all__ = ["CorruptIndex", "IndexData", "check_forward", "load", "save"]

# 3: string tables as packed blobs read lazily, the file list; 4: article ids; 5: post_tf; 6: "M&S" one term;
# 7: "won" and "Don" are words. A change to the analysis (stop words, the token pattern) changes the
# terms an index holds, so it takes a new version: older indexes are then rebuilt.
FORMAT_VERSION = 7
_GENERATION = re.compile(r"gen-\d{6,12}")  # what CURRENT may name: never a path out of the folder

# name -> dtype; every array an index holds.
ARRAYS: dict[str, str] = {
    "p_article": "int32",  # passage -> article number
    "p_start": "int64",  # passage span in the article text
    "p_end": "int64",
    "p_paragraph": "int32",
    "p_heading_start": "int64",  # span of the section heading, -1 when none
    "p_heading_end": "int64",
    "p_len": "int32",  # passage length in terms (BM25's dl)
    "s_ptr": "int64",  # passage -> its sentences in s_start/s_end
    "s_start": "int64",
    "s_end": "int64",
    "f_ptr": "int64",  # forward index: passage -> (term, tf) rows
    "f_term": "int32",
    "f_tf": "uint16",
    "df": "int32",  # collection statistics, apart from the postings
    "t_ptr": "int64",  # postings: term -> passages sorted by passage number
    "post_doc": "int32",
    "post_tf": "uint16",  # each posting's term frequency: a refresh recomputes impacts from it
    "post_impact": "float32",
    "t_max": "float32",  # each term's largest impact: an upper bound for pruning
    "a_text_start": "int64",  # article -> its UTF-8 text in texts.bin
    "a_text_end": "int64",
}
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
}
BLOBS = ("texts.bin", "vocab.bin", "stems.bin", "articles.jsonl", "ids.bin", "files.bin")
WRITE_PIECE = 1 << 24  # bytes of a memory-mapped blob written at a time


@dataclass
class IndexData:
    """Everything an index holds, as arrays and tables: what the store saves and loads.

    A freshly built index holds plain lists and dicts; a loaded one the lazy tables of
    tables.py (Vocabulary, StemTable, ArticleTable), which read the same way.
    """

    arrays: dict[str, np.ndarray]
    texts: bytes | memoryview | np.ndarray
    vocab: Sequence[str]
    stems: dict[str, str]
    articles: Sequence[dict[str, Any]]  # metadata, plus the source file's rel, size and mtime_ns
    stats: dict[str, Any] = field(default_factory=dict)  # n_passages, total_len, k1, b, epsilon
    files: FileList | None = None  # the corpus files as the last refresh saw them
    article_files: np.ndarray | None = None  # article -> its file in ``files`` (-1: none)
    article_ids: Sequence[str] | None = None  # the articles' ids, when known apart from their metadata
    grown_from: tuple[Vocabulary, StemTable] | None = None  # the stored tables a refresh extends

    def ids(self) -> Sequence[str]:
        return self.article_ids if self.article_ids is not None else [meta["id"] for meta in self.articles]

    @property
    def n_passages(self) -> int:
        return len(self.arrays["p_article"])

    def all_stems(self) -> dict[str, str]:
        return self.stems.all() if isinstance(self.stems, StemTable) else dict(self.stems)


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


@contextlib.contextmanager
def write_lock(folder: Path, wait: bool = True):
    """Serialise writers; the kernel drops the lock if its holder dies.

    With ``wait=False`` it raises BlockingIOError at once when another writer holds it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_generation(folder: Path) -> Path | None:
    """The committed generation CURRENT names, or None when it is missing or names anything else."""
    try:
        with open(folder / "CURRENT", "rb") as handle:
            name = handle.read(64).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return folder / name if _GENERATION.fullmatch(name) else None


def load(folder: Path) -> IndexData | None:
    """The committed index in ``folder``; None when there is none; CorruptIndex when damaged."""
    gen = current_generation(folder)
    if gen is None:
        if (folder / "CURRENT").exists():
            raise CorruptIndex("CURRENT does not name a generation of this folder")
        return None
    try:
        return _load_generation(gen)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as err:
        # whatever a tampered file makes the checks below trip over, it is not trusted
        raise CorruptIndex(f"{type(err).__name__}: {err}") from err


def _load_generation(gen: Path) -> IndexData:
    try:
        meta = json.loads((gen / "meta.json").read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise CorruptIndex(f"unreadable meta.json ({err})") from err
    if meta.get("format") != FORMAT_VERSION:
        raise CorruptIndex(f"index format {meta.get('format')!r}, this askdoc reads {FORMAT_VERSION}")
    if not isinstance(meta["stats"], dict):
        raise CorruptIndex("its statistics are not an object")
    arrays = {name: _array(gen, name, dtype, meta) for name, dtype in (ARRAYS | TABLE_ARRAYS).items()}
    blobs = {}
    for name in BLOBS:
        size = meta["sizes"][name]
        blob = np.memmap(gen / name, dtype=np.uint8, mode="r") if size else b""
        if len(blob) != size:
            raise CorruptIndex(f"{name} has the wrong size")
        blobs[name] = blob
    table = {name: arrays.pop(name) for name in TABLE_ARRAYS}
    pointers = (
        ("vocab.bin", "v_ptr"),
        ("stems.bin", "stem_ptr"),
        ("articles.jsonl", "a_meta_ptr"),
        ("ids.bin", "a_id_ptr"),
    )
    for name, ptr in pointers:
        check_pointers(table[ptr], len(blobs[name]), name)
    files = FileList(blobs["files.bin"], table["file_size"], table["file_mtime"])
    data = IndexData(
        arrays,
        blobs["texts.bin"],
        Vocabulary(blobs["vocab.bin"], table["v_ptr"], table["v_order"]),
        StemTable(Packed(blobs["stems.bin"], table["stem_ptr"])),
        ArticleTable(Packed(blobs["articles.jsonl"], table["a_meta_ptr"])),
        meta["stats"],
        files,
        table["a_file"],
        Packed(blobs["ids.bin"], table["a_id_ptr"]),
    )
    check_shapes(data)
    check_tables(data)
    check_values(data)
    for array in [*arrays.values(), *table.values(), *blobs.values()]:
        _release(array)
    return data


def _write_blob(path: Path, blob) -> None:
    """Write bytes; a memory-mapped blob (a build's texts, see texts.py) a piece at a time, each piece's
    pages let go once written, so that its ~0.5 GB at 1M passages never become resident together."""
    with open(path, "wb") as handle:
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
        base = getattr(base, "base", None)
    return base


def _release(array: np.ndarray | bytes) -> None:
    """Let go of the pages the checks read (they stay in the page cache): a loaded index stays small in
    memory, and a query brings back only the pages it reads, as tantivy's memory maps do. (Where the
    page cache holds large folios, as ext4 does on Linux 6.x, one byte read maps up to 2 MB.)"""
    base = _mapping(array)
    if base is not None and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            base.madvise(mmap.MADV_DONTNEED)


def _array(gen: Path, name: str, dtype: str, meta: dict) -> np.ndarray:
    path = gen / f"{name}.npy"
    try:
        if path.stat().st_size != meta["sizes"][name]:
            raise CorruptIndex(f"{name}.npy has the wrong size")
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, KeyError) as err:
        raise CorruptIndex(f"{name}.npy: {err}") from err
    if array.dtype != np.dtype(dtype) or array.ndim != 1:
        raise CorruptIndex(f"{name}.npy has the wrong type")
    return array.view(np.ndarray)  # still mapped; a plain view slices ~10x faster than np.memmap


def save(folder: Path, data: IndexData) -> Path:
    """Write ``data`` as a new generation and commit it; older generations are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    _tag_as_cache(folder.parent)
    previous = current_generation(folder)
    number = int(previous.name[4:]) + 1 if previous and previous.name[4:].isdigit() else 1
    gen = folder / f"gen-{number:06d}"
    tmp = folder / f"{gen.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    pointer = folder / f"CURRENT.tmp-{os.getpid()}"
    try:
        sizes = {}
        arrays, blobs = pack_tables(data)
        for name, dtype in (ARRAYS | TABLE_ARRAYS).items():
            path = tmp / f"{name}.npy"
            array = data.arrays[name] if name in ARRAYS else arrays[name]
            np.save(path, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
            sizes[name] = path.stat().st_size
        blobs["texts.bin"] = data.texts
        for name in BLOBS:
            _write_blob(tmp / name, blobs[name])
            sizes[name] = (tmp / name).stat().st_size
        meta = {"format": FORMAT_VERSION, "sizes": sizes, "stats": data.stats}
        _write_json(tmp / "meta.json", meta)
        for path in tmp.iterdir():
            _fsync(path)
        _fsync(tmp)
        if gen.exists():
            shutil.rmtree(gen)
        os.rename(tmp, gen)
        pointer.write_text(gen.name + "\n", "ascii")
        _fsync(pointer)
        os.replace(pointer, folder / "CURRENT")
        _fsync(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        raise
    remove_stale(folder, keep=gen)
    return gen


def _tag_as_cache(indexes: Path) -> None:
    """Mark the folder of indexes with a CACHEDIR.TAG: corpus walks (ours, if the cache is set inside a
    corpus) and backup tools leave it out."""
    from .corpus import CACHE_SIGNATURE, CACHE_TAG

    tag = indexes / CACHE_TAG
    if not tag.exists():
        with contextlib.suppress(OSError):
            tag.write_bytes(
                CACHE_SIGNATURE + b"\n# This folder holds askdoc's indexes, which it rebuilds when they are missing.\n"
            )


def remove_stale(folder: Path, keep: Path | None) -> None:
    """Remove old generations and leftovers of writers that died (we hold the write lock)."""
    for path in folder.iterdir():
        if path == keep or path.name in ("CURRENT", "lock"):
            continue
        if path.name.startswith("gen-") or path.name.startswith("CURRENT.tmp"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


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
    with open(path, "w", encoding="utf-8") as handle:
        # ASCII escapes keep file names that are not valid UTF-8 (surrogates) storable and exact
        # dumps, not dump: only the one-shot encoder is C (dump was ~10 s of a 100k-passage refresh)
        handle.write(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
