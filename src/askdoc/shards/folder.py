"""A corpus's shards on this machine: built, refreshed (only those whose files changed) and opened together.

``<index folder>/shards/manifest.json`` remembers how many shards the corpus was built in (an
index opened without a count uses it), each shard's committed generation and the collection's
mean idf (rank-bm25's epsilon floor for a term in over half the passages reads the whole
vocabulary: computed when a question first needs it after a shard changed, then kept).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
from pathlib import Path
from stat import S_ISREG
from typing import Any

import numpy as np

from .. import store
from ..changed_paths import relative_paths
from ..corpus import Scan, rescan, scan_in_background
from ..errors import CorpusError
from ..opening import cache_root, preload
from .assign import assigned, shard_of, walk_key
from .index import ShardedIndex
from .shard import Shard, shard_folder

log = logging.getLogger("askdoc")

MANIFEST = "manifest.json"
LEAVING = "leaving"  # the corpus is one index again: its shards go once one index is committed


def shards_dir(corpus: Path) -> Path:
    return store.index_dir_for(Path(corpus), cache_root()) / "shards"


def read_manifest(corpus: Path) -> dict[str, Any] | None:
    """What the manifest says, or None when the corpus was never built in shards (or the file is unreadable)."""
    try:
        found = json.loads((shards_dir(corpus) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("count"), int) else None


def built_shards(corpus: str | os.PathLike) -> int | None:
    """How many shards the corpus folder was last built in (None: one index)."""
    manifest = read_manifest(Path(corpus).resolve())
    return manifest["count"] if manifest else None


def open_sharded(
    corpus: str | os.PathLike,
    shards: int | None = None,
    *,
    refresh: bool = True,
    rebuild: bool = False,
    progress=None,
    walk=None,
    changed=None,
) -> ShardedIndex:
    """The corpus folder's index in shards: ``shards`` of them, or as many as it was built in.

    Asking for another number than was built rebuilds every shard, and says so. One walk of the
    folder (``walk``: one already started) serves every shard; a shard whose files did not change
    is loaded, not rewritten. ``changed``: only these paths (files or folders, as file events name
    them) can have changed: each shard looks at them beside its stored files, and nothing is walked.
    """
    root = Path(corpus).resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{corpus}' does not exist or is not a folder")
    manifest = read_manifest(root)
    count = shards if shards is not None else (manifest["count"] if manifest else None)
    if count is None or count < 1:
        raise CorpusError("the number of shards must be at least 1")
    folder = shards_dir(root)
    (folder / LEAVING).unlink(missing_ok=True)  # in shards again: they stay
    if manifest and manifest["count"] != count:
        log.warning("rebuilding the index of %s in %d shards (it was built in %d)", root, count, manifest["count"])
        _remove_shards(folder)
        manifest, rebuild = None, True
    changed = None if changed is None or rebuild else [os.path.abspath(path) for path in changed]
    walk, loaded = _walked_and_loaded(root, count, walk, (refresh or rebuild) and changed is None, rebuild)
    if walk is not None:
        _assign(folder, walk, count)
    named = _named_by_shard(root, changed, count) if changed is not None else [None] * count
    opened = [
        Shard.open(
            root,
            number,
            count,
            refresh=(refresh or rebuild) and not (named[number] == [] and loaded[number] and loaded[number][0]),
            rebuild=rebuild,
            progress=progress,
            walk=walk,
            changed=named[number],
            loaded=loaded[number],
        )  # fmt: skip
        for number in range(count)
    ]
    opened, generations, average = _committed(root, count, opened, manifest, walk, changed)
    if not any(shard.data.n_passages for shard in opened):
        raise CorpusError(f"corpus folder '{root}' has no readable articles")
    keep = functools.partial(_keep_average, root, count, generations)
    return ShardedIndex(opened, corpus=root, idf_average=average, analyzer=_analyzer(opened), keep_average=keep,
                        reopen=lambda progress=None, changed=None: open_sharded(root, count, progress=progress,
                                                                                changed=changed))  # fmt: skip


def _named_by_shard(root: Path, paths: list[str], count: int) -> list[list[str]]:
    """The paths file events named that each shard looks at: a regular file there now goes to its own shard
    alone (the other shards, named nothing, are loaded and not looked at); a folder, a symlink, the corpus
    itself or a path that is gone (a file, or a folder of files of any shard) goes to every shard."""
    named: list[list[str]] = [[] for _ in range(count)]
    for path in paths:
        rels = relative_paths(root, [path])
        if not rels:
            continue  # outside the corpus, or hidden: no walk sees it
        rel = next(iter(rels))
        try:
            regular = bool(rel) and S_ISREG(os.lstat(path).st_mode)
        except OSError:
            regular = False
        for number in [shard_of(rel, count)] if regular else range(count):
            named[number].append(path)
    return named


def _walked_and_loaded(root: Path, count: int, walk, walking: bool, rebuild: bool):
    """The walk (``walking``: one is needed; ``walk``: one already started) and each shard's stored index,
    loaded while forked walkers walk (see corpus.PendingScan) when no walk was started."""
    ahead = walk is None and walking
    if ahead:
        walk = scan_in_background(root)
    try:
        loaded = [_preloaded(root, number, count, rebuild) for number in range(count)]
        walk = _walked(root, walk) if walking else None
    finally:
        if ahead and walk is not None and not isinstance(walk, Scan):
            walk.close()
    return walk, loaded


def _preloaded(root: Path, number: int, count: int, rebuild: bool) -> tuple[Any] | None:
    """Shard ``number``'s stored index, loaded (see ``opening.preload``); None to rebuild it or when it has
    no folder yet (``Shard.open`` says so)."""
    folder = shard_folder(root, number)
    if rebuild or not folder.is_dir():
        return None
    return (preload(folder, share=1 / count),)


def _committed(root: Path, count: int, opened: list[Shard], manifest, walk, changed) -> tuple[list[Shard], list, Any]:
    """The shards with their ids made unique (when one was written), their generations in the manifest, and the
    mean idf the manifest keeps for them; the one index of before, unused now, removed."""
    folder = shards_dir(root)
    generations = [_generation(shard) for shard in opened]
    same = manifest is not None and manifest.get("generations") == generations
    if not same:  # a shard was written: its articles' ids against the other shards'
        opened = unique_ids(root, count, opened, walk, changed)
        generations = [_generation(shard) for shard in opened]
        _write_manifest(folder, {"count": count, "generations": generations, "idf_average": None})
    if store.current_generation(folder.parent) is not None:
        retire(folder.parent)
    return opened, generations, manifest.get("idf_average") if manifest is not None and same else None


def unique_ids(root: Path, count: int, opened: list[Shard], walk=None, changed=None) -> list[Shard]:
    """The shards, with every article known by the id one index over the corpus gives it.

    Each shard gives its articles ids as one index does (``merging.own_id``: an id another article
    already has, notes.txt's "notes" beside notes.md's, makes the later one known by its file name),
    but sees only its own files. Where two shards gave the same id, the article that keeps it is the
    one one index would have kept: one that already had it (not read by this refresh), else the
    first in a walk of the corpus, as one index reads them. The others' files are read again with
    the ids of the other shards taken, in a new generation of their shard.
    """
    every = [shard.data.ids() for shard in opened]
    if len(set().union(*every)) == sum(len(ids) for ids in every):  # as a rule (~25 ms for 100,000 articles)
        return opened
    first: dict[str, tuple[int, int]] = {}
    holders: dict[str, list[tuple[int, int]]] = {}
    for i, ids in enumerate(every):
        for n, article_id in enumerate(ids):
            if article_id in first:
                holders.setdefault(article_id, [first[article_id]]).append((i, n))
            else:
                first[article_id] = (i, n)
    if not holders:
        return opened

    def one_index_order(holder: tuple[int, int]) -> tuple:
        data = opened[holder[0]].data
        read_now = data.first_read is not None and holder[1] >= data.first_read
        return (read_now, walk_key(data.articles[holder[1]].get("rel") or ""), holder[1])

    reread: dict[int, set[str]] = {}
    taken: dict[int, set[str]] = {}
    for article_id, found in holders.items():
        keeper, *others = sorted(found, key=one_index_order)
        for i, n in others:
            if i != keeper[0]:
                reread.setdefault(i, set()).add(opened[i].data.articles[n].get("rel") or "")
                taken.setdefault(i, set()).add(article_id)
    return [
        Shard.open(root, i, count, walk=walk, changed=changed, reread=reread[i], taken=taken[i])
        if i in reread else shard
        for i, shard in enumerate(opened)
    ]  # fmt: skip


def _keep_average(root: Path, count: int, generations: list, value: float) -> None:
    """The mean idf, read from every vocabulary when a question first needs it, kept for these generations."""
    if read_manifest(root) == {"count": count, "generations": generations, "idf_average": None}:
        _write_manifest(shards_dir(root), {"count": count, "generations": generations, "idf_average": value})


def _walked(root: Path, pending):
    """The walk ``pending`` made (``corpus.scan_in_background``, the askdoc command's), else a walk now."""
    walk = pending.result() if pending is not None else None
    return walk if walk is not None and walk.root == str(root.absolute()) else rescan(root)


def _assign(folder: Path, walk, count: int) -> None:
    """Each file's shard, kept beside the manifest (names and shards in one file, replaced whole) for the
    next walk with the same names (an edit changes none)."""
    path = folder / f"assigned-{count}.npz"
    known = None
    with contextlib.suppress(OSError, ValueError, KeyError), np.load(path, allow_pickle=False) as stored:
        known = (stored["names"].tobytes(), stored["shards"])
    shards = assigned(walk, count, known)
    if known is None or known[0] != walk.blob:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"assigned-{count}.tmp.npz"
        np.savez(temporary, names=np.frombuffer(walk.blob, dtype=np.uint8), shards=shards)
        os.replace(temporary, path)


def retire(folder: Path) -> bool:
    """Remove the index committed in ``folder`` (its CURRENT and generations), the one askdoc no longer uses
    (one index after the shards were committed, a shard after one index was): whether it was removed.

    As a writer removes the generation it replaced: holding the folder's write lock, never waited
    for (a writer at work there: left for the next time). A process that loaded the index keeps
    answering from its memory maps; one loading it meanwhile finds CURRENT gone and builds anew.
    The lock file stays (a writer waiting on it must lock the file the next writer locks).
    """
    try:
        with store.write_lock(folder, wait=False):
            (folder / "CURRENT").unlink(missing_ok=True)
            store.remove_stale(folder, keep=None)
    except OSError:  # BlockingIOError: another askdoc is writing this index
        return False
    return True


def leave_shards(corpus: str | os.PathLike) -> bool:
    """The corpus is one index again (``--shards 1``): its manifest goes now, so that nothing opens the shards,
    and their generations once one index is committed (``retire_shards``); whether it was in shards."""
    folder = shards_dir(Path(corpus).resolve())
    if not (folder / MANIFEST).exists():
        return False
    with contextlib.suppress(FileExistsError):
        os.close(os.open(folder / LEAVING, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    (folder / MANIFEST).unlink(missing_ok=True)
    return True


def retire_shards(corpus: str | os.PathLike) -> None:
    """Remove the generations of the shards of a corpus that is one index again (``leave_shards`` marked them
    ``LEAVING``: a shard built meanwhile by another askdoc, whose manifest is not written yet, is never taken
    for one left behind); a shard another askdoc is writing is left for the next time (see ``retire``)."""
    folder = shards_dir(Path(corpus).resolve())
    if not (folder / LEAVING).exists() or (folder / MANIFEST).exists():
        return
    left = [retire(child) for child in folder.iterdir() if child.is_dir() and child.name.isdigit()]
    for kept in folder.glob("assigned*"):
        kept.unlink(missing_ok=True)
    if all(left):
        (folder / LEAVING).unlink(missing_ok=True)


def forget_shards(corpus: str | os.PathLike) -> bool:
    """Remove the corpus's shards (an index asked for as one again); whether there were any."""
    folder = shards_dir(Path(corpus).resolve())
    if not folder.exists():
        return False
    _remove_shards(folder)
    return True


def _analyzer(shards: list[Shard]):
    """An analyzer that finds a word's stem in any shard's stored table (each shard learned its own words:
    a word of another shard's article missing from the first's would load NLTK's stemmer, ~0.4 s)."""
    from ..analysis import Analyzer

    analyzer = Analyzer()
    analyzer.stems = _Stems([shard.data.stems for shard in shards])  # type: ignore[assignment]
    return analyzer


class _Stems:
    """Several stem tables looked up in turn; what the analyzer learns besides is kept apart."""

    def __init__(self, tables: list) -> None:
        self.tables = tables
        self.learned: dict[str, str] = {}

    def get(self, word: str, default=None):
        stem = self.learned.get(word)
        for table in self.tables if stem is None else ():
            stem = table.get(word)
            if stem is not None:
                break
        return default if stem is None else stem

    def __setitem__(self, word: str, stem: str) -> None:
        self.learned[word] = stem

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None


def _generation(shard: Shard) -> str | None:
    current = store.current_generation(shard.folder)
    return current.name if current is not None else None


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest), "utf-8")
    os.replace(temporary, folder / MANIFEST)


def _remove_shards(folder: Path) -> None:
    (folder / MANIFEST).unlink(missing_ok=True)
    for kept in folder.glob("assigned*"):
        kept.unlink(missing_ok=True)
    for child in folder.iterdir() if folder.exists() else ():
        if child.is_dir() and child.name.isdigit():
            shutil.rmtree(child, ignore_errors=True)
