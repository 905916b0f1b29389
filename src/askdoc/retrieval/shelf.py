"""The articles of an index as ``Article`` and ``Passage`` values, each decoded once when first read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..model import Article, Passage, page_at
from ..store.tables import decoded
from .table import PassageTable


class ArticleSource(Protocol):
    """What the search engine reads of articles: their values by number, their passages by row."""

    def __len__(self) -> int: ...

    def article(self, number: int) -> Article: ...

    def passage(self, row: int) -> Passage: ...


class Shelf:
    """Articles read from an index's metadata and texts on first use, then kept.

    ``raw_text(number)`` gives an article's stored UTF-8 (checked against its CRC-32 by the store);
    ``metadata`` its stored fields by number.
    """

    def __init__(
        self, table: PassageTable, metadata: Sequence[dict[str, Any]], raw_text: Callable[[int], bytes]
    ) -> None:
        self.table = table
        self.metadata = metadata
        self.raw_text = raw_text
        self._kept: dict[int, Article] = {}

    def __len__(self) -> int:
        return len(self.metadata)

    def article(self, number: int) -> Article:
        article = self._kept.get(number)
        if article is None:
            meta = self.metadata[number]
            article = Article(
                id=meta["id"],
                title=meta["title"],
                text=decoded(self.raw_text(number)),  # a damaged texts.bin shows U+FFFD, never raises
                date=meta.get("date"),
                source=meta.get("source"),
                path=Path(meta["path"]) if meta.get("path") else None,
                url=meta.get("url"),
                author=meta.get("author"),
                body_start=meta.get("body_start", 0),
                meta=meta.get("meta") or {},
            )
            self._kept[number] = article
        return article

    def passage(self, row: int) -> Passage:
        article = self.article(self.table.article_of(row))
        start, end = self.table.span(row)
        heading = self.table.heading(row)
        return Passage(
            article_id=article.id,
            paragraph=self.table.paragraph(row),
            start=start,
            end=end,
            text=article.text[start:end],
            heading=article.text[heading[0] : heading[1]] if heading is not None else None,
            page=page_at(article, start),
        )
