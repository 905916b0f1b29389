"""What runs inside Ray's worker processes: a shard built as a task, and a shard hosted by an actor.

Nothing here imports Ray: ``building`` and ``serving`` wrap these with ``ray.remote``. A worker
does not inherit the caller's environment, so each is handed the index cache folder it must use
(on several machines: a folder every node sees, as the corpus).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import store
from ..shards import Shard, shard_folder

# the methods a proxy may call on a hosted shard (askdoc.shards.Shard's; /work/notes/17a-api.md)
SHARD_METHODS = frozenset(
    {"summary", "vocabulary", "statistics", "best", "bundles", "catalog", "has", "article", "passages", "skipped"}
)


@dataclass(frozen=True, slots=True)
class Built:
    """What a build task reports of its shard: its size, whether it was rewritten, how long it took."""

    number: int
    n_articles: int
    n_passages: int
    generation: str
    rewritten: bool  # False: it was up to date (committed by an earlier run, its files unchanged)
    seconds: float
    peak_rss: int  # bytes, of the worker process


def build_shard(corpus: str, number: int, count: int, cache: str, rebuild: bool) -> Built:
    """Build (or refresh, or find up to date) shard ``number`` of ``count``, committed in its own folder.

    One process per task (``ASKDOC_WORKERS=1``): Ray runs as many tasks at once as the cluster has cores.
    """
    os.environ["ASKDOC_CACHE_DIR"] = cache
    os.environ["ASKDOC_WORKERS"] = "1"
    started = time.perf_counter()
    before = _generation(shard_folder(Path(corpus).resolve(), number))
    shard = Shard.open(corpus, number, count, refresh=True, rebuild=rebuild, wait=True)
    summary = shard.summary()
    generation = _generation(shard.folder)
    seconds = time.perf_counter() - started
    return Built(number, summary.n_articles, summary.n_passages, generation, generation != before, seconds, peak_rss())


def _generation(folder: Path) -> str:
    """The generation a shard's folder has committed ("" when none)."""
    current = store.current_generation(folder)
    return current.name if current is not None else ""


class ShardHost:
    """One shard, loaded (its arrays memory-mapped) from what is committed, answering a sharded index's calls."""

    def __init__(self, corpus: str, number: int, count: int, cache: str, idf_average: float) -> None:
        os.environ["ASKDOC_CACHE_DIR"] = cache
        self.shard = Shard.open(corpus, number, count, refresh=False)
        self.idf_average = idf_average

    def call(self, method: str, args: tuple) -> Any:
        """The shard's answer to ``method(*args)`` (only the methods of ``SHARD_METHODS``), or ``info()``."""
        if method == "info":
            return self.info()
        if method not in SHARD_METHODS:
            raise ValueError(f"a hosted shard has no method {method!r}")
        return getattr(self.shard, method)(*args)

    def info(self) -> dict[str, Any]:
        """The shard's number and count, the collection's mean idf, and this process's pid and peak memory."""
        return {
            "number": self.shard.number,
            "count": self.shard.count,
            "idf_average": self.idf_average,
            "pid": os.getpid(),
            "node": _node_id(),
            "peak_rss": peak_rss(),
        }


def _node_id() -> str:
    """The Ray node this actor runs on (Ray is there: this runs in its worker)."""
    import ray

    return ray.get_runtime_context().get_node_id()


def peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
