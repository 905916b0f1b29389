"""Markdown articles: front matter for metadata, and the text as a reader sees it (no ``**`` or link syntax).

The article text askdoc indexes and quotes is the rendered text: emphasis markers, link
targets, images and HTML tags are dropped, headings stay as ``#`` lines (so passages know
their section), list items and block quotes become paragraphs. The raw file stays the
article's source (``path``).
"""

from __future__ import annotations

import re
from functools import cache

from ..model import Article
from . import SourceFile, article_id_for
from .text import article_from_text, split_front_matter, text_of

_TAG = re.compile(r"<[^>]*>")


def read(file: SourceFile, data: bytes) -> list[Article]:
    raw = text_of(data)
    meta, body_start = split_front_matter(raw)
    return [article_from_text(article_id_for(file.rel), plain_text(raw[body_start:]), path=file.path, meta=meta)]


@cache
def _parser():
    from markdown_it import MarkdownIt  # comes with Rich; loaded only for Markdown files

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def plain_text(markdown: str) -> str:
    """Markdown as readable text: one block per heading, paragraph, list item, quote, code block or table."""
    blocks: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (-1 for bullets)
    item_start = False
    row: list[str] = []
    table: list[str] = []
    tokens = _parser().parse(markdown)
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            blocks.append("#" * level + " " + _inline(tokens[i + 1]))
        elif kind == "bullet_list_open":
            lists.append([-1])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            item_start = True
        elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
            text = _inline(token)
            if item_start and lists:
                number = lists[-1][0]
                text = ("- " if number < 0 else f"{number}. ") + text
                if number >= 0:
                    lists[-1][0] += 1
                item_start = False
            if text.strip():
                blocks.append(text)
        elif kind in ("fence", "code_block"):
            blocks.append(token.content.strip("\n"))
        elif kind == "html_block":
            text = _TAG.sub("", token.content).strip()
            if text:
                blocks.append(text)
        elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(_inline(token))
        elif kind == "tr_close":
            table.append(" | ".join(row))
            row = []
        elif kind == "table_close":
            blocks.append("\n".join(table))
            table = []
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


def _inline(token) -> str:
    """An inline token's text: words kept, markup (emphasis, links, images' URLs, tags) dropped."""
    out: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)  # the alt text
    return "".join(out).strip()
