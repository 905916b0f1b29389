"""Which shard a file belongs to, the order ties are broken in across shards, and the error a shard raises."""

from __future__ import annotations

import weakref
from hashlib import blake2b

import numpy as np

from ..corpus import SEPARATOR_TEXT, Scan
from ..errors import AskdocError


class ShardUnavailable(AskdocError):
    """A shard that cannot answer now (its actor is gone, its files unreadable): a search names it."""

    def __init__(self, shard: int, reason: str = "") -> None:
        super().__init__(f"shard {shard} is unavailable" + (f": {reason}" if reason else ""))
        self.shard = shard
        self.reason = reason

    def __reduce__(self):  # picklable with its arguments (a Ray actor raises it across processes)
        return (ShardUnavailable, (self.shard, self.reason))


def shard_of(relative_path: str, count: int) -> int:
    """The shard of a file: blake2b of its path relative to the corpus ('/'-separated) mod ``count``.

    Stable: adding or removing other files moves no file to another shard.
    """
    if count < 1:
        raise ValueError("the number of shards must be at least 1")
    digest = blake2b(relative_path.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


def walk_key(relative_path: str) -> tuple[tuple[int, str], ...]:
    """Where a file comes in a walk of the corpus (``corpus.scan``: a folder's files, sorted, before its
    subfolders, depth first): one index built from the corpus holds its articles in this order, and
    breaks ties between equal scores by it."""
    *folders, name = relative_path.split("/")
    return (*((1, folder) for folder in folders), (0, name))


def select(walk: Scan, number: int, count: int) -> Scan:
    """The files of a walk that belong to shard ``number`` of ``count``, in the walk's order.

    Every shard of one walk is selected from it: the files' shards are computed once per walk.
    """
    rels, shards = _assigned(walk, count)
    keep = np.flatnonzero(shards == number)
    sizes, mtimes, inos, ctimes = (
        np.frombuffer(getattr(walk, name), dtype=np.int64)[keep].tobytes() for name in _COLUMNS
    )
    blob = SEPARATOR_TEXT.join([rels[i] for i in keep.tolist()]).encode("utf-8", "surrogatepass")
    return Scan(walk.root, blob, sizes, mtimes, inos, ctimes, walked_ns=walk.walked_ns)


_COLUMNS = ("size_bytes", "mtime_bytes", "ino_bytes", "ctime_bytes")
_ASSIGNED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # walk -> {count: (rels, shard of each)}


def assigned(walk: Scan, count: int, known: tuple[bytes, np.ndarray] | None = None) -> np.ndarray:
    """The shard of each file of the walk; ``known``: an earlier walk's names (its blob) and their shards,
    reused when the names are the same (an edit changes no name): 100,000 paths are then not hashed again."""
    found = _ASSIGNED.setdefault(walk, {})
    if count not in found:
        rels = walk.rels
        if known is not None and known[0] == walk.blob and len(known[1]) == len(rels):
            found[count] = (rels, known[1])
        else:
            found[count] = (rels, np.fromiter((shard_of(rel, count) for rel in rels), np.int64, count=len(rels)))
    return found[count][1]


def _assigned(walk: Scan, count: int) -> tuple[list[str], np.ndarray]:
    assigned(walk, count)
    return _ASSIGNED[walk][count]
