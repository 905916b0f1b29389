"""Find the article files of a corpus folder, decode them and read their metadata into Articles."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .model import Article

log = logging.getLogger("askdoc")

SUFFIXES = (".txt", ".md", ".markdown")
MAX_FILE_BYTES = 200 * 1024 * 1024  # larger files are skipped: memory stays bounded

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)
_DATE_HEADER = re.compile(r"\A\ufeff?\s*date:?[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_FIRST_LINE = re.compile(r"\A\s*([^\r\n]+?)[ \t]*\r?\n[ \t]*\r?\n")
_MD_TITLE = re.compile(r"\A\s*#\s+([^\r\n]+?)[ \t]*(?:\r?\n|\Z)")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A candidate article file, with what is needed to tell whether it changed."""

    rel: str  # path relative to the corpus root, with "/" separators
    path: Path
    size: int
    mtime_ns: int


def find_files(root: Path) -> list[SourceFile]:
    """Article files under ``root``, recursively, sorted; hidden files and folders are left out."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"corpus folder '{root}' does not exist or is not a folder")
    real_root = root.resolve()
    found = []
    for folder, dirs, files in os.walk(root, onerror=_warn_walk_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(folder, name)
            try:
                if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                    log.warning("skipped %s: a symlink to outside the corpus", path)
                    continue
                stat = path.stat()
            except OSError as err:
                log.warning("skipped %s: %s", path, err.strerror or err)
                continue
            rel = path.relative_to(root).as_posix()
            found.append(SourceFile(rel, path.absolute(), stat.st_size, stat.st_mtime_ns))
    return found


def _warn_walk_error(err: OSError) -> None:
    log.warning("skipped %s: %s", err.filename, err.strerror or err)


def decode(data: bytes) -> str:
    """UTF-8 when it is; otherwise Windows-1252 (the usual culprit), else Latin-1, which never fails."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_article(file: SourceFile) -> Article | None:
    """The article in ``file``, or None (with a warning naming it) when it cannot be used."""
    try:
        if file.size > MAX_FILE_BYTES:
            log.warning("skipped %s: larger than %d MB", file.path, MAX_FILE_BYTES >> 20)
            return None
        data = file.path.read_bytes()
    except OSError as err:
        log.warning("skipped %s: %s", file.path, err.strerror or err)
        return None
    if b"\x00" in data[:8192]:
        log.warning("skipped %s: looks binary, not text", file.path)
        return None
    text = decode(data)
    if not text.strip():
        log.warning("skipped %s: empty", file.path)
        return None
    article_id = file.rel.rsplit(".", 1)[0]
    return article_from_text(article_id, text, path=file.path)


def article_from_text(article_id: str, text: str, path: Path | None = None) -> Article:
    """Read the metadata a text carries (front matter, date header, title line) into an Article."""
    meta: dict = {}
    body_start = 0
    title = None
    date = None
    if match := _FRONT_MATTER.match(text):
        meta = _parse_front_matter(match.group(1) or "")
        body_start = match.end()
        title = _clean(meta.get("title"))
        date = _as_date(meta.get("date"))
    if match := _DATE_HEADER.match(text, body_start):
        date = date or match.group(1)
        body_start = match.end()
    body = text[body_start:]
    if title is None and (match := _MD_TITLE.match(body) or _FIRST_LINE.match(body)):
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
        source=_clean(meta.get("source") or meta.get("site") or meta.get("sitename")),
        path=path,
        url=_clean(meta.get("url") or meta.get("link")),
        author=_clean(meta.get("author")),
        body_start=body_start,
        meta={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list))},
    )


def _parse_front_matter(block: str) -> dict:
    import yaml  # only for files that have front matter

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _as_date(value: object) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and (match := re.match(r"\s*(\d{4}-\d{2}-\d{2})", value)):
        return match.group(1)
    return None


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
