"""Article text as Textual Content: always literal, control characters made visible, theme-aware styles."""

from __future__ import annotations

from textual.content import Content, Span

from askdoc import Hit
from askdoc.render import also_in, inert, one_line, passage_text, quote_text, where_to_read

# Styles name theme variables, so answers stay readable when the theme changes (light or dark).
QUOTE_STYLE = "bold $foreground"
ANSWER_STYLE = "bold underline $foreground"  # hit.answer: the words of the quote that answer
TERM_STYLE = "bold $foreground on $warning-muted"  # a marker pen: contrast 7.5 (dark) and 10.9 (light)
CITATION_NUMBER_STYLE = "bold $text-primary"
TITLE_STYLE = "bold $foreground"
DETAIL_STYLE = "dim"


def literal(text: str, style: str = "") -> Content:
    """Text from an article or a user shown as it is: never parsed as markup, controls made visible."""
    content = Content(inert(text))
    return content.stylize(style) if style and content else content


def passage_content(hit: Hit) -> Content:
    """The hit's passage, its best quote emphasised and the question's words highlighted."""
    return _content(passage_text(hit, quote_style=QUOTE_STYLE, term_style=TERM_STYLE))


def quote_content(hit: Hit) -> Content:
    """The hit's quote alone, the question's words highlighted, "…" where its paragraph goes on."""
    return _content(quote_text(hit, term_style=TERM_STYLE, gap_style=DETAIL_STYLE, answer_style=ANSWER_STYLE))


def _content(rich_text) -> Content:
    return Content(rich_text.plain, [Span(span.start, span.end, str(span.style)) for span in rich_text.spans])


def citation_content(hit: Hit) -> Content:
    """``[1] Title  2024-09-24 · ¶11``: the number, the title, then where in the article."""
    page = f"p. {hit.passage.page}" if hit.passage.page else None
    details = " · ".join(p for p in (hit.article.date, hit.article.source, f"¶{hit.passage.paragraph}", page) if p)
    return Content.assemble(
        (f"[{hit.rank}] ", CITATION_NUMBER_STYLE),
        Content(one_line(hit.article.title.strip() or hit.article.id)).stylize(TITLE_STYLE),  # untitled: its id
        "  " + inert(details) + also_in(hit),  # in the widget's muted colour
    )


def quote_with_citation(hit: Hit) -> str:
    """What the clipboard gets: the quote verbatim, then its citation and the ID:¶ that ``askdoc show`` takes."""
    return f"\u201c{hit.quote.text}\u201d\n\u2014 {hit.citation}{where_to_read(hit)}"


def count(n: int, noun: str) -> str:
    """``1 article``, ``2,226 articles``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
