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

from .tables import ArticleTable, FileList, Packed, StemTable, Vocabulary, pack_tables

FORMAT_VERSION = 5  # 3: string tables as packed blobs read lazily, the file list; 4: article ids; 5: post_tf
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
SAMPLED_ARTICLES = 64  # metadata lines parsed at load time to tell a damaged table (all: ~0.3 s at 1M)


class CorruptIndex(Exception):
    """The stored index cannot be trusted; the caller rebuilds it."""


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
        _check_pointers(table[ptr], len(blobs[name]), name)
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
    _check_shapes(data)
    _check_tables(data)
    _check_values(data)
    for array in [*arrays.values(), *table.values()]:
        _release(array)
    return data


def _release(array: np.ndarray) -> None:
    """Let go of the pages the checks read (they stay in the page cache): a loaded index stays small in
    memory, and a query brings back only the pages it reads, as tantivy's memory maps do."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
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


def _check_pointers(ptr: np.ndarray, blob_size: int, name: str) -> None:
    ends_right = int(ptr[-1]) == blob_size + (1 if len(ptr) > 1 else 0)
    if not len(ptr) or ptr[0] != 0 or not ends_right or (np.diff(ptr) < 1).any():
        raise CorruptIndex(f"the offsets into {name} do not fit it")


def _check_shapes(data: IndexData) -> None:
    """Cheap structural checks, so that a tampered index is rebuilt rather than trusted."""
    a = data.arrays
    n, v, n_articles = len(a["p_article"]), len(data.vocab), len(data.articles)
    same_length = ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")
    checks = [
        all(len(a[name]) == n for name in same_length),
        len(a["s_ptr"]) == n + 1 and len(a["f_ptr"]) == n + 1,
        len(a["t_ptr"]) == v + 1 and len(a["df"]) == v == len(a["t_max"]),
        len(a["a_text_start"]) == n_articles == len(a["a_text_end"]),
        int(a["t_ptr"][-1]) == len(a["post_doc"]) == len(a["post_impact"]) == len(a["post_tf"]) if v else True,
        int(a["f_ptr"][-1]) == len(a["f_term"]) == len(a["f_tf"]) if n else True,
        int(a["s_ptr"][-1]) == len(a["s_start"]) == len(a["s_end"]) if n else True,
        data.stats.get("n_passages") == n,
    ]
    if n:
        checks.append(int(a["p_article"].min()) >= 0 and int(a["p_article"].max()) < n_articles)
    if len(a["post_doc"]):
        checks.append(int(a["post_doc"].min()) >= 0 and int(a["post_doc"].max()) < n)
    if n_articles:
        checks.append(int(a["a_text_end"].max()) <= len(data.texts))
    if not all(checks):
        raise CorruptIndex("its arrays do not fit together")


def _check_tables(data: IndexData) -> None:
    """The tables fit the arrays: a term order that is a permutation, files that exist, sampled metadata."""
    v, n_articles = len(data.vocab), len(data.articles)
    order = np.asarray(data.vocab.order)
    if len(order) != v or (v and (order.min() < 0 or order.max() >= v or (np.bincount(order, minlength=v) != 1).any())):
        raise CorruptIndex("its term order is not a permutation of the vocabulary")
    if len(data.stems.pairs) % 2:
        raise CorruptIndex("its stem table does not pair words with stems")
    files, article_files = data.files, np.asarray(data.article_files)
    if len(files.mtimes) != len(files) or (len(files) and bytes(files.blob).count(b"\0") != len(files) - 1):
        raise CorruptIndex("its file list does not fit together")
    if len(data.article_ids) != n_articles:
        raise CorruptIndex("its article ids do not fit its articles")
    if len(article_files) != n_articles or (
        n_articles and (article_files.min() < -1 or article_files.max() >= len(files))
    ):
        raise CorruptIndex("its articles name files it does not list")
    for number in {*range(0, n_articles, max(1, n_articles // SAMPLED_ARTICLES)), n_articles - 1} - {-1}:
        try:
            meta = json.loads(data.articles.raw(number))
        except ValueError:
            meta = None
        if not (
            isinstance(meta, dict) and meta.get("id") == data.article_ids[number] and isinstance(meta.get("title"), str)
        ):
            raise CorruptIndex("an article's metadata is damaged")


def _check_values(data: IndexData) -> None:
    """Spans inside their texts, pointers that only grow (O(passages))."""
    a, n_articles = data.arrays, len(data.articles)
    text_start, text_end = np.asarray(a["a_text_start"]), np.asarray(a["a_text_end"])
    text_len = text_end - text_start  # bytes: never fewer than the characters the spans count
    if n_articles and (text_start.min() < 0 or text_len.min() < 0):
        raise CorruptIndex("its article texts overlap or run backwards")
    for name in ("s_ptr", "f_ptr", "t_ptr"):
        ptr = np.asarray(a[name])
        if ptr[0] != 0 or (np.diff(ptr) < 0).any():
            raise CorruptIndex(f"{name} runs backwards")
    if len(a["df"]) and (np.diff(np.asarray(a["t_ptr"])) != np.asarray(a["df"])).any():
        raise CorruptIndex("document frequencies do not match the postings")
    if len(a["p_article"]):
        start, end = np.asarray(a["p_start"]), np.asarray(a["p_end"])
        limit = text_len[np.asarray(a["p_article"])]
        h_start, h_end = np.asarray(a["p_heading_start"]), np.asarray(a["p_heading_end"])
        no_heading = (h_start == -1) & (h_end == -1)
        heading_ok = no_heading | ((h_start >= 0) & (h_start <= h_end) & (h_end <= limit))
        if (start < 0).any() or (start > end).any() or (end > limit).any() or not heading_ok.all():
            raise CorruptIndex("a passage span lies outside its article")
    s_start, s_end = np.asarray(a["s_start"]), np.asarray(a["s_end"])
    if len(s_start) and ((s_start < 0).any() or (s_start > s_end).any()):
        raise CorruptIndex("a sentence span runs backwards")
    stats = data.stats
    if not all(isinstance(stats.get(key, 1.0), (int, float)) for key in ("k1", "b", "epsilon")):
        raise CorruptIndex("its BM25 parameters are not numbers")


def check_forward(data: IndexData) -> None:
    """The forward index's term ids lie in the vocabulary: checked where it is read (a refresh, rank-bm25),
    not at load time, where it would touch as many pages as the postings for nothing."""
    f_term = np.asarray(data.arrays["f_term"])
    if len(f_term) and (int(f_term.min()) < 0 or int(f_term.max()) >= len(data.vocab)):
        raise CorruptIndex("its forward index names terms it does not have")


def save(folder: Path, data: IndexData) -> Path:
    """Write ``data`` as a new generation and commit it; older generations are removed."""
    folder.mkdir(parents=True, exist_ok=True)
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
            with open(tmp / name, "wb") as handle:
                handle.write(blobs[name])
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
