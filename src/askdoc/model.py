"""The plain values that flow through askdoc: articles, passages, quotes and hits."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NO_TEXT: Any = object()  # Article's text has a default only so that its title, before it, may have one


@dataclass(frozen=True, slots=True)
class Article:
    """One article as askdoc decoded it; every span in askdoc points into ``text``.

    ``id`` names it (unique in an index; for a file, its path in the corpus without the suffix);
    ``title`` may be left out: an untitled article is cited by its id. ``date`` is an ISO day
    (``"2024-09-24"``; a ``datetime.date`` is turned into one), ``source`` a site or publisher,
    ``path`` the file it was read from, ``meta`` what else its file carried. ``body_start`` is where
    the article's own words begin, after any front matter, ``date`` header or title line that the
    file carries.

    ``Article(id="n2", text="Herons nest in the marsh.")`` is enough for ``Index.from_articles``.
    """

    id: str
    title: str = ""
    text: str = _NO_TEXT
    date: str | None = None
    source: str | None = None
    path: Path | None = None
    url: str | None = None
    author: str | None = None
    body_start: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        """A script's slips as clear errors, and a date given as a ``datetime.date`` as its ISO day."""
        if self.text is _NO_TEXT:
            raise TypeError(f"Article {self.id!r} needs its text: Article(id=..., text=...)")
        for name in ("id", "title", "text"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Article.{name} must be a string, not {getattr(self, name)!r}")
        if hasattr(self.date, "isoformat"):  # datetime.date or datetime.datetime
            object.__setattr__(self, "date", self.date.isoformat()[:10])  # type: ignore[union-attr]
        if not isinstance(self.body_start, int) or not 0 <= self.body_start <= len(self.text):
            raise ValueError(
                f"Article.body_start must be an offset into its text (0 to {len(self.text)}), not {self.body_start!r}"
            )

    @property
    def cited_title(self) -> str:
        """What a citation names it by: its title, or, untitled, its id."""
        return self.title.strip() or self.id

    def to_json(self) -> dict[str, Any]:
        """The article's metadata as JSON values (its text left out): what ``--json`` prints."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "author": self.author,
            "path": str(self.path) if self.path else None,
        }


@dataclass(frozen=True, slots=True)
class Passage:
    """A quotable piece of an article: ``article.text[start:end] == text``.

    ``paragraph`` counts the article's paragraphs from 1 (headings are not counted:
    they belong to the paragraphs of their section); ``heading`` is the section
    heading the passage sits under, if any; ``page`` the page it is on (PDFs). A
    paragraph longer than a passage gives several passages of the same number.
    """

    article_id: str
    paragraph: int
    start: int
    end: int
    text: str
    heading: str | None = None
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """The sentence(s) of a passage that best answer the question: verbatim, with their span."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked answer: the passage, the quote inside it and where it comes from.

    ``quote`` is the answer (what the faces show); ``passage`` the whole paragraph it is in;
    ``matched_terms`` the question's analysed terms (stems) the passage holds; ``highlights``
    the spans of the question's words in ``article.text``.
    """

    rank: int
    score: float
    article: Article
    passage: Passage
    quote: Quote
    matched_terms: tuple[str, ...]
    highlights: tuple[tuple[int, int], ...]  # spans in article.text of the question's words
    also_in: tuple[str, ...] = ()  # ids of other articles holding this passage word for word, left out of the hits
    answer: Quote | None = None  # the words inside the quote that answer (a name, figure, date, place), if any

    @property
    def citation(self) -> str:
        """``[1] Title (2024-09-24), ¶11``: the rank, title, date, source, paragraph, page and URL."""
        return citation_for(self.rank, self.article, self.passage)

    def to_json(self) -> dict[str, Any]:
        """The hit as JSON values, as ``askdoc query --json`` prints it: rank, score, article,
        passage (with its whole text), quote, matched terms, copies and citation."""
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "article": self.article.to_json(),
            "passage": {
                "paragraph": self.passage.paragraph,
                "start": self.passage.start,
                "end": self.passage.end,
                "heading": self.passage.heading,
                "page": self.passage.page,
                "text": self.passage.text,
            },
            "quote": {"start": self.quote.start, "end": self.quote.end, "text": self.quote.text},
            "answer": None
            if self.answer is None
            else {"start": self.answer.start, "end": self.answer.end, "text": self.answer.text},
            "matched_terms": list(self.matched_terms),
            "also_in": list(self.also_in),
            "citation": self.citation,
        }


def citation_for(rank: int, article: Article, passage: Passage) -> str:
    """``[1] Title (2024-09-24), Site, ¶11, p. 3 — URL`` — what a reader needs to find the place again."""
    when = f" ({article.date})" if article.date else ""
    where = f", {article.source}" if article.source else ""
    page = f", p. {passage.page}" if passage.page else ""
    url = f" — {article.url}" if article.url else ""
    return f"[{rank}] {article.cited_title}{when}{where}, ¶{passage.paragraph}{page}{url}"


def page_at(article: Article, offset: int) -> int | None:
    """The page (from 1) that ``offset`` of the article text is on, for articles that have pages (PDFs)."""
    starts = article.meta.get("pages")
    return bisect_right(starts, offset) if starts else None


class Hits(list[Hit]):
    """The ranked hits of one question, with which of its terms the corpus knows.

    ``matched`` and ``missing`` are the question's terms the corpus has (analysed: stems) and its words
    it has not; ``matched_words`` the words behind ``matched``, as asked (what ``--json`` lists); ``scope`` the
    filter searched under; ``weak`` says the hits match only the common part of the question
    (``weak_words`` the names and rare words no passage has); ``borrowed`` the words a follow-up
    took from the conversation (``Index.search(..., context=[...])``).
    """

    def __init__(
        self,
        hits: list[Hit] = (),  # type: ignore[assignment]
        *,
        question: str = "",
        matched: tuple[str, ...] = (),
        missing: tuple[str, ...] = (),
        scope: str = "",
        weak: bool = False,
        weak_words: tuple[str, ...] = (),
        scope_empty: bool = False,
        borrowed: str = "",
        matched_words: tuple[str, ...] = (),
        missing_shards: tuple[int, ...] = (),
    ) -> None:
        super().__init__(hits)
        self.question = question
        self.matched = matched
        self.missing = missing
        self.scope = scope  # the filter the search ran under, in question syntax ("" for none)
        self.weak = weak  # the best passage holds only a small, common part of the question
        self.weak_words = weak_words  # when weak: the missing names, numbers and rare words
        self.scope_empty = scope_empty  # the filter allows no article of the corpus at all
        # a follow-up ("and Putin?"): the words it borrowed from the earlier questions, searched with its own
        self.borrowed = borrowed
        self.matched_words = matched_words  # the question's words behind ``matched`` ("agreed" for "agre")
        self.missing_shards = missing_shards  # a sharded index: the shards that could not be searched

    def to_json(self) -> dict[str, Any]:
        """The question, its terms, the hits and the filter as JSON values (what ``--json`` prints)."""
        out = {
            "question": self.question,
            "terms": {"matched": list(self.matched_words or self.matched), "missing": list(self.missing)},
            "weak": self.weak,
            "hits": [hit.to_json() for hit in self],
        }
        if self.borrowed:
            out["borrowed"] = self.borrowed
        if self.scope:
            out["filter"] = self.scope
            out["filter_empty"] = self.scope_empty
        if self.missing_shards:
            out["missing_shards"] = list(self.missing_shards)
        return out
