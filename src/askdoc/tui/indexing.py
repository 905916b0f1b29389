"""IndexingApp: the app's hold on its corpus — opens the index in an app-level worker and tells the chat.

The app owns the index (``app.index``, None while there is none) and why there is none
(``app.failed``); screens and widgets read them through ``chat_app(node)`` and hear of changes
through the messages in ``messages.py``, posted to the screen that shows the conversation.
``AskdocApp`` (``app.py``) adds the screens, the commands and the folder watch.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol, cast

from rich.console import RenderableType
from textual import work
from textual.app import App
from textual.command import Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive

import askdoc
from askdoc.render import inert, one_line

from .messages import IndexFailed, Indexing, IndexReady, IndexRefreshed, Note, Status
from .screens.articles import ArticlesScreen

DEFAULT_K = 3
PROGRESS_EVERY = 0.05  # seconds between progress bar updates while indexing


class Conversation(Protocol):
    """What the app and the commands ask of the screen that shows the conversation (``ChatScreen``)."""

    def post_message(self, message: Message) -> bool: ...

    def answered_hits(self) -> list[askdoc.Hits]:
        """Every answer given so far, oldest first (what /export writes)."""
        ...

    def clear(self) -> None:
        """Start a new conversation: the transcript cleared, follow-ups no longer follow."""
        ...


class IndexingApp(App):
    """An app on the articles in ``corpus``: ``index`` once open, ``failed`` while it cannot be."""

    k: reactive[int] = reactive(DEFAULT_K)
    chat: Conversation  # the screen told of the index and given the notes: AskdocApp's ChatScreen

    def __init__(self, corpus: Path, engine: str = "askdoc", k: int = DEFAULT_K, cluster: str | None = None) -> None:
        super().__init__()
        self.corpus = corpus
        self.is_sample = corpus.resolve() == askdoc.sample_corpus().resolve()
        # the header names the corpus: the sample by what it is, a folder by its name (which may hold escapes)
        self.corpus_name = "bundled sample" if self.is_sample else one_line(corpus.resolve().name or str(corpus))
        self.engine = engine
        self.cluster = cluster  # the Ray cluster serving the corpus (askdoc --cluster), or None
        self.index: askdoc.Index | None = None
        self.failed: str | None = None  # why the corpus could not be opened, while it cannot
        self.retrying = False  # it is opened again once articles arrive (it had none, or was not there)
        self.opening = True  # the index is being opened (first, or again after it failed)
        self.set_reactive(IndexingApp.k, k)

    def notify(self, message: str, *, title: str = "", markup: bool = True, **kwargs) -> None:
        """Every toast made inert: its message names files, whose names may hold escape sequences
        (a pane title set, the screen cleared, the clipboard written) that would reach the terminal."""
        super().notify(inert(message), title=one_line(title), markup=markup, **kwargs)

    def tell(self, message: Message) -> None:
        """Post ``message`` to the conversation (from any thread: Textual's post_message is thread-safe)."""
        self.chat.post_message(message)

    def note(self, content: Content | RenderableType, classes: str = "") -> None:
        """A line from askdoc in the transcript, as given: ``literal()`` text that names files or was typed."""
        self.tell(Note(content, classes))

    def status(self, text: str) -> None:
        self.tell(Status(text))

    # -- opening -------------------------------------------------------------------------------

    def open_index(self) -> None:
        """Open the corpus (the chat asks once it is on screen, to show the progress)."""
        self.opening = True
        self.load_index()

    @work(thread=True, exclusive=True, group="index")
    def load_index(self) -> None:
        """askdoc.open in a thread: the UI stays live and the bar shows real counts."""
        last_update = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_update
            now = time.monotonic()
            if done == total or now - last_update >= PROGRESS_EVERY:
                last_update = now
                self.tell(Indexing(done, total))

        with CollectWarnings() as warnings:
            try:
                if self.cluster:  # served on Ray: found there, not opened here
                    index = askdoc.open(self.corpus, engine=self.engine, progress=progress, cluster=self.cluster)
                else:
                    index = askdoc.open(self.corpus, engine=self.engine, progress=progress)
            except askdoc.CorpusError as err:  # empty or missing: opened again once articles arrive
                self.call_from_thread(self.index_failed, str(err), True)
                return
            except (askdoc.AskdocError, OSError) as err:
                self.call_from_thread(self.index_failed, str(err), False)
                return
        self.call_from_thread(self.index_ready, index, warnings.messages)

    def retry_index(self) -> None:
        """Open the corpus again after it could not be (no articles yet), quietly until it can."""
        if self.failed is not None and self.retrying and not self.opening:
            self.open_index()

    def index_ready(self, index: askdoc.Index, warnings: list[str]) -> None:
        recovered = self.failed is not None
        self.failed, self.retrying, self.opening = None, False, False
        self.index = index
        self.tell(IndexReady(index, warnings, recovered))

    def index_failed(self, reason: str, retry: bool) -> None:
        repeated = reason == self.failed
        self.failed, self.retrying, self.opening = reason, retry, False
        self.tell(IndexFailed(reason, retry, repeated))

    def index_lost(self, reason: str) -> None:
        """The corpus folder went away while the chat ran: answer nothing until it is back."""
        self.index = None
        self.index_failed(reason, True)

    def index_refreshed(self, fresh: askdoc.Index, summary: str, warnings: list[str]) -> None:
        self.index = fresh
        self.tell(IndexRefreshed(fresh, summary, warnings))

    # -- the article list ----------------------------------------------------------------------

    def action_articles(self) -> None:
        if self.index is None and self.failed is not None:
            self.notify(f"No articles to list: {self.failed}", markup=False)
        elif self.index is None:
            self.notify("The articles are still being indexed.", markup=False)
        elif not isinstance(self.screen, ArticlesScreen):
            self.push_screen(ArticlesScreen(self.index, self.corpus_name))


def chat_app(node: DOMNode | Provider) -> IndexingApp:
    """The app a screen, widget or palette provider runs in, typed: Textual types ``node.app`` as any App,
    and askdoc's run in an IndexingApp (an AskdocApp)."""
    return cast(IndexingApp, node.app)


class CollectWarnings(logging.Handler):
    """Hold askdoc's warnings (skipped files) while indexing, to show them as notifications.

    The app owns the terminal, so the CLI's stderr handlers are set aside meanwhile.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._logger = logging.getLogger("askdoc")
        self._saved: list[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> CollectWarnings:
        self._saved = list(self._logger.handlers)
        for handler in self._saved:
            self._logger.removeHandler(handler)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        for handler in self._saved:
            self._logger.addHandler(handler)
