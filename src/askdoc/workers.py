"""Read and analyse article files in worker processes; each returns a part of an index that the builder merges.

Reading, tokenising and stemming are pure Python and hold the GIL, so a large build uses
one process per core. Parts travel back through the pool's pipe (in memory, never written
to disk). Each worker numbers terms in its own vocabulary (``build.Terms``), kept across its
chunks so that a token is analysed once per process; a part carries the terms new since that
worker's previous part, and ``Builder.merge`` renumbers them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from .analysis import Analyzer
from .build import Builder, Terms
from .formats import SourceFile, Unreadable, read_articles
from .model import Article
from .store import SkippedFile

log = logging.getLogger("askdoc")

PARALLEL_FROM = 1000  # fewer files than this are read in the calling process (starting workers costs ~0.5 s)
CHUNK_FILES = 250
PARENT_CHECK = 0.5  # seconds between a worker's looks at whether the build that started it still runs

_terms: Terms | None = None  # one per worker process: its stems, tokens and terms serve every chunk


def worker_count() -> int:
    """$ASKDOC_WORKERS, else the cores this process may use; 1 where worker processes cannot start."""
    if not _real_stderr():
        return 1
    if env := os.environ.get("ASKDOC_WORKERS"):
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _real_stderr() -> bool:
    """Spawned workers inherit stderr's file descriptor: inside the chat (Textual captures stderr
    with an object whose fileno() is -1) starting them fails with 'bad value(s) in fds_to_keep'."""
    try:
        return sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def articles_in(file: SourceFile, skipped: dict[str, SkippedFile], reader=read_articles) -> list[Article]:
    """The articles of one file; an unreadable file is logged and noted in ``skipped``."""
    try:
        return reader(file)
    except Unreadable as err:
        log.warning("skipped %s: %s", file.path, err)
        skipped[file.rel] = SkippedFile(file.size, file.mtime_ns, str(err), err.unopened)
        return []


def source_of(file: SourceFile) -> dict[str, Any]:
    return {"rel": file.rel, "size": file.size, "mtime_ns": file.mtime_ns}


def analysed_parts(files: Sequence[SourceFile], stems: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(files done, part) for chunks of ``files``, in order, analysed by worker processes."""
    chunks = [files[i : i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
    context = multiprocessing.get_context("spawn")  # safe beside threads (the chat UI has some)
    workers = min(worker_count(), len(chunks))
    start = (stems, os.getpid())
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=start) as pool:
        for chunk, part in zip(chunks, pool.map(_analyse, chunks)):
            yield len(chunk), part


def parts_or_none(files: Sequence[SourceFile], stems: dict[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``analysed_parts``, or nothing (the caller then reads the files itself) when the workers die
    before their first part, as they do when importing the caller's script fails in them."""
    parts = analysed_parts(files, stems)
    try:
        first = next(parts, None)
    except BrokenProcessPool:
        log.warning(
            "worker processes could not start (a script that opens a corpus must do so under "
            '`if __name__ == "__main__":`); reading the files in this process'
        )
        return
    if first is not None:
        yield first
        yield from parts


def _start(stems: dict[str, str], parent: int) -> None:
    global _terms
    _terms = Terms(Analyzer(stems))
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="askdoc-parent-watch").start()


def _exit_with(parent: int) -> None:
    """End this worker once the process that started it is gone. A build killed outright (SIGKILL, the
    out-of-memory killer) cannot stop its pool, and a worker, holding both ends of the pool's queue
    itself, would wait on it for ever; orphaned, it is given another parent."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(1)


def _analyse(files: Sequence[SourceFile]) -> dict[str, Any]:
    """One chunk of files as a part: columns with the worker's term ids, and what they refer to."""
    terms = _terms or Terms(Analyzer())
    stems = terms.analyzer.stems
    known = len(stems)
    builder = Builder(terms.analyzer, terms=terms)
    skipped: dict[str, SkippedFile] = {}
    for file in files:
        for article in articles_in(file, skipped):
            builder.add(article, source_of(file))
    learned = dict(islice(stems.items(), known, None))  # a dict keeps its order: the stems added since
    return builder.part() | {"skipped": skipped, "stems": learned}
