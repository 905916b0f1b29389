"""AskdocApp: the chat on one corpus — its index and folder watch, its screens and the commands; make_app builds it."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App
from textual.binding import Binding

import askdoc

from .commands import AskdocCommands
from .corpus_watch import CorpusWatch
from .indexing import DEFAULT_K, IndexingApp
from .messages import AddPaths
from .screens.chat import ChatScreen


class AskdocApp(IndexingApp):
    """Ask questions of the articles in ``corpus``. The app owns the index (opened by an app-level
    worker once the chat is on screen) and the folder watch that keeps it fresh; the screens hear
    of both through messages."""

    CSS_PATH = "app.tcss"
    TITLE = "askdoc"
    COMMANDS = App.COMMANDS | {AskdocCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit")]

    chat: ChatScreen

    def __init__(self, corpus: Path, engine: str = "askdoc", k: int = DEFAULT_K, cluster: str | None = None) -> None:
        super().__init__(corpus, engine=engine, k=k, cluster=cluster)
        self.chat = ChatScreen(self.corpus_name, is_sample=self.is_sample)
        self.corpus_watch = CorpusWatch(self)

    def get_default_screen(self) -> ChatScreen:
        return self.chat

    def on_mount(self) -> None:
        self.corpus_watch.start()

    def on_unmount(self) -> None:
        self.corpus_watch.stop_watching()

    @on(AddPaths)
    def add_paths(self, event: AddPaths) -> None:
        self.corpus_watch.add(event.paths)


def make_app(
    corpus: str | Path | None = None, engine: str = "askdoc", *, k: int = DEFAULT_K, cluster: str | None = None
) -> AskdocApp:
    """The app for a corpus folder (default: askdoc.default_corpus()); the CLI and the tests both use it."""
    if engine not in askdoc.ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(askdoc.ENGINES)}")
    root = Path(corpus) if corpus is not None else askdoc.default_corpus()
    if not root.is_dir():
        raise askdoc.CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    return AskdocApp(root, engine=engine, k=k, cluster=cluster)


def run(corpus: str | Path | None = None, engine: str = "askdoc", cluster: str | None = None) -> None:
    """Open the chat in the terminal (``askdoc`` and ``askdoc chat``; ``cluster``: the index served there)."""
    make_app(corpus, engine=engine, cluster=cluster).run()
