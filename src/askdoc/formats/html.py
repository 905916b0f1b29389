"""Saved web pages: the article body and its metadata (title, date, author, site, canonical URL) via trafilatura.

trafilatura separates the article from menus, ads, scripts and comments; its XML-like
body keeps the structure, which becomes the article text: headings as ``#`` lines,
paragraphs, list items and table rows. Dates come only from what the page states
(no guessing from the text).
"""

from __future__ import annotations

import logging
import re
from html import unescape

from ..model import Article
from . import SourceFile, Unreadable, article_id_for
from .text import article_from_text, decode

log = logging.getLogger("askdoc")

_TITLE_ELEMENT = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_DATE_OPTIONS = {"extensive_search": False, "original_date": True}


def read(file: SourceFile, data: bytes) -> list[Article]:
    import trafilatura  # loaded only when a corpus has HTML pages

    html = decode(data)
    if not html.strip():
        raise Unreadable("empty")
    document = trafilatura.bare_extraction(
        html,
        url=None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        output_format="python",
        date_extraction_params=_DATE_OPTIONS,
    )
    body = getattr(document, "body", None)
    blocks = _blocks(body) if body is not None else []
    title = getattr(document, "title", None)
    if blocks and blocks[0].startswith("#"):
        headline = blocks[0].lstrip("#").strip()
        if headline == (title or "").strip() or _in_title_element(headline, html):
            title = headline  # "<title>Headline - Site</title>" with <h1>Headline</h1>: the headline
            blocks = blocks[1:]  # the page's own headline is the title, not a section heading
    if not any(not b.startswith("#") for b in blocks):
        raise Unreadable("no article text found in the page")
    meta = {
        "title": title,
        "date": getattr(document, "date", None),
        "author": getattr(document, "author", None),
        "source": getattr(document, "sitename", None) or getattr(document, "hostname", None),
        "url": getattr(document, "url", None),
        "site": getattr(document, "hostname", None),
        "description": getattr(document, "description", None),
    }
    meta = {k: v for k, v in meta.items() if v}
    text = "\n\n".join(blocks) + "\n"
    return [article_from_text(article_id_for(file.rel), text, path=file.path, meta=meta)]


def _blocks(body) -> list[str]:
    """The body's block elements as text: ``#`` headings, paragraphs, ``-`` list items, table rows."""
    out: list[str] = []
    for element in body.iter("head", "p", "item", "quote", "code", "row"):
        if _inside_block(element):
            continue
        if element.tag == "row":
            text = " | ".join(_words(cell) for cell in element.iter("cell"))
        else:
            text = _words(element)
        if not text:
            continue
        if element.tag == "head":
            level = (element.get("rend") or "h2").lstrip("h")
            text = "#" * (int(level) if level.isdigit() else 2) + " " + text
        elif element.tag == "item":
            text = "- " + text
        out.append(text)
    return out


def _inside_block(element) -> bool:
    """A paragraph inside a list item, quote or table cell is read with that block, not twice."""
    parent = element.getparent()
    while parent is not None:
        if parent.tag in ("item", "quote", "row", "code"):
            return True
        parent = parent.getparent()
    return False


def _in_title_element(headline: str, html: str) -> bool:
    match = _TITLE_ELEMENT.search(html)
    if not match:
        return False
    return " ".join(headline.split()).casefold() in " ".join(unescape(match.group(1)).split()).casefold()


def _words(element) -> str:
    return " ".join("".join(element.itertext()).split())
