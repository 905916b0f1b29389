"""Open a corpus folder: load its stored index, refresh it for changed files, or build it."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from . import datasets, formats, store, timing
from .changed_paths import look_at
from .changes import file_list, openable_again, stored_changes
from .corpus import PendingScan, Scan, default_corpus, rescan, scan, scan_in_background
from .errors import CorpusError
from .formats import FORMAT_NAMES
from .index import Index
from .listing import cache_root
from .merging import Progress, rebuilt
from .retrieval.retriever import check_engine
from .store.data import DAMAGED

log = logging.getLogger("askdoc")


def open_index(
    corpus: str | os.PathLike | None = None,
    *,
    engine: str = "askdoc",
    refresh: bool = True,
    rebuild: bool = False,
    progress: Progress | None = None,
    walk: PendingScan | None = None,
    wait: bool = False,
    verify: bool = False,
    changed: Iterable[str] | None = None,
) -> Index:
    """Load the index of a corpus folder, refreshed for added, changed and deleted files.

    ``walk``: a walk of the corpus already started (``corpus.scan_in_background``, which the
    askdoc command starts before it imports numpy); without one, one is started here while the
    stored index loads. When another process is updating the index,
    the last committed one is used at once with a warning that it may be stale, unless ``wait``
    (``askdoc index``: it waits, saying for whom). ``verify``: checksum every file of the stored
    index, however large (a load checks a large one only where that is cheap). ``changed``: only
    these paths (files or folders, as file events name them) can have changed: they are looked at,
    not the whole folder.
    """
    check_engine(engine)
    if _worker_importing_main():  # the parent says why in one line and reads the files itself;
        raise SystemExit(1)  # a RuntimeError here printed the worker's traceback besides
    root = Path(corpus) if corpus is not None else default_corpus()
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    folder = store.index_dir_for(root, cache_root())
    if reason := store.unsafe(folder):
        log.warning(
            "not using the index folder (%s: another user could plant files in it); answering from memory", reason
        )
        found = scan(root)
        built = rebuilt(None, found.files(), file_list(found), progress)
        return Index(built, engine=engine, corpus=root.resolve(), reopen=_opener(root, engine))
    ahead = walk is None and (refresh or rebuild) and changed is None
    if ahead:  # the walk in child processes while the stored index loads (see corpus.PendingScan)
        walk = scan_in_background(root)
    try:
        data = open_store(root, folder, refresh=refresh, rebuild=rebuild, progress=progress, walk=walk, wait=wait,
                          verify=verify, changed=changed)  # fmt: skip
    finally:
        if ahead and walk is not None:
            walk.close()
    if data.n_passages == 0:
        raise CorpusError(f"corpus folder '{root}' has no readable articles ({FORMAT_NAMES})")
    return Index(data, engine=engine, corpus=root.resolve(), location=folder, reopen=_opener(root, engine))


def open_store(
    root: Path,
    folder: Path,
    *,
    refresh: bool = True,
    rebuild: bool = False,
    progress: Progress | None = None,
    walk: PendingScan | None = None,
    wait: bool = False,
    verify: bool = False,
    changed: Iterable[str] | None = None,
    select: Callable[[Scan], Scan] | None = None,
    share: float = 1.0,
    keep_impacts: bool = False,
    loaded: tuple[store.IndexData | None] | None = None,
    reread: Iterable[str] = (),
    taken: Iterable[str] = (),
) -> store.IndexData:
    """The index data stored in ``folder`` for the corpus ``root``, refreshed (see ``open_index``).

    ``select``: the files of a walk this store holds (a shard's, see ``askdoc.shards``); all by default;
    ``share``: the part of the corpus they are (1/N for a shard: see ``store.load``); ``keep_impacts``:
    its impacts are never scored with (a shard's), and a refresh keeps them (see ``merging.rebuilt``);
    ``loaded``: what ``preload`` gave for ``folder`` (while the walk ran); ``reread``: files read
    again whether or not they changed, with ``taken`` the ids they may not have (another shard's: see
    ``merging.own_id``).
    """
    data = loaded[0] if loaded is not None else None if rebuild else preload(folder, verify=verify, share=share)
    if data is not None and data.readers != formats.VERSION:
        data, rebuild = None, True  # articles were read by other readers: read them all again
    if data is None or refresh or rebuild:
        with timing.stage("check files / refresh"):
            changed = None if changed is None else list(changed)
            ids = (frozenset(reread), frozenset(taken))
            data = _refresh(
                root, folder, data, rebuild, progress, walk, wait, changed, select or _all, keep_impacts, ids
            )
    return data


def preload(folder: Path, verify: bool = False, share: float = 1.0) -> store.IndexData | None:
    """The index stored in ``folder`` (see ``open_store``), or None when there is none or it is damaged."""
    if note := store.made_private(folder):
        log.warning("%s", note)
    with timing.stage("load index"):
        return _load(folder, verify=verify, share=share)


def _all(walk: Scan) -> Scan:
    return walk


def _opener(root: Path, engine: str) -> Callable[..., Index]:
    """How an index opened here refreshes: by opening its folder again (``Index.refresh``)."""
    return functools.partial(open_index, root, engine=engine)


def _worker_importing_main() -> bool:
    """Whether this is a spawned worker re-importing the caller's script (whose askdoc.open would then
    wait forever on the write lock its parent holds): what multiprocessing itself flags as bootstrapping."""
    mp = sys.modules.get("multiprocessing")
    return mp is not None and bool(getattr(mp.current_process(), "_inheriting", False))


def _load(folder: Path, patience: float = 10.0, verify: bool = False, share: float = 1.0) -> store.IndexData | None:
    """The stored index, or None (with a warning) when it is damaged and must be rebuilt.

    A writer removes the generation it replaces as soon as it has committed, so a load can fail
    only because a writer committed meanwhile: CURRENT then names another generation, and the
    load is tried again, with a growing pause, for as long as writers keep committing (up to
    ``patience`` seconds). A load that fails with CURRENT unchanged found real damage.
    """
    deadline = time.monotonic() + patience
    pause = 0.0
    while True:
        before = store.current_generation(folder)
        try:
            return store.load(folder, verify_all=verify, share=share)
        except store.CorruptIndex as err:
            if store.current_generation(folder) != before and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(0.05, pause * 2 or 0.001)
                continue  # a writer committed (and removed what we were reading): read its generation
            log.warning("%s", unusable(folder, err))
            return None


def _refresh(
    root: Path,
    folder: Path,
    data: store.IndexData | None,
    rebuild: bool,
    progress: Progress | None,
    pending=None,
    wait: bool = True,
    changed: list[str] | None = None,
    select: Callable[[Scan], Scan] = _all,
    keep_impacts: bool = False,
    ids: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> store.IndexData:
    walk = _walk_for(root, data, pending, changed, select)
    again = openable_again(root, data) | ids[0]
    if data is not None and data.files is not None and data.files.same_as(file_list(walk)) and not again:
        store.tidy(folder)  # leftovers of a writer killed after its commit
        return data
    look_again: Callable[[], Scan] | None
    if changed is not None:
        look_again = functools.partial(_walk_for, root, data, None, changed, select)
    else:
        look_again = None if select is _all else lambda: select(rescan(root))
    walk = _settled(root, walk, look_again)
    seen = store.current_generation(folder)
    try:
        with contextlib.ExitStack() as locked:
            try:
                locked.enter_context(store.write_lock(folder, wait=False))
            except BlockingIOError:  # another process is writing: answer from its last commit, or wait
                holder = store.lock_holder(folder)
                if data is not None and not rebuild and not wait:
                    summary = stored_changes(data, walk).summary()
                    log.warning(
                        "another askdoc (%s) is updating this index; answering from its last update, which "
                        "does not show the files changed since (%s)", holder, summary,
                    )  # fmt: skip
                    return data
                log.warning("waiting for another askdoc (%s), which is updating this index", holder)
                locked.enter_context(store.write_lock(folder))
            return _locked_refresh(
                root, folder, data, rebuild, progress, walk, seen, changed, select, keep_impacts, ids
            )
    except OSError as err:  # the cache folder itself cannot be created or locked
        log.warning("could not write to the index folder %s (%s); answering from memory", folder, err.strerror or err)
        fresh = rebuilt(data, walk.files(), file_list(walk), progress, again, keep_impacts=keep_impacts, taken=ids[1])
        return fresh  # (not saved)


def _locked_refresh(
    root: Path,
    folder: Path,
    data,
    rebuild: bool,
    progress,
    walk: Scan,
    seen,
    changed: list[str] | None = None,
    select: Callable[[Scan], Scan] = _all,
    keep_impacts: bool = False,
    ids: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> store.IndexData:
    """The refresh proper, holding the write lock (``seen``: the generation committed before it was taken;
    ``ids``: files to read again, and ids taken elsewhere, see ``open_store``)."""
    scanned = file_list(walk)
    # another process may have refreshed while we waited for the lock (a damaged index that nobody
    # replaced is not read twice: that would only repeat its warning)
    current = store.current_generation(folder)
    if not rebuild and (data is not None or current != seen):
        moved_on = current != seen
        if data is None or data.generation is None or data.generation != current or _marked(data.generation):
            data = _load(folder)  # (what was loaded is still what is committed, unmarked: not read again)
        if changed is not None and moved_on:  # the paths are looked at again beside what is stored now
            again_walk = functools.partial(_walk_for, root, data, None, changed, select)
            walk = _settled(root, again_walk(), again_walk)
            scanned = file_list(walk)
    again = openable_again(root, data) | ids[0]
    if data is not None and data.files is not None and data.files.same_as(scanned) and not again:
        return data
    if data is not None:
        try:
            store.verify(data)  # a refresh copies from it: never carry damage forward
        except store.CorruptIndex as err:
            log.warning("%s", unusable(folder, err))
            data = None
    fresh = rebuilt(
        data, walk.files(), scanned, progress, again, spill_to=folder, keep_impacts=keep_impacts, taken=ids[1]
    )
    fresh.records = datasets.record_sums(walk)
    try:
        with timing.stage("save index"):
            store.save(folder, fresh)
    except OSError as err:
        log.warning("could not save the index in %s (%s); answering from memory", folder, err.strerror or err)
        return fresh  # not saved (askdoc index, whose job saving is, then fails)
    fresh.saved = True
    return fresh


def _marked(generation: Path) -> bool:
    """Whether a reader found damage in the generation since it was loaded (see IndexData.damaged)."""
    return os.path.lexists(generation / DAMAGED)


RACY_TICK_NS = 20_000_000  # the kernel stamps files from a coarse clock: a few ms a tick
COARSE_TICK_NS = 2_000_000_000  # file systems with whole-second times (FAT: two seconds)


def _settled(root: Path, walk: Scan, look_again: Callable[[], Scan] | None = None, tries: int = 3) -> Scan:
    """The walk, taken again until no file in it is "racy" (changed within a timestamp tick before the
    walk): such a file could change again after it is read and keep its size and times, and the
    index would hold what it no longer says. Git re-checks such "racily clean" files; here the walk
    waits the tick out (a few ms; up to 2 s on whole-second file systems) and looks again
    (``look_again``: at the paths file events named, not the whole folder)."""
    for _ in range(tries):
        ctimes = np.frombuffer(walk.ctime_bytes, np.int64)
        ticks = np.where(ctimes % 1_000_000_000 == 0, COARSE_TICK_NS, RACY_TICK_NS)
        racy = ctimes > walk.walked_ns - ticks
        if not racy.any():
            return walk
        pause = int((ctimes[racy] + ticks[racy]).max()) - time.time_ns()
        if pause > COARSE_TICK_NS:  # a change time in the future: the clock was set back, no tick to wait out
            return walk
        time.sleep(max(pause, 0) / 1e9)
        walk = look_again() if look_again is not None else rescan(root)
    return walk


def _walk_for(root: Path, data: store.IndexData | None, pending, changed: Iterable[str] | None, select=_all) -> Scan:
    """What a walk of ``root`` would see: the stored walk with the ``changed`` paths looked at again
    (when there is a stored walk), else the walk ``pending`` made, else a walk now."""
    if changed is not None and data is not None and data.files is not None:
        stored = data.files
        columns = (stored.sizes, stored.mtimes, stored.inos, stored.ctimes)
        return select(look_at(root, stored.rels(), *(column.tolist() for column in columns), paths=changed).scan)
    walk = pending.result() if pending is not None else None
    if walk is None or walk.root != str(root.absolute()):
        walk = rescan(root)
    return select(walk)


def unusable(folder: Path, err: store.CorruptIndex) -> str:
    """What a user is told when a stored index is rebuilt: an older askdoc's index is no fault."""
    if isinstance(err, store.OlderIndex):
        return f"the stored index at {folder} was made by an older askdoc ({err}); rebuilding it"
    return f"the stored index at {folder} is unusable ({err}); rebuilding it"
