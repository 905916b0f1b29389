"""The index on disk: one .npy per array plus JSON, versioned, committed atomically by a rename.

Layout of an index folder (one per corpus, in the user cache directory)::

    CURRENT            the name of the committed generation, replaced atomically
    lock               writers hold an exclusive flock on it (released if they die)
    gen-000007/        one generation: arrays/*.npy, texts.bin, meta.json, ...

A writer builds ``gen-N.tmp-PID`` in full, fsyncs it, renames it to ``gen-N`` and then
replaces CURRENT (as SQLite and Lucene commit: a reader never sees a half-written index).
Nothing is pickled: arrays load with ``allow_pickle=False`` and memory-mapped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 2
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
    "post_impact": "float32",
    "t_max": "float32",  # each term's largest impact: an upper bound for pruning
    "a_text_start": "int64",  # article -> its UTF-8 text in texts.bin
    "a_text_end": "int64",
}


class CorruptIndex(Exception):
    """The stored index cannot be trusted; the caller rebuilds it."""


@dataclass
class IndexData:
    """Everything an index holds, as arrays and plain lists: what the store saves and loads."""

    arrays: dict[str, np.ndarray]
    texts: bytes | memoryview | np.ndarray
    vocab: list[str]
    stems: dict[str, str]
    articles: list[dict[str, Any]]  # metadata, plus the source file's rel, size and mtime_ns
    stats: dict[str, Any] = field(default_factory=dict)  # n_passages, total_len, k1, b, epsilon

    @property
    def n_passages(self) -> int:
        return len(self.arrays["p_article"])


def index_dir_for(corpus: Path, cache_root: Path) -> Path:
    corpus = corpus.resolve()
    digest = hashlib.sha1(str(corpus).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    slug = "".join(c if c.isalnum() else "-" for c in corpus.name)[:40] or "root"
    return cache_root / "indexes" / f"{slug}-{digest}"


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
    arrays = {}
    for name, dtype in ARRAYS.items():
        path = gen / f"{name}.npy"
        try:
            if path.stat().st_size != meta["sizes"][name]:
                raise CorruptIndex(f"{name}.npy has the wrong size")
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, KeyError) as err:
            raise CorruptIndex(f"{name}.npy: {err}") from err
        if array.dtype != np.dtype(dtype) or array.ndim != 1:
            raise CorruptIndex(f"{name}.npy has the wrong type")
        arrays[name] = array.view(np.ndarray)  # still mapped; a plain view slices ~10x faster than np.memmap
    try:
        texts = np.memmap(gen / "texts.bin", dtype=np.uint8, mode="r") if meta["sizes"]["texts"] else b""
        if len(texts) != meta["sizes"]["texts"]:
            raise CorruptIndex("texts.bin has the wrong size")
        tables = json.loads((gen / "tables.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError) as err:
        raise CorruptIndex(f"tables: {err}") from err
    if not (
        isinstance(tables["vocab"], list) and isinstance(tables["stems"], dict) and isinstance(meta["stats"], dict)
    ):
        raise CorruptIndex("its tables have the wrong types")
    data = IndexData(arrays, texts, tables["vocab"], tables["stems"], tables["articles"], meta["stats"])
    _check_shapes(data)
    _check_values(data)
    return data


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
        int(a["t_ptr"][-1]) == len(a["post_doc"]) == len(a["post_impact"]) if v else True,
        int(a["f_ptr"][-1]) == len(a["f_term"]) == len(a["f_tf"]) if n else True,
        int(a["s_ptr"][-1]) == len(a["s_start"]) == len(a["s_end"]) if n else True,
        data.stats.get("n_passages") == n,
    ]
    if n:
        checks.append(int(a["p_article"].min()) >= 0 and int(a["p_article"].max()) < n_articles)
    if len(a["post_doc"]):
        checks.append(int(a["post_doc"].min()) >= 0 and int(a["post_doc"].max()) < n)
    if len(a["f_term"]):
        checks.append(int(a["f_term"].min()) >= 0 and int(a["f_term"].max()) < v)
    if n_articles:
        checks.append(int(a["a_text_end"].max()) <= len(data.texts))
    if not all(checks):
        raise CorruptIndex("its arrays do not fit together")


def _check_values(data: IndexData) -> None:
    """Spans inside their texts, pointers that only grow, metadata of the right kinds (O(passages))."""
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
    n_articles = len(data.articles)  # a sample: checking all 100k dicts would cost the query path ~0.1 s
    for number in {*range(0, n_articles, max(1, n_articles // 64)), n_articles - 1} - {-1}:
        meta = data.articles[number]
        if not (isinstance(meta, dict) and isinstance(meta.get("id"), str) and isinstance(meta.get("title"), str)):
            raise CorruptIndex("an article's metadata is damaged")


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
        for name, dtype in ARRAYS.items():
            path = tmp / f"{name}.npy"
            np.save(path, np.ascontiguousarray(data.arrays[name], dtype=dtype), allow_pickle=False)
            sizes[name] = path.stat().st_size
        texts = bytes(data.texts) if not isinstance(data.texts, bytes) else data.texts
        (tmp / "texts.bin").write_bytes(texts)
        sizes["texts"] = len(texts)
        tables = {"vocab": data.vocab, "stems": data.stems, "articles": data.articles}
        _write_json(tmp / "tables.json", tables)
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
