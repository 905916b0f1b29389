"""CorpusWatch: keeps the app's index fresh — follows file events in the corpus, and adds pasted paths.

Owned by the app; its looks, refreshes and copies run as app-level workers (group
"corpus-watch"). Once the index is open, a thread follows ``askdoc.watch.FolderWatch``: the
operating system's file events name the paths that changed (a burst of saves is one look),
and only those are looked at and refreshed, saying so in the chat's header; the whole folder
is looked at when the watch begins and every few minutes, or on a poll where file events
cannot be had (said once). ``/add PATH`` and a path pasted into the input copy files into
the corpus the same way ``askdoc add`` does. It tells the chat through the app (``note``,
``status``, ``index_refreshed``, ``index_lost``), never the chat's widgets.
"""

from __future__ import annotations

import os
import shlex
import threading
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

import askdoc
from askdoc import render
from askdoc.watch import FolderWatch

from .content import count, literal
from .indexing import CollectWarnings, IndexingApp

CHECK_EVERY = 2.0  # seconds between looks at whether the index is open (to start watching) or can be opened
GROUP = "corpus-watch"  # the app's workers that look at, refresh and add to the corpus


class CorpusWatch:
    """Follows the corpus folder's changes and refreshes ``app.index`` without blocking the chat."""

    def __init__(self, app: IndexingApp, check_every: float = CHECK_EVERY, events: bool | None = None) -> None:
        self.app = app
        self.check_every = check_every
        self.events = events  # None: file events where they work (see FolderWatch); False: poll
        self.busy = False
        self.pending: set[str] | None = set()  # paths to look at next; None: the whole folder
        self.folder_watch: FolderWatch | None = None
        self.watching: threading.Thread | None = None
        self.stop = threading.Event()
        self.noted = False  # the note that file events are not available is given once

    def start(self) -> None:
        """Look every ``check_every`` seconds whether to start watching (the app calls this on mount)."""
        if self.check_every > 0:
            self.app.set_interval(self.check_every, self.tick)

    def tick(self) -> None:
        """Start watching once the index is open (stop while there is none), or try to open it."""
        if self.app.index is None:
            self.stop_watching()
            self.app.retry_index()  # a corpus that could not be opened (empty, or not there yet)
        elif self.watching is None:
            self.start_watching(self.app.index)

    def check(self) -> None:
        """Look at the whole folder now."""
        if self.app.index is None:
            self.app.retry_index()
        else:
            self.look(None)

    def start_watching(self, index: askdoc.Index) -> None:
        self.stop = threading.Event()
        self.folder_watch = FolderWatch(self.folder(index), events=self.events, on_note=self._polling)
        self.watching = threading.Thread(target=self._follow, args=(self.folder_watch, self.stop), daemon=True)
        self.watching.start()

    def folder(self, index: askdoc.Index) -> Path:
        """The folder the index was opened on (an index opened by the app always has one)."""
        return index.corpus if index.corpus is not None else self.app.corpus

    def stop_watching(self) -> None:
        """Ask the watch thread to end (within a step of the watch); not waited for: it may be
        waiting for this UI thread to take its last look."""
        if self.watching is not None:
            self.stop.set()
            self.watching = self.folder_watch = None

    def _follow(self, folder_watch: FolderWatch, stop: threading.Event) -> None:
        """In the watch thread: hand each look to the UI thread, which runs it (one at a time)."""
        for look in folder_watch.looks(stop):
            if stop.is_set():
                break
            try:
                self.app.call_from_thread(self.look, look.paths)
            except RuntimeError:  # the app is closing
                break

    def _polling(self, reason: str) -> None:
        """Told once by the watch thread when it polls instead of following file events."""
        if not self.noted:
            self.noted = True
            self.app.note(literal(reason[0].upper() + reason[1:] + "."))

    def look(self, paths: Iterable[str] | None) -> None:
        """Look at ``paths`` (None: everywhere) now, or after the look under way."""
        if paths is None or self.pending is None:
            self.pending = None
        else:
            self.pending.update(paths)
        if not self.busy and self.app.index is not None:
            wanted, self.pending = self.pending, set()
            self.busy = True
            self.app.run_worker(partial(self._look_in_background, wanted), thread=True, group=GROUP)

    def _looked(self) -> None:
        self.busy = False
        if self.pending is None or self.pending:
            self.look(set() if self.pending is not None else None)

    def _look_in_background(self, paths: set[str] | None) -> None:
        """In a worker: a cheap look (a stat of each path, or a walk); a refresh only when something changed."""
        try:
            started, index, folder_watch = time.monotonic(), self.app.index, self.folder_watch
            if index is None:
                return
            try:
                changes = index.changes(paths)
            except (askdoc.AskdocError, OSError) as err:  # a folder that vanished as it was looked at
                self.app.status(f"could not look at the folder: {err}")
                return
            if paths is None and folder_watch is not None:
                folder_watch.took(time.monotonic() - started)
            if changes:
                rels = changes.rels()
                self._refresh(index, changes.summary(), [os.path.join(self.folder(index), rel) for rel in rels])
        finally:
            self.app.call_from_thread(self._looked)

    def add(self, paths: list[str]) -> None:
        """Copy files or folders into the corpus, then refresh (in a worker)."""
        if self.app.is_sample:
            self.app.note(
                literal(
                    "The bundled sample takes no articles. Make a corpus of your own: askdoc add PATH copies "
                    "articles into ./corpus, and askdoc opens it when started in that folder "
                    "(or askdoc --corpus DIR)."
                ),
                "error",
            )
        elif not self.busy:
            self.busy = True
            self.app.run_worker(partial(self._add_in_background, paths), thread=True, group=GROUP)
        else:
            self.app.note("The index is being refreshed; add again in a moment.", "error")

    def _add_in_background(self, paths: list[str]) -> None:
        try:
            try:
                added = askdoc.add_to_corpus(self.app.corpus, paths)
            except (askdoc.AskdocError, OSError) as err:
                self.app.note(literal(f"Cannot add: {err}"), "error")
                return
            self.app.note(literal(added_note(added, self.app.corpus_name)))
            index = self.app.index
            if added.copied and index is not None:
                copied = [os.path.join(self.folder(index), rel) for rel in added.copied]
                self._refresh(index, f"{len(added.copied)} added", copied)
            elif added.copied:  # no index yet: the one being built, or the next look, reads them
                self.app.call_from_thread(self.app.retry_index)
        finally:
            self.app.call_from_thread(self._looked)

    def _refresh(self, index: askdoc.Index, summary: str, paths: list[str] | None) -> None:
        """In the worker: refresh from ``paths`` (None: a walk), then hand the fresh index to the app."""
        self.app.status(f"refreshing ({summary})…")
        with CollectWarnings() as warnings:
            try:
                fresh = index.refresh(paths=paths)
            except askdoc.CorpusError as err:  # the folder is gone: no answers from files that are
                self.app.call_from_thread(self.app.index_lost, str(err))
                return
            except (askdoc.AskdocError, OSError) as err:
                self.app.status(f"could not refresh: {err}")
                return
        self.app.call_from_thread(self.app.index_refreshed, fresh, summary, warnings.messages)


def added_note(added: askdoc.Added, corpus_name: str) -> str:
    """What ``/add`` says it did: the files copied (named when one), those already there, those ignored."""
    note = f"Added {count(len(added.copied), 'file')} to {corpus_name}"
    if len(added.copied) == 1:
        note += f" as {added.copied[0]}"
    if added.unchanged:  # named, as `askdoc add` names them: the user sees which copy was not made
        shown = ", ".join(render.printed_id(rel) for rel in added.unchanged[:3])
        note += f"; {len(added.unchanged)} already there ({shown}{', …' if len(added.unchanged) > 3 else ''})"
    if added.ignored:
        note += f"; ignored {count(len(added.ignored), 'file')} that are not articles"
    return note + "."


def pasted_paths(text: str) -> list[str] | None:
    """The paths in a line pasted into the input (quoted, or as file:// URLs), when every word is one."""
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    paths = [unquote(urlsplit(w).path) if w.startswith("file://") else w for w in words]
    if not paths or not all(("/" in p or "\\" in p) and Path(p).expanduser().exists() for p in paths):
        return None
    return [str(Path(p).expanduser()) for p in paths]
