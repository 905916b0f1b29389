"""CorpusWatch: keeps the chat's index fresh — notices files added, changed or removed, and adds pasted paths.

A hidden widget on the chat screen: every few seconds a thread asks the index what
changed in its folder (a walk and a stat per file, nothing read), and when something
did it refreshes the index in the background, saying so in the screen's subtitle.
``/add PATH`` and a path pasted into the input copy files into the corpus the same way
``askdoc add`` does.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

from textual import work
from textual.widget import Widget

import askdoc

from ..text import count, literal

CHECK_EVERY = 2.0  # seconds between looks at the corpus folder


class CorpusWatch(Widget):
    """Checks the corpus folder for changes and refreshes ``app.index`` without blocking the chat."""

    DEFAULT_CSS = "CorpusWatch { display: none; }"

    def __init__(self, check_every: float = CHECK_EVERY, **kwargs) -> None:
        super().__init__(**kwargs)
        self.check_every = check_every
        self.busy = False

    def on_mount(self) -> None:
        if self.check_every > 0:
            self.set_interval(self.check_every, self.check)

    def check(self) -> None:
        if self.busy:
            return
        if self.app.index is not None:
            self.busy = True
            self.look()
        else:
            self.app.chat.retry_index()  # a corpus that could not be opened (empty, or not there yet)

    @work(thread=True, group="corpus-watch")
    def look(self) -> None:
        """A cheap look at the folder; a refresh only when something changed."""
        try:
            changes = self.app.index.changes()
            if changes:
                self.refresh_index(changes.summary())
        finally:
            self.busy = False

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
            self.busy = False
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
                self.refresh_index(f"{len(added.copied)} added")
            elif added.copied:  # no index yet: the one being built, or the next look, reads them
                self.app.call_from_thread(self.app.chat.retry_index)
        finally:
            self.busy = False

    def refresh_index(self, summary: str) -> None:
        """Runs in the worker thread: refresh, then swap the index in on the UI thread."""
        from ..screens.chat import _CollectWarnings

        self.app.call_from_thread(self._status, f"refreshing ({summary})…")
        with _CollectWarnings() as warnings:
            try:
                fresh = self.app.index.refresh()
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
