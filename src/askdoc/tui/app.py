"""AskdocApp: the chat on one corpus — its index, its screens and the commands; make_app builds it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

import askdoc
from askdoc.render import inert, one_line

from .commands import AskdocCommands
from .screens.chat import ChatScreen

DEFAULT_K = 3


class AskdocApp(App):
    """Ask questions of the articles in ``corpus``; the index is opened by the chat screen's worker."""

    CSS_PATH = "app.tcss"
    TITLE = "askdoc"
    COMMANDS = App.COMMANDS | {AskdocCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit")]

    k: reactive[int] = reactive(DEFAULT_K)

    def __init__(self, corpus: Path, engine: str = "askdoc", k: int = DEFAULT_K, cluster: str | None = None) -> None:
        super().__init__()
        self.corpus = corpus
        self.is_sample = corpus.resolve() == askdoc.sample_corpus().resolve()
        # the header names the corpus: the sample by what it is, a folder by its name (which may hold escapes)
        self.corpus_name = "bundled sample" if self.is_sample else one_line(corpus.resolve().name or str(corpus))
        self.engine = engine
        self.cluster = cluster  # the Ray cluster serving the corpus (askdoc --cluster), or None
        self.index: askdoc.Index | None = None
        self.chat = ChatScreen()
        self.set_reactive(AskdocApp.k, k)

    def notify(self, message: str, *, title: str = "", markup: bool = True, **kwargs) -> None:
        """Every toast made inert: its message names files, whose names may hold escape sequences
        (a pane title set, the screen cleared, the clipboard written) that would reach the terminal."""
        super().notify(inert(message), title=one_line(title), markup=markup, **kwargs)

    def get_default_screen(self) -> ChatScreen:
        return self.chat

    def action_articles(self) -> None:
        from .screens.articles import ArticlesScreen

        if self.index is None and self.chat.failed is not None:
            self.notify(f"No articles to list: {self.chat.failed}", markup=False)
        elif self.index is None:
            self.notify("The articles are still being indexed.", markup=False)
        elif not isinstance(self.screen, ArticlesScreen):
            self.push_screen(ArticlesScreen(self.index))


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
