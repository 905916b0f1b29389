"""CorpusWatch: keeps the chat's index fresh — follows file events in the corpus, and adds pasted paths.

A hidden widget on the chat screen. Once the index is open, a thread follows
``askdoc.watch.FolderWatch``: the operating system's file events name the paths that
changed (a burst of saves is one look), and only those are looked at and refreshed, in a
worker, saying so in the screen's subtitle; the whole folder is looked at when the watch
begins and every few minutes, or on a poll where file events cannot be had (said once).
``/add PATH`` and a path pasted into the input copy files into the corpus the same way
``askdoc add`` does.
"""

from __future__ import annotations

import os
import shlex
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from textual import work
from textual.widget import Widget

import askdoc
from askdoc.watch import FolderWatch

from ..text import count, literal

CHECK_EVERY = 2.0  # seconds between looks at whether the index is open (to start watching) or can be opened


class CorpusWatch(Widget):
    """Follows the corpus folder's changes and refreshes ``app.index`` without blocking the chat."""

    DEFAULT_CSS = "CorpusWatch { display: none; }"

    def __init__(self, check_every: float = CHECK_EVERY, events: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.check_every = check_every
        self.events = events  # None: file events where they work (see FolderWatch); False: poll
        self.busy = False
        self.pending: set[str] | None = set()  # paths to look at next; None: the whole folder
        self.folder_watch: FolderWatch | None = None
        self.watching: threading.Thread | None = None
        self.stop = threading.Event()
        self.noted = False  # the note that file events are not available is given once

    def on_mount(self) -> None:
        if self.check_every > 0:
            self.set_interval(self.check_every, self.tick)

    def on_unmount(self) -> None:
        self.stop_watching()

    def tick(self) -> None:
        """Start watching once the index is open (stop while there is none), or try to open it."""
        if self.app.index is None:
            self.stop_watching()
            self.app.chat.retry_index()  # a corpus that could not be opened (empty, or not there yet)
        elif self.watching is None:
            self.start_watching()

    def check(self) -> None:
        """Look at the whole folder now."""
        if self.app.index is None:
            self.app.chat.retry_index()
        else:
            self.look(None)

    def start_watching(self) -> None:
        self.stop = threading.Event()
        self.folder_watch = FolderWatch(self.app.index.corpus, events=self.events, on_note=self._polling)
        self.watching = threading.Thread(target=self._follow, args=(self.folder_watch, self.stop), daemon=True)
        self.watching.start()

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
            self.app.call_from_thread(self._note, reason[0].upper() + reason[1:] + ".", "")

    def look(self, paths: tuple[str, ...] | None) -> None:
        """Look at ``paths`` (None: everywhere) now, or after the look under way."""
        if paths is None or self.pending is None:
            self.pending = None
        else:
            self.pending.update(paths)
        if not self.busy and self.app.index is not None:
            paths, self.pending = self.pending, set()
            self.busy = True
            self.look_in_background(paths)

    def _looked(self) -> None:
        self.busy = False
        if self.pending is None or self.pending:
            self.look(set() if self.pending is not None else None)

    @work(thread=True, group="corpus-watch")
    def look_in_background(self, paths: set[str] | None) -> None:
        """A cheap look (a stat of each path, or a walk); a refresh only when something changed."""
        try:
            started, index, folder_watch = time.monotonic(), self.app.index, self.folder_watch
            try:
                changes = index.changes(paths) if index is not None else None
            except (askdoc.AskdocError, OSError) as err:  # a folder that vanished as it was looked at
                self.app.call_from_thread(self._status, f"could not look at the folder: {err}")
                return
            if paths is None and folder_watch is not None:
                folder_watch.took(time.monotonic() - started)
            if changes:
                self.refresh_index(changes.summary(), [os.path.join(index.corpus, rel) for rel in changes.rels()])
        finally:
            self.app.call_from_thread(self._looked)

    def add(self, paths: list[str]) -> None:
        """Copy files or folders into the corpus, then refresh (in a thread)."""
        if Path(self.app.corpus).resolve() == askdoc.sample_corpus().resolve():
            self._note(
                "The bundled sample takes no articles. Make a corpus of your own: askdoc add PATH copies "
                "articles into ./corpus, and askdoc opens it when started in that folder "
                "(or askdoc --corpus DIR).",
                "error",
            )
        elif not self.busy:
            self.busy = True
            self.add_in_background(paths)
        else:
            self.app.chat.transcript.add_note("The index is being refreshed; add again in a moment.", "error")

    @work(thread=True, group="corpus-watch")
    def add_in_background(self, paths: list[str]) -> None:
        try:
            added = askdoc.add_to_corpus(self.app.corpus, paths)
        except (askdoc.AskdocError, OSError) as err:
            self.app.call_from_thread(self._note, f"Cannot add: {err}", "error")
            self.app.call_from_thread(self._looked)
            return
        note = f"Added {count(len(added.copied), 'file')} to {self.app.corpus_name}"
        if len(added.copied) == 1:
            note += f" as {added.copied[0]}"
        if added.unchanged:
            note += f"; {len(added.unchanged)} already there"
        if added.ignored:
            note += f"; ignored {count(len(added.ignored), 'file')} that are not articles"
        self.app.call_from_thread(self._note, note + ".", "")
        try:
            if added.copied and self.app.index is not None:
                corpus = self.app.index.corpus
                self.refresh_index(f"{len(added.copied)} added", [os.path.join(corpus, rel) for rel in added.copied])
            elif added.copied:  # no index yet: the one being built, or the next look, reads them
                self.app.call_from_thread(self.app.chat.retry_index)
        finally:
            self.app.call_from_thread(self._looked)

    def refresh_index(self, summary: str, paths: list[str] | None) -> None:
        """Runs in the worker thread: refresh from ``paths`` (None: a walk), then swap the index in on the UI thread."""
        from ..screens.chat import _CollectWarnings

        self.app.call_from_thread(self._status, f"refreshing ({summary})…")
        with _CollectWarnings() as warnings:
            try:
                fresh = self.app.index.refresh(paths=paths)
            except askdoc.CorpusError as err:  # the folder is gone: no answers from files that are
                self.app.call_from_thread(self.app.chat.index_lost, str(err))
                return
            except (askdoc.AskdocError, OSError) as err:
                self.app.call_from_thread(self._status, f"could not refresh: {err}")
                return
        self.app.call_from_thread(self._swap, fresh, summary, warnings.messages)

    def _swap(self, fresh: askdoc.Index, summary: str, warnings: list[str]) -> None:
        self.app.index = fresh
        self._status(f"{fresh.n_articles:,} articles · {fresh.n_passages:,} passages · refreshed: {summary}")
        for message in warnings[:5]:
            self.notify(message, severity="warning", markup=False)

    def _status(self, text: str) -> None:
        self.screen.sub_title = f"{self.app.corpus_name} · {text}"

    def _note(self, text: str, classes: str) -> None:
        self.app.chat.transcript.add_note(literal(text), classes)


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
