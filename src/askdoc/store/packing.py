"""A refreshed index's string tables packed for the store: new terms appended to the stored vocabulary,
new stems spliced into the stored table, rather than every entry packed again (see tables.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .tables import SEPARATOR, FileList, Packed, Vocabulary, encoded, pack, pack_articles, pack_stems


def pack_tables(data) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The packed tables of an index (an IndexData): their arrays and blobs, as the store saves them.

    A refreshed index (``data.grown_from``: the stored vocabulary and stems it extends) has
    its new terms appended and its new stems spliced in, rather than every entry packed again.
    """
    if data.grown_from is not None:
        vocabulary, stems = data.grown_from
        vocab_blob, v_ptr, v_order = _extended(vocabulary, list(data.vocab)[len(vocabulary) :])
        stored = len(stems.pairs) // 2  # the analyzer's dict starts with the stored stems, in order
        learned = [(encoded(w), encoded(s)) for w, s in list(data.stems.items())[stored:]]
        stems_blob, stem_ptr = _spliced(stems.pairs, learned)
    else:
        terms = [encoded(t) for t in data.vocab]
        vocab_blob, v_ptr = pack(terms)
        v_order = np.array(sorted(range(len(terms)), key=terms.__getitem__), dtype=np.int32)
        stems_blob, stem_ptr = pack_stems(data.all_stems())
    articles_blob, a_meta_ptr = pack_articles(data.articles)
    ids_blob, a_id_ptr = pack(encoded(i) for i in data.ids())
    files = data.files or FileList.of([])
    if data.article_files is not None:
        a_file = np.asarray(data.article_files)
    else:
        numbers = {rel: i for i, rel in enumerate(files.rels())}
        a_file = np.array([numbers.get(meta.get("rel"), -1) for meta in data.articles], dtype=np.int32)
    arrays = {"v_ptr": v_ptr, "v_order": v_order, "stem_ptr": stem_ptr, "a_meta_ptr": a_meta_ptr, "a_file": a_file,
              "a_id_ptr": a_id_ptr, "file_size": files.sizes, "file_mtime": files.mtimes, "file_ino": files.inos,
              "file_ctime": files.ctimes}  # fmt: skip
    blobs = {"vocab.bin": vocab_blob, "stems.bin": stems_blob, "articles.jsonl": articles_blob, "ids.bin": ids_blob,
             "files.bin": bytes(files.blob)}  # fmt: skip
    return arrays, blobs


def _extended(vocabulary: Vocabulary, terms: list[str]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A stored vocabulary with terms appended: new ids after the old, each put in its sorted place."""
    added = [encoded(t) for t in terms]
    blob, ptr = pack(added)
    if len(vocabulary):
        blob = bytes(vocabulary.blob) + (SEPARATOR + blob if added else b"")
        ptr = np.concatenate([vocabulary.ptr, vocabulary.ptr[-1] + ptr[1:]])
    first = len(vocabulary)
    ranked = sorted(range(len(added)), key=added.__getitem__)
    places = [_place(vocabulary.raw, vocabulary.order, added[i]) for i in ranked]
    order = np.insert(np.asarray(vocabulary.order), places, np.array(ranked, dtype=np.int64) + first)
    return blob, ptr, order.astype(np.int32)


def _place(raw, order, key: bytes) -> int:
    """Where ``key`` goes among the items of ``order`` (sorted by their bytes)."""
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        if raw(int(order[mid])) < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _spliced(pairs: Packed, learned: list[tuple[bytes, bytes]]) -> tuple[bytes, np.ndarray]:
    """A stored stem table with new (word, stem) pairs put in their sorted places."""
    if not learned:
        return bytes(pairs.blob), np.asarray(pairs.ptr)
    learned.sort()
    words = range(0, len(pairs), 2)
    places = [_place(pairs.raw, words, word) for word, _ in learned]
    full = bytes(pairs.blob) + SEPARATOR if len(pairs) else b""
    ptr = pairs.ptr.tolist()
    parts, previous = [], 0
    for (word, stem), place in zip(learned, places):
        parts += [full[ptr[2 * previous] : ptr[2 * place]], word, SEPARATOR, stem, SEPARATOR]
        previous = place
    parts.append(full[ptr[2 * previous] :])
    lengths = np.insert(np.diff(pairs.ptr), [2 * p for p in places for _ in (0, 1)],
                        [len(part) + 1 for pair in learned for part in pair])  # fmt: skip
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return b"".join(parts)[:-1], out
