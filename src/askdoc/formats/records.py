"""Datasets of articles: JSON Lines (one object a line) and CSV/TSV (one row each) — one file, many articles.

Fields are recognised by their usual names, in any letter case: the text (``text``,
``body``, ``content``, ...), ``title``, ``date``, ``url``, ``source``, ``author`` and
``id``. An article's id is the file's id, a slash and the record's id (or its line or
row number), so ``news/2024.jsonl`` gives ``news/2024/a17``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from ..model import Article
from . import SourceFile, Unreadable, article_id_for, suffix_of
from .text import article_from_text, clean, text_of

log = logging.getLogger("askdoc")

FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "full_text", "fulltext", "story", "maintext"),
    "title": ("title", "headline", "name", "subject"),
    "date": ("date", "published", "published_at", "publish_date", "pubdate", "date_publish", "datetime", "created_at"),
    "url": ("url", "link", "href", "permalink", "canonical_url"),
    "source": ("source", "site", "sitename", "site_name", "publisher", "outlet", "domain"),
    "author": ("author", "authors", "byline"),
    "id": ("id", "_id", "guid", "uuid", "doc_id", "article_id", "docid"),
}
_KNOWN = frozenset(key for keys in FIELDS.values() for key in keys)
_UNSAFE_ID = re.compile(r"[^\w.\-]+")


def read(file: SourceFile, data: bytes) -> list[Article]:
    if file.start and not data.strip():
        return []
    text = text_of(data)
    rows = _csv_rows(text, suffix_of(file.rel)) if suffix_of(file.rel) in (".csv", ".tsv") else _json_rows(file, text)
    file_id = article_id_for(file.rel)
    articles: list[Article] = []
    seen: set[str] = set(file.known_ids)  # a file read from ``start`` on: the ids its earlier records took
    without_text = 0
    saw_text_field = False
    for number, record in rows:
        fields = _fields(record)
        saw_text_field = saw_text_field or "text" in fields
        body = fields.get("text")
        if not isinstance(body, str) or not body.strip():
            without_text += 1
            continue
        record_id = _UNSAFE_ID.sub("-", str(fields.get("id") or "").strip()).strip("-") or str(number)
        article_id = f"{file_id}/{record_id}"
        if article_id in seen:
            article_id = f"{file_id}/{record_id}-{number}"
        seen.add(article_id)
        meta = {name: value for name, value in fields.items() if name != "text"}
        meta |= {k: v for k, v in record.items() if isinstance(v, (str, int, float, bool)) and k.lower() not in _KNOWN}
        articles.append(article_from_text(article_id, body, path=file.path, meta=meta))
    if not saw_text_field and not file.start:
        raise Unreadable(f"no text field (one of: {', '.join(FIELDS['text'][:3])}) in its records")
    if without_text and articles:
        log.warning("%s: skipped %d record(s) without text", file.path, without_text)
    return articles


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record's recognised fields under askdoc's names (the first matching key wins)."""
    by_key = {str(k).strip().lower(): v for k, v in record.items()}
    out = {}
    for name, keys in FIELDS.items():
        for key in keys:
            value = by_key.get(key)
            if value in (None, ""):
                continue
            if name != "text" and not isinstance(value, (int, float)):
                value = clean(value)
            out[name] = value
            break
    return out


SHOWN_LINES = 20  # bad lines named one by one in the warning; the rest counted


def _json_rows(file: SourceFile, text: str) -> Iterator[tuple[int, dict]]:
    """Each line's object. Lines end at "\n" only (JSON Lines): a record's raw U+2028, U+2029 or U+0085
    is its text, not a line break, as ``str.splitlines`` would make it. A bad line (not JSON, not an
    object, nested too deep, a number too long to convert) is skipped and named; the others are kept."""
    bad: list[int] = []
    for number, line in enumerate(text.split("\n"), file.first_line):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # JSONDecodeError, "Exceeds the limit ... for integer string"
            record = None
        if isinstance(record, dict):
            yield number, record
        else:
            bad.append(number)
    if bad:
        named = ", ".join(map(str, bad[:SHOWN_LINES])) + (
            f" and {len(bad) - SHOWN_LINES} more" if len(bad) > SHOWN_LINES else ""
        )
        log.warning("%s: skipped line%s %s: not a JSON object", file.path, "s" if len(bad) > 1 else "", named)


def _csv_rows(text: str, suffix: str) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(2**31 - 1)  # an article's text is one field, often longer than csv's 128 KB default
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text, suffix))
    for number, row in enumerate(reader, 1):
        yield number, {k: v for k, v in row.items() if k is not None}


def _delimiter(text: str, suffix: str) -> str:
    """Tab for .tsv; for .csv the delimiter whose header names a text field (a comma when none does)."""
    if suffix == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    for delimiter in ",;\t|":
        names = {name.strip().strip('"').lower() for name in header.split(delimiter)}
        if names & set(FIELDS["text"]):
            return delimiter
    return ","
