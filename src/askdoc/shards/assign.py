"""Which shard a file belongs to, the order ties are broken in across shards, and the error a shard raises."""

from __future__ import annotations

from hashlib import blake2b

from ..corpus import Scan
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
    """The files of a walk that belong to shard ``number`` of ``count``, in the walk's order."""
    rels = walk.rels
    keep = [i for i, rel in enumerate(rels) if shard_of(rel, count) == number]
    columns = [walk.column(name) for name in ("size_bytes", "mtime_bytes", "ino_bytes", "ctime_bytes")]
    return Scan.of_columns(
        walk.root, [rels[i] for i in keep], *([column[i] for i in keep] for column in columns), walked_ns=walk.walked_ns
    )
