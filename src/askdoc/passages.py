"""Cut an article into quotable passages: paragraphs with their number, span and section heading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from .model import Article, Passage, page_at

MAX_PASSAGE_CHARS = 1500  # a longer paragraph is cut at sentence boundaries ...
TARGET_PASSAGE_CHARS = 900  # ... into pieces of about this size

_BREAK = r"(?:\r\n|\r(?!\n)|\n)"  # a line break: Unix, Windows, or old Mac
_BLANK_LINE = re.compile(rf"{_BREAK}[^\S\r\n]*{_BREAK}")
_LINE = re.compile(r"[^\r\n]+")
_LINE_BREAK = re.compile(r"[\r\n]")
_SPACE = re.compile(r"\s*")
_SENTENCE_END = (".", "!", "?", ",", ";", ":", '"', "”", "'", "’", ")")
_LINE_END = (".", "!", "?", '"', "”", "’")  # how a paragraph written on one line ends


def blocks(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Spans of the blank-line separated blocks of ``text[start:]``, whitespace trimmed.

    A block written one paragraph a line, as pasted from a web page, gives its lines: two in
    three of its lines or more end a sentence (the last one aside, which always does, and a
    first line that does not, above three or more: a title or heading). Hard-wrapped lines
    seldom end a sentence (a twentieth of them; on Cranfield's short-sentenced abstracts up to
    half), so a hard-wrapped paragraph stays one block.
    """
    cursor = start
    for gap in _BLANK_LINE.finditer(text, start):
        yield from _block(text, cursor, gap.start())
        cursor = gap.end()
    yield from _block(text, cursor, len(text))


def _block(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for s, e in _trimmed(text, start, end):
        yield from _paragraph_lines(text, s, e) or ((s, e),)


def written_a_line_each(text: str) -> bool:
    """Whether the first block of ``text`` is written one paragraph a line (see ``blocks``)."""
    start = _SPACE.match(text).end()  # type: ignore[union-attr]  # (matches anywhere: \s*)
    first = next(_trimmed(text, start, gap.start() if (gap := _BLANK_LINE.search(text, start)) else len(text)), None)
    return first is not None and _paragraph_lines(text, *first) is not None


def _paragraph_lines(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    if not _LINE_BREAK.search(text, start, end):  # one line: most blocks
        return None
    lines = [span for m in _LINE.finditer(text, start, end) for span in _trimmed(text, *m.span())]
    inner = lines[:-1]  # the last line ends a sentence in any text
    if len(lines) >= 4 and not text[lines[0][0] : lines[0][1]].endswith(_LINE_END):
        inner = lines[1:-1]  # a title or heading above paragraphs written a line each
    if not inner or 3 * sum(text[s:e].endswith(_LINE_END) for s, e in inner) < 2 * len(inner):
        return None
    return lines


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def heading_text(block: str) -> str | None:
    """The heading a block is, or None: a Markdown ``#`` line or a short line without end punctuation."""
    if "\n" in block:
        return None
    if block.startswith("#"):
        return block.lstrip("#").strip() or None
    if len(block) > 100 or block.endswith(_SENTENCE_END) or not (block[0].isupper() or block[0].isdigit()):
        return None
    return block if len(block.split()) <= 12 else None


class Piece(NamedTuple):
    """A passage as offsets: its paragraph number, span and its section heading's span (or -1)."""

    paragraph: int
    start: int
    end: int
    heading_start: int
    heading_end: int


def pieces_for(article: Article) -> list[Piece]:
    """The passages of an article in reading order, as spans into ``article.text``.

    A heading is not a passage of its own: it is attached to the paragraphs of its
    section. Only a heading with no paragraph after it (at the end, or right above
    another heading: "Part 1" over "Chapter 1") stays a passage, so that no words of
    the article are lost; a heading that repeats the article's title (a Markdown ``#``
    line under front matter) is left to the title, which every citation shows. Paragraphs are numbered from 1, attached headings not
    counted, as a reader counts them.
    """
    text = article.text
    spans = list(blocks(text, article.body_start))
    pieces: list[Piece] = []
    heading = (-1, -1)
    paragraph = 0
    # (a block of over 100 characters is a heading only as a "#" line: most are not sliced to be looked at)
    titles = [heading_text(text[s:e]) if e - s <= 100 or text.startswith("#", s) else None for s, e in spans]
    for i, (start, end) in enumerate(spans):
        title = titles[i]
        followed_by_paragraph = i + 1 < len(spans) and titles[i + 1] is None
        if title is not None and (followed_by_paragraph or (i + 1 < len(spans) and title == article.title)):
            offset = text.index(title, start, end)
            heading = (offset, offset + len(title))
            continue
        paragraph += 1
        for piece_start, piece_end in _pieces(text, start, end):
            pieces.append(Piece(paragraph, piece_start, piece_end, *heading))
    return pieces


def passages_for(article: Article) -> list[Passage]:
    """The passages of an article, each verbatim in ``article.text`` (see ``pieces_for``)."""
    text = article.text
    return [
        Passage(
            article_id=article.id,
            paragraph=piece.paragraph,
            start=piece.start,
            end=piece.end,
            text=text[piece.start : piece.end],
            heading=text[piece.heading_start : piece.heading_end] if piece.heading_start >= 0 else None,
            page=page_at(article, piece.start),
        )
        for piece in pieces_for(article)
    ]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A paragraph as one piece, or, when overly long, cut between sentences."""
    if end - start <= MAX_PASSAGE_CHARS:
        return [(start, end)]
    from .sentences import sentence_spans

    pieces: list[tuple[int, int]] = []
    piece_start: int | None = None
    piece_end = 0
    for s, e in _split_overlong(text, sentence_spans(text, start, end)):
        if piece_start is None:
            piece_start, piece_end = s, e
        elif e - piece_start > TARGET_PASSAGE_CHARS:
            pieces.append((piece_start, piece_end))
            piece_start, piece_end = s, e
        else:
            piece_end = e
    if piece_start is not None:
        pieces.append((piece_start, piece_end))
    return pieces


def _split_overlong(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Sentences, with any longer than a passage cut at spaces (a 10 MB line stays quotable)."""
    for start, end in spans:
        while end - start > MAX_PASSAGE_CHARS:
            cut = text.rfind(" ", start + TARGET_PASSAGE_CHARS // 2, start + TARGET_PASSAGE_CHARS)
            cut = cut if cut > start else start + TARGET_PASSAGE_CHARS
            yield from _trimmed(text, start, cut)
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            yield start, end
