"""ArticleView: a whole article, paragraph by paragraph, with the cited passage marked."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from askdoc import Article, Hit, Passage

from ..content import DETAIL_STYLE, literal, passage_content

LINES_BEFORE_CITED = 2  # the cited passage is scrolled to just below the top: the paragraph before shows


class ArticleView(VerticalScroll):
    """The article's metadata, then its text from where its own words begin; ``cited`` is the hit's passage."""

    def __init__(self, article: Article, passages: list[Passage], hit: Hit | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.article = article
        self.passages = passages
        self.hit = hit

    def compose(self):
        yield Static(metadata(self.article, self.hit), classes="metadata")
        text = self.article.text
        position = self.article.body_start
        for i, passage in enumerate(self.passages):
            between = text[position : passage.start]
            if between.strip():
                yield Static(literal(between.strip()), classes="between")
            hit = self.hit
            cited = (
                hit
                if hit is not None and (hit.passage.start, hit.passage.end) == (passage.start, passage.end)
                else None
            )
            # a long paragraph cut into passages reads on without a blank line between its pieces
            continues = i + 1 < len(self.passages) and self.passages[i + 1].paragraph == passage.paragraph
            classes = "passage continues" if continues else "passage"
            if cited is not None:
                yield Static(passage_content(cited), classes=f"{classes} cited", id="cited")
            else:
                yield Static(literal(passage.text), classes=classes)
            position = max(position, passage.end)
        rest = text[position:]
        if rest.strip():
            yield Static(literal(rest.strip()), classes="between")

    def scroll_to_cited(self) -> None:
        """Put the cited passage near the top of the view (a line of the paragraph before stays visible)."""
        cited = self.query("#cited")
        if not cited:
            return
        region = cited.first().virtual_region
        if region.bottom > self.scrollable_content_region.height:  # not already in view from the top
            self.scroll_to(y=max(0, region.y - LINES_BEFORE_CITED), animate=False, immediate=True)


def metadata(article: Article, hit: Hit | None) -> Content:
    """Title, then date, source, author, address and file — the facts a citation rests on."""
    lines = [literal(article.title, "bold")]
    details = [article.date or "undated", article.source, article.author]
    if hit is not None:
        details.append(f"¶{hit.passage.paragraph} cited as [{hit.rank}]")
    lines.append(literal(" · ".join(d for d in details if d), DETAIL_STYLE))
    if article.url:
        lines.append(literal(article.url, DETAIL_STYLE))
    lines.append(literal(f"{display_path(article.path) if article.path else article.id}", DETAIL_STYLE))
    return Content("\n").join(lines)


def display_path(path: Path) -> str:
    """The file's path, with the home folder written ``~`` as a person would type it."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)
