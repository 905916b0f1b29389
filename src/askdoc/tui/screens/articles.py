"""ArticlesScreen: every article by date and title, filtered as you type; Enter opens one in the reader."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

import askdoc
from askdoc import Article

from ..content import DETAIL_STYLE, count, literal
from .reader import ReaderScreen

PAGE = 10  # articles moved over by PageUp and PageDown
DATE_WIDTH = len("2024-09-24")  # the date column: an ISO date


class ArticlesScreen(Screen):
    """A filter box above the list; Up/Down choose, Enter opens, Escape returns."""

    AUTO_FOCUS = "#filter"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="articles.back"),
        Binding("enter", "open_highlighted", "Read", id="articles.open"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", f"move({PAGE})", "Page down", show=False),
        Binding("pageup", f"move(-{PAGE})", "Page up", show=False),
    ]

    def __init__(self, index: askdoc.Index, corpus_name: str) -> None:
        super().__init__()
        self.index = index
        self.corpus_name = corpus_name
        by_title = sorted(index.articles(), key=lambda a: (a.title.casefold(), a.id))
        self.all_articles = sorted(by_title, key=lambda a: a.date or "", reverse=True)  # newest first
        self.dated = any(article.date for article in self.all_articles)

    def compose(self) -> ComposeResult:
        yield Header(icon="?")
        yield Input(placeholder="Filter by title, date or file name", id="filter")
        yield OptionList(id="articles")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.all_articles)

    def show(self, articles: list[Article]) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(article_line(article, self.dated), id=article.id) for article in articles)
        if articles:
            options.highlighted = 0
        total = len(self.all_articles)
        shown = f"{len(articles):,} of {count(total, 'article')}" if len(articles) != total else count(total, "article")
        self.sub_title = f"{self.corpus_name} · {shown}"

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        words = event.value.casefold().split()
        self.show([a for a in self.all_articles if all(w in searchable(a) for w in words)])

    @on(Input.Submitted, "#filter")
    def action_open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.open(options.get_option_at_index(options.highlighted).id)

    def action_move(self, step: int) -> None:
        """Up and Down in the filter box move through the list, so typing and choosing go together."""
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(OptionList.OptionSelected)
    def option_selected(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id)

    def open(self, article_id: str | None) -> None:
        if article_id is not None:
            self.app.push_screen(ReaderScreen(self.index, self.index.article(article_id)))


def article_line(article: Article, dated: bool) -> Content:
    """``2024-09-24  Title  file-id``: the date column only when some article has a date."""
    date = ((article.date or "undated").ljust(DATE_WIDTH) + "  ", DETAIL_STYLE) if dated else ""
    return Content.assemble(date, literal(article.title), "  ", literal(article.id, DETAIL_STYLE))


def searchable(article: Article) -> str:
    return f"{article.title} {article.date or ''} {article.id}".casefold()
