"""Shards built as Ray tasks, in parallel across the cluster, each committed on its own.

Each task builds, refreshes or finds up to date one shard (``host.build_shard``) and commits it
atomically in its own folder, so a task killed mid-build leaves every committed shard intact and
the next run rebuilds only what is missing or stale. The corpus folder and the index cache must
be paths every node reads (NFS, a mounted bucket); on one machine they are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import AskdocError, CorpusError
from ..shards import ShardedIndex, forget_shards, open_sharded, read_manifest
from . import host
from .connection import ClusterError, cache_root_here, connect

log = logging.getLogger("askdoc")

Report = Callable[[str], None]  # one line of progress for the command (what finished, how long it took)


def build_on_cluster(
    corpus: str | os.PathLike,
    count: int,
    address: str = "auto",
    *,
    rebuild: bool = False,
    report: Report | None = None,
) -> ShardedIndex:
    """The corpus in ``count`` shards, each built (or refreshed) by a Ray task; the index over them, opened here.

    A shard that fails (its task killed, its node lost) is named in a ClusterError after the others
    have committed: the next run builds only what is still missing.
    """
    root = Path(corpus).resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{corpus}' does not exist or is not a folder")
    ray = connect(address, root)
    manifest = read_manifest(root)
    if manifest and manifest["count"] != count:
        log.warning("rebuilding the index of %s in %d shards (it was built in %d)", root, count, manifest["count"])
        forget_shards(root)
        rebuild = True
    refs = submit(ray, root, count, rebuild)
    failed = gather(ray, refs, count, report or (lambda line: None))
    if failed:
        names = ", ".join(f"{number} ({why})" for number, why in sorted(failed.items()))
        raise ClusterError(
            f"shard{'s' if len(failed) > 1 else ''} {names} could not be built; the other shards are committed: "
            "run the same command again to build the rest"
        )
    return open_sharded(root, count, refresh=False)  # (it remembers the count and the collection's mean idf)


def submit(ray, root: Path, count: int, rebuild: bool = False) -> dict:
    """One build task per shard, started: {its object ref: the shard's number}."""
    task = ray.remote(num_cpus=1, max_retries=0)(host.build_shard)
    cache = cache_root_here()
    return {task.remote(str(root), number, count, cache, rebuild): number for number in range(count)}


def gather(ray, refs: dict, count: int, report: Report) -> dict[int, str]:
    """Wait for the build tasks, reporting each shard as it commits; {shard: why} for those that failed."""
    pending, failed, done = list(refs), {}, 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        number = refs[ready[0]]
        try:
            built: host.Built = ray.get(ready[0])
        except ray.exceptions.RayTaskError as err:
            if isinstance(err.cause, AskdocError):
                raise err.cause from None
            failed[number] = _first_line(err.cause)
            report(f"shard {number}: failed ({failed[number]})")
            continue
        except ray.exceptions.RayError as err:  # the worker died (killed, out of memory) or its node was lost
            failed[number] = type(err).__name__
            report(f"shard {number}: failed ({failed[number]}: its task was killed or its node lost)")
            continue
        done += 1
        how = f"built in {built.seconds:.1f} s" if built.rewritten else "up to date"
        report(
            f"shard {number} ready ({done}/{count}): {built.n_articles:,} articles, {built.n_passages:,} passages, {how}"
        )
    return failed


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
