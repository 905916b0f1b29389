"""``askdoc.open``: a corpus folder's index, as one index or in shards (as it was built, or as asked)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from .corpus import default_corpus
from .index import Index
from .opening import open_index

log = logging.getLogger("askdoc")


def open_corpus(
    corpus: str | os.PathLike | None = None, *, shards: int | None = None, cluster: str | None = None, **options: Any
) -> Index:
    """Load the index of a corpus folder, refreshed (``opening.open_index`` documents ``options``).

    ``shards``: the index in this many shards (``askdoc.shards``: the same answers; a refresh
    rewrites only the shards whose files changed); None: as it was last built (one index unless it
    was built in shards); 1: one index again. Asking for another number than was built rebuilds.
    ``cluster``: the index ``askdoc serve`` serves on the Ray cluster at this address ("auto": the
    one started on this machine), its shards' actors found by name (``askdoc.cluster``; needs Ray).
    """
    if cluster is not None:
        from .cluster.serving import open_for

        return open_for(default_corpus() if corpus is None else corpus, cluster, **options)  # type: ignore[return-value]
    if sharded := _sharded(corpus, shards, options.get("engine", "askdoc")):
        from .shards import open_sharded

        known = {
            name: options[name] for name in ("refresh", "rebuild", "progress", "walk", "changed") if name in options
        }
        return open_sharded(sharded[0], sharded[1], **known)  # type: ignore[return-value]
    index = open_index(corpus, **options)
    if index.saved and index.corpus is not None:  # committed: shards left by --shards 1 go (shards.folder)
        from .shards.folder import retire_shards

        retire_shards(index.corpus)
    return index


def _sharded(corpus, shards: int | None, engine: str) -> tuple[Path, int] | None:
    """(folder, count) when the corpus is to be opened in shards; None for one index (shards=1 forgets them)."""
    if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or shards < 1):
        raise ValueError(f"shards must be a whole number of at least 1, not {shards!r}")
    corpus = default_corpus() if corpus is None else corpus
    if shards == 1:
        from .shards.folder import leave_shards

        if leave_shards(corpus):
            log.warning("the index of %s was in shards: it is one index again", corpus)
        return None
    from .shards import built_shards

    count = shards if shards is not None else built_shards(corpus) if Path(corpus).is_dir() else None
    if count is None:
        return None
    if engine != "askdoc":
        raise ValueError(f"an index in shards searches with the askdoc engine, not {engine!r}")
    return Path(corpus), count
