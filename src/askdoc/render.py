"""Hits to Rich text, Markdown and JSON, shared by the CLI and the chat; article text stays inert.

Rich is imported only where a renderable is made: a one-shot query printing to a pipe
or as JSON never loads it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model import Article, Hit, Hits, Passage

if TYPE_CHECKING:
    from rich.text import Text

    from .adding import Added

# C0/C1 controls (ESC starts ANSI and OSC sequences: colours, hyperlinks, OSC 52 clipboard
# writes), DEL, and the bidi overrides and isolates that can reorder what a reader sees.
# Lone surrogates come from file names that are not valid UTF-8; a terminal cannot encode them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# json.dumps escapes C0 controls itself; these it leaves raw with ensure_ascii=False.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

QUOTE_STYLE = "bold"
TERM_STYLE = "bold yellow"
ANSWER_STYLE = "bold underline"  # hit.answer: the words of the quote that answer
CITATION_STYLE = "cyan"


def inert(text: str) -> str:
    """Text safe to print on a terminal: control and bidi characters shown as visible escapes, and
    Windows or old-Mac line breaks (CR LF, CR) as the line breaks they are."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(_visible, text)


def printed_id(name: str) -> str:
    """An article id or file name as printed: ``one_line``, with a backslash doubled, so that every
    name prints differently and ``askdoc show`` can take what was printed (``new\\nline``)."""
    return one_line(name.replace("\\", "\\\\"))


def one_line(text: str) -> str:
    """``inert``, and a tab or line break shown as ``\\t`` / ``\\n``: for a name or a citation, which must stay on its line."""
    return inert(text.replace("\r", "\\r")).replace("\t", "\\t").replace("\n", "\\n")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x100:
        return repr(match.group())[1:-1]  # "\x1b", "\n" style
    if 0xDC80 <= code <= 0xDCFF:  # a byte of an undecodable file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"<U+{code:04X}>"


def passage_text(hit: Hit, quote_style: str = QUOTE_STYLE, term_style: str = TERM_STYLE) -> Text:
    """The hit's passage with the quote emphasised and the question's words highlighted.

    Built from plain segments (never parsed as markup), so ``[bold]`` in an article stays literal.
    """
    return _marked(hit, hit.passage.start, hit.passage.end, quote_style, term_style)


def quote_text(
    hit: Hit, term_style: str = TERM_STYLE, gap_style: str = "dim", answer_style: str = ANSWER_STYLE
) -> Text:
    """The hit's quote, the answer itself: its question words highlighted, the words that answer
    (``hit.answer``) underlined, and "…" where the paragraph goes on before or after it (``hit.passage``
    holds the whole paragraph)."""
    from rich.text import Text

    before, after = quote_gaps(hit)
    out = Text()
    if before:
        out.append("… ", style=gap_style)
    out.append_text(_marked(hit, hit.quote.start, hit.quote.end, "", term_style, answer_style))
    if after:
        out.append(" …", style=gap_style)
    return out


def quote_gaps(hit: Hit) -> tuple[bool, bool]:
    """Whether the paragraph has words before and after the quote (where an excerpt shows "…")."""
    text = hit.article.text
    before = bool(text[hit.passage.start : hit.quote.start].strip())
    after = bool(text[hit.quote.end : hit.passage.end].strip())
    return before, after


def quote_plain(hit: Hit) -> str:
    """The quote as plain, inert text with "…" where the paragraph goes on: what a pipe gets."""
    before, after = quote_gaps(hit)
    return ("… " if before else "") + inert(hit.quote.text) + (" …" if after else "")


def _marked(hit: Hit, start: int, end: int, quote_style: str, term_style: str, answer_style: str = "") -> Text:
    from rich.text import Text

    text = hit.article.text
    answer = hit.answer if answer_style else None
    cuts = {start, end, hit.quote.start, hit.quote.end}
    for s, e in hit.highlights:
        cuts.update((s, e))
    if answer is not None:
        cuts.update((answer.start, answer.end))
    points = sorted(c for c in cuts if start <= c <= end)
    out = Text()
    for s, e in zip(points, points[1:]):
        styles = []
        if quote_style and hit.quote.start <= s and e <= hit.quote.end:
            styles.append(quote_style)
        if answer is not None and answer.start <= s and e <= answer.end:
            styles.append(answer_style)
        if any(hs <= s and e <= he for hs, he in hit.highlights):
            styles.append(term_style)
        out.append(inert(text[s:e]), style=" ".join(styles) or None)
    return out


def citation_text(hit: Hit) -> Text:
    from rich.text import Text

    return Text(one_line(hit.citation), style=CITATION_STYLE)


def where_to_read(hit: Hit) -> str:
    """``  · business/184:2``: what ``askdoc show`` takes to print the cited paragraph."""
    return f"  · {printed_id(hit.article.id)}:{hit.passage.paragraph}"


def also_in(hit: Hit) -> str:
    """``  · also in b, c``: the articles that hold the same passage word for word, or nothing."""
    return f"  · also in {', '.join(printed_id(name) for name in hit.also_in)}" if hit.also_in else ""


def hit_header(hit: Hit) -> str:
    """What follows the citation on its line: the score, the ``ID:¶`` that ``askdoc show`` takes, copies."""
    return f"  score {hit.score:.2f}{where_to_read(hit)}{also_in(hit)}"


def hit_renderable(hit: Hit, full: bool = False):
    """A hit for a terminal: the citation line, then the quote (``full``: the paragraph, the quote in bold)."""
    from rich.console import Group
    from rich.padding import Padding

    header = citation_text(hit)
    header.append(hit_header(hit), style="dim")
    body = passage_text(hit) if full else quote_text(hit)
    return Group(header, Padding(body, (0, 0, 1, 4)))


def hits_renderable(hits: Sequence[Hit], full: bool = False):
    from rich.console import Group

    return Group(*(hit_renderable(hit, full) for hit in hits))


def hits_plain(hits: Sequence[Hit], full: bool = False) -> str:
    """Hits as plain text for pipes: each its citation line and, indented below, its quote (with "…"
    where the paragraph goes on) or, ``full``, the whole paragraph. No styles."""
    blocks = []
    for hit in hits:
        body = inert(hit.passage.text) if full else quote_plain(hit)
        body = body.replace("\n", "\n    ")
        blocks.append(f"{one_line(hit.citation)}{hit_header(hit)}\n    {body}\n")
    return "\n".join(blocks)


def no_match_message(hits: Hits, folders: Sequence[str] = ()) -> str:
    """Why there is no hit, in a line; ``folders``: the corpus's folders, named when an ``in:`` fits none."""
    if hits.scope_empty:
        return no_article_within(hits.scope, folders)
    if hits.missing and not hits.matched:
        return "no passage mentions: " + ", ".join(hits.missing)
    if not hits.matched:
        return "the question has no words to search for (only stop words or punctuation)"
    if hits.scope:
        return f"no passage answers this question within {hits.scope}"
    return "no passage answers this question"


def top_folders(rows: Sequence[dict]) -> list[str]:
    """The top folders of a corpus (``business``, ``sport``) from ``Index.catalog()`` rows, to name when
    an ``in:`` fits none; a dataset file's records are no folder."""
    return sorted({row["file"].split("/", 1)[0] for row in rows if "/" in (row["file"] or "")})


def no_article_within(scope: str, folders: Sequence[str] = ()) -> str:
    """What a filter that no article passes gets: ``no article of this corpus is within in:x``, with
    the corpus's ``folders`` when the filter names one (``in:sprt``: "its folders are sport, ...")."""
    dated = any(f" {kind}:" in f" {scope}" for kind in ("after", "until", "before"))
    undated = " (an undated article is never within a date filter)" if dated else ""
    shown = ", ".join(printed_id(f) for f in folders[:12]) + (", …" if len(folders) > 12 else "")
    named = re.findall(r"(?<!\S)in:['\"]?([^/\s'\"]+)", scope)  # the top folder each in: names
    unknown = named and not set(named) & set(folders)  # in:sprt, not in:sport until:2003
    listed = f"; its folders are {shown}" if folders and unknown else ""
    return f"no article of this corpus is within {inert(scope)}{undated}{listed}"


def articles_table(rows: Sequence[dict]):
    """The rows of ``Index.catalog()`` as a Rich table: id, date, title, source, passages."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, options in (("id", {"style": CITATION_STYLE}), ("date", {}), ("title", {"ratio": 3}),
                          ("source", {"style": "dim"}), ("passages", {"justify": "right"})):  # fmt: skip
        table.add_column(name, overflow="fold", **options)
    for row in rows:
        source = one_line(row["source"]) if row["source"] else printed_id(row["file"] or "")
        cells = (printed_id(row["id"]), row["date"] or "", one_line(row["title"]), source, str(row["passages"]))
        table.add_row(*(Text(cell) for cell in cells))
    return table


def articles_plain(rows: Sequence[dict]) -> list[str]:
    """The catalog piped: one line of five tab-separated fields per article (id, date, title, source, passages);
    a tab or line break in a field is written \\t or \\n."""
    lines = []
    for row in rows:
        fields = (row["date"] or "", row["title"], row["source"] or "", str(row["passages"]))
        lines.append("\t".join((printed_id(row["id"]), *map(one_line, fields))))
    return lines


def article_view(article: Article, passages: Sequence[Passage] = (), paragraph: str = "") -> tuple[Text, Text]:
    """``askdoc show``: an article's header (title, then date, source, url, file) and its text, or the
    text of the passages of one of its paragraphs (``passages`` of ``paragraph``: the header then says ¶N)."""
    from rich.text import Text

    header = Text(one_line(article.title), style="bold")
    details = [article.date or "undated", article.source, article.url, str(article.path or "")]
    header.append("\n" + inert(" · ".join(d for d in details if d)), style="dim")
    if passages:
        header.append(f" · ¶{paragraph}", style="dim")
        body = "\n\n".join(p.text for p in passages)
    else:
        body = article.text[article.body_start :].strip()
    return header, Text(inert(body))


def nothing_added(added: Added) -> str:
    """Why ``askdoc add`` added no article."""
    if added.left_out:
        return "every file was left out (see the warnings)"
    if added.ignored:
        return f"none of the {len(added.ignored)} file(s) there is an article askdoc reads"
    return "no article files there"


def weak_message(hits: Hits) -> str:
    """Said before weak hits: they match only the common part of the question."""
    words = hits.weak_words  # the names and rare words, not "say" or "tell"
    these, match = ("this passage", "matches") if len(hits) == 1 else ("these passages", "match")
    if not words:  # no name is missing: the answered check doubts them (see ``learned.answered``)
        return f"{these} {match} the question only in part; {'it' if len(hits) == 1 else 'they'} may not answer it"
    return f"no passage mentions {', '.join(words)}; {these} {match} only the rest of the question"


def answer_notes(hits: Hits) -> list[tuple[str, str]]:
    """What is said above hits, as (kind, sentence): the words a follow-up borrowed ("borrowed"), the
    filter ("scope"), and the question's words no article has ("missing": all of the caveat when the hits are weak; otherwise the names and
    rare words, not "say")."""
    from .analysis import common_stem

    notes = [("borrowed", f"Also searched, from earlier: {borrowed}")] if (borrowed := borrowed_words(hits)) else []
    notes += [("scope", f"Filtered: {hits.scope}")] if hits.scope else []
    if hits.weak:
        message = weak_message(hits)
        notes.append(("missing", message[0].upper() + message[1:] + "."))
    elif telling := [w for w in hits.missing if common_stem(w) is None]:
        notes.append(("missing", "Not in any article: " + ", ".join(telling)))
    return notes


def borrowed_words(hits: Hits) -> str:
    """The words a follow-up borrowed, as a reader would list them: "prince, harry, apologise"."""
    if not hits.borrowed:
        return ""
    own = set(_analyzer().words(hits.question))
    return ", ".join(w for w in dict.fromkeys(_analyzer().words(hits.borrowed)) if w not in own)


@functools.cache
def _analyzer():
    from .analysis import Analyzer

    return Analyzer()


_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#>+*=|-]|\d+[.)])", re.MULTILINE)


def hits_json(hits: Hits) -> str:
    """One JSON object (see ``json_line``)."""
    return json_line(hits.to_json())


def json_line(value) -> str:
    """JSON on one line; C1 controls, bidi controls and lone surrogates (undecodable file names) are
    written as \\u escapes, so that printing it on a terminal is safe and it always encodes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def hits_markdown(hits: Hits) -> str:
    """A question and its answers as Markdown: each quote verbatim with its citation.

    Inert as on a terminal (``cat`` of an export must not run an escape sequence from a title or
    an article): controls and bidi overrides are written as visible escapes (``\\x1b``, ``<U+202E>``).
    """
    lines = [f"## {one_line(hits.question.strip())}", ""]
    if not hits:
        lines += [inert(no_match_message(hits)), ""]
    lines += [line for _, note in answer_notes(hits) if hits for line in (f"*{inert(note)}*", "")]
    for hit in hits:
        # A quote line that Markdown would read as a heading or a list ("# not a hashtag") is escaped.
        text = _MARKDOWN_BLOCK.sub(r"\1\\\2", inert(hit.quote.text))
        quoted = "\n".join("> " + line if line else ">" for line in text.splitlines())
        lines += [quoted, "", f"— {one_line(hit.citation)}{where_to_read(hit)}{also_in(hit)}", ""]
    return "\n".join(lines)
