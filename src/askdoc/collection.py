"""Open a corpus folder: load its stored index, refresh it for changed files, or build it."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import datasets, store, timing
from .changed_paths import look_at
from .corpus import FoundFile, PendingScan, Scan, default_corpus, sample_corpus, scan  # noqa: F401 - re-exported
from .errors import CorpusError
from .formats import FORMAT_NAMES, article_id_for, read_articles
from .formats import VERSION as READERS_VERSION
from .index import Index, check_engine
from .refresh import merged
from .tables import ArticleTable, FileList, StemTable, Vocabulary

log = logging.getLogger("askdoc")

Progress = Callable[[int, int], None]  # (articles done, articles to read)


def cache_root() -> Path:
    """Where indexes live: $ASKDOC_CACHE_DIR, else the user cache directory."""
    if env := os.environ.get("ASKDOC_CACHE_DIR"):
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("askdoc", appauthor=False))


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
    askdoc command starts before it imports numpy). When another process is updating the index,
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
        walk = scan(root)
        data = _rebuilt(None, walk.files(), _file_list(walk), progress)
        data.stats["unsaved"] = True
        return Index(data, engine=engine, corpus=root.resolve())
    if note := store.made_private(folder):
        log.warning("%s", note)
    with timing.stage("load index"):
        data = None if rebuild else _load(folder, verify=verify)
    if data is not None and data.stats.get("readers") != READERS_VERSION:
        data, rebuild = None, True  # articles were read by other readers: read them all again
    if data is None or refresh or rebuild:
        with timing.stage("check files / refresh"):
            changed = None if changed is None else list(changed)
            data = _refresh(root, folder, data, rebuild, progress, walk, wait, changed)
    if data.n_passages == 0:
        raise CorpusError(f"corpus folder '{root}' has no readable articles ({FORMAT_NAMES})")
    return Index(data, engine=engine, corpus=root.resolve(), location=folder)


def _worker_importing_main() -> bool:
    """Whether this is a spawned worker re-importing the caller's script (whose askdoc.open would then
    wait forever on the write lock its parent holds): what multiprocessing itself flags as bootstrapping."""
    mp = sys.modules.get("multiprocessing")
    return mp is not None and bool(getattr(mp.current_process(), "_inheriting", False))


def _load(folder: Path, patience: float = 10.0, verify: bool = False) -> store.IndexData | None:
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
            return store.load(folder, verify_all=verify)
        except store.CorruptIndex as err:
            if store.current_generation(folder) != before and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(0.05, pause * 2 or 0.001)
                continue  # a writer committed (and removed what we were reading): read its generation
            log.warning("the stored index at %s is unusable (%s); rebuilding it", folder, err)
            return None


def _changes(files: list[FoundFile], data: store.IndexData | None, again: set[str] = frozenset()):
    """Which stored articles are unchanged, and which files must be (re)read.

    A file may hold several articles (JSON Lines, CSV): they are kept or re-read together. A
    file that gave no article (skipped) is not read again until it changes, or, when it could
    not be opened, until it can be (``again``, see ``_openable_again``).
    """
    if data is None:
        return np.zeros(0, dtype=np.int64), [file.source() for file in files]
    stored = data.files if data.files is not None else _files_of(data)
    number = {rel: i for i, rel in enumerate(stored.rels())}
    stamps = stored.stamps()
    same = np.zeros(len(stored) + 1, dtype=bool)  # the last slot stands for "no file" (-1)
    read = []
    article_files = _article_files(data, stored)
    records = data.stats.get("records", {})
    for file in files:
        i = number.get(file.rel)
        if i is not None and stamps[i] == file[2:] and file.rel not in again:
            same[i] = True
        elif i is not None and file.rel in records and (grown := datasets.appended(file, stamps[i], records[file.rel])):
            same[i] = True  # its known records are kept; only the lines added are read
            ids = data.ids()
            read.append(replace(grown, known_ids=tuple(ids[n] for n in np.flatnonzero(article_files == i).tolist())))
        else:
            read.append(file.source())
    return np.flatnonzero(same[article_files]), read


def _openable_again(root: Path, data: store.IndexData | None) -> set[str]:
    """Files of ``root`` skipped because they could not be opened (permissions) that now can be:
    read them again, though unchanged (``chmod`` changes no size or time). A stat or two, seldom any."""
    if data is None:
        return set()
    return {
        rel
        for rel, stamp in data.stats.get("skipped", {}).items()
        if stamp[3:] == ["unopened"] and os.access(os.path.join(root, rel), os.R_OK)
    }


def _article_files(data: store.IndexData, files: FileList) -> np.ndarray:
    """Each article's file number in ``files`` (-1 when none)."""
    if data.article_files is not None and data.files is files:
        return np.asarray(data.article_files)
    number = {rel: i for i, rel in enumerate(files.rels())}
    return np.array([number.get(meta.get("rel"), -1) for meta in data.articles], dtype=np.int64)


def _files_of(data: store.IndexData) -> FileList:
    """The files an index was built from, as far as its articles and skipped files tell (a fresh index)."""
    stamps = {meta["rel"]: (meta["size"], meta["mtime_ns"]) for meta in data.articles if "rel" in meta}
    stamps |= {rel: tuple(stamp[:2]) for rel, stamp in data.stats.get("skipped", {}).items()}
    return FileList.of([FoundFile(rel, "", size, mtime) for rel, (size, mtime) in stamps.items()])


def _refresh(
    root: Path,
    folder: Path,
    data: store.IndexData | None,
    rebuild: bool,
    progress: Progress | None,
    pending=None,
    wait: bool = True,
    changed: list[str] | None = None,
) -> store.IndexData:
    walk = _walk_for(root, data, pending, changed)
    again = _openable_again(root, data)
    if data is not None and data.files is not None and data.files.same_as(_file_list(walk)) and not again:
        store.tidy(folder)  # leftovers of a writer killed after its commit
        return data
    walk = _settled(root, walk, (lambda: _walk_for(root, data, None, changed)) if changed is not None else None)
    seen = store.current_generation(folder)
    try:
        with contextlib.ExitStack() as locked:
            try:
                locked.enter_context(store.write_lock(folder, wait=False))
            except BlockingIOError:  # another process is writing: answer from its last commit, or wait
                holder = store.lock_holder(folder)
                if data is not None and not rebuild and not wait:
                    summary = _stored_changes(data, walk).summary()
                    log.warning(
                        "another askdoc (%s) is updating this index; answering from its last update, which "
                        "does not show the files changed since (%s)", holder, summary,
                    )  # fmt: skip
                    return data
                log.warning("waiting for another askdoc (%s), which is updating this index", holder)
                locked.enter_context(store.write_lock(folder))
            return _locked_refresh(root, folder, data, rebuild, progress, walk, seen, changed)
    except OSError as err:  # the cache folder itself cannot be created or locked
        log.warning("could not write to the index folder %s (%s); answering from memory", folder, err.strerror or err)
        fresh = _rebuilt(data, walk.files(), _file_list(walk), progress, _openable_again(root, data))
        fresh.stats["unsaved"] = True
        return fresh


def _locked_refresh(
    root: Path, folder: Path, data, rebuild: bool, progress, walk: Scan, seen, changed: list[str] | None = None
) -> store.IndexData:
    """The refresh proper, holding the write lock (``seen``: the generation committed before it was taken)."""
    scanned = _file_list(walk)
    # another process may have refreshed while we waited for the lock (a damaged index that nobody
    # replaced is not read twice: that would only repeat its warning)
    if not rebuild and (data is not None or store.current_generation(folder) != seen):
        moved_on = store.current_generation(folder) != seen
        data = _load(folder)
        if changed is not None and moved_on:  # the paths are looked at again beside what is stored now
            walk = _settled(root, _walk_for(root, data, None, changed), lambda: _walk_for(root, data, None, changed))
            scanned = _file_list(walk)
    again = _openable_again(root, data)
    if data is not None and data.files is not None and data.files.same_as(scanned) and not again:
        return data
    if data is not None:
        try:
            store.verify(data)  # a refresh copies from it: never carry damage forward
        except store.CorruptIndex as err:
            log.warning("the stored index at %s is unusable (%s); rebuilding it", folder, err)
            data = None
    fresh = _rebuilt(data, walk.files(), scanned, progress, again, spill_to=folder)
    fresh.stats.pop("unsaved", None)  # (from an index an earlier failure left in memory)
    fresh.stats["records"] = datasets.record_sums(walk)
    try:
        with timing.stage("save index"):
            store.save(folder, fresh)
    except OSError as err:
        log.warning("could not save the index in %s (%s); answering from memory", folder, err.strerror or err)
        fresh.stats["unsaved"] = True  # (askdoc index, whose job saving is, then fails)
    return fresh


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
        walk = look_again() if look_again is not None else scan(root)
    return walk


def _walk_for(root: Path, data: store.IndexData | None, pending, changed: Iterable[str] | None) -> Scan:
    """What a walk of ``root`` would see: the stored walk with the ``changed`` paths looked at again
    (when there is a stored walk), else the walk ``pending`` made, else a walk now."""
    if changed is not None and data is not None and data.files is not None:
        stored = data.files
        columns = (stored.sizes, stored.mtimes, stored.inos, stored.ctimes)
        return look_at(root, stored.rels(), *(column.tolist() for column in columns), paths=changed).scan
    walk = pending.result() if pending is not None else None
    if walk is None or walk.root != str(root.absolute()):
        walk = scan(root)
    return walk


def _stored_changes(data: store.IndexData, walk: Scan) -> Changes:
    """What changed between the files an index saw and a walk."""
    stored = data.files if data.files is not None else _files_of(data)
    files = walk.files()
    known = dict(zip(stored.rels(), stored.stamps()))
    added = [file.rel for file in files if file.rel not in known]
    changed = [file.rel for file in files if file.rel in known and known[file.rel] != file[2:]]
    present = {file.rel for file in files}
    return Changes(tuple(added), tuple(changed), tuple(sorted(rel for rel in known if rel not in present)))


def _file_list(walk: Scan) -> FileList:
    """The walk's columns as they came (no list of 100,000 names and numbers made only to compare them)."""
    columns = (walk.size_bytes, walk.mtime_bytes, walk.ino_bytes, walk.ctime_bytes)
    return FileList(walk.blob, *(np.frombuffer(column, np.int64) for column in columns))


@dataclass(frozen=True, slots=True)
class Changes:
    """Files of a corpus added, changed or removed since its index was built (paths relative to it)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def rels(self) -> list[str]:
        """Every file named, relative to the corpus."""
        return [*self.added, *self.changed, *self.removed]

    def summary(self) -> str:
        """``2 added, 1 changed`` — for a status line."""
        parts = [(len(self.added), "added"), (len(self.changed), "changed"), (len(self.removed), "removed")]
        return ", ".join(f"{n} {what}" for n, what in parts if n) or "no changes"


def changes_since(index: Index, paths: Iterable[str] | None = None) -> Changes:
    """What changed in the index's corpus folder since it was built: a walk and a stat per file, nothing read.

    ``paths``: only these (files or folders, as file events name them) can have changed: a stat
    of each instead of a walk. An in-memory index (``Index.from_articles``) never changes.
    """
    if index.corpus is None:
        return Changes()
    data = index.data
    stored = data.files if data.files is not None else _files_of(data)
    if not index.corpus.is_dir():  # the folder is gone: so are its files (a refresh then says so)
        return Changes(removed=tuple(sorted(stored.rels())))
    again = _openable_again(index.corpus, data)
    if paths is not None:
        columns = (stored.sizes, stored.mtimes, stored.inos, stored.ctimes)
        looked = look_at(index.corpus, stored.rels(), *(column.tolist() for column in columns), paths=paths)
        reopened = tuple(rel for rel in again if rel not in looked.changed and rel not in looked.removed)
        return Changes(looked.added, looked.changed + reopened, looked.removed)
    walk = scan(index.corpus)
    if stored.same_as(_file_list(walk)) and not again:
        return Changes()
    found = _stored_changes(data, walk)
    changed = found.changed + tuple(rel for rel in again if rel not in found.changed and rel not in found.added)
    return Changes(found.added, changed, found.removed)


def refreshed(index: Index, progress: Progress | None = None, paths: Iterable[str] | None = None) -> Index:
    """The index itself when its corpus is unchanged, else a new Index refreshed for the changes.

    ``paths``: only these can have changed (see ``changes_since``). An index that could not be
    saved is refreshed from a walk: what is stored lacks its earlier refreshes.
    """
    unsaved = bool(index.data.stats.get("unsaved"))
    changes = changes_since(index, None if unsaved else paths)
    if not changes:
        return index
    looked = None if unsaved else [os.path.join(index.corpus, rel) for rel in changes.rels()]  # no second walk
    return open_index(index.corpus, engine=index.engine, progress=progress, changed=looked)


def _rebuilt(
    data, files, scanned: FileList, progress, again: set[str] = frozenset(), spill_to: Path | None = None
) -> store.IndexData:
    """The index of ``files``: unchanged articles of ``data`` kept, the others (and ``again``) read.
    ``spill_to``: a folder where the texts read wait in a temporary file rather than in memory (see texts.py)."""
    from . import workers  # reading and analysing: only when something must be (re)read
    from .analysis import Analyzer
    from .build import Builder

    keep, read = _changes(files, data, again)
    analyzer = Analyzer(data.all_stems() if data is not None else None)
    builder = Builder(analyzer, list(data.vocab) if data is not None else None, spill_to)
    ids = data.ids() if data is not None else []
    kept_ids = [ids[number] for number in keep.tolist()]
    skipped: dict[str, list] = {}
    taken = set(kept_ids)
    in_this_process = read
    if len(read) >= workers.PARALLEL_FROM and workers.worker_count() > 1:
        done = 0
        for count, part in workers.parts_or_none(read, analyzer.stems):
            for meta in part["articles"]:
                if meta["id"] in taken:  # notes.html beside notes.pdf: the later one is known by its file name
                    meta["id"] = meta["id"].replace(article_id_for(meta["rel"]), meta["rel"], 1)
                taken.add(meta["id"])
            builder.merge(part)
            analyzer.stems.update(part["stems"])
            skipped.update(part["skipped"])
            done += count
            if progress:
                progress(done, len(read))
        in_this_process = read[done:]  # all of them when the workers could not start
    for done, file in enumerate(in_this_process, 1):
        for article in workers.articles_in(file, skipped, read_articles):
            if article.id in taken:  # notes.html beside notes.pdf: the later one is known by its file name
                article = replace(article, id=article.id.replace(article_id_for(file.rel), file.rel, 1))
            taken.add(article.id)
            builder.add(article, workers.source_of(file))
        if progress:
            progress(done, len(read))
    with timing.stage("refresh: arrays, postings"):
        fresh = new = builder.finish()
        if len(keep):  # unchanged articles keep their rows and postings (see refresh.py)
            store.check_forward(data)
            fresh = merged(data, keep, new)
            fresh.articles = [_Lines(data.articles)[number] for number in keep.tolist()] + new.articles
    fresh.stats["readers"] = READERS_VERSION
    fresh.stems = analyzer.stems
    present, reread = {f.rel for f in files}, {f.rel for f in read}
    fresh.stats["skipped"] = skipped | {
        rel: stamp for rel, stamp in (data.stats.get("skipped", {}) if data else {}).items()
        if rel in present and rel not in reread
    }  # fmt: skip
    fresh.files = scanned
    added = fresh.articles[len(kept_ids) :]
    fresh.article_ids = kept_ids + [meta["id"] for meta in added]
    file_numbers = {rel: i for i, rel in enumerate(scanned.rels())}
    stored = data.files if data is not None and data.files is not None else _files_of(data) if data else None
    kept_files = _file_renumbering(stored, file_numbers)[_article_files(data, stored)[keep]] if len(keep) else []
    fresh.article_files = np.concatenate(
        [np.asarray(kept_files, dtype=np.int32), [file_numbers.get(meta.get("rel"), -1) for meta in added]]
    ).astype(np.int32)
    fresh.articles = ArticleTable(fresh.articles)
    if data is not None and isinstance(data.vocab, Vocabulary) and isinstance(data.stems, StemTable):
        fresh.grown_from = (data.vocab, data.stems)  # saved by appending to them
    return fresh


class _Lines:
    """Articles' stored metadata lines, carried over unparsed (dicts where the index was not loaded)."""

    def __init__(self, articles) -> None:
        self.articles = articles

    def __getitem__(self, number: int):
        articles = self.articles
        return articles.raw(number) if isinstance(articles, ArticleTable) else articles[number]


def _file_renumbering(stored: FileList, numbers: dict[str, int]) -> np.ndarray:
    """Old file number -> its number in the new file list (-1 when gone); one more slot for -1 itself."""
    return np.array([numbers.get(rel, -1) for rel in stored.rels()] + [-1], dtype=np.int64)
