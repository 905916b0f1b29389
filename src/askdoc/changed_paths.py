"""What a walk would see now, found by looking only at the paths that changed (as file events name them).

A refresh after a file event need not walk 100,000 files: the stored file list is the last
walk, and only the named paths can differ from it. Each path is looked at with the walk's
rules (corpus.scan: article suffixes, no hidden names, no cache folders, symlinks only inside
the corpus, folders not followed through a symlink); a folder is walked whole (one moved in
or out names only itself). The result keeps the walk's order, so that a later full walk of
an unchanged folder compares equal to it and rewrites nothing.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple

from .corpus import CACHE_SIGNATURE, CACHE_TAG, SUFFIXES, Scan, rescan, scan


class Looked(NamedTuple):
    """The file list patched for the changed paths, and which of them were added, changed or removed."""

    scan: Scan
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


def relative_paths(root: Path, paths: Iterable[str | os.PathLike]) -> set[str]:
    """The paths as the walk names them (relative, with /); paths outside ``root`` or hidden are dropped."""
    top = os.path.abspath(root)
    found = set()
    for path in paths:
        full = os.path.abspath(os.path.join(top, path))
        if full == top:
            found.add("")
            continue
        if not full.startswith(top + os.sep):
            continue
        rel = full[len(top) + 1 :].replace(os.sep, "/")
        if not any(part.startswith(".") for part in rel.split("/")):
            found.add(rel)
    return found


def look_at(
    root: Path,
    rels: list[str],
    sizes: list[int],
    mtimes: list[int],
    inos: list[int],
    ctimes: list[int],
    *,
    paths: Iterable[str],
) -> Looked:
    """The stored walk (``rels`` and their ``sizes``, ``mtimes``, inodes and change times, in walk order)
    with ``paths`` looked at again. Each file's stamp is what the walk records: size, modification time,
    inode and change time (a file swapped in by rename keeps the others)."""
    root = Path(root)
    looked_ns = time.time_ns()  # as a walk's start: a file changed a tick before it is "racy" (collection)
    before = dict(zip(rels, zip(sizes, mtimes, inos, ctimes)))
    wanted = relative_paths(root, paths)
    if "" in wanted:  # the folder itself: look at everything (a walk)
        walk = rescan(root)
        now = dict(zip(walk.rels, _stamps_of(walk)))
        seen = {rel: now.get(rel) for rel in [*before, *now]}
        return _looked(root, before, walk.rels, now, seen, walk.walked_ns)
    seen = _stamps_now(root, wanted, rels, before)
    now = dict(before)
    for rel, stamp in seen.items():
        if stamp is None:
            now.pop(rel, None)
        else:
            now[rel] = stamp
    order = [rel for rel in rels if rel in now]
    new = sorted((rel for rel, stamp in seen.items() if stamp is not None and rel not in before), key=walk_key)
    if len(new) > len(order) // 20:  # many: one sort rather than many insertions
        order = sorted(order + new, key=walk_key)
    else:
        for rel in new:
            order.insert(bisect.bisect(order, walk_key(rel), key=walk_key), rel)
    return _looked(root, before, order, now, seen, looked_ns)


Stamp = tuple[int, int, int, int]  # size, modification time, inode, change time (ns)


def _stamps_of(walk: Scan) -> list[Stamp]:
    columns = (walk.sizes, walk.mtimes, walk.column("ino_bytes"), walk.column("ctime_bytes"))
    return list(zip(*columns))


def _stamps_now(root: Path, wanted: set[str], rels: list[str], before: dict) -> dict[str, Stamp | None]:
    """rel -> its stamp now, or None where there is no article file now: the wanted paths, the
    files now inside those that are folders, and the stored files inside those that were."""
    seen: dict[str, Stamp | None] = {}
    unknown = [rel for rel in wanted if rel not in before]
    if unknown:  # a folder moved out or deleted is named alone: its stored files go with it
        folders = set()
        for parent in {rel.rpartition("/")[0] for rel in rels}:
            while parent and parent not in folders:
                folders.add(parent)
                parent = parent.rpartition("/")[0]
        gone = tuple(rel + "/" for rel in unknown if rel in folders)
        if gone:
            seen.update((old, None) for old in rels if old.startswith(gone))
    real_root = root.resolve()
    for rel in sorted(wanted):
        seen[rel] = None
        if _outside_walk(root, rel):
            continue
        full = root / rel
        try:
            stat = os.lstat(full)
        except OSError:
            continue  # gone
        if S_ISDIR(stat.st_mode):  # a folder moved or copied in: walked whole (its files raise no events)
            walk = scan(full)
            seen.update((f"{rel}/{inner}", stamp) for inner, stamp in zip(walk.rels, _stamps_of(walk)))
        elif rel.rsplit("/", 1)[-1].lower().endswith(SUFFIXES):
            seen[rel] = _file_stamp(full, stat, real_root)
    return seen


def _looked(root: Path, before: dict, order: list[str], now: dict, seen: dict, looked_ns: int) -> Looked:
    added = tuple(rel for rel in order if rel in seen and rel not in before)
    changed = tuple(
        sorted((r for r, s in seen.items() if s is not None and r in before and before[r] != s), key=walk_key)
    )
    removed = tuple(sorted(rel for rel, stamp in seen.items() if stamp is None and rel in before))
    columns = [[now[r][i] for r in order] for i in range(4)]
    found = Scan.of_columns(str(root.absolute()), order, *columns, walked_ns=looked_ns)
    return Looked(found, added, changed, removed)


def walk_key(rel: str) -> tuple:
    """Where the walk meets a file: a folder's files (by name) before its subfolders (by name), depth first."""
    parts = rel.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _outside_walk(root: Path, rel: str) -> bool:
    """Whether the walk never reaches ``rel``: a folder above it is a symlink or a cache folder."""
    folder = root
    for part in rel.split("/")[:-1]:
        folder = folder / part
        try:
            if S_ISLNK(os.lstat(folder).st_mode):
                return True
        except OSError:
            return True
        if _is_cache(folder):
            return True
    return _is_cache(root)


def _is_cache(folder: Path) -> bool:
    try:
        with open(folder / CACHE_TAG, "rb") as handle:
            return handle.read(len(CACHE_SIGNATURE)) == CACHE_SIGNATURE
    except OSError:
        return False


def _file_stamp(path: Path, stat: os.stat_result, real_root: Path) -> Stamp | None:
    """The stamp of an article file as the walk takes it: a symlink inside the corpus followed."""
    try:
        if S_ISLNK(stat.st_mode):
            if not Path(os.path.realpath(path)).is_relative_to(real_root):
                return None
            stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns) if S_ISREG(stat.st_mode) else None
