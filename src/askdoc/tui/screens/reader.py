"""ReaderScreen: read a whole article, scrolled to the cited passage; Escape returns to the chat."""

from __future__ import annotations

import contextlib

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

import askdoc
from askdoc import Article, Hit
from askdoc.render import inert

from ..content import quote_with_citation
from ..widgets.article_view import ArticleView


class ReaderScreen(Screen):
    """One article; when opened from a citation, its passage is highlighted and scrolled into view."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="reader.back"),
        Binding("c", "copy", "Copy quote", id="reader.copy"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, index: askdoc.Index | None, article: Article, hit: Hit | None = None) -> None:
        """``index``: the corpus as it is now (None: its folder went away since the answer)."""
        super().__init__()
        self.article = article
        self.hit = hit
        self.since: str | None = None  # "changed" or "removed": the file, since the answer that cites it
        current = None
        if index is not None:
            with contextlib.suppress(askdoc.ArticleNotFound):
                current = index.article(article.id)
        if current is None:
            self.since = "removed"
        elif current.text != article.text:
            self.since = "changed"
        if index is not None and not self.since:
            self.passages = index.passages(article.id)
        else:  # show the text the answer quoted, cut into passages as it was then
            self.passages = askdoc.Index.from_articles([article]).passages(article.id)

    def compose(self) -> ComposeResult:
        yield Header(icon="?")
        yield ArticleView(self.article, self.passages, self.hit, id="article")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = inert(self.article.title)
        if self.since:
            self.notify(
                f"This article was {self.since} on disk after the answer: shown as it was when quoted.",
                severity="warning",
                markup=False,
            )
        self.query_one(ArticleView).focus()
        if self.hit is not None:
            self.call_after_refresh(self.query_one(ArticleView).scroll_to_cited)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return self.hit is not None
        return True

    def action_copy(self) -> None:
        if self.hit is not None:
            self.app.copy_to_clipboard(quote_with_citation(self.hit))
            self.notify(f"Copied quote [{self.hit.rank}] with its citation", markup=False)

    def action_scroll(self, lines: int) -> None:
        view = self.query_one(ArticleView)
        view.scroll_relative(y=lines, animate=False)
