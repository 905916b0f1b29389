"""The progress bar the askdoc command shows on stderr while an index is built."""

from __future__ import annotations

import sys


def progress_bar():
    """A progress bar on stderr for index building, only when stderr is a terminal (``.stop()`` ends it)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("indexing", total=total)
        bar.update(task, completed=done)
        if done >= total:
            bar.stop()

    update.stop = bar.stop  # type: ignore[attr-defined]
    return update
