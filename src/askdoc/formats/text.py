"""Plain text articles: decoding with fallbacks, and the metadata a text carries (front matter, date, title)."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import Article
from . import SourceFile, Unreadable, article_id_for

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)
_DATE_HEADER = re.compile(r"\A\ufeff?\s*date:?[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_BREAK = r"(?:\r\n|\r(?!\n)|\n)"  # a line break: Unix, Windows, or old Mac
_FIRST_OF_LINES = re.compile(rf"\A\s*([^\r\n]+?)[ \t]*{_BREAK}")  # one paragraph a line
_FIRST_LINE = re.compile(rf"{_FIRST_OF_LINES.pattern}[ \t]*{_BREAK}")  # a line, then a blank one
_MD_TITLE = re.compile(r"\A\s*#\s+([^\r\n]+?)[ \t]*(?:\r?\n|\Z)")


def read(file: SourceFile, data: bytes) -> list[Article]:
    return [article_from_text(article_id_for(file.rel), text_of(data), path=file.path)]


# Byte order marks of the wide encodings (UTF-32 first: its little-endian mark starts with UTF-16's)
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode(data: bytes) -> str:
    """UTF-8 when it is; UTF-16/32 with a byte order mark (what Windows tools write); otherwise
    Windows-1252 as browsers read it (its five undefined bytes kept as Latin-1 controls), unless
    the file is UTF-8 with stray bytes: then only those are read as Windows-1252, so that one stray
    byte costs one character, not the file's accents and quotes.

    Which of the two: a Windows-1252 file holds UTF-8 sequences only by accident ("ß" before "“"
    is one), fewer than its bytes that are not UTF-8, and never the sequences of Latin-1 letters
    ("é" would be "Ã©" in it) or of three bytes and more ("’" would be "â€™"): a file holding
    one of those, or more sequences than stray bytes, is UTF-8.
    """
    if wide := _wide(data):
        return wide
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    loose = data.decode("utf-8-sig", errors="replace")
    strays = loose.count("\ufffd") - data.count("\ufffd".encode())
    sequences = [c for c in loose if c > "\x7f" and c != "\ufffd"]
    utf8 = len(sequences) > strays or any("\xa0" <= c <= "\xff" or c >= "\u0800" for c in sequences)
    return data.decode("utf-8-sig" if utf8 else "cp1252", errors=_CP1252_BYTES)


def _as_cp1252(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "".join(_CP1252[byte] for byte in err.object[err.start : err.end]), err.end


# each byte's Windows-1252 character; the five bytes it leaves undefined are their Latin-1 controls (WHATWG)
_CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]
_CP1252_BYTES = "askdoc-cp1252"
codecs.register_error(_CP1252_BYTES, _as_cp1252)


def _wide(data: bytes) -> str | None:
    """The text of UTF-16/32 with a byte order mark, unless it decodes to control characters (binary)."""
    for bom, encoding in _WIDE:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            head = text[:8192]
            return text if len(_CONTROL.findall(head)) <= len(head) // 100 else None
    return None


def text_of(data: bytes) -> str:
    """The decoded text of a text file; ``Unreadable`` when it is binary or blank."""
    text = _wide(data)
    if text is None:
        if b"\x00" in data[:8192]:
            raise Unreadable("looks binary, not text")
        text = decode(data)
    if not text.strip():
        raise Unreadable("empty")
    return text


def split_front_matter(text: str) -> tuple[dict[str, Any], int]:
    """The YAML front matter of a text (or {}) and where the text after it starts."""
    if match := _FRONT_MATTER.match(text):
        return _parse_front_matter(match.group(1) or ""), match.end()
    return {}, 0


def article_from_text(
    article_id: str, text: str, path: Path | None = None, meta: Mapping[str, Any] | None = None
) -> Article:
    """Read the metadata a text carries (front matter, date header, title line) into an Article.

    ``meta`` holds metadata already known from elsewhere (front matter split off before,
    an HTML page's head, a PDF's info, a JSON record); the text's own front matter is
    then not looked for.
    """
    body_start = 0
    if meta is None:
        meta, body_start = split_front_matter(text)
    title = clean(meta.get("title"))
    date = as_date(meta.get("date"))
    if match := _DATE_HEADER.match(text, body_start):
        date = date or as_date(match.group(1))  # a header with an impossible date: a header, no date
        body_start = match.end()
    body = text[body_start:]
    if title is None and (match := _MD_TITLE.match(body) or _FIRST_LINE.match(body) or _first_of_lines(body)):
        line = match.group(1).strip()
        if _looks_like_title(line):
            title = line.lstrip("#").strip()
            body_start += match.end()
    if not title:
        title = _title_from_body(text[body_start:]) or article_id.rsplit("/", 1)[-1]
    return Article(
        id=article_id,
        title=title,
        text=text,
        date=date,
        source=clean(meta.get("source") or meta.get("site") or meta.get("sitename")),
        path=path,
        url=clean(meta.get("url") or meta.get("link")),
        author=clean(meta.get("author")),
        body_start=body_start,
        meta={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list))},
    )


def _parse_front_matter(block: str) -> dict:
    import yaml  # only for files that have front matter

    class Loader(yaml.SafeLoader):
        """YAML's safe loader, with dates left as text for ``as_date`` ("2024-09-31" fails as a date)."""

    Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)
    try:
        loader = Loader(block)  # (reading starts here: a control character is already an error)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(key, str) and _plain(value)}


_SCALARS = (str, int, float, bool, dt.date)


def _plain(value: object) -> bool:
    """A scalar or a flat list of scalars. YAML aliases nest lists exponentially (a 600-byte
    "billion laughs" front matter); turning one into text or JSON would never end."""
    return isinstance(value, _SCALARS) or (isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value))


def clean(value: object) -> str | None:
    """A metadata value as one line of text, or None when it is empty."""
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = " ".join(str(value).split())
    return text or None


def as_date(value: object) -> str | None:
    """An ISO date (YYYY-MM-DD) from a date, a datetime, a string that starts with one, or an RSS date."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if not isinstance(value, str):
        return None
    if match := re.match(r"\s*(\d{4})[-/.](\d{2})[-/.](\d{2})(?!\d)", value):
        try:  # 2024-02-30 is no date: unknown, as a missing one
            return dt.date(*map(int, match.groups())).isoformat()
        except ValueError:
            return None
    if match := re.match(r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2}\s+[A-Za-z]{3}\s+\d{4})", value):  # RSS: Tue, 24 Sep 2024
        try:
            return dt.datetime.strptime(" ".join(match.group(1).split()), "%d %b %Y").strftime("%Y-%m-%d")
        except ValueError:
            return None
    return None


def _first_of_lines(body: str) -> re.Match | None:
    """The first line of a text written one paragraph a line (see ``passages.blocks``), or None."""
    from ..passages import written_a_line_each

    match = _FIRST_OF_LINES.match(body)
    return match if match and written_a_line_each(body) else None


def _looks_like_title(line: str) -> bool:
    return len(line) <= 150 and len(line.split()) <= 20 and not line.endswith((".", ",", ";"))


def _title_from_body(body: str, limit: int = 72) -> str | None:
    """A readable stand-in title: the start of the first sentence, cut at a word."""
    words = body.split()
    if not words:
        return None
    title = ""
    for word in words:
        if len(title) + len(word) + 1 > limit:
            return title + "…"
        title = f"{title} {word}" if title else word
        if word.endswith((".", "!", "?")):
            return title.rstrip(".")
    return title
