"""The index on disk: one .npy per array plus JSON, versioned, committed atomically by a rename.

Layout of an index folder (one per corpus, in the user cache directory)::

    CURRENT            the name of the committed generation, replaced atomically
    lock               writers hold an exclusive flock on it (released if they die)
    gen-000007/        one generation: *.npy, texts.bin, vocab.bin, stems.bin, articles.jsonl,
                       files.bin, meta.json (sizes of all, format version, BM25 statistics)

The string tables are packed blobs read lazily (see store/tables.py), so that loading is a few
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
import os
import re
import zlib
from pathlib import Path

import numpy as np

from ..listing import sha1  # noqa: F401  (moved there, numpy-free; askdoc.cluster imports it from here)
from ..retrieval.table import PASSAGE_ARRAYS, Stats
from .cache import create, make_private, read_regular, remove, write_lock
from .checks import CorruptIndex, OlderIndex, check_parameters, check_pointers, check_shapes, check_tables, check_values
from .data import DAMAGED, IndexData, SkippedFile
from .files import (
    Summed,
    fsync,
    line_sums,
    mapped_array,
    mapped_blob,
    release,
    text_sums,
    verify_mapped,
    write_blob,
    write_json,
)
from .packing import pack_tables
from .tables import ArticleTable, FileList, Packed, StemTable, TextParts, Vocabulary

ARRAYS = PASSAGE_ARRAYS  # name -> dtype; every array an index holds (declared with the table that reads them)
FORMAT_VERSION = 9
_GENERATION = re.compile(r"gen-\d{6,12}")  # what CURRENT may name: never a path out of the folder

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
TAIL = "texts-tail.bin"  # the texts read since texts.bin was written, when a refresh kept texts.bin (see TextParts)
VERIFY_WHOLE_UP_TO = 48 << 20  # a generation this size is checksummed whole at each load (~30 ms)
VERIFY_FILE_UP_TO = 1 << 20  # in a larger one, each file this size; the rest by verify()
META_LIMIT = 256 << 20  # meta.json larger than this is not read (a planted /dev/zero would fill memory)


def current_generation(folder: Path) -> Path | None:
    """The committed generation CURRENT names, or None when it is missing or names anything else."""
    try:
        name = read_regular(folder / "CURRENT", 64).decode("ascii").strip()
    except (OSError, UnicodeDecodeError, CorruptIndex):
        return None
    return folder / name if _GENERATION.fullmatch(name) else None


def load(folder: Path, verify_all: bool = False, share: float = 1.0) -> IndexData | None:
    """The committed index in ``folder``; None when there is none; CorruptIndex when damaged.

    ``verify_all``: checksum every file, however large the generation (``askdoc index`` does).
    ``share``: the part of a corpus this index holds (a shard's, 1/N): the sizes below which a load
    checksums a generation or a file scale with it, so that N shards check what one index would.
    """
    gen = current_generation(folder)
    if gen is None:
        if os.path.lexists(folder / "CURRENT"):
            raise CorruptIndex("CURRENT does not name a generation of this folder")
        return None
    try:
        return _load_generation(gen, verify_all, share)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as err:
        # whatever a tampered file makes the checks below trip over, it is not trusted
        raise CorruptIndex(f"{type(err).__name__}: {err}") from err


def _meta(gen: Path) -> dict:
    try:
        meta = json.loads(read_regular(gen / "meta.json", META_LIMIT).decode("utf-8"))
    except (OSError, ValueError) as err:
        raise CorruptIndex(f"unreadable meta.json ({err})") from err
    found = meta.get("format") if isinstance(meta, dict) else None
    if isinstance(found, int) and not isinstance(found, bool) and found < FORMAT_VERSION:
        raise OlderIndex(f"index format {found}, this askdoc reads {FORMAT_VERSION}")
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


def _load_generation(gen: Path, verify_all: bool = False, share: float = 1.0) -> IndexData:
    meta = _meta(gen)
    arrays = {name: mapped_array(gen, name, dtype, meta) for name, dtype in (ARRAYS | TABLE_ARRAYS).items()}
    blobs = {name: mapped_blob(gen, name, meta["sizes"][name]) for name in (*BLOBS, TAIL) if name in meta["sizes"]}
    if TAIL not in blobs:  # a generation whose texts are all in texts.bin (any a build writes)
        blobs[TAIL] = b""
    whole = verify_all or sum(meta["sizes"].values()) <= VERIFY_WHOLE_UP_TO * share
    for name, mapped in [*((f"{n}.npy", a) for n, a in arrays.items()), *blobs.items()]:
        if name == TAIL and name not in meta["sizes"]:
            continue
        if whole or meta["sizes"][name.removesuffix(".npy")] <= VERIFY_FILE_UP_TO * share:
            verify_mapped(name, mapped, meta)
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
    articles = ArticleTable(Packed(blobs["articles.jsonl"], table["a_meta_ptr"]))
    article_ids = Packed(blobs["ids.bin"], table["a_id_ptr"])
    texts = TextParts(blobs["texts.bin"], blobs[TAIL], (gen / "texts.bin", meta["sums"].get("texts.bin")))
    data = IndexData(
        arrays,
        texts,
        vocabulary,
        stems,
        articles,
        Stats.of(meta["stats"]),
        files,
        table["a_file"],
        article_ids,
        text_sums=table["a_text_crc"],
        generation=gen,
        verified=whole,
        readers=meta.get("readers"),
        skipped={rel: SkippedFile.of(stamp) for rel, stamp in meta["skipped"].items()},
        records=meta["records"],
        saved=True,
        stored_tables=(vocabulary, stems),
        impact_avgdl=meta["stats"].get("impact_avgdl"),
    )
    articles.check = functools.partial(data.check_meta, table["a_meta_crc"])
    check_shapes(data)
    check_tables(vocabulary, stems, articles, article_ids, files, table["a_file"])
    check_values(data, impacts=whole)
    for array in [*arrays.values(), *table.values(), *blobs.values()]:
        release(array)
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
            with Summed(path) as out:
                np.lib.format.write_array(out, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
            sizes[name], sums[f"{name}.npy"] = path.stat().st_size, out.crc
        _write_blobs(tmp, data.texts, blobs, sizes, sums)
        skipped = {rel: stamp.as_dict() for rel, stamp in data.skipped.items()}
        stats = data.stats.as_dict() | ({} if data.impact_avgdl is None else {"impact_avgdl": data.impact_avgdl})
        meta = {"format": FORMAT_VERSION, "sizes": sizes, "stats": stats, "readers": data.readers,
                "skipped": skipped, "records": data.records, "sums": sums}  # fmt: skip
        meta["check"] = _meta_sum(json.loads(json.dumps(meta)))  # as it reads back (tuples become lists)
        write_json(tmp / "meta.json", meta)
        for path in tmp.iterdir():
            fsync(path)
        fsync(tmp)
        if gen.exists():
            remove(gen)
        os.rename(tmp, gen)
        remove(pointer)
        with os.fdopen(create(pointer), "w", encoding="ascii") as handle:
            handle.write(gen.name + "\n")
        fsync(pointer)
        os.replace(pointer, folder / "CURRENT")
        fsync(folder)
    except BaseException:
        remove(tmp)
        with contextlib.suppress(OSError):
            pointer.unlink(missing_ok=True)
        raise
    remove_stale(folder, keep=gen)
    return gen


def _write_blobs(tmp: Path, texts, blobs: dict, sizes: dict, sums: dict) -> None:
    """Write the blobs and the texts, each with its size and CRC-32 noted; a texts.bin kept (see TextParts)
    is linked, with the sum it was verified against, and only the texts after it are written."""
    if isinstance(texts, TextParts) and texts.source is not None and _linked(texts, tmp / "texts.bin"):
        sizes["texts.bin"], sums["texts.bin"] = texts.split, texts.source[1]  # verified before it was kept
        blobs[TAIL] = texts.tail
    else:
        blobs["texts.bin"] = texts
    for name in [name for name in (*BLOBS, TAIL) if name in blobs]:
        if name == TAIL and not len(blobs[name]):
            continue
        with Summed(tmp / name) as out:
            if isinstance(blobs[name], TextParts):  # base and tail end to end: the offsets stay right
                write_blob(out, blobs[name].base)
                write_blob(out, blobs[name].tail)
            else:
                write_blob(out, blobs[name])
        sizes[name], sums[name] = (tmp / name).stat().st_size, out.crc


def _linked(texts: TextParts, path: Path) -> bool:
    """Whether the texts.bin ``texts`` were mapped from is now also ``path`` (a hard link: the new generation
    shares the unchanged file rather than write it again). Not where the file is gone or is no longer what
    was mapped (another size), or the file system has no hard links: the texts are then written."""
    source, crc = texts.source  # type: ignore[misc]
    if crc is None:
        return False
    try:
        if os.lstat(source).st_size != texts.split:
            return False
        os.link(source, path, follow_symlinks=False)
    except (OSError, NotImplementedError):
        return False
    return True


def _tag_as_cache(indexes: Path) -> None:
    """Mark the folder of indexes with a CACHEDIR.TAG: corpus walks (ours, if the cache is set inside a
    corpus) and backup tools leave it out."""
    from ..corpus import CACHE_SIGNATURE, CACHE_TAG

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
        if path.name.startswith(("gen-", "CURRENT.tmp", "folders.bin.tmp")):  # (the last: a walk's, see listing.py)
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
